"""Embedding: row lookup in a table of vectors, and its transpose, the scatter-add of row gradients.

For a table W of shape (V, D) and integer ids k of any shape, ``y[...] = W[k[...]]``. The derivative
with respect to W adds each output gradient into the row it was read from; ids equal to
``padding_idx`` contribute nothing, and with ``scale_grad_by_freq`` each id's contribution is divided
by how often that id occurs in the batch.
"""
from __future__ import annotations

import numpy as np

from nnmath.autograd.function import Function
from nnmath.backend import get_array_module
from nnmath.tensor import Tensor

__all__ = ["embedding"]


class EmbeddingLookup(Function):
    """Forward:  y[i] = W[kᵢ]
    VJP:      W̄ = Σᵢ sᵢ · ȳ[i] eₖᵢ   (scatter-add of the rows: :class:`EmbeddingScatter`)

    ``grad_scale`` s (an array shaped like the ids, or None for sᵢ = 1) only shapes the gradient:
    sᵢ = 0 at ``padding_idx``, sᵢ = 1/count(kᵢ) with ``scale_grad_by_freq``.
    """

    @staticmethod
    def forward(ctx, weight, ids, grad_scale):
        ctx.num_embeddings, ctx.ids, ctx.grad_scale = weight.shape[0], ids, grad_scale
        return weight[ids]

    @staticmethod
    def backward(ctx, gy):
        return EmbeddingScatter.apply(gy, ctx.ids, ctx.num_embeddings, ctx.grad_scale), None, None


class EmbeddingScatter(Function):
    """Forward:  W̄ = zeros(V, D);  W̄[kᵢ] += sᵢ · ȳ[i]   (the transpose of :class:`EmbeddingLookup`)
    VJP:      ȳ̄[i] = sᵢ · W̄̄[kᵢ]"""

    @staticmethod
    def forward(ctx, gy, ids, num_embeddings, grad_scale):
        ctx.ids, ctx.grad_scale = ids, grad_scale
        rows = gy.reshape(-1, gy.shape[-1])
        if grad_scale is not None:
            rows = rows * grad_scale.reshape(-1, 1)
        flat_ids = ids.reshape(-1)
        # Sorting the ids turns the scatter-add into contiguous segment sums (np.add.reduceat),
        # much faster than np.add.at's unbuffered per-element loop.
        order = np.argsort(flat_ids, kind="stable")
        sorted_ids = flat_ids[order]
        module = get_array_module(gy)
        gw = module.zeros((num_embeddings, gy.shape[-1]), dtype=gy.dtype)
        if sorted_ids.size:
            first = module.ones(1, dtype=bool)
            starts = np.flatnonzero(module.concatenate((first, sorted_ids[1:] != sorted_ids[:-1])))
            gw[sorted_ids[starts]] = np.add.reduceat(rows[order], starts, axis=0)
        return gw

    @staticmethod
    def backward(ctx, ggw):
        ggy = EmbeddingLookup.apply(ggw, ctx.ids, None)
        if ctx.grad_scale is not None:
            ggy = ggy * Tensor._make(ctx.grad_scale[..., None])
        return ggy, None, None, None


def _check_ids(input: Tensor, num_embeddings: int) -> np.ndarray:
    ids = input._data
    if ids.dtype.kind not in "iu":
        raise RuntimeError(f"embedding: expected the indices to be an integer tensor (Long or Int), "
                           f"got {input.dtype}")
    if ids.size and ((ids < 0) | (ids >= num_embeddings)).any():   # one boolean (a compiled step's guard)
        low, high = int(ids.min()), int(ids.max())
        bad = low if low < 0 else high
        raise IndexError(f"embedding: index {bad} is out of range for num_embeddings={num_embeddings} "
                         f"(valid ids are 0 … {num_embeddings - 1})")
    return ids


def _gradient_scale(ids, padding_idx, scale_grad_by_freq, dtype):
    """sᵢ for the backward: 0 where kᵢ = padding_idx, 1/count(kᵢ) with scale_grad_by_freq, else 1."""
    if padding_idx is None and not scale_grad_by_freq:
        return None
    scale = get_array_module(ids).ones(ids.shape, dtype=dtype)
    if scale_grad_by_freq:
        _, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
        scale = scale / counts[inverse.reshape(ids.shape)].astype(dtype)
    if padding_idx is not None:
        scale[ids == padding_idx] = 0
    return scale


def _renorm_rows_(weight: Tensor, ids: np.ndarray, max_norm: float, norm_type: float) -> None:
    """In place, rescale each looked-up row whose p-norm exceeds max_norm to norm max_norm (as PyTorch:
    factor max_norm / (‖w‖ + 1e-7)), without recording a gradient."""
    rows = np.unique(ids)
    table = weight._data
    norms = np.linalg.norm(table[rows], ord=norm_type, axis=1)
    too_long = norms > max_norm
    table[rows[too_long]] *= (max_norm / (norms[too_long] + 1e-7))[:, None].astype(table.dtype)
    weight._vc.value += 1  # an in-place change: graphs that saved the old table must notice


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """y[...] = weight[input[...]]: rows of a (num_embeddings, embedding_dim) table, one per id.

    padding_idx: that row gets no gradient. max_norm: rows looked up with a larger ``norm_type``-norm
    are rescaled to max_norm in place first. scale_grad_by_freq: each id's gradient is divided by its
    frequency in ``input``. ``sparse`` gradients are not supported (dense ones are returned).
    """
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported; use sparse=False")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: 'weight' must be 2-D (num_embeddings, embedding_dim), got shape "
                           f"{tuple(weight.shape)}")
    num_embeddings = weight.shape[0]
    ids = _check_ids(input, num_embeddings)
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num_embeddings
    if max_norm is not None:
        _renorm_rows_(weight, ids, max_norm, norm_type)
    grad_scale = _gradient_scale(ids, padding_idx, scale_grad_by_freq, weight._data.dtype)
    return EmbeddingLookup.apply(weight, ids, grad_scale)
