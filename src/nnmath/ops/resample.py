"""Resampling: ``interpolate`` (nearest, linear, bilinear), composed of ``index_select`` and
arithmetic, so its gradient is that of the selections weighted by the interpolation coefficients."""
from __future__ import annotations

import math

import numpy as np

from nnmath.backend import get_array_module
from nnmath.tensor import Tensor

__all__ = ["interpolate"]


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
    needs = {"linear": 3, "bilinear": 4}.get(mode)
    if needs is not None and input.ndim != needs:
        raise NotImplementedError(f"interpolate: got a {input.ndim}-D input (shape {tuple(input.shape)}), but {mode} "
                                  f"mode needs a {needs}-D input")
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
    if min(out_hw) <= 0:
        shown = out_hw[1:] if one_d else out_hw
        raise RuntimeError(f"interpolate: input and output sizes should be greater than 0, but got input "
                           f"{tuple(input.shape[2:])} and output {shown}")
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
        t = Tensor._make(get_array_module(x._data).asarray(frac.reshape(shape)))
        y = y.index_select(dim, Tensor._make(lo)) * (1 - t) + y.index_select(dim, Tensor._make(hi)) * t
    return y.squeeze(2) if one_d else y
