"""Pooling: max, average and adaptive pooling over sliding windows (:mod:`nnmath.ops._window`).

Max-pooling is an argmax over the window axis; its derivative routes ȳ back to each window's argmax
(``col2im``), and the derivative of that is a gather at the same argmax, so every order exists.
Average pooling is linear; its adjoint spreads ȳ / D over each window.
"""
from __future__ import annotations

import numpy as np

from nnmath.autograd.function import Function
from nnmath.backend import get_array_module
from nnmath.ops._window import Geom, batched, col2im, crop, int_tuple, nchw, nhwc, over_images, pad_nhwc, windows
from nnmath.ops.indexing import gather
from nnmath.tensor import Tensor

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d"]


def _pool_geom(x_shape, kernel_size, stride, padding, dilation, ceil_mode, op):
    """(Geom with the bottom/right padding extended for ceil_mode, (OH, OW))."""
    kernel = int_tuple(kernel_size, 2, "kernel_size", op)
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) \
        else int_tuple(stride, 2, "stride", op)
    pad = int_tuple(padding, 2, "padding", op)
    dilation = int_tuple(dilation, 2, "dilation", op)
    if min(kernel) < 1 or min(stride) < 1 or min(dilation) < 1:
        raise RuntimeError(f"{op}: kernel_size, stride and dilation must be positive, got kernel_size={kernel}, "
                           f"stride={stride}, dilation={dilation}")
    out, pads = [], []
    for n, k, s, p, d in zip(x_shape[-2:], kernel, stride, pad, dilation):
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
        span = n + 2 * p - d * (k - 1) - 1
        if span < 0:
            raise RuntimeError(f"{op}: given input size {tuple(x_shape)}, the kernel {kernel} (dilation "
                               f"{dilation}) does not fit: the output size would be too small")
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= n + p:
            o -= 1
        extra = max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
        out.append(o)
        pads += [p, p + extra]
    return Geom(kernel, stride, tuple(pads), dilation, 1), tuple(out)


def _tiles(geom):
    """Windows that tile the image exactly (stride = kernel, no dilation): col2im may assign."""
    return geom.stride == geom.kernel and geom.dilation == (1, 1)


def _scatter_to_image(gy, arg, geom, x_shape):
    """x̄: each ȳ[n,c,i,j] added at the argmax ``arg`` (window offset a·KW + b) of window (i, j)."""
    n, c, h, w = x_shape
    kh, kw = geom.kernel
    top, bottom, left, right = geom.padding
    g = nhwc(gy)
    module = get_array_module(g)
    # NCHW memory seen channels-last, as ȳ and the argmax are laid out: the passes below walk all
    # their operands in one order, and the NCHW result needs no transposing copy.
    xp = nhwc(module.zeros((n, c, h + top + bottom, w + left + right), dtype=g.dtype))
    oh, ow = g.shape[1:3]
    over_images(_scatter_images, n, oh * ow * c * kh * kw * g.dtype.itemsize, (g, arg), (xp,), geom=geom)
    return nchw(crop(xp, geom.padding, h, w))


def _scatter_images(images, g, arg, xp, *, geom):
    """ȳ of a slice of images added at the argmax of each window, into ``xp`` (the zero padded image)."""
    g_part, arg_part, image = g[images], arg[images], xp[images]
    kh, kw = geom.kernel
    sh, sw = geom.stride
    oh, ow = g.shape[1:3]
    if _tiles(geom):  # each input cell is in one window: write ȳ·[arg = k] straight into its slice
        for k in range(kh * kw):
            a, b = divmod(k, kw)
            np.multiply(g_part, arg_part == k, out=image[:, a:a + sh * oh:sh, b:b + sw * ow:sw])
    else:
        zero = g.dtype.type(0)
        col2im(lambda a, b: np.where(arg_part == a * kw + b, g_part, zero), geom, oh, ow, image)


def _gather_from_image(x, arg, geom, out_hw):
    win = windows(pad_nhwc(nhwc(x), geom.padding), geom, *out_hw)
    n, oh, ow, kh, kw, c = win.shape
    win = win.reshape(n, oh, ow, kh * kw, c)
    return nchw(np.take_along_axis(win, arg[:, :, :, None, :], axis=3)[:, :, :, 0])


def _offset_dtype(window_size):
    """The integer type of an offset in a window of ``window_size`` cells."""
    return np.int8 if window_size <= 127 else np.int32


