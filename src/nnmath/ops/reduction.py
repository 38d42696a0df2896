"""Reductions: sums, means, extremes and their relatives over one or more dimensions.

A reduction's VJP spreads ȳ back over the reduced dimensions: a sum copies it to every element,
an extreme gives it to the elements that attained it.
"""
from __future__ import annotations

import builtins
import warnings

import numpy as np

from nnmath import dtypes
from nnmath.autograd.fit import broadcast_to
from nnmath.autograd.function import Function
from nnmath.autograd.grad_mode import state
from nnmath.backend import get_array_module
from nnmath.ops._util import kept_shape, reduction_dims, require_floating, to_float, values_indices
from nnmath.ops.comparison import isnan
from nnmath.ops.elementwise import abs as _abs
from nnmath.ops.elementwise import exp, maximum, minimum, sign, where
from nnmath.ops.indexing import gather, narrow
from nnmath.ops.shape import flip, movedim, reshape, squeeze, stack, unsqueeze
from nnmath.tensor import Tensor, wrap_dim


def _spread(gy, in_shape, dims, keepdim):
    """ȳ of a reduction over ``dims``, broadcast back to the input's shape."""
    if not keepdim:
        gy = reshape(gy, kept_shape(in_shape, dims))
    return broadcast_to(gy, in_shape)


def _without_dims(y, dims, keepdim):
    """A reduction computed with keepdims=True, with the reduced dimensions dropped unless ``keepdim``."""
    return y if keepdim else y.reshape([s for i, s in enumerate(y.shape) if i not in dims])


class Sum(Function):
    """Forward:  y = Σ_{i ∈ dims} xᵢ
    VJP:      x̄ = ȳ broadcast over the summed dimensions"""

    @staticmethod
    def forward(ctx, x, dims, keepdim, np_dtype):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return np.sum(x, axis=dims, keepdims=keepdim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, gy):
        return _spread(gy, ctx.shape, ctx.dims, ctx.keepdim)


class Prod(Function):
    """Forward:  y = Π_{i ∈ dims} xᵢ
    VJP:      x̄ᵢ = ȳ · Π_{j ≠ i} xⱼ   (= ȳ y / xᵢ when no xᵢ is 0)

    With zeros the products of the others are computed without dividing: in O(n) with NumPy for a
    first derivative, and, when the gradient is itself being differentiated (create_graph), as
    Π_{j} (xⱼ where j ≠ i else 1) with ops in O(n²), so that the second derivative
    ∂²y/∂xᵢ∂xₖ = Π_{j ∉ {i,k}} xⱼ is exact (as PyTorch does)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        y = np.prod(x, axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x, y)
        ctx.dims, ctx.keepdim = dims, keepdim
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        g = _spread(gy, x.shape, ctx.dims, ctx.keepdim)
        if (x._data != 0).all():
            return g * _spread(y, x.shape, ctx.dims, ctx.keepdim) / x
        if state.enabled:  # create_graph: the products of the others must stay differentiable
            return g * _differentiable_prod_of_others(x, ctx.dims)
        return g * Tensor._make(_prod_of_others(x._data, ctx.dims))


def _prod_of_others(x, dims):
    """Π_{j ≠ i} xⱼ over ``dims`` for every i, without dividing (exact with zeros)."""
    moved = np.moveaxis(x, dims, range(x.ndim - len(dims), x.ndim))
    flat = moved.reshape(moved.shape[:x.ndim - len(dims)] + (-1,))
    ones = get_array_module(x).ones(flat.shape[:-1] + (1,), x.dtype)
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], -1), -1)[..., ::-1]
    others = (before * after).reshape(moved.shape)
    return np.moveaxis(others, range(x.ndim - len(dims), x.ndim), dims)


def _differentiable_prod_of_others(x, dims):
    """Π_{j ≠ i} xⱼ over ``dims`` with ops: each i's row of an n × n matrix holding x with 1 at i."""
    ends = tuple(range(x.ndim - len(dims), x.ndim))
    moved = movedim(x, dims, ends)
    batch = tuple(moved.shape[:x.ndim - len(dims)])
    n = int(np.prod([x.shape[d] for d in dims]))
    rows = broadcast_to(unsqueeze(reshape(moved, batch + (n,)), -2), batch + (n, n))
    eye = Tensor._make(np.eye(n, dtype=bool))
    others = Prod.apply(where(eye, 1.0, rows), (len(batch) + 1,), False)
    return movedim(reshape(others, tuple(moved.shape)), ends, dims)


