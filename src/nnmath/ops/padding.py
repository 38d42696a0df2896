"""Padding: a tensor surrounded by a constant, or by its own reflected, replicated or wrapped edges.

Constant padding is one primitive whose VJP crops the padding away; the other modes select
elements by index (``index_select``), so their VJP adds each padded copy's gradient back to its
source element.
"""
from __future__ import annotations

import numpy as np

from nnmath.autograd.function import Function
from nnmath.ops.indexing import index_select
from nnmath.tensor import Tensor


class ConstantPad(Function):
    """Forward:  y = x surrounded by ``value`` (pad widths per dimension)
    VJP:      x̄ = the interior of ȳ (the padding's gradient goes nowhere)"""

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, gy):
        return gy[ctx.crop]



def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dimensions: ``pad = (left, right, top, bottom, …)`` from the last
    dimension backwards, as PyTorch's ``F.pad``. Modes: constant, reflect, replicate, circular.
    Negative widths crop."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got {len(pad)}")
    k = len(pad) // 2
    if k > input.ndim:
        raise RuntimeError(f"pad: padding length {len(pad)} is too large for a {input.ndim}-D input "
                           f"(at most {2 * input.ndim})")
    widths = [(0, 0)] * (input.ndim - k) + [(pad[2 * i], pad[2 * i + 1]) for i in range(k)][::-1]
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(widths, input.shape))
        input = input[crop]
        widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    if mode == "constant":
        return ConstantPad.apply(input, tuple(widths), 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: mode {mode!r} is not one of 'constant', 'reflect', 'replicate', 'circular'")
    out = input
    for d, (lo, hi) in enumerate(widths):
        if lo == hi == 0:
            continue
        n = out.shape[d]
        idx = np.arange(-lo, n + hi)
        if mode == "reflect":
            if lo >= n or hi >= n:
                raise RuntimeError(f"pad: reflect padding ({lo}, {hi}) must be smaller than dimension {d}'s "
                                   f"size {n}")
            period = 2 * (n - 1) if n > 1 else 1
            idx = np.abs(idx) % period
            idx = np.where(idx >= n, period - idx, idx)
        elif mode == "replicate":
            idx = np.clip(idx, 0, n - 1)
        else:
            idx = idx % n
        out = index_select(out, d, Tensor._make(idx))
    return out


__all__ = ["pad"]
