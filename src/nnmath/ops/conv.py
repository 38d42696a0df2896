"""Convolution and pooling: the linear maps of CNNs, and their adjoints.

A 2-d convolution with weight ``W`` (O, C/g, KH, KW), stride s, padding p and dilation d is

    y[n, o, i, j] = Σ_{c, a, b} W[o, c, a, b] · x_pad[n, g(o)·C/g + c, i·s + a·d, j·s + b·d]

It is bilinear in (x, W), so each derivative is again a convolution-shaped map:

    x̄ = convᵀ(ȳ, W)          the adjoint in x: a transposed convolution with the same weights
    W̄ = wgrad(x, ȳ)          W̄[o, c, a, b] = Σ_{n, i, j} ȳ[n, o, i, j] · x_pad[n, c, i·s + a·d, j·s + b·d]

and the three maps conv, convᵀ and wgrad are closed under differentiation (each is bilinear; the
partial derivatives of one are the other two), so the three Functions below call each other in their
backward and every order of derivative is available.

How it is computed: everything runs in NHWC internally (a tensor leaving a convolution is logically
(N, C, H, W) but laid out channels-last, which the next convolution reads without a copy). ``im2col``
takes all KH·KW windows with ``as_strided`` and copies them once into a (N·OH·OW, KH·KW·C) matrix, so
the convolution is ONE matrix product (per group); ``col2im``, its adjoint, adds the KH·KW slices of a
column matrix back into the image with strided slices (KH·KW iterations, no per-pixel loop).
Pooling reuses the same windows: max-pool is an argmax over the window axis, and its derivative
routes ȳ back to the argmax with ``col2im``.
"""
from __future__ import annotations

import collections
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from nnmath.autograd.function import Function
from nnmath.tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d", "max_pool2d",
           "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "dropout2d", "dropout1d", "interpolate"]

#: The geometry of a 2-d sliding window: kernel (KH, KW), stride, padding (top, bottom, left, right),
#: dilation, groups.
Geom = collections.namedtuple("Geom", "kernel stride padding dilation groups")


# ---------------------------------------------------------------------------------------------------
# windows: im2col and its adjoint col2im (NHWC arrays)
# ---------------------------------------------------------------------------------------------------
def _out_size(size, pad_lo, pad_hi, k, s, d):
    return (size + pad_lo + pad_hi - d * (k - 1) - 1) // s + 1


def _pad_nhwc(x, padding, value=0.0):
    top, bottom, left, right = padding
    if not (top or bottom or left or right):
        return x
    n, h, w, c = x.shape
    xp = np.full((n, h + top + bottom, w + left + right, c), value, dtype=x.dtype)
    xp[:, top:top + h, left:left + w, :] = x
    return xp


def _windows(xp, geom, oh, ow):
    """The view (N, OH, OW, KH, KW, C) of all windows of the padded NHWC array ``xp`` (no copy)."""
    kh, kw = geom.kernel
    sh, sw = geom.stride
    dh, dw = geom.dilation
    n, _, _, c = xp.shape
    s0, s1, s2, s3 = xp.strides
    return as_strided(xp, (n, oh, ow, kh, kw, c), (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3),
                      writeable=False)


#: Large temporaries kept for the next step, by (shape, dtype): a fresh 40 MB array is mapped and zeroed
#: by the OS page by page on every call, a reused one is not. Only arrays nothing else refers to any
#: more (the column matrix once the weight gradient used it, convᵀ's products) are given back.
_scratch: dict = {}


def _take(shape, dtype):
    stack = _scratch.get((tuple(shape), np.dtype(dtype)))
    if stack:
        try:
            return stack.pop()
        except IndexError:
            pass
    return np.empty(shape, dtype)


def _give(array):
    if array is None or array.nbytes < (1 << 20) or not array.flags.c_contiguous or array.base is not None:
        return
    if len(_scratch) > 8:
        _scratch.clear()
    stack = _scratch.setdefault((array.shape, array.dtype), [])
    if len(stack) < 2:
        stack.append(array)


