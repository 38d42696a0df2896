"""Indexing: selecting elements (``x[key]``, gather, index_select) and writing them (scatter, setitem).

Selecting is linear: its VJP puts ȳ back where the elements came from, *adding* where one element
was selected more than once (x[[0, 0]] sends both gradients to x[0]). Writing is the transpose.
"""
from __future__ import annotations

import warnings

import numpy as np

from nnmath.autograd.function import Function
from nnmath.backend import get_array_module
from nnmath.ops._util import scalar_like
from nnmath.ops.elementwise import where
from nnmath.ops.shape import broadcast_to, flatten
from nnmath.tensor import Tensor, wrap_dim


def normalize_key(key, shape):
    """A NumPy index from a PyTorch one, with PyTorch's checks: tensors and lists become arrays, bool
    (and, deprecated, uint8) masks must match the shape of the dimensions they index, slices step
    forward only, floats are refused."""
    if not isinstance(key, tuple):
        key = (key,)
    out = [_index_item(k) for k in key]
    _check_masks(out, tuple(shape))
    return tuple(out)


def _index_item(k):
    if isinstance(k, Tensor):
        k = k._data
    elif isinstance(k, list):
        k = np.asarray([x._data if isinstance(x, Tensor) else x for x in k])
    if isinstance(k, np.ndarray) or get_array_module(k) is not np:  # a NumPy or a device (CuPy) array
        if k.dtype == np.uint8:
            warnings.warn("indexing with a uint8 tensor is deprecated (as in PyTorch): it is read as a mask; "
                          "use a bool tensor", UserWarning, stacklevel=4)
            return k.astype(bool)
        if k.dtype.kind not in "iub":
            raise IndexError(f"index: tensors used as indices must be long, int or bool tensors; got {k.dtype}")
        return k
    if isinstance(k, slice):
        if k.step is not None and k.step <= 0:
            raise ValueError(f"index: step must be greater than zero, got the slice step {k.step} (PyTorch has "
                             f"no negative steps: use flip)")
        return k
    if isinstance(k, (float, np.floating)):
        raise IndexError(f"index: only integers, slices, None, Ellipsis and integer or bool tensors are "
                         f"valid indices; got the float {k}")
    if not (k is None or k is Ellipsis or isinstance(k, (int, np.integer))):
        raise TypeError(f"index: only integers, slices, None, Ellipsis and integer or bool tensors are valid "
                        f"indices; got {k!r} of type {type(k).__name__}")
    return k


def _consumed(k) -> int:
    """How many dimensions of the indexed tensor one index item uses."""
    if k is None:
        return 0
    if isinstance(k, np.ndarray) and k.dtype == np.bool_:
        return k.ndim
    return 1


def _check_masks(key, shape):
    after_ellipsis = None
    dim = 0
    for i, k in enumerate(key):
        if k is Ellipsis:
            after_ellipsis = sum(_consumed(r) for r in key[i + 1:] if r is not Ellipsis)
            dim = len(shape) - after_ellipsis
            continue
        if isinstance(k, np.ndarray) and k.dtype == np.bool_ and k.ndim:
            indexed = shape[dim:dim + k.ndim]
            for j, n in enumerate(k.shape):
                if j >= len(indexed) or indexed[j] != n:
                    raise IndexError(f"index: the shape of the mask {list(k.shape)} at index {j} does not match "
                                     f"the shape of the indexed tensor {list(shape)} at index {dim + j}")
        dim += _consumed(k)


def _is_basic(key):
    return all(isinstance(k, (int, np.integer, slice)) or k is None or k is Ellipsis for k in key)


def basic_view_key(key):
    """A basic key that gives a view even when it selects one element (NumPy returns a scalar for
    ``a[0]`` on a vector but a 0-d view for ``a[0, ...]``); None for an advanced key."""
    if not _is_basic(key):
        return None
    return key if any(k is Ellipsis for k in key) else key + (Ellipsis,)


