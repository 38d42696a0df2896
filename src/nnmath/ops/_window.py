"""Sliding windows over NHWC images: the geometry, ``im2col`` and its adjoint ``col2im``, shared by
convolution (:mod:`nnmath.ops.conv`) and pooling (:mod:`nnmath.ops.pooling`).

Everything runs in NHWC internally (a tensor leaving a convolution is logically (N, C, H, W) but laid
out channels-last, which the next convolution reads without a copy). ``im2col`` takes all KH·KW
windows with ``as_strided`` and copies them once into a (N·OH·OW, KH·KW·C) matrix (for a batch of up to
``CHUNK_BYTES`` of it; a larger batch is taken in chunks of images, :func:`image_chunks`); ``col2im``, its
adjoint, adds the KH·KW slices of a column matrix back into the image with strided slices (KH·KW
iterations, no per-pixel loop).
"""
from __future__ import annotations

import collections

import numpy as np

from nnmath.backend import as_strided, device_of, get_array_module, run_kernel
from nnmath.device import CPU
from nnmath.parallel import parallel_for, shares_threads

#: The geometry of a 2-d sliding window: kernel (KH, KW), stride, padding (top, bottom, left, right),
#: dilation, groups.
Geom = collections.namedtuple("Geom", "kernel stride padding dilation groups")


def out_size(size, pad_lo, pad_hi, k, s, d):
    return (size + pad_lo + pad_hi - d * (k - 1) - 1) // s + 1


def pad_nhwc(x, padding, value=0.0):
    top, bottom, left, right = padding
    if not (top or bottom or left or right):
        return x
    n, h, w, c = x.shape
    xp = get_array_module(x).full((n, h + top + bottom, w + left + right, c), value, dtype=x.dtype)
    xp[:, top:top + h, left:left + w, :] = x
    return xp


def windows(xp, geom, oh, ow):
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


def take_scratch(shape, dtype, xp=np):
    stack = _scratch.get((tuple(shape), np.dtype(dtype), xp))
    if stack:
        try:
            return stack.pop()
        except IndexError:
            pass
    return xp.empty(shape, dtype)


def give_scratch(array):
    if array is None or array.nbytes < (1 << 20) or not array.flags.c_contiguous or array.base is not None:
        return
    if type(array) is not np.ndarray and device_of(array) == CPU:   # a compiler's traced array: not kept
        return
    if len(_scratch) > 8:
        _scratch.clear()
    stack = _scratch.setdefault((array.shape, array.dtype, get_array_module(array)), [])
    if len(stack) < 2:
        stack.append(array)


#: The most bytes one column matrix (im2col's, or convᵀ's products) may take: a batch whose matrix would be
#: larger is convolved in chunks of whole images (each image's rows come from the same products either
#: way), so a 1,000-image test batch of the seed CNN never holds its 660 MB matrix at once.
CHUNK_BYTES = 64 << 20


def image_chunks(start, stop, bytes_per_image):
    """Slices of the batch axis start..stop, each of as many whole images as fit in ``CHUNK_BYTES`` (at
    least one)."""
    step = max(1, CHUNK_BYTES // max(1, bytes_per_image))
    return [slice(i, min(i + step, stop)) for i in range(start, stop, step)]


#: A thread's piece of a batch is at least this many bytes of columns: below it, handing work to
#: another thread costs more than it saves.
PIECE_BYTES = 1 << 20


def over_images(body, n, bytes_per_image, inputs, outputs, **shared) -> None:
    """``body(images, *inputs, *outputs, **shared)`` for slices ``images`` of whole images that cover the
    batch 0..n, each within ``CHUNK_BYTES``, the batch split into pieces run at once on this process's
    threads (:func:`nnmath.parallel.parallel_for`) when the first input
    :func:`~nnmath.parallel.shares_threads`. ``body`` writes its images' results into ``outputs``. Each
    image's numbers are computed the same way whichever piece and chunk it falls in. A trace records the
    whole loop as one call (a kernel: :func:`nnmath.backend.run_kernel`), so that its replay splits it too."""
    run_kernel(_over_images, body, n, bytes_per_image, tuple(inputs), out=tuple(outputs), **shared)


def _over_images(body, n, bytes_per_image, inputs, *, out, **shared):
    def piece(lo, hi):
        for images in image_chunks(lo, hi, bytes_per_image):
            body(images, *inputs, *out, **shared)
    if shares_threads(inputs[0]):
        parallel_for(n, piece, min_piece=max(1, PIECE_BYTES // max(1, bytes_per_image)))
    else:
        piece(0, n)
    return out


def im2col(x_nhwc, geom, oh, ow, out=None):
    """Columns (G, N·OH·OW, KH·KW·C/G): row m holds the window of output pixel m, one copy (into
    ``out``, a contiguous array of that shape, when given; G = 1 only)."""
    win = windows(pad_nhwc(x_nhwc, geom.padding), geom, oh, ow)
    n, _, _, kh, kw, c = win.shape
    g = geom.groups
    if g == 1:
        cols = out if out is not None else take_scratch((1, n * oh * ow, kh * kw * c), win.dtype,
                                                        get_array_module(win))
        np.copyto(cols.reshape(win.shape), win)
        return cols
    win = win.reshape(n, oh, ow, kh, kw, g, c // g).transpose(5, 0, 1, 2, 3, 4, 6)
    return win.reshape(g, n * oh * ow, kh * kw * (c // g))


def col2im(part, geom, oh, ow, out, assign=False):
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


def crop(xp, padding, h, w):
    top, _, left, _ = padding
    return xp[:, top:top + h, left:left + w]


def nhwc(x):
    return x.transpose(0, 2, 3, 1)


def nchw(x):
    """An (N, H, W, C) array as (N, C, H, W), contiguous as PyTorch's results are (so .view() works)."""
    return get_array_module(x).ascontiguousarray(x.transpose(0, 3, 1, 2))


def int_tuple(value, n, name, op):
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {tuple(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def batched(x, spatial, op, what):
    """(x with a batch dimension, whether one was added); raises on other ranks."""
    if x.ndim == spatial + 2:
        return x, False
    if x.ndim == spatial + 1:
        return x.unsqueeze(0), True
    names = {1: "(N, C, L) or (C, L)", 2: "(N, C, H, W) or (C, H, W)"}[spatial]
    raise RuntimeError(f"{op}: expected a {spatial + 1}-D (unbatched) or {spatial + 2}-D (batched) {what} "
                       f"of shape {names}, but got input of size {tuple(x.shape)}")
