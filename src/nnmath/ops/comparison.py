"""Comparisons, logic and ordering. Comparisons and logic give bool tensors and have no gradient
(they are piecewise constant); ``sort`` and ``topk`` return values that are differentiable through
the indices they select."""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from nnmath.ops._util import broadcast_error, promote, wrap_dim
from nnmath.tensor import Tensor

values_indices = namedtuple("values_indices", ["values", "indices"])


def _compare(np_fn, name):
    def op(input, other):
        a, b = promote(input, other)
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
lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")
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
    idx = np.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in idx)
    return Tensor._make(np.stack(idx, axis=1).astype(np.int64) if idx else np.zeros((0, 0), np.int64))


def argwhere(input):
    return nonzero(input)


def _order(input, dim, descending, stable=True):
    d = wrap_dim(dim, input.ndim, "sort") if input.ndim else None
    a = input._data
    if a.ndim == 0:
        return np.zeros((), np.int64)
    key = -a if descending and a.dtype.kind in "fi" else a
    idx = np.argsort(key, axis=d, kind="stable")
    if descending and a.dtype.kind not in "fi":
        idx = np.flip(idx, axis=d)
    return idx.astype(np.int64)


def argsort(input, dim=-1, descending=False, stable=False):
    return Tensor._make(_order(input, dim, descending))


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along ``dim``; values are differentiable (gradient to the sources)."""
    from nnmath.ops.indexing import gather
    idx = Tensor._make(_order(input, dim, descending))
    if input.ndim == 0:
        return values_indices(input, idx)
    return values_indices(gather(input, dim, idx), idx)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) entries along ``dim`` and their indices."""
    from nnmath.ops.indexing import gather
    d = wrap_dim(dim, input.ndim, "topk")
    n = input.shape[d]
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: k ({k}) is out of range for dimension {d} of size {n}")
    idx = _order(input, d, largest)
    idx = np.take(idx, np.arange(k), axis=d)
    idx_t = Tensor._make(np.ascontiguousarray(idx))
    return values_indices(gather(input, d, idx_t), idx_t)


def kthvalue(input, k, dim=-1, keepdim=False):
    from nnmath.ops.shape import squeeze
    v, i = topk(input, k, dim, largest=False)
    d = wrap_dim(dim, input.ndim, "kthvalue")
    v, i = v.narrow(d, k - 1, 1), i.narrow(d, k - 1, 1)
    if not keepdim:
        v, i = squeeze(v, d), squeeze(i, d)
    return values_indices(v, i)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    res = np.unique(input._data, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not (return_inverse or return_counts):
        return Tensor._make(res)
    out = [Tensor._make(res[0])]
    if return_inverse:
        out.append(Tensor._make(res[1].reshape(input.shape).astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(res[-1].astype(np.int64)))
    return tuple(out)


def bincount(input, weights=None, minlength=0):
    w = None if weights is None else weights._data
    return Tensor._make(np.bincount(input._data, w, minlength).astype(np.int64 if w is None else w.dtype))


def searchsorted(sorted_sequence, values, *, right=False):
    side = "right" if right else "left"
    v = values._data if isinstance(values, Tensor) else np.asarray(values)
    return Tensor._make(np.searchsorted(sorted_sequence._data, v, side=side).astype(np.int64))


def bucketize(input, boundaries, *, right=False):
    return searchsorted(boundaries, input, right=right)


__all__ = [
    "values_indices",
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
    "argsort",
    "sort",
    "topk",
    "kthvalue",
    "unique",
    "bincount",
    "searchsorted",
    "bucketize",
]
