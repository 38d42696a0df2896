"""Convolution: the linear maps of CNNs, and their adjoints.

A 2-d convolution with weight ``W`` (O, C/g, KH, KW), stride s, padding p and dilation d is

    y[n, o, i, j] = Σ_{c, a, b} W[o, c, a, b] · x_pad[n, g(o)·C/g + c, i·s + a·d, j·s + b·d]

It is bilinear in (x, W), so each derivative is again a convolution-shaped map:

    x̄ = convᵀ(ȳ, W)          the adjoint in x: a transposed convolution with the same weights
    W̄ = wgrad(x, ȳ)          W̄[o, c, a, b] = Σ_{n, i, j} ȳ[n, o, i, j] · x_pad[n, c, i·s + a·d, j·s + b·d]

and the three maps conv, convᵀ and wgrad are closed under differentiation (each is bilinear; the
partial derivatives of one are the other two), so the three Functions below call each other in their
backward and every order of derivative is available.

How it is computed: ``im2col`` (:mod:`nnmath.ops._window`) copies every window once into a matrix, so
the convolution is ONE matrix product (per group); convᵀ is one batched product per kernel offset
whose blocks ``col2im`` adds back into the image.
"""
from __future__ import annotations

import numpy as np

from nnmath.autograd.function import Function
from nnmath.backend import get_array_module
from nnmath.ops._window import (Geom, batched, col2im, crop, give_scratch, im2col, image_chunks, int_tuple, nhwc,
                                out_size, over_images, take_scratch)

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


