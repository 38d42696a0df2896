"""Image utilities: ``make_grid`` (a batch as one tiled image) and ``save_image`` (PNG; written with the
standard library's zlib when Pillow is not installed)."""
from __future__ import annotations

import math
import os
import struct
import zlib

import numpy as np

from nnmath.tensor import Tensor


def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False, value_range=None,
              scale_each: bool = False, pad_value: float = 0.0) -> Tensor:
    """Tile a batch (B, C, H, W) (or a list of (C, H, W)) into one image (3, H', W') with ``nrow`` images
    per row and ``padding`` pixels between them, as torchvision. One-channel images are repeated to 3
    channels. ``normalize`` shifts each image (or the batch) into [0, 1] using ``value_range`` or min/max."""
    if isinstance(tensor, (list, tuple)):
        a = np.stack([t._data if isinstance(t, Tensor) else np.asarray(t) for t in tensor])
    else:
        a = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
    a = np.array(a, dtype=a.dtype if a.dtype.kind == "f" else np.float32)
    if a.ndim == 2:
        a = a[None]
    if a.ndim == 3:
        a = a[None] if a.shape[0] in (1, 3) else a[:, None]
    if a.ndim != 4:
        raise ValueError(f"make_grid: expected (B, C, H, W), (C, H, W) or (H, W), got shape {a.shape}")
    if a.shape[1] == 1:
        a = np.repeat(a, 3, axis=1)
    if normalize:
        def norm(x):
            lo, hi = (value_range if value_range is not None else (float(x.min()), float(x.max())))
            np.clip(x, lo, hi, out=x)
            x -= lo
            x /= max(hi - lo, 1e-5)
        if scale_each:
            for img in a:
                norm(img)
        else:
            norm(a)
    b, c, h, w = a.shape
    if b == 1:
        return Tensor._make(np.ascontiguousarray(a[0]))
    cols = min(nrow, b)
    rows = int(math.ceil(b / cols))
    hh, ww = h + padding, w + padding
    grid = np.full((c, rows * hh + padding, cols * ww + padding), pad_value, dtype=a.dtype)
    for k in range(b):
        r, q = divmod(k, cols)
        grid[:, r * hh + padding:r * hh + padding + h, q * ww + padding:q * ww + padding + w] = a[k]
    return Tensor._make(grid)


def _png_bytes(pixels: np.ndarray) -> bytes:
    """A PNG file of uint8 pixels (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA (standard library only)."""
    h, w = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    colour = {1: 0, 3: 2, 4: 6}[channels]
    raw = np.concatenate([np.zeros((h, 1), np.uint8), pixels.reshape(h, w * channels)], axis=1).tobytes()

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def save_image(tensor, fp, format=None, **kwargs) -> None:
    """Save a tensor (or batch, tiled by :func:`make_grid` with ``kwargs``) as an image file, values in
    [0, 1]. PNG is written without Pillow; other formats need Pillow (``pip install pillow``)."""
    grid = make_grid(tensor, **kwargs)._data
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    if pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    name = fp if isinstance(fp, (str, os.PathLike)) else getattr(fp, "name", "")
    fmt = (format or os.path.splitext(str(name))[1].lstrip(".") or "png").lower()
    if fmt == "png":
        data = _png_bytes(pixels)
        if isinstance(fp, (str, os.PathLike)):
            with open(fp, "wb") as f:
                f.write(data)
        else:
            fp.write(data)
        return
    try:
        from PIL import Image
    except ImportError as e:
        raise RuntimeError(f"save_image: writing {fmt!r} files needs Pillow (pip install pillow); PNG works "
                           f"without it") from e
    Image.fromarray(pixels).save(fp, format=format)
