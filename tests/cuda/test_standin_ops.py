"""Every op of the op table on the "cuda" device, with the strict CuPy stand-in as its array module.

Each sample runs twice from the same float64 numbers: on the CPU, and with every tensor moved to
``cuda`` (``tests/strict_xp.py`` installed behind it). On the device run every output and every
gradient must be a device array (an op that fell back to NumPy would hand back a host array) and the
numbers must be the CPU's: the same NumPy code runs underneath, so only a difference in what the
ops did (not rounding) can move them; the tolerance is that of the non-contiguous-input check.
Any NumPy call that would fail on CuPy (creating a host array and mixing it in, a NumPy function
CuPy lacks, a conversion to NumPy) raises inside the op and fails the test with the call named.
"""
from __future__ import annotations

import numpy as np
import pytest

import nnmath
from device_under_test import RTOL64, device_array_type
from nnmath.backend import cuda_module
from opinfo import first_tensor_outputs, to_nnmath
from test_op_db import CASES, IDS, _sample

CUDA = nnmath.device("cuda", 0)


def _to_device(args):
    """The sample's tensors on the device: leaves again (gradients accumulate there), same numbers."""
    moved = []
    for a in args:
        if isinstance(a, nnmath.Tensor):
            t = a.detach().to("cuda")
            moved.append(t.requires_grad_(a.requires_grad))
        else:
            moved.append(a)
    return moved


def _backward(outs, seed):
    rng = np.random.default_rng(seed)
    total = None
    for o in outs:
        if not o.requires_grad:
            continue
        cotangent = nnmath.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype, device=o.device)
        term = (o * cotangent).sum()
        total = term if total is None else total + term
    if total is not None:
        total.backward()


def _host(t):
    assert type(t._data) is device_array_type(), f"expected a device array, got {type(t._data).__name__}"
    assert t.device == CUDA
    return t._data.get()


def _run(op, args, kwargs):
    """The op's floating outputs after a backward pass, or the exception the op or its backward raised."""
    try:
        outs = first_tensor_outputs(op(nnmath, *args, **kwargs))
        _backward(outs, 7)
    except Exception as error:  # compared with the CPU's below
        return error
    return outs


def check_on_device(info, i):
    """The op's outputs and gradients on the device are device arrays with the CPU's values (or the
    device run raises what the CPU run raises). Tensors the entry's lambda makes itself (a loss's class
    weights) are made on the device, as ``set_default_device('cuda')`` makes them in PyTorch."""
    sample = _sample(info, i)
    host_args = to_nnmath(sample, np.float64)
    device_args = _to_device(to_nnmath(sample, np.float64))
    host_out = _run(info.op, host_args, sample.kwargs)
    nnmath.set_default_device("cuda")  # tensors the op's lambda creates go to the device too
    try:
        kwargs = {k: cuda_module().asarray(v) if isinstance(v, np.ndarray) else v for k, v in sample.kwargs.items()}
        device_out = _run(info.op, device_args, kwargs)
    finally:
        nnmath.set_default_device(None)
    if isinstance(host_out, Exception):
        assert type(device_out) is type(host_out) and str(device_out) == str(host_out), device_out
        return
    if isinstance(device_out, Exception):
        raise device_out
    assert len(device_out) == len(host_out)
    for d, h in zip(device_out, host_out):
        np.testing.assert_allclose(_host(d.detach()), h.detach().numpy(), rtol=RTOL64, atol=RTOL64)
    for d, h in zip(device_args, host_args):
        if isinstance(h, nnmath.Tensor) and h.grad is not None:
            assert d.grad is not None, "the device run gave no gradient where the CPU run gave one"
            np.testing.assert_allclose(_host(d.grad), h.grad.numpy(), rtol=RTOL64, atol=RTOL64)


@pytest.mark.parametrize("info,i", CASES, ids=IDS)
def test_op_on_standin_device(info, i, on_standin):
    check_on_device(info, i)