def on_module_of(a, key):
    """``key`` with its NumPy index arrays moved to ``a``'s device (a GPU tensor may be indexed by CPU
    tensors, as in PyTorch; CuPy wants its own arrays)."""
    if type(a) is np.ndarray or not isinstance(key, tuple):
        return key
    xp = get_array_module(a)
    return tuple(xp.asarray(k) if type(k) is np.ndarray else k for k in key)


def index_array(a, key, op="index"):
    """``a[key]`` with NumPy's IndexError reworded to name the op and the shape."""
    try:
        return a[on_module_of(a, key)]
    except IndexError as e:
        raise IndexError(f"{op}: {e} (tensor of shape {tuple(a.shape)})") from None


def assign(target, key, values, op="index_put_"):
    """``target[key] = values`` (broadcasting), with NumPy's errors reworded as PyTorch's."""
    if type(target) is not np.ndarray:
        key = on_module_of(target, key)
        values = get_array_module(target).asarray(values) if type(values) is np.ndarray else values
    try:
        target[key] = values
    except IndexError as e:
        raise IndexError(f"{op}: {e} (tensor of shape {tuple(target.shape)})") from None
    except ValueError:
        raise RuntimeError(f"{op}: the value of shape {tuple(np.shape(values))} cannot be broadcast to the "
                           f"indexed shape {tuple(target[key].shape)}") from None


class GetItem(Function):
    """Forward:  y = x[key]
    VJP:      x̄ = zeros like x, with ȳ added at x[key] (repeated indices accumulate)"""
    is_view = True

    @staticmethod
    def forward(ctx, x, key):
        ctx.shape, ctx.key = x.shape, key
        y = index_array(x, basic_view_key(key) or key)
        return np.asarray(y) if isinstance(y, np.generic) else y

    @staticmethod
    def backward(ctx, gy):
        return IndexAdd.apply(gy, ctx.shape, ctx.key)


class IndexAdd(Function):
    """Forward:  y = zeros(shape), then y[key] += g   (the transpose of x[key])
    VJP:      ḡ = ȳ[key]"""

    @staticmethod
    def forward(ctx, g, shape, key):
        ctx.key = key
        y = get_array_module(g).zeros(shape, dtype=g.dtype)
        if _is_basic(key):
            y[key] = g
        else:
            np.add.at(y, on_module_of(y, key), g)
        return y

    @staticmethod
    def backward(ctx, gy):
        return GetItem.apply(gy, ctx.key)


class IndexPut(Function):
    """Forward:  y = x with y[key] = v   (out of place; the in-place form rebases x onto y)
    VJP:      x̄ = ȳ with ȳ[key] set to 0,  v̄ = ȳ[key] (summed to v's shape)"""

    @staticmethod
    def forward(ctx, x, key, v):
        ctx.key = key
        y = x.copy()
        assign(y, key, v, "index_put")
        return y

    @staticmethod
    def backward(ctx, gy):
        gx = gv = None
        if ctx.needs_input_grad[0]:
            keep = get_array_module(gy._data).ones(gy.shape, dtype=gy._data.dtype)
            keep[on_module_of(keep, ctx.key)] = 0
            gx = gy * Tensor._make(keep)
        if ctx.needs_input_grad[2]:
            gv = GetItem.apply(gy, ctx.key)
        return gx, None, gv


def _along(index, dim):
    """The full NumPy index that addresses ``index``'s entries along ``dim`` (as gather/scatter do)."""
    xp, ndim = get_array_module(index), index.ndim
    grids = [xp.arange(n).reshape((1,) * i + (n,) + (1,) * (ndim - i - 1)) for i, n in enumerate(index.shape)]
    grids[dim] = index
    return tuple(grids)


class Gather(Function):
    """Forward:  y[i][j][k] = x[i][index[i][j][k]][k]   (for dim = 1)
    VJP:      x̄ = scatter_add(zeros like x, dim, index, ȳ)"""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dim = x.shape, dim
        ctx.save_for_backward(index)
        return x[_along(index, dim)]

    @staticmethod
    def backward(ctx, gy):
        index, = ctx.saved_tensors
        zeros = Tensor._make(get_array_module(gy._data).zeros(ctx.shape, gy._data.dtype))
        return scatter_add(zeros, ctx.dim, index, gy), None, None