def _weight_matrix(W, groups):
    """W (O, C/G, KH, KW) as G matrices (KH·KW·C/G, O/G), matching the column order of im2col."""
    o, cg, kh, kw = W.shape
    return W.reshape(groups, o // groups, cg, kh, kw).transpose(0, 3, 4, 2, 1).reshape(groups, kh * kw * cg,
                                                                                    o // groups)


def _rows(y_nchw, groups):
    """(N, O, OH, OW) as G matrices (N·OH·OW, O/G)."""
    n, o, oh, ow = y_nchw.shape
    rows = nhwc(y_nchw).reshape(n * oh * ow, o)
    if groups == 1:
        return rows[None]
    return rows.reshape(n * oh * ow, groups, o // groups).transpose(1, 0, 2)


def _conv_forward(x, W, b, geom, keep_cols=False):
    """y = conv(x, W) + b (N, O, OH, OW), computed channels-last a chunk of images at a time, the chunks
    spread over the threads (:func:`over_images`); and, with ``keep_cols``, the im2col matrix of x for
    the weight gradient, when the batch fits one chunk and there is one group (else None: too large to
    keep, or made of per-chunk pieces; the weight gradient makes its columns again)."""
    n, c, h, w = x.shape
    o, _, kh, kw = W.shape
    oh = out_size(h, geom.padding[0], geom.padding[1], kh, geom.stride[0], geom.dilation[0])
    ow = out_size(w, geom.padding[2], geom.padding[3], kw, geom.stride[1], geom.dilation[1])
    xp = get_array_module(x)
    dtype = np.result_type(x.dtype, W.dtype)
    y = xp.empty((n, o, oh, ow), dtype)   # contiguous NCHW, as PyTorch's result (x.view(n, -1) works)
    Wm = _weight_matrix(W, geom.groups)
    x_nhwc = nhwc(x)
    per_image = oh * ow * kh * kw * c * x.dtype.itemsize
    kept = None
    if keep_cols and geom.groups == 1 and len(image_chunks(0, n, per_image)) == 1:
        kept = take_scratch((1, n * oh * ow, kh * kw * c), x.dtype, xp)

    over_images(_conv_images, n, per_image, (x_nhwc, Wm, b), (y, kept), geom=geom)
    return y, kept


def _conv_images(images, x_nhwc, Wm, b, y, kept, *, geom):
    """y (and the kept columns) of a slice of images."""
    oh, ow = y.shape[2:]
    cols = im2col(x_nhwc[images], geom, oh, ow,
                  out=None if kept is None else kept[:, images.start * oh * ow:images.stop * oh * ow])
    part = get_array_module(y).empty((images.stop - images.start, oh, ow, y.shape[1]), y.dtype)  # channels-last
    _times_weights(cols, Wm, part)
    if b is not None:
        part += b
    y[images] = part.transpose(0, 3, 1, 2)
    if kept is None:
        give_scratch(cols)


def _times_weights(cols, Wm, out):
    """``out`` (n, OH, OW, O) = the rows of ``cols`` (G, n·OH·OW, K) times the G weight matrices."""
    if Wm.shape[0] == 1:
        np.matmul(cols, Wm, out=out.reshape(1, -1, out.shape[-1]))   # out is contiguous: a view
    else:
        out[...] = np.matmul(cols, Wm).transpose(1, 0, 2).reshape(out.shape)


def _conv_adjoint(gy, W, geom, in_hw):
    """convᵀ: (N, O, OH, OW) -> (N, C, H, W), the adjoint of the convolution with weight W.

    One matrix product per kernel offset, ȳ (N·OH·OW, O) @ W[:, :, a, b] (O, C), batched into one
    ``matmul``; the KH·KW results are contiguous, so col2im adds whole blocks. A large batch is done in
    chunks of images (:func:`image_chunks`)."""
    n, _, oh, ow = gy.shape
    o, cg, kh, kw = W.shape
    g = geom.groups
    Wk = W.reshape(g, o // g, cg, kh, kw).transpose(0, 3, 4, 1, 2).reshape(g, kh * kw, o // g, cg)
    h, w = in_hw
    top, bottom, left, right = geom.padding
    dtype = np.result_type(gy.dtype, W.dtype)
    module = get_array_module(gy)
    padded = module.zeros((n, h + top + bottom, w + left + right, g, cg), dtype=dtype)
    gx = module.empty((n, g * cg, h, w), dtype=dtype)   # contiguous NCHW, as PyTorch's
    over_images(_adjoint_images, n, g * kh * kw * oh * ow * cg * dtype.itemsize, (gy, Wk), (padded, gx), geom=geom)
    return gx


def _adjoint_images(images, gy, Wk, padded, gx, *, geom):
    """convᵀ(ȳ) of a slice of images, added into ``padded`` (zeros) and cropped into ``gx``."""
    _add_adjoint(gy[images], Wk, geom, padded[images])
    image = padded[images].reshape(padded[images].shape[:3] + (-1,))
    gx[images] = crop(image, geom.padding, *gx.shape[2:]).transpose(0, 3, 1, 2)


def _add_adjoint(gy, Wk, geom, out):
    """Add convᵀ(ȳ) of a batch ``gy`` (n, O, OH, OW) into ``out`` (n, Hp, Wp, G, C/G), the padded image."""
    n, _, oh, ow = gy.shape
    g, kk, _, cg = Wk.shape
    kh, kw = geom.kernel
    products = take_scratch((g, kk, n * oh * ow, cg), out.dtype, get_array_module(gy))
    np.matmul(_rows(gy, g)[:, None], Wk, out=products)                  # (G, KH·KW, M, C/G)
    cols = products.reshape(g, kh, kw, n, oh, ow, cg)
    if g == 1:
        part = lambda a, b: cols[0, a, b, :, :, :, None, :]  # noqa: E731
    else:
        part = lambda a, b: cols[:, a, b].transpose(1, 2, 3, 0, 4)  # noqa: E731
    col2im(part, geom, oh, ow, out)
    give_scratch(products)


def _conv_weight_grad(x, gy, geom, w_shape, cols=None):
    """W̄ = Σ over the batch of im2col(x)ᵀ ȳ; ``cols``, the convolution's im2col of x, when it kept it;
    else the columns are made again, in chunks of images for a large batch."""
    n, c, _, _ = x.shape
    _, _, oh, ow = gy.shape
    o, cg, kh, kw = w_shape
    g = geom.groups
    if cols is not None:
        gW = np.matmul(cols.transpose(0, 2, 1), _rows(gy, g))            # (G, KH·KW·C/G, O/G)
    else:
        gW = get_array_module(x).zeros((g, kh * kw * cg, o // g), np.result_type(x.dtype, gy.dtype))
        x_nhwc = nhwc(x)
        for images in image_chunks(0, n, oh * ow * kh * kw * c * x.dtype.itemsize):
            part = im2col(x_nhwc[images], geom, oh, ow)
            gW += np.matmul(part.transpose(0, 2, 1), _rows(gy[images], g))
            give_scratch(part)
    gW = gW.reshape(g, kh, kw, cg, o // g).transpose(0, 4, 3, 1, 2)
    return get_array_module(gW).ascontiguousarray(gW.reshape(o, cg, kh, kw))


class Conv2d(Function):
    """Forward:  y = conv(x, W) + b,  y[n,o,i,j] = Σ_{c,a,b} W[o,c,a,b] x_pad[n,c,i·s+a·d,j·s+b·d] + b[o]
    VJP:      x̄ = convᵀ(ȳ, W),  W̄ = wgrad(x, ȳ),  b̄ = Σ_{n,i,j} ȳ[n,·,i,j]"""

    @staticmethod
    def forward(ctx, x, W, b, geom):
        y, ctx.cols = _conv_forward(x, W, b, geom, keep_cols=ctx.needs_input_grad[1])
        ctx.geom, ctx.in_hw = geom, x.shape[2:]
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
            give_scratch(ctx.cols)              # ConvWeightGrad keeps no reference to it
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


def _check_float(x, W, op):
    if x._data.dtype != W._data.dtype:
        raise RuntimeError(f"{op}: input type ({x.dtype}) and weight type ({W.dtype}) should be the same")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}")


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
    p = int_tuple(padding, 2, "padding", op)
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
    x, unbatched = batched(input, 2, op, "input")
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
    stride = int_tuple(stride, 2, "stride", op)
    dilation = int_tuple(dilation, 2, "dilation", op)
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
    x, unbatched = batched(input, 1, op, "input")
    if weight.ndim != 3:
        raise RuntimeError(f"{op}: expected a 3-D weight (out_channels, in_channels/groups, kW), got weight "
                           f"of size {tuple(weight.shape)}")
    if not isinstance(padding, str):
        padding = (0, int_tuple(padding, 1, "padding", op)[0])
    y = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, int_tuple(stride, 1, "stride", op)[0]), padding,
               (1, int_tuple(dilation, 1, "dilation", op)[0]), groups)
    y = y.squeeze(2)
    return y.squeeze(0) if unbatched else y


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-d transposed convolution ("deconvolution"): the adjoint of :func:`conv2d` in its input.

    ``input`` (N, C_in, H, W), ``weight`` (C_in, C_out/groups, KH, KW). Output size:
    (H − 1)·s − 2p + d·(KH − 1) + output_padding + 1.
    """
    op = "conv_transpose2d"
    x, unbatched = batched(input, 2, op, "input")
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
    stride = int_tuple(stride, 2, "stride", op)
    dilation = int_tuple(dilation, 2, "dilation", op)
    pad = int_tuple(padding, 2, "padding", op)
    out_pad = int_tuple(output_padding, 2, "output_padding", op)
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
    x, unbatched = batched(input, 1, op, "input")
    one = lambda v, name: (0 if name in ("padding", "output_padding") else 1, int_tuple(v, 1, name, op)[0])  # noqa: E731
    y = conv_transpose2d(x.unsqueeze(2), weight.unsqueeze(2), bias, one(stride, "stride"),
                         one(padding, "padding"), one(output_padding, "output_padding"), groups,
                         one(dilation, "dilation"))
    y = y.squeeze(2)
    return y.squeeze(0) if unbatched else y
