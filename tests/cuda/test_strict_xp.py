"""The strict CuPy stand-in refuses what CuPy refuses, and the device check of the op table fails on
ops written the ways that break on a GPU (the checker fed deliberately wrong ops)."""
from __future__ import annotations

import numpy as np
import pytest

import cupy_surface
import nnmath
import strict_xp
from nnmath.autograd.function import Function
from nnmath.backend import use_cuda_module
from opinfo import OpInfo, Sample
from test_standin_ops import check_on_device

xp = strict_xp.xp


def test_device_arrays_compute_like_numpy():
    host = np.arange(6.0).reshape(2, 3)
    a, b = xp.asarray(host), xp.ones((3, 2))
    y = np.exp(a) @ b + 2.0 * a.sum(axis=1, keepdims=True)
    assert type(y) is strict_xp.ndarray
    np.testing.assert_allclose(xp.asnumpy(y), np.exp(host) @ np.ones((3, 2)) + 2.0 * host.sum(axis=1, keepdims=True))
    assert type(a.sum()) is strict_xp.ndarray and a.sum().ndim == 0  # CuPy reductions give 0-d arrays
    assert float(a.sum()) == 15.0 and a[1, 2].item() == 5.0 and a.tolist()[0] == [0.0, 1.0, 2.0]


def test_mixing_a_host_array_raises():
    a = xp.ones(3)
    with pytest.raises(strict_xp.MixedArraysError, match="numpy.add got a numpy.ndarray"):
        a + np.zeros(3)
    with pytest.raises(strict_xp.MixedArraysError, match="numpy.concatenate"):
        np.concatenate([a, np.zeros(3)])
    with pytest.raises(strict_xp.MixedArraysError):
        a[np.array([0, 1])]
    a + np.float32(2.0)  # NumPy and Python scalars are fine, as on CuPy
    assert bool((a == np.asarray(1.0)).all())  # CuPy turns a 0-d operand of a comparison into a scalar


def test_conversion_to_numpy_raises_and_get_copies():
    a = xp.ones(2)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(a)
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.zeros(2)[...] = a
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.lib.stride_tricks.as_strided(a, (2,), (8,))  # not dispatched: NumPy converts its argument
    host = a.get()
    host[0] = 5.0
    assert type(host) is np.ndarray and a.tolist() == [1.0, 1.0]


def test_what_cupy_lacks_is_refused():
    a = xp.ones((2, 2))
    with pytest.raises(NotImplementedError, match="cupy.maximum.reduce"):
        np.maximum.reduce(a)
    with pytest.raises(TypeError, match="numpy.insert has no CuPy implementation"):
        np.insert(a, 0, 1.0)
    with pytest.raises(AttributeError):
        a.flags.writeable
    with pytest.raises(AttributeError):
        a.ctypes
    with pytest.raises(AttributeError, match="cupy has no attribute 'insert'"):
        xp.insert
    with pytest.raises(TypeError):
        range(xp.asarray(np.array(3)))  # no __index__ on CuPy arrays
    np.add.at(a, (xp.asarray(np.array([0, 0])),), 1.0)
    assert a.tolist() == [[3.0, 3.0], [1.0, 1.0]]


def test_the_surface_table_was_read_from_cupy():
    assert "numpy.concatenate" in cupy_surface.FUNCTIONS and "numpy.insert" not in cupy_surface.FUNCTIONS
    assert "at" in cupy_surface.UFUNCS["add"] and "reduce" not in cupy_surface.UFUNCS["maximum"]


class _HostZeros(Function):
    """Forward:  y = x + 0 (the zeros made with np.zeros: wrong on a GPU)
    VJP:      x̄ = ȳ"""

    @staticmethod
    def forward(ctx, x):
        return x + np.zeros(x.shape, x.dtype)

    @staticmethod
    def backward(ctx, gy):
        return gy


class _HostResult(Function):
    """Forward:  y = 2x, computed on the host (a silent fall back to NumPy: wrong on a GPU)
    VJP:      x̄ = 2ȳ"""

    @staticmethod
    def forward(ctx, x):
        return 2 * strict_xp.xp.asnumpy(x)

    @staticmethod
    def backward(ctx, gy):
        return 2 * gy


@pytest.mark.parametrize("op, message", [(_HostZeros, "numpy.add got a numpy.ndarray"),
                                         (_HostResult, "expected a device array")])
def test_the_device_check_catches_ops_that_break_on_a_gpu(op, message):
    info = OpInfo("wrong", lambda m, x: op.apply(x), lambda rng: [Sample((rng.standard_normal((2, 3)),))])
    with use_cuda_module(xp), pytest.raises((AssertionError, TypeError), match=message):
        check_on_device(info, 0)