def _first_argmax(offsets, best):
    """The first offset k (row-major in the window) where offsets[k] equals the maximum ``best`` (or is
    NaN), as PyTorch's argmax: k = Σ_{j < K−1} [no offset ≤ j holds the maximum], with boolean passes."""
    has_nan = best.dtype.kind == "f" and bool(np.isnan(best).any())

    def hit(v):
        return (v == best) | (v != v) if has_nan else v == best
    last = len(offsets) - 1
    dtype = _offset_dtype(len(offsets))
    if last == 0:
        return get_array_module(best).zeros(best.shape, dtype)
    seen = hit(offsets[0])
    count = seen.astype(dtype)
    for v in offsets[1:last]:
        np.logical_or(seen, hit(v), out=seen)
        count += seen
    return dtype(last) - count


def _max_images(images, win, best, arg):
    """The maximum of each window (NaN propagates, as PyTorch) and its first argmax, for a slice of images."""
    kh, kw = win.shape[3:5]
    part = [win[images, :, :, k // kw, k % kw] for k in range(kh * kw)]    # (n, OH, OW, C) views
    np.copyto(best[images], part[0])
    for v in part[1:]:
        np.maximum(best[images], v, out=best[images])
    arg[images] = _first_argmax(part, best[images])


class MaxPool2d(Function):
    """Forward:  y[n,c,i,j] = max over the window (i, j) of x_pad (padding = −∞); a = its first argmax
    VJP:      x̄ = scatter(ȳ, a): each ȳ[n,c,i,j] added at the position a[n,c,i,j] of its window"""

    @staticmethod
    def forward(ctx, x, geom, out_hw, return_indices):
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        win = windows(pad_nhwc(nhwc(x), geom.padding, fill), geom, *out_hw)
        n, oh, ow, kh, kw, c = win.shape
        # In x's memory order (NCHW for an NCHW x): each pass then walks all its operands in the same
        # order, and the NCHW result below needs no transposing copy.
        best = np.empty_like(win[:, :, :, 0, 0])
        arg = np.empty_like(best, dtype=_offset_dtype(kh * kw))
        over_images(_max_images, n, oh * ow * c * kh * kw * x.dtype.itemsize, (win,), (best, arg))
        y = nchw(best)
        ctx.geom, ctx.arg, ctx.x_shape, ctx.out_hw = geom, arg, x.shape, out_hw
        if not return_indices:
            return y
        h, w = x.shape[2:]
        arg = arg.astype(np.int64)
        module = get_array_module(x)
        rows = (module.arange(oh) * geom.stride[0] - geom.padding[0]).reshape(1, oh, 1, 1) + (arg // kw) * geom.dilation[0]
        cols = (module.arange(ow) * geom.stride[1] - geom.padding[2]).reshape(1, 1, ow, 1) + (arg % kw) * geom.dilation[1]
        indices = nchw((rows * w + cols).astype(np.int64))
        ctx.mark_non_differentiable(indices)
        return y, indices

    @staticmethod
    def backward(ctx, gy, gidx=None):
        return MaxPoolScatter.apply(gy, ctx.arg, ctx.geom, ctx.x_shape, ctx.out_hw), None, None, None


class MaxPoolScatter(Function):
    """The derivative of max-pooling, linear in ȳ:

    Forward:  x̄ = scatter(ȳ, a): ȳ[n,c,i,j] added at the argmax a[n,c,i,j] of window (i, j)
    VJP:      ȳ' = gather(x̄', a): the value of x̄' at each window's argmax"""

    @staticmethod
    def forward(ctx, gy, arg, geom, x_shape, out_hw):
        ctx.arg, ctx.geom, ctx.out_hw = arg, geom, out_hw
        return _scatter_to_image(gy, arg, geom, x_shape)

    @staticmethod
    def backward(ctx, ggx):
        return MaxPoolGather.apply(ggx, ctx.arg, ctx.geom, ctx.out_hw), None, None, None, None


class MaxPoolGather(Function):
    """Forward:  y[n,c,i,j] = x_pad[n, c, position a[n,c,i,j] of window (i, j)]
    VJP:      x̄ = scatter(ȳ, a)"""

    @staticmethod
    def forward(ctx, x, arg, geom, out_hw):
        ctx.arg, ctx.geom, ctx.x_shape, ctx.out_hw = arg, geom, x.shape, out_hw
        return _gather_from_image(x, arg, geom, out_hw)

    @staticmethod
    def backward(ctx, gy):
        return MaxPoolScatter.apply(gy, ctx.arg, ctx.geom, ctx.x_shape, ctx.out_hw), None, None, None


def _avg_divisor(x_shape, geom, out_hw, count_include_pad, divisor_override, dtype, xp=np):
    """(OH, OW, 1) divisors (made by array module ``xp``): the override, or the number of window cells
    inside the (padded) input."""
    if divisor_override:
        return xp.asarray(divisor_override, dtype=dtype)
    h, w = x_shape[2:]
    top, bottom, left, right = geom.padding
    ph, pw = geom.padding[0], geom.padding[2]
    inside = xp.zeros((1, h + top + bottom, w + left + right, 1), dtype=dtype)
    if count_include_pad:  # cells of the padded input (not the ceil_mode overhang) count
        inside[:, :h + 2 * ph, :w + 2 * pw] = 1
    else:
        inside[:, top:top + h, left:left + w] = 1
    counts = windows(inside, geom, *out_hw).sum(axis=(3, 4))[0]
    return np.maximum(counts, 1)


class AvgPool2d(Function):
    """Forward:  y[n,c,i,j] = (Σ over the window (i, j) of x_pad) / D[i,j]    (linear in x)
    VJP:      x̄ = avgᵀ(ȳ): ȳ[n,c,i,j] / D[i,j] spread over the window (i, j)"""

    @staticmethod
    def forward(ctx, x, geom, out_hw, divisor):
        ctx.geom, ctx.out_hw, ctx.divisor, ctx.x_shape = geom, out_hw, divisor, x.shape
        win = windows(pad_nhwc(nhwc(x), geom.padding), geom, *out_hw)
        y = win.sum(axis=(3, 4), dtype=x.dtype) / divisor.astype(x.dtype, copy=False)
        return nchw(y)

    @staticmethod
    def backward(ctx, gy):
        return AvgPool2dTranspose.apply(gy, ctx.geom, ctx.out_hw, ctx.divisor, ctx.x_shape), None, None, None


class AvgPool2dTranspose(Function):
    """The adjoint of average pooling:

    Forward:  x̄ = avgᵀ(ȳ): ȳ[n,c,i,j] / D[i,j] added over window (i, j), padding cropped
    VJP:      ȳ' = avg(x̄')"""

    @staticmethod
    def forward(ctx, gy, geom, out_hw, divisor, x_shape):
        ctx.geom, ctx.out_hw, ctx.divisor = geom, out_hw, divisor
        n, c, h, w = x_shape
        kh, kw = geom.kernel
        top, bottom, left, right = geom.padding
        g = nhwc(gy) / divisor.astype(gy.dtype, copy=False)
        xp = get_array_module(g).zeros((n, h + top + bottom, w + left + right, c), dtype=g.dtype)
        col2im(lambda a, b: g, geom, g.shape[1], g.shape[2], xp, assign=_tiles(geom))
        return nchw(crop(xp, geom.padding, h, w))

    @staticmethod
    def backward(ctx, ggx):
        return AvgPool2d.apply(ggx, ctx.geom, ctx.out_hw, ctx.divisor), None, None, None, None


def _pool_input(input, op, spatial=2):
    x, unbatched = batched(input, spatial, op, "input")
    if x._data.dtype.kind not in "fiu":
        raise RuntimeError(f"{op}: expected a numeric input, got {x.dtype}")
    return x, unbatched


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum over each (dilated) window; with ``return_indices`` also the flat index h·W + w of
    each maximum in the (unpadded) input, as PyTorch. ``stride`` defaults to ``kernel_size``."""
    op = "max_pool2d"
    x, unbatched = _pool_input(input, op)
    geom, out_hw = _pool_geom(tuple(x.shape), kernel_size, stride, padding, dilation, ceil_mode, op)
    out = MaxPool2d.apply(x, geom, out_hw, bool(return_indices))
    if unbatched:
        out = tuple(o.squeeze(0) for o in out) if return_indices else out.squeeze(0)
    return out


def _pool1d(fn, input, kernel_size, stride, padding, extra, op, return_pair=False):
    x, unbatched = batched(input, 1, op, "input")
    one = lambda v, name, first: (first, int_tuple(v, 1, name, op)[0])  # noqa: E731
    stride = None if stride is None or stride == () or stride == [] else one(stride, "stride", 1)
    out = fn(x.unsqueeze(2), one(kernel_size, "kernel_size", 1), stride, one(padding, "padding", 0), **extra)
    outs = out if return_pair else (out,)
    outs = tuple(o.squeeze(2) for o in outs)
    if unbatched:
        outs = tuple(o.squeeze(0) for o in outs)
    return outs if return_pair else outs[0]


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-d max-pooling over the last dimension of (N, C, L) or (C, L)."""
    d = (1, int_tuple(dilation, 1, "dilation", "max_pool1d")[0])
    return _pool1d(max_pool2d, input, kernel_size, stride, padding,
                   dict(dilation=d, ceil_mode=ceil_mode, return_indices=return_indices), "max_pool1d",
                   return_pair=bool(return_indices))


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean over each window: the sum divided by the window's cell count (including the zero padding
    when ``count_include_pad``), or by ``divisor_override``."""
    op = "avg_pool2d"
    x, unbatched = _pool_input(input, op)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}")
    if divisor_override is not None and int(divisor_override) == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    geom, out_hw = _pool_geom(tuple(x.shape), kernel_size, stride, padding, 1, ceil_mode, op)
    divisor = _avg_divisor(tuple(x.shape), geom, out_hw, count_include_pad, divisor_override, x._data.dtype,
                           get_array_module(x._data))
    y = AvgPool2d.apply(x, geom, out_hw, divisor)
    return y.squeeze(0) if unbatched else y


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-d average pooling over the last dimension of (N, C, L) or (C, L)."""
    return _pool1d(avg_pool2d, input, kernel_size, stride, padding,
                   dict(ceil_mode=ceil_mode, count_include_pad=count_include_pad), "avg_pool1d")


def _adaptive_bounds(size, out):
    """PyTorch's adaptive windows: cell i covers [⌊i·size/out⌋, ⌈(i+1)·size/out⌉)."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _adaptive_size(x, output_size, op):
    sizes = output_size if isinstance(output_size, (list, tuple)) else (output_size, output_size)
    if len(sizes) != 2:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size}")
    out = tuple(int(x.shape[-2 + i]) if s is None else int(s) for i, s in enumerate(sizes))
    if min(out) < 0:
        raise RuntimeError(f"{op}: output_size must be non-negative, got {out}")
    return out


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size: cell (i, j) is the mean of rows
    [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉) and the same columns. Separable, so computed as y = P_H · x · P_Wᵀ with
    two averaging matrices (the gradient follows from matmul's)."""
    op = "adaptive_avg_pool2d"
    x, unbatched = _pool_input(input, op)
    oh, ow = _adaptive_size(x, output_size, op)
    h, w = x.shape[2:]
    dt = x._data.dtype

    def averaging(size, out):
        P = np.zeros((out, size), dtype=dt)
        for i, (a, b) in enumerate(_adaptive_bounds(size, out)):
            P[i, a:b] = 1.0 / (b - a)
        return Tensor._make(get_array_module(x._data).asarray(P))

    y = x
    if ow != w or any(b - a != 1 for a, b in _adaptive_bounds(w, ow)):
        y = y @ averaging(w, ow).mT
    if oh != h or any(b - a != 1 for a, b in _adaptive_bounds(h, oh)):
        y = averaging(h, oh) @ y
    return y.squeeze(0) if unbatched else y


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (windows as :func:`adaptive_avg_pool2d`); the value is a
    gather of x at each window's first argmax, so the gradient is the scatter back to it."""
    op = "adaptive_max_pool2d"
    x, unbatched = _pool_input(input, op)
    oh, ow = _adaptive_size(x, output_size, op)
    n, c, h, w = x.shape
    data = x._data
    idx = get_array_module(data).empty((n, c, oh, ow), dtype=np.int64)
    for i, (r0, r1) in enumerate(_adaptive_bounds(h, oh)):
        for j, (c0, c1) in enumerate(_adaptive_bounds(w, ow)):
            win = data[:, :, r0:r1, c0:c1].reshape(n, c, -1)
            a = win.argmax(axis=2)
            idx[:, :, i, j] = (r0 + a // (c1 - c0)) * w + c0 + a % (c1 - c0)
    indices = Tensor._make(idx)
    y = gather(x.reshape(n, c, h * w), 2, Tensor._make(idx.reshape(n, c, oh * ow))).reshape(n, c, oh, ow)
    if unbatched:
        y, indices = y.squeeze(0), indices.squeeze(0)
    return (y, indices) if return_indices else y


def adaptive_avg_pool1d(input, output_size):
    size = output_size[0] if isinstance(output_size, (list, tuple)) else output_size
    x, unbatched = batched(input, 1, "adaptive_avg_pool1d", "input")
    y = adaptive_avg_pool2d(x.unsqueeze(2), (1, size)).squeeze(2)
    return y.squeeze(0) if unbatched else y


def adaptive_max_pool1d(input, output_size, return_indices=False):
    size = output_size[0] if isinstance(output_size, (list, tuple)) else output_size
    x, unbatched = batched(input, 1, "adaptive_max_pool1d", "input")
    y, idx = adaptive_max_pool2d(x.unsqueeze(2), (1, size), return_indices=True)
    y, idx = y.squeeze(2), idx.squeeze(2)
    if unbatched:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return (y, idx) if return_indices else y