def _im2col(x_nhwc, geom, oh, ow):
    """Columns (G, N·OH·OW, KH·KW·C/G): row m holds the window of output pixel m, one copy."""
    win = _windows(_pad_nhwc(x_nhwc, geom.padding), geom, oh, ow)
    n, _, _, kh, kw, c = win.shape
    g = geom.groups
    if g == 1:
        cols = _take((1, n * oh * ow, kh * kw * c), win.dtype)
        np.copyto(cols.reshape(win.shape), win)
        return cols
    win = win.reshape(n, oh, ow, kh, kw, g, c // g).transpose(5, 0, 1, 2, 3, 4, 6)
    return win.reshape(g, n * oh * ow, kh * kw * (c // g))


def _col2im(part, geom, oh, ow, out, assign=False):
    """The adjoint of taking windows: for each kernel offset (a, b), add ``part(a, b)`` (N, OH, OW, …), the
    window entries at that offset, into the strided slice of ``out`` (N, Hp, Wp, …) they were read from.

    KH·KW passes over contiguous (N, OH, OW, …) blocks, no per-pixel loop. With ``assign`` (windows
    that tile the image without overlap) the slices are written, not added."""
    kh, kw = geom.kernel
    sh, sw = geom.stride
    dh, dw = geom.dilation
    for a in range(kh):
        for b in range(kw):
            rows = slice(a * dh, a * dh + sh * (oh - 1) + 1, sh)
            columns = slice(b * dw, b * dw + sw * (ow - 1) + 1, sw)
            if assign:
                out[:, rows, columns] = part(a, b)
            else:
                out[:, rows, columns] += part(a, b)
    return out


def _crop(xp, padding, h, w):
    top, _, left, _ = padding
    return xp[:, top:top + h, left:left + w]


def _nhwc(x):
    return x.transpose(0, 2, 3, 1)


def _nchw(x):
    return x.transpose(0, 3, 1, 2)


def _weight_matrix(W, groups):
    """W (O, C/G, KH, KW) as G matrices (KH·KW·C/G, O/G), matching the column order of im2col."""
    o, cg, kh, kw = W.shape
    return W.reshape(groups, o // groups, cg, kh, kw).transpose(0, 3, 4, 2, 1).reshape(groups, kh * kw * cg,
                                                                                    o // groups)


def _rows(y_nchw, groups):
    """(N, O, OH, OW) as G matrices (N·OH·OW, O/G)."""
    n, o, oh, ow = y_nchw.shape
    rows = _nhwc(y_nchw).reshape(n * oh * ow, o)
    if groups == 1:
        return rows[None]
    return rows.reshape(n * oh * ow, groups, o // groups).transpose(1, 0, 2)


def _conv_forward(x, W, b, geom, cols=None):
    n, _, h, w = x.shape
    o, _, kh, kw = W.shape
    oh = _out_size(h, geom.padding[0], geom.padding[1], kh, geom.stride[0], geom.dilation[0])
    ow = _out_size(w, geom.padding[2], geom.padding[3], kw, geom.stride[1], geom.dilation[1])
    if cols is None:
        cols = _im2col(_nhwc(x), geom, oh, ow)
    y = np.matmul(cols, _weight_matrix(W, geom.groups))            # (G, M, O/G)
    y = y[0] if geom.groups == 1 else y.transpose(1, 0, 2)
    y = y.reshape(n, oh, ow, o)
    if b is not None:
        y += b
    return _nchw(y), cols


def _conv_adjoint(gy, W, geom, in_hw):
    """convᵀ: (N, O, OH, OW) -> (N, C, H, W), the adjoint of the convolution with weight W.

    One matrix product per kernel offset, ȳ (N·OH·OW, O) @ W[:, :, a, b] (O, C), batched into one
    ``matmul``; the KH·KW results are contiguous, so col2im adds whole blocks."""
    n, _, oh, ow = gy.shape
    o, cg, kh, kw = W.shape
    g = geom.groups
    Wk = W.reshape(g, o // g, cg, kh, kw).transpose(0, 3, 4, 1, 2).reshape(g, kh * kw, o // g, cg)
    products = _take((g, kh * kw, n * oh * ow, cg), np.result_type(gy, W))
    np.matmul(_rows(gy, g)[:, None], Wk, out=products)                  # (G, KH·KW, M, C/G)
    cols = products.reshape(g, kh, kw, n, oh, ow, cg)
    h, w = in_hw
    top, bottom, left, right = geom.padding
    xp = np.zeros((n, h + top + bottom, w + left + right, g, cg), dtype=cols.dtype)
    if g == 1:
        part = lambda a, b: cols[0, a, b, :, :, :, None, :]  # noqa: E731
    else:
        part = lambda a, b: cols[:, a, b].transpose(1, 2, 3, 0, 4)  # noqa: E731
    _col2im(part, geom, oh, ow, xp)
    _give(products)
    xp = xp.reshape(xp.shape[:3] + (g * cg,))
    return _nchw(_crop(xp, geom.padding, h, w))


def _conv_weight_grad(x, gy, geom, w_shape, cols=None):
    _, _, oh, ow = gy.shape
    o, cg, kh, kw = w_shape
    g = geom.groups
    if cols is None:
        cols = _im2col(_nhwc(x), geom, oh, ow)
    gW = np.matmul(cols.transpose(0, 2, 1), _rows(gy, g))            # (G, KH·KW·C/G, O/G)
    gW = gW.reshape(g, kh, kw, cg, o // g).transpose(0, 4, 3, 1, 2)
    return np.ascontiguousarray(gW.reshape(o, cg, kh, kw))


class Conv2d(Function):
    """Forward:  y = conv(x, W) + b,  y[n,o,i,j] = Σ_{c,a,b} W[o,c,a,b] x_pad[n,c,i·s+a·d,j·s+b·d] + b[o]
    VJP:      x̄ = convᵀ(ȳ, W),  W̄ = wgrad(x, ȳ),  b̄ = Σ_{n,i,j} ȳ[n,·,i,j]"""

    @staticmethod
    def forward(ctx, x, W, b, geom):
        y, cols = _conv_forward(x, W, b, geom)
        ctx.geom, ctx.in_hw = geom, x.shape[2:]
        ctx.cols = cols if ctx.needs_input_grad[1] else None
        if ctx.cols is None:
            _give(cols)
        ctx.save_for_backward(x, W)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, W = ctx.saved_tensors
        gx = gW = gb = None
        if ctx.needs_input_grad[0]:
            gx = ConvTranspose2d.apply(gy, W, None, ctx.geom, ctx.in_hw)
        if ctx.needs_input_grad[1]:
            gW = ConvWeightGrad.apply(x, gy, ctx.geom, tuple(W.shape), ctx.cols)
            _give(ctx.cols)              # ConvWeightGrad keeps no reference to it
            ctx.cols = None
        if ctx.needs_input_grad[2]:
            gb = gy.sum((0, 2, 3))
        return gx, gW, gb, None


class ConvTranspose2d(Function):
    """The adjoint of :class:`Conv2d` in x, for a convolution with weight W (O, C/G, KH, KW) whose input
    has spatial size ``in_hw``:

    Forward:  y = convᵀ(x, W) + b   (x: (N, O, OH, OW) -> y: (N, C, H, W)),
              ⟨convᵀ(x, W), z⟩ = ⟨x, conv(z, W)⟩
    VJP:      x̄ = conv(ȳ, W),  W̄ = wgrad(ȳ, x),  b̄ = Σ_{n,i,j} ȳ[n,·,i,j]"""

    @staticmethod
    def forward(ctx, x, W, b, geom, in_hw):
        y = _conv_adjoint(x, W, geom, in_hw)
        if b is not None:
            y = y + b.reshape(-1, 1, 1)
        ctx.geom = geom
        ctx.save_for_backward(x, W)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, W = ctx.saved_tensors
        gx = gW = gb = None
        if ctx.needs_input_grad[0]:
            gx = Conv2d.apply(gy, W, None, ctx.geom)
        if ctx.needs_input_grad[1]:
            gW = ConvWeightGrad.apply(gy, x, ctx.geom, tuple(W.shape), None)
        if ctx.needs_input_grad[2]:
            gb = gy.sum((0, 2, 3))
        return gx, gW, gb, None, None


class ConvWeightGrad(Function):
    """The weight gradient of a convolution, a correlation of the input with the output gradient:

    Forward:  W̄ = wgrad(x, g),  W̄[o,c,a,b] = Σ_{n,i,j} g[n,o,i,j] x_pad[n,c,i·s+a·d,j·s+b·d]
    VJP:      x̄ = convᵀ(g, V̄),  ḡ = conv(x, V̄)      (V̄ the incoming gradient, shaped like W)

    ``cols`` optionally passes the im2col matrix of x the convolution already built."""

    @staticmethod
    def forward(ctx, x, gy, geom, w_shape, cols):
        ctx.geom, ctx.in_hw = geom, x.shape[2:]
        ctx.save_for_backward(x, gy)
        return _conv_weight_grad(x, gy, geom, w_shape, cols)

    @staticmethod
    def backward(ctx, gW):
        x, gy = ctx.saved_tensors
        gx = ggy = None
        if ctx.needs_input_grad[0]:
            gx = ConvTranspose2d.apply(gy, gW, None, ctx.geom, ctx.in_hw)
        if ctx.needs_input_grad[1]:
            ggy = Conv2d.apply(x, gW, None, ctx.geom)
        return gx, ggy, None, None, None


# ---------------------------------------------------------------------------------------------------
# argument handling
# ---------------------------------------------------------------------------------------------------
def _tuple(value, n, name, op):
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {tuple(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _check_float(x, W, op):
    if x._data.dtype != W._data.dtype:
        raise RuntimeError(f"{op}: input type ({x.dtype}) and weight type ({W.dtype}) should be the same")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}")


def _batched(x, spatial, op, what):
    """(x with a batch dimension, whether one was added); raises on other ranks."""
    if x.ndim == spatial + 2:
        return x, False
    if x.ndim == spatial + 1:
        return x.unsqueeze(0), True
    names = {1: "(N, C, L) or (C, L)", 2: "(N, C, H, W) or (C, H, W)"}[spatial]
    raise RuntimeError(f"{op}: expected a {spatial + 1}-D (unbatched) or {spatial + 2}-D (batched) {what} "
                       f"of shape {names}, but got input of size {tuple(x.shape)}")


def _conv_padding(padding, kernel, stride, dilation, op):
    """(top, bottom, left, right) from an int, a tuple, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of 'valid', 'same'")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
        out = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            out += [total // 2, total - total // 2]
        return tuple(out)
    p = _tuple(padding, 2, "padding", op)
    if any(v < 0 for v in p):
        raise RuntimeError(f"{op}: negative padding is not supported, got {p}")
    return (p[0], p[0], p[1], p[1])


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation, as PyTorch) of ``input`` (N, C, H, W) or (C, H, W) with
    ``weight`` (O, C/groups, KH, KW), plus ``bias`` (O,).

    ``padding`` is an int, a pair, ``'valid'`` (none) or ``'same'`` (output size = input size, stride 1).
    Output size: OH = ⌊(H + 2p − d·(KH − 1) − 1) / s⌋ + 1.
    """
    op = "conv2d"
    x, unbatched = _batched(input, 2, op, "input")
    if weight.ndim != 4:
        raise RuntimeError(f"{op}: expected a 4-D weight (out_channels, in_channels/groups, kH, kW), "
                           f"got weight of size {tuple(weight.shape)}")
    _check_float(x, weight, op)
    groups = int(groups)
    o, cg, kh, kw = weight.shape
    c = x.shape[1]
    if groups < 1 or o % groups:
        raise RuntimeError(f"{op}: out_channels ({o}) must be divisible by groups ({groups})")
    if cg * groups != c:
        raise RuntimeError(f"{op}: given groups={groups}, weight of size {tuple(weight.shape)}, expected "
                           f"input{tuple(input.shape)} to have {cg * groups} channels, but got {c} channels "
                           f"instead")
    stride = _tuple(stride, 2, "stride", op)
    dilation = _tuple(dilation, 2, "dilation", op)
    if min(stride) < 1 or min(dilation) < 1:
        raise RuntimeError(f"{op}: stride and dilation must be positive, got stride={stride}, "
                           f"dilation={dilation}")
    pad = _conv_padding(padding, (kh, kw), stride, dilation, op)
    h, w = x.shape[2:]
    hp, wp = h + pad[0] + pad[1], w + pad[2] + pad[3]
    eh, ew = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if eh > hp or ew > wp:
        raise RuntimeError(f"{op}: calculated padded input size per channel: ({hp} x {wp}). Kernel size: "
                           f"({eh} x {ew}). Kernel size can't be greater than actual input size")
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(f"{op}: expected bias of shape ({o},), got {tuple(bias.shape)}")
    y = Conv2d.apply(x, weight, bias, Geom((kh, kw), stride, pad, dilation, groups))
    return y.squeeze(0) if unbatched else y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution of ``input`` (N, C, L) or (C, L) with ``weight`` (O, C/groups, K): a 2-d
    convolution over a height of 1."""
    op = "conv1d"
    x, unbatched = _batched(input, 1, op, "input")
    if weight.ndim != 3:
        raise RuntimeError(f"{op}: expected a 3-D weight (out_channels, in_channels/groups, kW), got weight "
                           f"of size {tuple(weight.shape)}")
    if not isinstance(padding, str):
        padding = (0, _tuple(padding, 1, "padding", op)[0])
    y = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, _tuple(stride, 1, "stride", op)[0]), padding,
               (1, _tuple(dilation, 1, "dilation", op)[0]), groups)
    y = y.squeeze(2)
    return y.squeeze(0) if unbatched else y


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-d transposed convolution ("deconvolution"): the adjoint of :func:`conv2d` in its input.

    ``input`` (N, C_in, H, W), ``weight`` (C_in, C_out/groups, KH, KW). Output size:
    (H − 1)·s − 2p + d·(KH − 1) + output_padding + 1.
    """
    op = "conv_transpose2d"
    x, unbatched = _batched(input, 2, op, "input")
    if weight.ndim != 4:
        raise RuntimeError(f"{op}: expected a 4-D weight (in_channels, out_channels/groups, kH, kW), "
                           f"got weight of size {tuple(weight.shape)}")
    _check_float(x, weight, op)
    groups = int(groups)
    cin, coutg, kh, kw = weight.shape
    if x.shape[1] != cin:
        raise RuntimeError(f"{op}: weight of size {tuple(weight.shape)} expects input with {cin} channels, "
                           f"but got {x.shape[1]} channels")
    if groups < 1 or cin % groups:
        raise RuntimeError(f"{op}: in_channels ({cin}) must be divisible by groups ({groups})")
    stride = _tuple(stride, 2, "stride", op)
    dilation = _tuple(dilation, 2, "dilation", op)
    pad = _tuple(padding, 2, "padding", op)
    out_pad = _tuple(output_padding, 2, "output_padding", op)
    for op_, s, d in zip(out_pad, stride, dilation):
        if op_ < 0 or (op_ >= s and op_ >= d):
            raise RuntimeError(f"{op}: output padding must be smaller than either stride or dilation, got "
                               f"output_padding={out_pad}, stride={stride}, dilation={dilation}")
    h, w = x.shape[2:]
    out_hw = tuple((n - 1) * s - 2 * p + d * (k - 1) + q + 1
                   for n, s, p, d, k, q in zip((h, w), stride, pad, dilation, (kh, kw), out_pad))
    if min(out_hw) < 1:
        raise RuntimeError(f"{op}: the output size {out_hw} is too small for input {tuple(input.shape)}")
    cout = coutg * groups
    if bias is not None and tuple(bias.shape) != (cout,):
        raise RuntimeError(f"{op}: expected bias of shape ({cout},), got {tuple(bias.shape)}")
    geom = Geom((kh, kw), stride, (pad[0], pad[0], pad[1], pad[1]), dilation, groups)
    y = ConvTranspose2d.apply(x, weight, bias, geom, out_hw)
    return y.squeeze(0) if unbatched else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-d transposed convolution: :func:`conv_transpose2d` over a height of 1."""
    op = "conv_transpose1d"
    x, unbatched = _batched(input, 1, op, "input")
    one = lambda v, name: (0 if name in ("padding", "output_padding") else 1, _tuple(v, 1, name, op)[0])  # noqa: E731
    y = conv_transpose2d(x.unsqueeze(2), weight.unsqueeze(2), bias, one(stride, "stride"),
                         one(padding, "padding"), one(output_padding, "output_padding"), groups,
                         one(dilation, "dilation"))
    y = y.squeeze(2)
    return y.squeeze(0) if unbatched else y


# ---------------------------------------------------------------------------------------------------
# pooling
# ---------------------------------------------------------------------------------------------------
def _pool_geom(x_shape, kernel_size, stride, padding, dilation, ceil_mode, op):
    """(Geom with the bottom/right padding extended for ceil_mode, (OH, OW))."""
    kernel = _tuple(kernel_size, 2, "kernel_size", op)
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) \
        else _tuple(stride, 2, "stride", op)
    pad = _tuple(padding, 2, "padding", op)
    dilation = _tuple(dilation, 2, "dilation", op)
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
    g = _nhwc(gy)
    xp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=g.dtype)
    if _tiles(geom):  # each input cell is in one window: write ȳ·[arg = k] straight into its slice
        sh, sw = geom.stride
        oh, ow = g.shape[1:3]
        for k in range(kh * kw):
            a, b = divmod(k, kw)
            np.multiply(g, arg == k, out=xp[:, a:a + sh * oh:sh, b:b + sw * ow:sw])
    else:
        zero = np.zeros((), dtype=g.dtype)
        _col2im(lambda a, b: np.where(arg == a * kw + b, g, zero), geom, g.shape[1], g.shape[2], xp)
    return _nchw(_crop(xp, geom.padding, h, w))


def _gather_from_image(x, arg, geom, out_hw):
    win = _windows(_pad_nhwc(_nhwc(x), geom.padding), geom, *out_hw)
    n, oh, ow, kh, kw, c = win.shape
    win = win.reshape(n, oh, ow, kh * kw, c)
    return _nchw(np.take_along_axis(win, arg[:, :, :, None, :], axis=3)[:, :, :, 0])


def _first_argmax(offsets, best):
    """The first offset k (row-major in the window) where offsets[k] equals the maximum ``best`` (or is
    NaN), as PyTorch's argmax: k = Σ_{j < K−1} [no offset ≤ j holds the maximum], with boolean passes."""
    has_nan = best.dtype.kind == "f" and bool(np.isnan(best).any())

    def hit(v):
        return (v == best) | (v != v) if has_nan else v == best
    last = len(offsets) - 1
    dtype = np.int8 if last < 127 else np.int32
    if last == 0:
        return np.zeros(best.shape, dtype)
    seen = hit(offsets[0])
    count = seen.astype(dtype)
    for v in offsets[1:last]:
        np.logical_or(seen, hit(v), out=seen)
        count += seen
    return dtype(last) - count


class MaxPool2d(Function):
    """Forward:  y[n,c,i,j] = max over the window (i, j) of x_pad (padding = −∞); a = its first argmax
    VJP:      x̄ = scatter(ȳ, a): each ȳ[n,c,i,j] added at the position a[n,c,i,j] of its window"""

    @staticmethod
    def forward(ctx, x, geom, out_hw, return_indices):
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        win = _windows(_pad_nhwc(_nhwc(x), geom.padding, fill), geom, *out_hw)
        n, oh, ow, kh, kw, c = win.shape
        offsets = [win[:, :, :, k // kw, k % kw] for k in range(kh * kw)]    # (N, OH, OW, C) views
        best = offsets[0].copy()
        for v in offsets[1:]:
            np.maximum(best, v, out=best)                                # NaN propagates, as PyTorch
        arg = _first_argmax(offsets, best)
        y = _nchw(best)
        ctx.geom, ctx.arg, ctx.x_shape, ctx.out_hw = geom, arg, x.shape, out_hw
        if not return_indices:
            return y
        h, w = x.shape[2:]
        arg = arg.astype(np.int64)
        rows = (np.arange(oh) * geom.stride[0] - geom.padding[0]).reshape(1, oh, 1, 1) + (arg // kw) * geom.dilation[0]
        cols = (np.arange(ow) * geom.stride[1] - geom.padding[2]).reshape(1, 1, ow, 1) + (arg % kw) * geom.dilation[1]
        indices = _nchw((rows * w + cols).astype(np.int64))
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


def _avg_divisor(x_shape, geom, out_hw, count_include_pad, divisor_override, dtype):
    """(OH, OW, 1) divisors: the override, or the number of window cells inside the (padded) input."""
    if divisor_override:
        return np.asarray(divisor_override, dtype=dtype)
    h, w = x_shape[2:]
    top, bottom, left, right = geom.padding
    ph, pw = geom.padding[0], geom.padding[2]
    inside = np.zeros((1, h + top + bottom, w + left + right, 1), dtype=dtype)
    if count_include_pad:  # cells of the padded input (not the ceil_mode overhang) count
        inside[:, :h + 2 * ph, :w + 2 * pw] = 1
    else:
        inside[:, top:top + h, left:left + w] = 1
    counts = _windows(inside, geom, *out_hw).sum(axis=(3, 4))[0]
    return np.maximum(counts, 1)


class AvgPool2d(Function):
    """Forward:  y[n,c,i,j] = (Σ over the window (i, j) of x_pad) / D[i,j]    (linear in x)
    VJP:      x̄ = avgᵀ(ȳ): ȳ[n,c,i,j] / D[i,j] spread over the window (i, j)"""

    @staticmethod
    def forward(ctx, x, geom, out_hw, divisor):
        ctx.geom, ctx.out_hw, ctx.divisor, ctx.x_shape = geom, out_hw, divisor, x.shape
        win = _windows(_pad_nhwc(_nhwc(x), geom.padding), geom, *out_hw)
        y = win.sum(axis=(3, 4), dtype=x.dtype) / divisor.astype(x.dtype, copy=False)
        return _nchw(y)

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
        g = _nhwc(gy) / divisor.astype(gy.dtype, copy=False)
        xp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=g.dtype)
        _col2im(lambda a, b: g, geom, g.shape[1], g.shape[2], xp, assign=_tiles(geom))
        return _nchw(_crop(xp, geom.padding, h, w))

    @staticmethod
    def backward(ctx, ggx):
        return AvgPool2d.apply(ggx, ctx.geom, ctx.out_hw, ctx.divisor), None, None, None, None


def _pool_input(input, op, spatial=2):
    x, unbatched = _batched(input, spatial, op, "input")
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
    x, unbatched = _batched(input, 1, op, "input")
    one = lambda v, name, first: (first, _tuple(v, 1, name, op)[0])  # noqa: E731
    stride = None if stride is None or stride == () or stride == [] else one(stride, "stride", 1)
    out = fn(x.unsqueeze(2), one(kernel_size, "kernel_size", 1), stride, one(padding, "padding", 0), **extra)
    outs = out if return_pair else (out,)
    outs = tuple(o.squeeze(2) for o in outs)
    if unbatched:
        outs = tuple(o.squeeze(0) for o in outs)
    return outs if return_pair else outs[0]


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-d max-pooling over the last dimension of (N, C, L) or (C, L)."""
    d = (1, _tuple(dilation, 1, "dilation", "max_pool1d")[0])
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
    divisor = _avg_divisor(tuple(x.shape), geom, out_hw, count_include_pad, divisor_override, x._data.dtype)
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
    if min(out) < 0 or (min(out) == 0 and x.numel() > 0):
        raise RuntimeError(f"{op}: output_size must be positive, got {out}")
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
        return Tensor._make(P)

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
    idx = np.empty((n, c, oh, ow), dtype=np.int64)
    for i, (r0, r1) in enumerate(_adaptive_bounds(h, oh)):
        for j, (c0, c1) in enumerate(_adaptive_bounds(w, ow)):
            win = data[:, :, r0:r1, c0:c1].reshape(n, c, -1)
            a = win.argmax(axis=2)
            idx[:, :, i, j] = (r0 + a // (c1 - c0)) * w + c0 + a % (c1 - c0)
    from nnmath.ops.indexing import gather
    indices = Tensor._make(idx)
    y = gather(x.reshape(n, c, h * w), 2, Tensor._make(idx.reshape(n, c, oh * ow))).reshape(n, c, oh, ow)
    if unbatched:
        y, indices = y.squeeze(0), indices.squeeze(0)
    return (y, indices) if return_indices else y


def adaptive_avg_pool1d(input, output_size):
    size = output_size[0] if isinstance(output_size, (list, tuple)) else output_size
    x, unbatched = _batched(input, 1, "adaptive_avg_pool1d", "input")
    y = adaptive_avg_pool2d(x.unsqueeze(2), (1, size)).squeeze(2)
    return y.squeeze(0) if unbatched else y


def adaptive_max_pool1d(input, output_size, return_indices=False):
    size = output_size[0] if isinstance(output_size, (list, tuple)) else output_size
    x, unbatched = _batched(input, 1, "adaptive_max_pool1d", "input")
    y, idx = adaptive_max_pool2d(x.unsqueeze(2), (1, size), return_indices=True)
    y, idx = y.squeeze(2), idx.squeeze(2)
    if unbatched:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return (y, idx) if return_indices else y


# ---------------------------------------------------------------------------------------------------
# channel dropout, resampling
# ---------------------------------------------------------------------------------------------------
def _channel_dropout(input, p, training, inplace, spatial, op, generator=None):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    from nnmath.random import rng
    if spatial == 1 and input.ndim not in (2, 3):
        raise RuntimeError(f"{op}: expected a 2-D or 3-D input (C, L) or (N, C, L), got size {tuple(input.shape)}")
    if spatial == 2 and input.ndim not in (3, 4):
        import warnings
        warnings.warn(f"{op}: received a {input.ndim}-D input; dropout2d drops whole channels of 3-D or 4-D "
                      f"inputs. As PyTorch, the mask covers the first two dimensions (so a 2-D input is dropped "
                      f"element-wise); use dropout for that.", UserWarning, stacklevel=3)
    # PyTorch's rule: dropout1d takes a 2-D input as unbatched (C, L); dropout2d always masks the
    # first two dimensions, so a 3-D input is read as (N, C, L) (PyTorch issue 77081).
    unbatched = spatial == 1 and input.ndim == 2
    x = input.unsqueeze(0) if unbatched else input
    dt = x._data.dtype
    keep = rng(generator).random(tuple(x.shape[:2]) + (1,) * (x.ndim - 2)) >= p
    scale = np.zeros((), dt) if p == 1.0 else np.asarray(1.0 / (1.0 - p), dt)
    y = x * Tensor._make(keep.astype(dt) * scale)
    y = y.squeeze(0) if unbatched else y
    if inplace:
        input._data[...] = y._data
        return input
    return y


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: each (n, c) feature map is kept with probability 1 − p (and scaled by
    1/(1 − p)) or zeroed. Input (N, C, H, W). As PyTorch, the mask always covers the first two
    dimensions: a 3-D input is read as (N, C, L), a 2-D one is dropped element-wise (with a warning)."""
    return _channel_dropout(input, p, training, inplace, 2, "dropout2d")


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L)."""
    return _channel_dropout(input, p, training, inplace, 1, "dropout1d")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resample (N, C, H, W) (or (N, C, L)) to ``size`` or by ``scale_factor``. Modes: 'nearest'
    (PyTorch's floor rule), 'bilinear'/'linear' (with ``align_corners``). Written with gather-style
    indexing and arithmetic ops, so it is differentiable."""
    if mode not in ("nearest", "bilinear", "linear"):
        raise NotImplementedError(f"interpolate: mode {mode!r} is not implemented (nearest, bilinear, linear)")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("interpolate: align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    one_d = input.ndim == 3
    x = input.unsqueeze(2) if one_d else input
    if x.ndim != 4:
        raise NotImplementedError(f"interpolate: expected a 3-D or 4-D input, got size {tuple(input.shape)}")
    in_hw = tuple(x.shape[2:])
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: exactly one of size or scale_factor must be given")
    if size is not None:
        sz = size if isinstance(size, (list, tuple)) else (size,) * (1 if one_d else 2)
        out_hw = (1, int(sz[0])) if one_d else tuple(int(s) for s in sz)
        scales = (None, None)
    else:
        sf = scale_factor if isinstance(scale_factor, (list, tuple)) else (scale_factor,) * (1 if one_d else 2)
        sf = (1.0, float(sf[0])) if one_d else tuple(float(s) for s in sf)
        out_hw = tuple(int(math.floor(n * s)) for n, s in zip(in_hw, sf))
        scales = (None, None) if recompute_scale_factor else sf
    y = x
    for axis, (n_in, n_out, sc) in enumerate(zip(in_hw, out_hw, scales)):
        if n_in == n_out and sc in (None, 1.0):
            continue
        dim = 2 + axis
        ratio = (1.0 / sc) if sc else n_in / n_out
        if mode == "nearest":
            src = np.minimum(np.floor(np.arange(n_out) * ratio).astype(np.int64), n_in - 1)
            y = y.index_select(dim, Tensor._make(src))
            continue
        if align_corners:
            pos = np.arange(n_out) * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        else:
            pos = np.maximum((np.arange(n_out) + 0.5) * ratio - 0.5, 0.0)
        lo = np.minimum(np.floor(pos).astype(np.int64), n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        frac = (pos - lo).astype(x._data.dtype)
        shape = [1] * 4
        shape[dim] = n_out
        t = Tensor._make(frac.reshape(shape))
        y = y.index_select(dim, Tensor._make(lo)) * (1 - t) + y.index_select(dim, Tensor._make(hi)) * t
    return y.squeeze(2) if one_d else y