class ScatterAdd(Function):
    """Forward:  y = x, then y[i][index[i][j][k]][k] += src[i][j][k]   (for dim = 1)
    VJP:      x̄ = ȳ,  s̄rc = gather(ȳ, dim, index)"""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim = dim
        ctx.save_for_backward(index)
        y = x.copy()
        np.add.at(y, _along(index, dim), src[tuple(slice(0, n) for n in index.shape)])
        return y

    @staticmethod
    def backward(ctx, gy):
        index, = ctx.saved_tensors
        gsrc = None
        if ctx.needs_input_grad[3]:
            gsrc = gather(gy, ctx.dim, index)
        return gy, None, None, gsrc


def _check_index(op, x, dim, index, src=None):
    """PyTorch's checks of gather/scatter: an integer index of x's rank, no larger than x (and src)
    outside ``dim``, with entries in [0, size) along ``dim`` (negative entries are refused)."""
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: index must be an int64 tensor, got "
                           f"{type(index).__name__ if not isinstance(index, Tensor) else index.dtype}")
    if index.ndim != x.ndim and not (x.ndim == 0 and index.ndim <= 1):
        raise RuntimeError(f"{op}: index {tuple(index.shape)} and input {tuple(x.shape)} must have the same "
                           f"number of dimensions")
    d = wrap_dim(dim, x.ndim, op)
    for i, (a, b) in enumerate(zip(index.shape, x.shape)):
        if i != d and a > b:
            raise RuntimeError(f"{op}: index {tuple(index.shape)} is larger than input {tuple(x.shape)} in "
                               f"dimension {i}")
    if isinstance(src, Tensor) and (src.ndim != index.ndim or any(a > b for a, b in zip(index.shape, src.shape))):
        raise RuntimeError(f"{op}: index {tuple(index.shape)} is larger than src {tuple(src.shape)} (each size of "
                           f"the index must be at most src's)")
    n = x.shape[d] if x.ndim else 1
    bad = (index._data >= n) | (index._data < 0)
    if bad.any():
        raise RuntimeError(f"{op}: index {int(index._data[bad].flat[0])} is out of bounds for dimension {d} "
                           f"with size {n}")
    return d


def gather(input, dim, index, *, sparse_grad=False):
    """``y[i][j] = x[i][index[i][j]]`` along ``dim`` (index has x's number of dimensions)."""
    d = _check_index("gather", input, dim, index)
    return Gather.apply(input, d, index)


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return gather(flatten(input), 0, flatten(indices))
    return gather(input, dim, indices)


def scatter_add(input, dim, index, src):
    """``y = x`` plus ``src`` added at ``index`` along ``dim`` (repeated indices accumulate)."""
    d = _check_index("scatter_add", input, dim, index, src)
    return ScatterAdd.apply(input, d, index, src)


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """``y = x`` with ``src`` (or the scalar ``value``) written at ``index`` along ``dim``.
    ``reduce='add'`` adds instead. With repeated indices, which write wins is unspecified."""
    xp = get_array_module(input._data)
    if src is None:
        src = value
    if not isinstance(src, Tensor):
        src = Tensor._make(xp.full(index.shape, src, dtype=input._data.dtype))
    if reduce == "add":
        return scatter_add(input, dim, index, src)
    if reduce is not None:
        raise NotImplementedError(f"scatter: reduce={reduce!r} is not supported (use 'add' or None)")
    d = _check_index("scatter", input, dim, index, src)
    hit = xp.zeros(input.shape, dtype=bool)
    hit[_along(index._data, d)] = True
    zeros = Tensor._make(xp.zeros(input.shape, dtype=input._data.dtype))
    return where(Tensor._make(hit), scatter_add(zeros, d, index, src), input)


def index_select(input, dim, index):
    """The entries of ``index`` along ``dim``: ``x[..., index, ...]``."""
    d = wrap_dim(dim, input.ndim, "index_select")
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"index_select: expected an int64 or int32 index, got {idx.dtype} (convert with .long())")
    if idx.ndim > 1:
        raise IndexError(f"index_select: index must be 0-D or 1-D, got shape {idx.shape}")
    n = input.shape[d] if input.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError(f"index_select: index {int(idx.max() if idx.max() >= n else idx.min())} is out of "
                         f"range for dimension {d} with size {n}")
    key = (slice(None),) * d + (idx.reshape(-1),)
    return GetItem.apply(input, key)


