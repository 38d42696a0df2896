"""Layer normalisation as one op: each sample is centred and scaled to unit variance over its last
dimensions, then given a learned scale γ and shift β.

Composed of ops it is a dozen ops forward and two dozen backward, each allocating its result; as one
op the forward and the VJP below each make a handful of passes, in place where possible, which
matters in a Transformer, where every block normalises twice.
"""
from __future__ import annotations

import numpy as np

from nnmath.autograd.function import Function
from nnmath.autograd.grad_mode import state
from nnmath.ops import reduction
from nnmath.ops._util import row_sum
from nnmath.ops.elementwise import rsqrt
from nnmath.parallel import split_rows
from nnmath.tensor import Tensor

__all__ = ["layer_norm"]


class LayerNorm(Function):
    """Forward:  μ = mean(x),  σ² = mean((x − μ)²),  r = 1/√(σ² + ε),  x̂ = (x − μ) r,  y = x̂ ⊙ γ + β
              (means over the normalised trailing dimensions D; γ, β optional)
    VJP:      ĝ = ȳ ⊙ γ,   x̄ = r (ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)),
              γ̄ = Σ_batch ȳ ⊙ x̂,   β̄ = Σ_batch ȳ

    The VJP is the chain rule through x̂ = (x − μ) r with ∂μ/∂x = 1/|D| and ∂r/∂x = −r³ (x − μ)/|D|,
    both projections collapsing into the two means. backward() evaluates it in NumPy from the saved
    x̂ and r; when a graph of the derivative is recorded (``create_graph=True``) the same formula is
    built from differentiable ops on x, so second derivatives work.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, dims, eps):
        ctx.dims, ctx.eps = dims, eps
        normalised, y = np.empty_like(x), np.empty_like(x)
        ctx.rstd = np.empty_like(x, shape=x.shape[:x.ndim - len(dims)] + (1,) * len(dims))
        _over_rows(ctx, _forward_rows, (x,), (normalised, ctx.rstd, y), weight=weight, bias=bias, dims=dims,
                   eps=x.dtype.type(eps))
        ctx.normalised = normalised
        ctx.save_for_backward(x, *(() if weight is None else (weight,)))
        ctx.has_weight = weight is not None
        return y

    @staticmethod
    def backward(ctx, gy):
        x, *weight = ctx.saved_tensors
        weight = weight[0] if weight else None
        if state.enabled:  # create_graph=True: a graph of this derivative is being recorded
            return _differentiable_vjp(ctx, x, weight, gy) + (None, None)
        return tuple(None if g is None else Tensor._make(g) for g in _vjp(ctx, weight, gy._data)) + (None, None)


def _batch_axes(ctx, ndim: int) -> tuple:
    return tuple(range(ndim - len(ctx.dims)))


def _forward_rows(x, normalised, rstd, y, *, weight, bias, dims, eps):
    """x̂ and r of the rows of x into ``normalised`` and ``rstd``, and y = x̂ ⊙ γ + β into ``y``."""
    per_row = x.dtype.type(1 / np.prod([x.shape[d] for d in dims]))
    np.subtract(x, row_sum(x, len(dims)) * per_row, out=normalised)
    np.multiply(row_sum(normalised, len(dims), normalised), per_row, out=rstd)
    rstd += eps
    np.reciprocal(np.sqrt(rstd, out=rstd), out=rstd)
    normalised *= rstd
    if weight is not None:
        np.multiply(normalised, weight, out=y)
    else:
        y[...] = normalised
    if bias is not None:
        y += bias


def _input_grad_rows(gy, normalised, rstd, g, *, weight, dims):
    """x̄ = r (ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)) of the rows, ĝ = ȳ ⊙ γ, into ``g``."""
    if weight is not None:
        np.multiply(gy, weight, out=g)
    else:
        g[...] = gy
    per_row = g.dtype.type(1 / np.prod([g.shape[d] for d in dims]))
    mean_gx = row_sum(g, len(dims), normalised) * per_row
    g -= row_sum(g, len(dims)) * per_row
    g -= normalised * mean_gx
    g *= rstd


def _over_rows(ctx, rows, inputs, outputs, **shared) -> None:
    """``rows`` over pieces of the first batch axis on this process's threads
    (:func:`nnmath.parallel.split_rows`); whole when every axis is normalised."""
    if len(ctx.dims) < inputs[0].ndim:
        split_rows(rows, inputs, outputs, **shared)
    else:
        rows(*inputs, *outputs, **shared)


def _vjp(ctx, weight, gy):
    """x̄, γ̄, β̄ on arrays from the saved x̂ and r."""
    need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
    normalised, dims = ctx.normalised, ctx.dims
    g_weight = (gy * normalised).sum(axis=_batch_axes(ctx, gy.ndim)) if need_weight else None
    g_bias = gy.sum(axis=_batch_axes(ctx, gy.ndim)) if need_bias else None
    gx = None
    if need_x:
        gx = np.empty_like(normalised)
        _over_rows(ctx, _input_grad_rows, (np.broadcast_to(gy, normalised.shape), normalised, ctx.rstd), (gx,),
                   weight=None if weight is None else weight._data, dims=dims)
    return gx, g_weight, g_bias


def _differentiable_vjp(ctx, x, weight, gy):
    """The same VJP from differentiable ops on x (x̂ and r recomputed), for create_graph."""
    need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
    dims, batch = ctx.dims, _batch_axes(ctx, x.ndim)
    centred = x - reduction.mean(x, dims, keepdim=True)
    rstd = rsqrt(reduction.mean(centred * centred, dims, keepdim=True) + ctx.eps)
    normalised = centred * rstd
    over_batch = (lambda t: reduction.sum(t, batch)) if batch else (lambda t: t)  # sum(t, ()) would sum all
    g_weight = over_batch(gy * normalised) if need_weight else None
    g_bias = over_batch(gy) if need_bias else None
    gx = None
    if need_x:
        g = gy * weight if weight is not None else gy
        gx = (g - reduction.mean(g, dims, keepdim=True)
              - normalised * reduction.mean(g * normalised, dims, keepdim=True)) * rstd
    return gx, g_weight, g_bias


def layer_norm(input: Tensor, normalized_ndim: int, weight: Tensor | None, bias: Tensor | None, eps: float) -> Tensor:
    """(x − μ)/√(σ² + ε) ⊙ γ + β over the last ``normalized_ndim`` dimensions (shapes checked by the caller)."""
    dims = tuple(range(input.ndim - normalized_ndim, input.ndim))
    return LayerNorm.apply(input, weight, bias, dims, eps)