class Amax(Function):
    """Forward:  y = max_{i ∈ dims} xᵢ
    VJP:      x̄ᵢ = ȳ / k for the k elements equal to the maximum, 0 elsewhere (ties split evenly,
              as PyTorch's amax/amin; the derivative of x̄ in x is 0: max is piecewise linear)"""

    @staticmethod
    def forward(ctx, x, dims, keepdim, is_min):
        y = _without_dims((np.min if is_min else np.max)(x, axis=dims, keepdims=True), dims, keepdim)
        ctx.save_for_backward(x, y)
        ctx.dims, ctx.keepdim = dims, keepdim
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        y = _kept(y, x.shape, ctx.dims, ctx.keepdim)._data
        hit = (x._data == y) | (np.isnan(x._data) & np.isnan(y))
        share = hit / hit.sum(axis=ctx.dims, keepdims=True)
        return _spread(gy, x.shape, ctx.dims, ctx.keepdim) * Tensor._make(share.astype(gy._data.dtype))


class Median(Amax):
    """Forward:  y = the lower median of all elements (the ⌊(n − 1)/2⌋-th smallest; NaN if one is NaN)
    VJP:      x̄ᵢ = ȳ / k for the k elements equal to y, 0 elsewhere (ties split evenly, as PyTorch's
              median(); the derivative of x̄ in x is 0)"""

    @staticmethod
    def forward(ctx, x):
        flat = x.reshape(-1)
        k = (flat.size - 1) // 2
        y = get_array_module(x).asarray(np.nan if np.isnan(flat).any() else np.partition(flat, k)[k], dtype=x.dtype)
        ctx.save_for_backward(x, y)
        ctx.dims, ctx.keepdim = tuple(range(x.ndim)), False
        return y


class LogSumExp(Function):
    """Forward:  y = ln Σᵢ e^(xᵢ) = m + ln Σᵢ e^(xᵢ − m),  m = max x   (never overflows)
    VJP:      x̄ = ȳ ⊙ e^(x − y) = ȳ ⊙ softmax(x)   (y read from the output, so that the Hessian
              diag(s) − s sᵀ, s = softmax(x), keeps its −s sᵀ term)"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        m = np.max(x, axis=dims, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        y = _without_dims(m + np.log(np.sum(np.exp(x - m), axis=dims, keepdims=True)), dims, keepdim)
        ctx.save_for_backward(x, y)
        ctx.dims, ctx.keepdim = dims, keepdim
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        return _spread(gy, x.shape, ctx.dims, ctx.keepdim) * exp(x - _kept(y, x.shape, ctx.dims, ctx.keepdim))


class Cumsum(Function):
    """Forward:  yᵢ = Σ_{j ≤ i} xⱼ along ``dim``
    VJP:      x̄ⱼ = Σ_{i ≥ j} ȳᵢ (a cumulative sum from the end)"""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return np.cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, gy):
        return flip(cumsum(flip(gy, (ctx.dim,)), ctx.dim), (ctx.dim,))


class Norm2(Function):
    """Forward:  y = ‖x‖₂ = √(Σᵢ xᵢ²) over ``dims``
    VJP:      x̄ = ȳ ⊙ x / y   (0 where y = 0: the subgradient PyTorch uses; y is read from the
              output, so the Hessian (I − x xᵀ/y²)/y comes out right)"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        y = _without_dims(np.sqrt(np.sum(x * x, axis=dims, keepdims=True)), dims, keepdim)
        ctx.save_for_backward(x, y)
        ctx.dims, ctx.keepdim = dims, keepdim
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        y = _kept(y, x.shape, ctx.dims, ctx.keepdim)
        safe = where(y == 0, 1.0, y)
        return _spread(gy, x.shape, ctx.dims, ctx.keepdim) * where(y == 0, 0.0, x / safe)


