"""Every op of the op table (tests/*/op_db.py), forward and backward, compiled: a replay gives the eager
results bit for bit (or, for what cannot be traced, the function runs eagerly and says why)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import nnmath
from opinfo import first_tensor_outputs, to_nnmath
from test_op_db import OP_DB


def _step(info, kwargs, cotangents):
    def step(*args):
        outs = first_tensor_outputs(info.op(nnmath, *args, **kwargs))
        leaves = [a for a in args if isinstance(a, nnmath.Tensor) and a.requires_grad]
        differentiable = [o for o in outs if o.requires_grad]
        if differentiable and leaves:
            total = sum((o * c).sum() for o, c in zip(differentiable, cotangents))
            total.backward()
        grads = [a.grad for a in leaves]
        for a in leaves:
            a.grad = None
        return [o.detach() for o in outs], grads
    return step


def _bits(result):
    outs, grads = result
    return [None if t is None else (t.numpy().dtype, t.numpy().tobytes()) for t in outs + grads]


@pytest.mark.parametrize("info", OP_DB, ids=[info.name for info in OP_DB])
def test_compiled_op_forward_and_backward_equal_eager(info):
    sample = info.samples(np.random.default_rng(1234))[0]
    args = to_nnmath(sample, np.float32)
    with nnmath.no_grad():
        shapes = [tuple(o.shape) for o in first_tensor_outputs(info.op(nnmath, *args, **sample.kwargs))]
    rng = np.random.default_rng(0)
    cotangents = [nnmath.tensor(rng.standard_normal(s).astype(np.float32)) for s in shapes]
    step = _step(info, sample.kwargs, cotangents)
    try:
        step(*args)
    except RuntimeError as e:          # an entry whose backward raises by design (e.g. once_differentiable)
        pytest.skip(f"eager mode raises: {e}")
    compiled = nnmath.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(2):
            nnmath.manual_seed(7)
            compiled(*args)
        nnmath.manual_seed(7)
        replayed = compiled(*args)
    nnmath.manual_seed(7)
    eager = step(*args)
    assert _bits(replayed) == _bits(eager)
