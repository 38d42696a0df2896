"""Tests generated from every ``op_db.py`` table in the test tree (see ``tests/opinfo.py``)."""
from __future__ import annotations

import importlib
import importlib.util
import pathlib

import numpy as np
import pytest

import nnmath
from nnmath.autograd import gradcheck, gradgradcheck
from nnmath.autograd.function import registry
from opinfo import first_tensor_outputs, to_nnmath, to_torch

HERE = pathlib.Path(__file__).parent
SUBPACKAGES = ["nn", "nn.functional", "optim", "linalg", "distributions", "info", "prob", "vision"]


def _load_tables():
    entries = []
    for path in sorted(HERE.rglob("op_db.py")):
        spec = importlib.util.spec_from_file_location(f"op_db_{path.parent.name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        entries.extend(module.OP_DB)
    return entries


OP_DB = _load_tables()
CASES = [(info, i) for info in OP_DB for i in range(len(info.samples(np.random.default_rng(0))))]
IDS = [f"{info.name}-{i}" for info, i in CASES]


def _sample(info, i):
    return info.samples(np.random.default_rng(1234))[i]


@pytest.mark.parametrize("info,i", [c for c in CASES if c[0].gradcheck], ids=[n for c, n in zip(CASES, IDS) if c[0].gradcheck])
def test_gradcheck(info, i):
    sample = _sample(info, i)
    args = to_nnmath(sample, np.float64)
    assert gradcheck(lambda *a: info.op(nnmath, *a, **sample.kwargs), tuple(args))


@pytest.mark.parametrize("info,i", [c for c in CASES if c[0].gradgrad and c[0].gradcheck],
                         ids=[n for c, n in zip(CASES, IDS) if c[0].gradgrad and c[0].gradcheck])
def test_gradgradcheck(info, i):
    sample = _sample(info, i)
    args = to_nnmath(sample, np.float64)
    assert gradgradcheck(lambda *a: info.op(nnmath, *a, **sample.kwargs), tuple(args))


def _run_backward(outs, rng, lib):
    cotangents = [rng.standard_normal(tuple(o.shape)) for o in outs]
    total = None
    for o, c in zip(outs, cotangents):
        term = (o * lib.tensor(c, dtype=o.dtype)).sum()
        total = term if total is None else total + term
    return total


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("info,i", [c for c in CASES if c[0].parity], ids=[n for c, n in zip(CASES, IDS) if c[0].parity])
def test_torch_parity(info, i, dtype):
    torch = pytest.importorskip("torch")
    sample = _sample(info, i)
    ours = to_nnmath(sample, dtype)
    theirs = to_torch(sample, dtype)
    reference = info.torch_op or info.op
    out = first_tensor_outputs(info.op(nnmath, *ours, **sample.kwargs))
    ref = first_tensor_outputs(reference(torch, *theirs, **sample.kwargs))
    rtol, atol = (info.rtol, info.atol) if dtype == np.float32 else (info.rtol64, info.atol64)
    assert len(out) == len(ref)
    for o, r in zip(out, ref):
        assert tuple(o.shape) == tuple(r.shape)
        assert o.dtype.name == str(r.dtype).split(".")[-1], f"dtype {o.dtype} vs {r.dtype}"
        np.testing.assert_allclose(o.detach().numpy(), r.detach().numpy(), rtol=rtol, atol=atol)
    if not any(o.requires_grad for o in out):
        return
    _run_backward(out, np.random.default_rng(7), nnmath).backward()
    _run_backward(ref, np.random.default_rng(7), torch).backward()
    for a, b in zip(ours, theirs):
        if isinstance(b, torch.Tensor) and b.requires_grad:
            if b.grad is None:
                assert a.grad is None or not a.grad.numpy().any()
                continue
            assert a.grad is not None, "nnmath gave no gradient where PyTorch gave one"
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol * 10, atol=atol * 10)


@pytest.mark.parametrize("info,i", CASES, ids=IDS)
def test_noncontiguous_inputs_give_the_same_result(info, i):
    sample = _sample(info, i)
    plain = first_tensor_outputs(info.op(nnmath, *to_nnmath(sample, np.float64), **sample.kwargs))
    strided = first_tensor_outputs(info.op(nnmath, *to_nnmath(sample, np.float64, noncontiguous=True),
                                           **sample.kwargs))
    for a, b in zip(plain, strided):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_every_function_is_covered():
    for name in SUBPACKAGES:
        try:
            importlib.import_module(f"nnmath.{name}")
        except ModuleNotFoundError as e:
            if e.name and e.name.startswith("nnmath"):
                continue
            raise
    covered = {cls for info in OP_DB for cls in info.covers}
    missing = sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in registry if cls not in covered)
    assert not missing, f"Functions with no op-table entry (add them to an op_db.py): {missing}"
