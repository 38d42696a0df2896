"""Ordering and counting: sort, argsort, top-k, k-th value, unique, bincount, searchsorted.

The indices carry no gradient; the sorted (or selected) values are ``gather``-ed from the input, so
their gradient flows back to the elements they came from.
"""
from __future__ import annotations

import numpy as np

from nnmath.backend import get_array_module
from nnmath.ops._util import values_indices
from nnmath.ops.indexing import gather
from nnmath.ops.shape import squeeze
from nnmath.tensor import Tensor, wrap_dim


def _order(input, dim, descending, stable=True):
    d = wrap_dim(dim, input.ndim, "sort") if input.ndim else None
    a = input._data
    if a.ndim == 0:
        return get_array_module(a).zeros((), np.int64)
    if descending and a.dtype.kind == "f":  # NaN is the largest value, as in PyTorch: first when descending
        return np.lexsort((-a, ~np.isnan(a)), axis=d).astype(np.int64)
    key = -a if descending and a.dtype.kind == "i" else a
    idx = np.argsort(key, axis=d, kind="stable")
    if descending and a.dtype.kind not in "fi":  # unsigned, bool
        idx = np.flip(idx, axis=d)
    return idx.astype(np.int64)


def argsort(input, dim=-1, descending=False, stable=False):
    return Tensor._make(_order(input, dim, descending))


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along ``dim``; values are differentiable (gradient to the sources)."""
    idx = Tensor._make(_order(input, dim, descending))
    if input.ndim == 0:
        return values_indices(input, idx)
    return values_indices(gather(input, dim, idx), idx)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) entries along ``dim`` and their indices."""
    d = wrap_dim(dim, input.ndim, "topk")
    n = input.shape[d]
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: k ({k}) is out of range for dimension {d} of size {n}")
    idx = _order(input, d, largest)
    idx = idx[(slice(None),) * d + (slice(0, k),)]
    idx_t = Tensor._make(get_array_module(idx).ascontiguousarray(idx))
    return values_indices(gather(input, d, idx_t), idx_t)


def kthvalue(input, k, dim=-1, keepdim=False):
    d = wrap_dim(dim, input.ndim, "kthvalue")
    n = input.shape[d] if input.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue: k ({k}) is out of range for dimension {d} of size {n} (1 <= k <= {n})")
    v, i = topk(input, k, dim, largest=False)
    v, i = v.narrow(d, k - 1, 1), i.narrow(d, k - 1, 1)
    if not keepdim:
        v, i = squeeze(v, d), squeeze(i, d)
    return values_indices(v, i)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    axis = None if dim is None else wrap_dim(dim, input.ndim, "unique")
    res = np.unique(input._data, return_inverse=return_inverse, return_counts=return_counts, axis=axis)
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
    v = values._data if isinstance(values, Tensor) else get_array_module(sorted_sequence._data).asarray(values)
    return Tensor._make(np.searchsorted(sorted_sequence._data, v, side=side).astype(np.int64))


def bucketize(input, boundaries, *, right=False):
    """The index of the bucket of each value of ``input``: i with boundaries[i-1] < x <= boundaries[i]
    (``right``: boundaries[i-1] <= x < boundaries[i]); ``boundaries`` is 1-D and increasing."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries tensor must be 1 dimension, but got dim({boundaries.ndim}) "
                           f"(shape {tuple(boundaries.shape)})")
    return searchsorted(boundaries, input, right=right)


__all__ = [
    "argsort",
    "sort",
    "topk",
    "kthvalue",
    "unique",
    "bincount",
    "searchsorted",
    "bucketize",
]
