"""Comparisons, logic and predicates: bool tensors, with no gradient (they are piecewise constant),
and ``nonzero``, the indices where a tensor is nonzero."""
from __future__ import annotations

import numpy as np

from nnmath.backend import get_array_module
from nnmath.ops._util import broadcast_error, promote, reject_dtype_kinds
from nnmath.tensor import Tensor


def _compare(np_fn, name, ordered=False):
    def op(input, other):
        a, b = promote(input, other)
        if ordered:
            reject_dtype_kinds(name, "c", "complex", a)
        try:
            return Tensor._make(np_fn(a._data, b._data))
        except ValueError:
            err = broadcast_error(name, a._data.shape, b._data.shape)
            if err is None:
                raise
            raise err from None
    op.__name__ = name
    op.__doc__ = f"Elementwise {name} (bool result, broadcasting)."
    return op


eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
lt = _compare(np.less, "lt", ordered=True)
le = _compare(np.less_equal, "le", ordered=True)
gt = _compare(np.greater, "gt", ordered=True)
ge = _compare(np.greater_equal, "ge", ordered=True)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
logical_and = _compare(np.logical_and, "logical_and")
logical_or = _compare(np.logical_or, "logical_or")
logical_xor = _compare(np.logical_xor, "logical_xor")


def _bitwise(np_fn, name):
    def op(input, other):
        a, b = promote(input, other)
        if a._data.dtype.kind not in "biu":
            raise RuntimeError(f"{name}: only integer and bool tensors are supported, got {a.dtype}")
        return Tensor._make(np_fn(a._data, b._data))
    op.__name__ = name
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def logical_not(input):
    return Tensor._make(np.logical_not(input._data))


def bitwise_not(input):
    if input._data.dtype.kind not in "biu":
        raise RuntimeError(f"bitwise_not: only integer and bool tensors are supported, got {input.dtype}")
    return Tensor._make(np.invert(input._data))


def isnan(input):
    return Tensor._make(np.isnan(input._data))


def isinf(input):
    return Tensor._make(np.isinf(input._data))


def isfinite(input):
    return Tensor._make(np.isfinite(input._data))


def isposinf(input):
    return Tensor._make(np.isposinf(input._data))


def isneginf(input):
    return Tensor._make(np.isneginf(input._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = promote(input, other)
    return Tensor._make(np.isclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """|a − b| ≤ atol + rtol·|b| everywhere."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other) -> bool:
    """True when both have the same shape and elements."""
    return tuple(input.shape) == tuple(other.shape) and bool((input._data == other._data).all())


def nonzero(input, *, as_tuple=False):
    """Indices of the nonzero elements: an (n, ndim) int64 tensor, or a tuple of 1-D index tensors."""
    if input.ndim == 0:  # as PyTorch: a 0-d tensor has one position (or none), with no coordinates
        found = bool(input._data)
        xp = get_array_module(input._data)
        if as_tuple:
            return (Tensor._make(xp.zeros(int(found), np.int64)),)
        return Tensor._make(xp.zeros((int(found), 0), np.int64))
    idx = np.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in idx)
    xp = get_array_module(input._data)
    return Tensor._make(xp.stack(idx, axis=1).astype(np.int64) if idx else xp.zeros((0, 0), np.int64))


def argwhere(input):
    return nonzero(input)



__all__ = [
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "not_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "logical_not",
    "bitwise_not",
    "isnan",
    "isinf",
    "isfinite",
    "isposinf",
    "isneginf",
    "isclose",
    "allclose",
    "equal",
    "nonzero",
    "argwhere",
]
