"""Fitting a gradient to its input: the derivatives of broadcasting and of dtype conversion.

An op may broadcast its inputs and may compute in another dtype than an input's; the gradient it
returns then has the output's shape and dtype. The engine fits it back to the input, in this one
place, with three primitives that are each other's derivatives:

- ``broadcast_to`` repeats along dimensions of size 1; its VJP is ``sum_to`` (a sum over the copies);
- ``sum_to`` sums over the dimensions broadcasting added; its VJP is ``broadcast_to``;
- ``cast`` converts the dtype; its VJP converts back.

They live here, below the ops, because the engine needs them; :mod:`nnmath.ops.shape` and
:mod:`nnmath.ops.elementwise` offer them to users alongside the other shape and elementwise ops.
"""
from __future__ import annotations

import numpy as np

from nnmath import dtypes
from nnmath.autograd.function import Function


class BroadcastTo(Function):
    """Forward:  y = x repeated along dimensions of size 1 (and new leading ones) to shape s
    VJP:      x̄ = sum_to(ȳ, x.shape)"""
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, gy):
        return sum_to(gy, ctx.shape)


class SumTo(Function):
    """Forward:  y = x summed over the dimensions broadcasting added or expanded, to shape s
    VJP:      x̄ = broadcast_to(ȳ, x.shape)"""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return _sum_to_array(x, shape)

    @staticmethod
    def backward(ctx, gy):
        return broadcast_to(gy, ctx.shape)


def _sum_to_array(x, shape):
    lead = x.ndim - len(shape)
    if lead < 0:
        raise ValueError(f"sum_to: cannot sum shape {x.shape} to the larger {tuple(shape)}")
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1)
    for i, s in enumerate(shape):
        if s != 1 and x.shape[lead + i] != s:
            raise ValueError(f"sum_to: shape {x.shape} does not reduce to {tuple(shape)}")
    y = x.sum(axis=axes, keepdims=True) if axes else x
    return y.reshape(shape)


class Cast(Function):
    """Forward:  y = x converted to another dtype
    VJP:      x̄ = ȳ converted back to x's dtype (no gradient into integer tensors)"""

    widens_bfloat16 = False  # from and to bfloat16 exactly: the result has the dtype asked for

    @staticmethod
    def forward(ctx, x, np_dtype):
        ctx.src = x.dtype
        return x.astype(np_dtype)

    @staticmethod
    def backward(ctx, gy):
        return cast(gy, ctx.src)


def broadcast_to(input, shape):
    """Repeat along dimensions of size 1 (and new leading dims) to reach ``shape``."""
    shape = tuple(shape)
    if tuple(input.shape) == shape:
        return input
    try:
        return BroadcastTo.apply(input, shape)
    except ValueError:
        raise RuntimeError(f"broadcast_to: shape {tuple(input.shape)} cannot be broadcast to {shape} "
                           f"(sizes must match or be 1)") from None


def sum_to(input, shape):
    """Sum over broadcast dimensions so that the result has ``shape``: the VJP of broadcasting."""
    shape = tuple(shape)
    if tuple(input.shape) == shape:
        return input
    return SumTo.apply(input, shape)


def cast(input, dtype):
    """``input`` converted to ``dtype`` (differentiable between floating types); itself if it has it."""
    np_dtype = dtypes.to_dtype(dtype).np
    if input._data.dtype == np_dtype:
        return input
    return Cast.apply(input, np_dtype)