def narrow(input, dim, start, length):
    """``length`` entries from ``start`` along ``dim`` (a view)."""
    d = wrap_dim(dim, input.ndim, "narrow")
    n = input.shape[d]
    start = int(start) % n if start < 0 else int(start)
    if length < 0:
        raise RuntimeError(f"narrow: length must be non-negative, got {length}")
    if start + length > n:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n})")
    return GetItem.apply(input, (slice(None),) * d + (slice(start, start + length),))


def select(input, dim, index):
    d = wrap_dim(dim, input.ndim, "select")
    n = input.shape[d]
    if not -n <= int(index) < n:
        raise IndexError(f"select(): index {int(index)} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {d}")
    return GetItem.apply(input, (slice(None),) * d + (int(index),))


def masked_fill(input, mask, value):
    """x with ``value`` wherever ``mask`` is true (mask broadcasts to x)."""
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill: expected a bool mask, got {m.dtype}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"masked_fill: only supports a 0-dimensional value tensor, got shape "
                               f"{tuple(value.shape)}")
        value = value.to(input.dtype)
    else:
        value = Tensor._make(scalar_like(value, input._data))
    try:
        fits = np.broadcast_shapes(m.shape, tuple(input.shape)) == tuple(input.shape)
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"masked_fill: mask of shape {m.shape} does not broadcast to the input's shape "
                           f"{tuple(input.shape)}")
    return where(Tensor._make(m), value, input)


def masked_select(input, mask):
    """The elements where ``mask`` is true, as a 1-D tensor."""
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected a bool mask, got {m.dtype}")
    try:
        shape = np.broadcast_shapes(m.shape, tuple(input.shape))
    except ValueError:
        raise RuntimeError(f"masked_select: the mask of shape {m.shape} and the input of shape "
                           f"{tuple(input.shape)} do not broadcast") from None
    x = broadcast_to(input, shape)
    return GetItem.apply(x, np.nonzero(np.broadcast_to(m, shape)))


def take(input, index):
    """The entries of the flattened input at ``index`` (of any shape)."""
    n = input.numel()
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    bad = (idx >= n) | (idx < -n)
    if bad.any():
        raise IndexError(f"take: index {int(idx[bad].flat[0])} is out of range for a tensor of {n} elements")
    return getitem(flatten(input), index)


def getitem(x, key):
    """``x[key]`` with PyTorch's indexing: ints, slices, None, Ellipsis, int and bool tensors/lists."""
    key = normalize_key(key, x.shape)
    return GetItem.apply(x, key)


def index_put(x, key, values):
    """Out-of-place ``x[key] = values`` that is differentiable in both."""
    key = normalize_key(key, x.shape)
    if not isinstance(values, Tensor):
        values = Tensor._make(get_array_module(x._data).asarray(values, dtype=x._data.dtype))
    elif values._data.dtype != x._data.dtype:
        values = values.to(x.dtype)
    return IndexPut.apply(x, key, values)


def repeat_interleave(input, repeats, dim=None):
    """Repeat each element ``repeats`` times along ``dim`` (flattened when None)."""
    x = flatten(input) if dim is None else input
    d = 0 if dim is None else wrap_dim(dim, x.ndim, "repeat_interleave")
    reps = repeats._data if isinstance(repeats, Tensor) else repeats
    if np.any(np.asarray(reps) < 0):
        raise RuntimeError(f"repeat_interleave: repeats must be non-negative, got {reps}")
    idx = np.repeat(np.arange(x.shape[d]), reps)
    return index_select(x, d, Tensor._make(idx))


__all__ = [
    "repeat_interleave",
    "gather",
    "take_along_dim",
    "scatter_add",
    "scatter",
    "index_select",
    "narrow",
    "select",
    "masked_fill",
    "masked_select",
    "take",
    "getitem",
    "index_put",
]