class NormP(Function):
    """Forward:  y = ‖x‖ₚ = (Σᵢ |xᵢ|ᵖ)^(1/p) over ``dims``, for a real p ∉ {0, 1, 2, ±∞}
    VJP:      x̄ᵢ = ȳ sign(xᵢ) |xᵢ|ᵖ⁻¹ / yᵖ⁻¹   (0 where xᵢ = 0 or y = 0: PyTorch's subgradient; the
              formula is written with ops, so its own derivative (p − 1)|xᵢ|ᵖ⁻²/yᵖ⁻¹ − … is exact away
              from those points)"""

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        with np.errstate(divide="ignore"):
            y = np.sum(np.abs(x) ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)
        ctx.save_for_backward(x, y)
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        p = ctx.p
        y = _kept(y, x.shape, ctx.dims, ctx.keepdim)
        ax = _abs(x)
        term = where(ax == 0, 0.0, sign(x) * where(ax == 0, 1.0, ax) ** (p - 1))
        scale = where(y == 0, 0.0, 1.0 / where(y == 0, 1.0, y) ** (p - 1))
        return _spread(gy, x.shape, ctx.dims, ctx.keepdim) * term * scale


class CountNonzero(Function):
    """Forward:  y = #{i ∈ dims : xᵢ ≠ 0}   (the "0-norm")
    VJP:      x̄ = 0   (piecewise constant; a zero gradient rather than none, as PyTorch)"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape = x.shape
        return np.sum(x != 0, axis=dims, keepdims=keepdim).astype(x.dtype)

    @staticmethod
    def backward(ctx, gy):
        return Tensor._make(get_array_module(gy._data).zeros(ctx.shape, gy._data.dtype))


def _kept(y, in_shape, dims, keepdim):
    """A reduction's output reshaped (with ops) to its ``keepdim=True`` shape."""
    return y if keepdim else reshape(y, kept_shape(in_shape, dims))


def _sum_dtype(x, dtype):
    if dtype is not None:
        return dtypes.as_dtype(dtype, "sum").np
    if x._data.dtype.kind in "biu":
        return np.int64
    return None


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Σ of the elements over ``dim`` (all when None). Integers and bools sum to int64."""
    dims = reduction_dims(dim, input.ndim, "sum")
    return Sum.apply(input, dims, keepdim, _sum_dtype(input, dtype))


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Σ over ``dim`` treating NaN as 0."""
    if input._data.dtype.kind not in "fc":
        return sum(input, dim, keepdim, dtype=dtype)
    return sum(where(isnan(input), 0.0, input), dim, keepdim, dtype=dtype)


def _count(shape, dims):
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """(1/n) Σ of the elements over ``dim``."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {input.dtype.name.capitalize()}")
    dims = reduction_dims(dim, input.ndim, "mean")
    n = _count(input.shape, dims)
    return Sum.apply(input, dims, keepdim, None) / n if n else sum(input, dim, keepdim) * float("nan")


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Σ (xᵢ − x̄)² / (n − correction): Bessel's correction 1 by default (``unbiased=False``: 0)."""
    dims, c = _variance_args(input, dim, unbiased, correction, "var")
    d = input - mean(input, dims, keepdim=True)
    return sum(d * d, dims, keepdim) / builtins.max(_count(input.shape, dims) - c, 0)


class Std(Function):
    """Forward:  y = √(Σᵢ (xᵢ − x̄)² / (n − c)) over ``dims``, x̄ the mean, c the correction
    VJP:      x̄ᵢ = ȳ (xᵢ − x̄) / ((n − c) y)   (0 where y = 0, even when ȳ is NaN, as PyTorch: √ has no
              derivative at 0, the composition √var would give 0 · ∞ = NaN for a constant input)"""

    @staticmethod
    def forward(ctx, x, dims, keepdim, correction):
        d = x - x.mean(axis=dims, keepdims=True)
        dof = builtins.max(_count(x.shape, dims) - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = get_array_module(x).asarray(np.sqrt(np.sum(d * d, axis=dims, keepdims=keepdim) / dof), dtype=x.dtype)
        ctx.save_for_backward(x, y)
        ctx.dims, ctx.keepdim, ctx.correction = dims, keepdim, correction
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        y = _kept(y, x.shape, ctx.dims, ctx.keepdim)
        d = x - mean(x, ctx.dims, keepdim=True)
        scale = where(y == 0, 0.0, 1.0 / (where(y == 0, 1.0, y) * (_count(x.shape, ctx.dims) - ctx.correction)))
        return where(y == 0, 0.0, _spread(gy, x.shape, ctx.dims, ctx.keepdim) * d * scale)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """√var, with gradient 0 where it is 0 (a constant input), as PyTorch."""
    dims, c = _variance_args(input, dim, unbiased, correction, "std")
    return Std.apply(input, dims, keepdim, c)


def _variance_args(input, dim, unbiased, correction, op):
    """(dims, correction) of var or std (``op``, which errors and warnings name), with the legacy
    ``f(x, unbiased)`` form. When n − correction ≤ 0 the result is NaN or inf, with PyTorch's warning."""
    if isinstance(dim, bool):  # var(x, unbiased) legacy form
        unbiased, dim = dim, None
    c = _correction(unbiased, correction)
    require_floating(op, input)
    dims = reduction_dims(dim, input.ndim, op)
    n = _count(input.shape, dims)
    if n - c <= 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0: {n} values per result and correction {c} (the "
                      f"result is nan or inf)", UserWarning, stacklevel=3)
    return dims, c


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Π of the elements over ``dim`` (one dim, or all when None)."""
    if dtype is not None:
        input = input.to(dtype)
    dims = reduction_dims(dim, input.ndim, "prod")
    if input._data.dtype.kind in "biu":
        return Tensor._make(np.prod(input._data, axis=dims, keepdims=keepdim, dtype=np.int64))
    return Prod.apply(input, dims, keepdim)


def _check_nonempty(x, dim, dims, op):
    """A max/min has no value over nothing: PyTorch's RuntimeError for a whole empty tensor, IndexError
    for an empty reduced dimension."""
    if x._data.size == 0 and dim in ((), None, []):
        raise RuntimeError(f"{op}: expected a reduction dim for an empty tensor (shape {tuple(x.shape)}); the "
                           f"max or min of no values is undefined")
    if x._data.size == 0 and (not dims or builtins.any(x.shape[d] == 0 for d in dims)):
        raise IndexError(f"{op}: expected a non-empty tensor along the reduced dimension; got shape "
                         f"{tuple(x.shape)}")


def amax(input, dim=(), keepdim=False):
    """max over ``dim`` (all when empty); the gradient is split evenly among tied maxima."""
    dims = reduction_dims(dim, input.ndim, "amax")
    _check_nonempty(input, dim, dims, "amax")
    return Amax.apply(input, dims, keepdim, False)


def amin(input, dim=(), keepdim=False):
    """min over ``dim`` (all when empty); the gradient is split evenly among tied minima."""
    dims = reduction_dims(dim, input.ndim, "amin")
    _check_nonempty(input, dim, dims, "amin")
    return Amax.apply(input, dims, keepdim, True)


def _arg_extreme(input, dim, keepdim, np_fn, op):
    a = input._data
    if a.dtype.kind == "b":
        raise RuntimeError(f"{op}: does not support bool input; convert it first (x.long())")
    if dim is None:
        if a.size == 0:
            raise IndexError(f"{op}: expected a non-empty tensor")
        return Tensor._make(np_fn(a.reshape(-1)).astype(np.int64))
    d = wrap_dim(dim, a.ndim, op)
    if a.ndim and a.shape[d] == 0:
        raise IndexError(f"{op}: expected a non-empty dimension {dim}; got shape {tuple(a.shape)}")
    if a.ndim == 0:
        return Tensor._make(get_array_module(a).zeros((), np.int64))
    return Tensor._make(np_fn(a, axis=d, keepdims=keepdim).astype(np.int64, copy=False))


def argmax(input, dim=None, keepdim=False):
    """Index of the (first) maximum over ``dim``, or of the flattened tensor when None."""
    return _arg_extreme(input, dim, keepdim, np.argmax, "argmax")


def argmin(input, dim=None, keepdim=False):
    """Index of the (first) minimum over ``dim``, or of the flattened tensor when None."""
    return _arg_extreme(input, dim, keepdim, np.argmin, "argmin")


def _extreme(input, dim, keepdim, other, is_min):
    op = "min" if is_min else "max"
    if isinstance(dim, Tensor):
        other, dim = dim, None
    if other is not None:
        return (minimum if is_min else maximum)(input, other)
    if dim is None:
        return (amin if is_min else amax)(input)
    idx = _arg_extreme(input, dim, True, np.argmin if is_min else np.argmax, op)
    d = wrap_dim(dim, input.ndim, op)
    values = gather(input, d, idx) if input.ndim else input
    if not keepdim and input.ndim:
        values, idx = squeeze(values, d), Tensor._make(idx._data.squeeze(d))
    return values_indices(values, idx)


def max(input, dim=None, keepdim=False, *, other=None):
    """``max(x)``: the largest element (gradient split evenly among ties);
    ``max(x, dim, keepdim)``: (values, indices), gradient to the returned index;
    ``max(x, y)``: elementwise maximum."""
    return _extreme(input, dim, keepdim, other, False)


def min(input, dim=None, keepdim=False, *, other=None):
    """Like :func:`max`, for the minimum."""
    return _extreme(input, dim, keepdim, other, True)


def median(input, dim=None, keepdim=False):
    """``median(x)``: the lower median of all elements (gradient split evenly among the elements equal to
    it); ``median(x, dim, keepdim)``: (values, indices) of the lower median along ``dim``, the gradient
    going to the returned index (the first of tied values; a NaN in the row is the median, as PyTorch)."""
    if dim is None:
        if input.numel() == 0 and input._data.dtype.kind in "fc":  # the median of nothing is NaN, as PyTorch's
            return Tensor._make(np.array(np.nan, dtype=input._data.dtype))
        _check_nonempty(input, dim, (), "median")
        return Median.apply(input)
    d = wrap_dim(dim, input.ndim, "median")
    if input.ndim == 0:
        return values_indices(input, Tensor._make(np.zeros((), np.int64)))
    _check_nonempty(input, d, (d,), "median")
    a = input._data
    order = np.argsort(a, axis=d, kind="stable")        # NaNs sort last
    idx = np.take(order, [(a.shape[d] - 1) // 2], axis=d)
    nan = np.isnan(a) if a.dtype.kind == "f" else np.zeros(a.shape, bool)
    idx = np.where(nan.any(axis=d, keepdims=True), np.argmax(nan, axis=d, keepdims=True), idx)
    values = gather(input, d, Tensor._make(idx))
    if not keepdim:
        values, idx = squeeze(values, d), idx.squeeze(d)
    return values_indices(values, Tensor._make(idx.astype(np.int64)))


def logsumexp(input, dim=None, keepdim=False):
    """ln Σ e^(xᵢ) over ``dim``, computed without overflow."""
    x = to_float(input)
    dims = reduction_dims(dim, x.ndim, "logsumexp")
    return LogSumExp.apply(x, dims, keepdim)


def cumsum(input, dim, *, dtype=None):
    """Running sum along ``dim``."""
    d = wrap_dim(dim, input.ndim, "cumsum")
    if input.ndim == 0:
        # A scalar's running sum is itself, of shape (); NumPy has no axis to run along.
        return reshape(cumsum(reshape(input, (1,)), 0, dtype=dtype), ())
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        return Tensor._make(np.cumsum(input._data, axis=d, dtype=np.int64))
    return Cumsum.apply(input, d)


def cumprod(input, dim, *, dtype=None):
    """Running product along ``dim``: exp of the running sum of logs is unstable, so it is composed of
    a product over a growing prefix mask (O(n²) memory in that dim: meant for short dims)."""
    x = input.to(dtype) if dtype is not None else input
    d = wrap_dim(dim, x.ndim, "cumprod")
    if x._data.dtype.kind in "biu":
        return Tensor._make(np.cumprod(x._data, axis=d, dtype=np.int64) if x.ndim else x._data.astype(np.int64))
    n = x.shape[d]
    return stack([prod(narrow(x, d, 0, i + 1), d) for i in range(n)], d)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """‖x‖_p over ``dim``: p = 2 or 'fro' (Euclidean / Frobenius), 1, inf, −inf, 0 (count), or any real."""
    x = input if dtype is None else input.to(dtype)
    require_floating("norm", x)
    dims = reduction_dims(dim, x.ndim, "norm")
    if p == "fro" and isinstance(dim, (tuple, list)) and len(dim) > 2:
        raise RuntimeError(f"norm: p='fro' is the norm of a vector or a matrix: dim must have one or two entries, "
                           f"got dim={tuple(dim)}")
    if p in ("fro", 2, 2.0):
        return Norm2.apply(x, dims, keepdim)
    if p == "nuc":
        raise RuntimeError("norm: p='nuc' is a matrix norm; use nnmath.linalg.matrix_norm")
    if p in (1, 1.0):
        return sum(_abs(x), dims, keepdim)
    if p == float("inf"):
        return amax(_abs(x), dims, keepdim)
    if p == float("-inf"):
        return amin(_abs(x), dims, keepdim)
    if p == 0:
        return CountNonzero.apply(x, dims, keepdim)
    return NormP.apply(x, float(p), dims, keepdim)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Distances ‖x1ᵢ − x2ⱼ‖ₚ between the rows of x1 (…, P, M) and x2 (…, R, M), shape (…, P, R): the
    p-norm of the differences (its gradient is 0 where a distance is 0, as PyTorch's)."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist: X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} "
                           f"X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    return norm(unsqueeze(x1, -2) - unsqueeze(x2, -3), p, dim=-1)


def all(input, dim=None, keepdim=False):
    """True where every element (over ``dim``) is nonzero."""
    axis = None if dim is None else reduction_dims(dim, input.ndim, "all")
    return Tensor._make(np.all(input._data, axis=axis, keepdims=keepdim))


def any(input, dim=None, keepdim=False):
    """True where some element (over ``dim``) is nonzero."""
    axis = None if dim is None else reduction_dims(dim, input.ndim, "any")
    return Tensor._make(np.any(input._data, axis=axis, keepdims=keepdim))


def count_nonzero(input, dim=None):
    axis = None if dim is None else reduction_dims(dim, input.ndim, "count_nonzero")
    xp = get_array_module(input._data)
    return Tensor._make(xp.asarray(np.count_nonzero(input._data, axis=axis), dtype=np.int64))


__all__ = [
    "sum",
    "nansum",
    "mean",
    "var",
    "std",
    "var_mean",
    "std_mean",
    "prod",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "max",
    "min",
    "median",
    "logsumexp",
    "cdist",
    "cumsum",
    "cumprod",
    "norm",
    "all",
    "any",
    "count_nonzero",
]
