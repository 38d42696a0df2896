"""Attention: every query takes a softmax-weighted average of the values, weighted by how well it
matches each key.

For queries Q (L×E), keys K (S×E) and values V (S×Eᵥ), scaled dot-product attention is

    O = softmax(s·Q Kᵀ + M) V

with the softmax over the keys (each row of weights sums to one), s = 1/√E by default, and M an
additive mask: 0 where a query may look at a key, −∞ where it may not (a causal mask hides the keys
after each query). It is one primitive rather than five ops (matmul, scale, add, softmax, matmul)
because neither its forward nor its derivative needs the whole L×S matrix of weights at once, nor
the softmax's Jacobian: both walk over blocks of query rows, as FlashAttention does, so the memory
they keep is linear in the sequence lengths, and a causal mask skips the blocks of keys that no query
of the block can see. The batch and head dimensions are NumPy batch dimensions: each product is one
batched GEMM (see :class:`ScaledDotProductAttention`).
"""
from __future__ import annotations

import numpy as np

from nnmath.autograd.function import Function
from nnmath.autograd.grad_mode import state
from nnmath.backend import get_array_module, on_device_of, run_kernel
from nnmath.ops._util import row_sum
from nnmath.ops.elementwise import exp
from nnmath.ops.products import matmul
from nnmath.ops.shape import cat
from nnmath.parallel import parallel_for, shares_threads
from nnmath.tensor import Tensor

__all__ = ["attention"]

#: A block of attention weights holds about this many numbers (4 MB of float32, shared by the threads'
#: pieces of the batch). Its rows are the M of each head's products: against 2¹⁸, measured in
#: alternation on (12, 4, T, 32), forward and backward, 2 threads: T = 64 4.0 ms against 4.6, T = 256
#: 27.7 against 35.2, T = 512 92 against 128 (fastest of 8–12 runs each).
_BLOCK_ELEMENTS = 2 ** 20


def _row_blocks(batch: tuple, L: int, S: int, causal: bool):
    """Yield (r0, r1, e): the query rows r0:r1 of a block and the keys 0:e its rows may see
    (all S, or under the top-left causal mask the keys j ≤ r1 − 1)."""
    per_row = max(1, int(np.prod(batch, dtype=np.int64)) * S)
    rows = int(min(max(L, 1), max(16, 2 ** int(np.log2(max(1, _BLOCK_ELEMENTS // per_row))))))
    for r0 in range(0, L, rows):
        r1 = min(r0 + rows, L)
        yield r0, r1, min(r1, S) if causal else S


def _block_scores(scaled_q, k, mask, causal: bool, r0: int, r1: int, e: int) -> np.ndarray:
    """S = (s·Q)[r0:r1] K[:e]ᵀ + M[r0:r1, :e], and −∞ above the diagonal when ``causal``."""
    scores = np.matmul(scaled_q[..., r0:r1, :], np.swapaxes(k[..., :e, :], -1, -2))
    if mask is not None:
        rows = slice(r0, r1) if mask.shape[-2] != 1 else slice(None)  # a size-1 axis broadcasts whole
        keys = slice(0, e) if mask.shape[-1] != 1 else slice(None)
        block = mask[..., rows, keys]
        if np.broadcast_shapes(scores.shape, block.shape) == scores.shape:
            scores += block
        else:
            scores = scores + block
    if causal and e > r0 + 1:
        # −∞ where key j > query r0 + i, added over the flattened block: one long loop is several times
        # faster than one short loop per row for the (rows × rows) corner that can be hidden
        xp = get_array_module(scores)
        above = xp.triu(xp.full((r1 - r0, e), -np.inf, dtype=scores.dtype), r0 + 1)
        scores.reshape(-1, above.size)[...] += above.reshape(-1)
    return scores


def _dropout_rows(seed: int, r0: int, shape: tuple, p: float, like):
    """Z for the query rows starting at r0 (shape (…, rows, S)), on the device and of the dtype of ``like``:
    [u ≥ p] / (1 − p), u uniform from the host stream (seed, r0), so that a block's Z is the same whenever,
    however and wherever it is rebuilt."""
    keep = np.random.default_rng((seed, r0)).random(shape, dtype=np.float32) >= p
    return on_device_of(keep * like.dtype.type(0.0 if p >= 1.0 else 1.0 / (1.0 - p)), like)


class ScaledDotProductAttention(Function):
    """Forward:  S = s·Q Kᵀ + M  (−∞ above the diagonal if causal),  ℓ = log Σⱼ e^(Sⱼ) per query
              (ℓ = 0 where every key is masked),  P = e^(S − ℓ)  (the softmax over the keys; 0 on a
              fully masked row),  O = (P ⊙ Z) V  (Z: dropout's mask scaled by 1/(1 − p), or 1).
              Outputs O and ℓ.
    VJP:      V̄ = (P ⊙ Z)ᵀ Ō
              S̄ = P ⊙ (Z ⊙ (Ō Vᵀ) − Δ + ℓ̄),   Δ = Σ_d Ō ⊙ O   (one number per query)
              Q̄ = s·S̄ K,   K̄ = s·S̄ᵀ Q,   M̄ = S̄

    The softmax Jacobian J = diag(P) − P Pᵀ is never formed: Jᵀ g = P ⊙ (g − Σⱼ Pⱼ gⱼ), and for
    g = Z ⊙ (Ō Vᵀ) the sum is Σⱼ (P ⊙ Z)ⱼ (Ō Vᵀ)ⱼ = Σ_d Ō ⊙ ((P ⊙ Z) V) = Σ_d Ō ⊙ O: a dot product of
    length Eᵥ per query instead of one of length S.

    Forward and backward walk over blocks of query rows (:func:`_row_blocks`): a block's weights
    are computed, used and dropped, so what is saved for backward is Q, K, V, M, O and ℓ (linear in
    L and S); the backward recomputes each block's P from ℓ in one pass. Under a causal mask a block
    of rows r0:r1 reads only the keys 0:r1. That backward is NumPy; when a graph of the derivative
    is being recorded (``create_graph=True``) the same VJP is computed with differentiable ops instead
    (O and ℓ come back as this node's outputs), so second derivatives work.
    """

    @staticmethod
    def forward(ctx, q, k, v, mask, scale, causal, dropout_p, seed):
        ctx.set_materialize_grads(False)
        ctx.scale, ctx.causal, ctx.dropout_p, ctx.seed = scale, causal, dropout_p, seed
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2], () if mask is None else mask.shape[:-2])
        xp = get_array_module(q)
        out = _zeros_in_order_of(q, batch + (q.shape[-2], v.shape[-1]), q.dtype)
        lse = xp.zeros(batch + (q.shape[-2],), dtype=q.dtype)
        run_kernel(_forward_kernel, q * q.dtype.type(scale), k, v, mask, causal, dropout_p, seed, out=(out, lse))
        ctx.save_for_backward(q, k, v, out, lse, *(() if mask is None else (mask,)))
        return out, lse

    @staticmethod
    def backward(ctx, g_out, g_lse):
        q, k, v, out, lse, *mask = ctx.saved_tensors
        mask = mask[0] if mask else None
        if state.enabled:  # create_graph=True: a graph of this derivative is being recorded
            return _differentiable_vjp(ctx, q, k, v, mask, out, lse, g_out, g_lse) + (None,) * 4
        arrays = [None if t is None else t._data for t in (q, k, v, mask, out, lse, g_out, g_lse)]
        return tuple(None if g is None else Tensor._make(g) for g in _blocked_vjp(ctx, *arrays)) + (None,) * 4


def _zeros_in_order_of(x, shape: tuple, dtype):
    """Zeros of ``shape`` (x's shape, or its batch broadcast) laid out in memory in the order of x's axes
    (PyTorch's ``preserve_format``). Heads split off a (B, T, C) projection, q of shape (B, H, T, d) stored
    as (B, T, H, d), give O and Q̄ stored that way too: ``O.transpose(1, 2).reshape(B, T, C)`` and the
    gradient's way back to the projection are then views, not copies."""
    xp = get_array_module(x)
    if x.ndim == len(shape):
        return xp.zeros_like(x, dtype=dtype, shape=shape)
    return xp.zeros(shape, dtype=dtype)


def _broadcast_batch(batch: tuple, *arrays):
    """Each array (or None) as a read-only view of the batch shape ``batch`` + its own last two dims."""
    return [None if x is None else get_array_module(x).broadcast_to(x, batch + x.shape[-2:]) for x in arrays]


def _over_batch(batch: tuple, items, sample) -> None:
    """Call ``items(part)`` for index tuples ``part`` that together cover the batch: pieces of the first
    batch axis longer than one, run on this process's threads (:func:`nnmath.parallel.parallel_for`)
    when ``sample`` :func:`~nnmath.parallel.shares_threads`; the blocks of query rows, and so the
    dropout masks, are those of the whole batch either way."""
    axis = next((i for i, n in enumerate(batch) if n > 1), None)
    if axis is None or not shares_threads(sample):
        items(...)
        return
    parallel_for(batch[axis], lambda lo, hi: items((slice(None),) * axis + (slice(lo, hi),)))


def _forward_kernel(scaled_q, k, v, mask, causal, dropout_p, seed, *, out):
    """O and ℓ into ``out`` = (O, ℓ), of the whole batch, on this process's threads (a kernel:
    :func:`nnmath.backend.run_kernel`)."""
    o, lse = out
    batch = lse.shape[:-1]
    scaled_q, k, v, mask = _broadcast_batch(batch, scaled_q, k, v, mask)

    def items(part):
        _forward_blocks(causal, dropout_p, seed, batch, part, scaled_q[part], k[part], v[part],
                        None if mask is None else mask[part], o[part], lse[part])
    _over_batch(batch, items, o)
    return out


#: A head's weights in a block are e^(S − M) with one shift M, the largest score of the head's block (one
#: long reduction per head instead of one per row, whose short rows NumPy reduces slowly), except on a
#: row whose weights then sum to less than this, or to NaN: its own largest score lies more than 20 below
#: M (e^(S − M) would lose its smaller weights to subnormal numbers), or its scores are not finite. Such
#: rows are computed again with their own maximum. Each row's numbers depend on its head alone, so they
#: are the same however the heads are split over threads.
SHARED_SHIFT_FLOOR = float(np.exp(-20.0))


def _forward_blocks(causal, dropout_p, seed, batch, part, scaled_q, k, v, mask, out, lse):
    """O and ℓ of the batch items ``part`` (of ``batch``), written into ``out`` and ``lse``, block by block."""
    L, S = scaled_q.shape[-2], k.shape[-2]
    for r0, r1, e in _row_blocks(batch, L, S, causal):
        weights = _block_scores(scaled_q, k, mask, causal, r0, r1, e)
        total, shift = _exp_shifted(weights, scaled_q, k, mask, causal, r0, r1, e)
        lse[..., r0:r1] = (shift + np.log(total))[..., 0]
        if dropout_p > 0:
            weights *= _dropout_rows(seed, r0, batch + (r1 - r0, S), dropout_p, scaled_q)[part][..., :e]
        whole = r1 - r0 == L  # one block: write into O directly (a strided block would be copied anyway)
        rows = np.matmul(weights, v[..., :e, :], out=out if whole else None)
        rows /= total  # O = (e^(S−m) ⊙ Z) V / Σ e^(S−m)
        if not whole:
            out[..., r0:r1, :] = rows


def _exp_shifted(weights, scaled_q, k, mask, causal: bool, r0: int, r1: int, e: int):
    """weights ← e^(S − m) in place, m each head's shift (``SHARED_SHIFT_FLOOR``) or a row's own maximum;
    returns (Σ per row, m per row or per head)."""
    if not e:
        return _exp_row_shifts(weights)
    xp = get_array_module(weights)
    top = weights.max(axis=(-2, -1), keepdims=True)
    odd = ~xp.isfinite(top)  # a head whose largest score is ±∞ or NaN: every row of it is taken again below
    top[odd] = 0
    weights -= top
    np.exp(weights, out=weights)
    total = row_sum(weights)
    failing = ~(total >= SHARED_SHIFT_FLOOR) | odd
    if not failing.any():
        return total, top
    again = _block_scores(scaled_q, k, mask, causal, r0, r1, e)
    total_again, row_max = _exp_row_shifts(again)
    np.copyto(weights, again, where=failing)
    return xp.where(failing, total_again, total), xp.where(failing, row_max, top)


def _exp_row_shifts(weights):
    """weights ← e^(S − mᵢ), mᵢ each row's largest score (0 for a row where every key is masked, whose
    weights stay 0); returns (Σ per row, m), with Σ = 1 on such a row so that ℓ = 0 there."""
    xp = get_array_module(weights)
    row_max = (weights.max(axis=-1, keepdims=True) if weights.shape[-1] else
               xp.full(weights.shape[:-1] + (1,), -np.inf, dtype=weights.dtype))
    masked = xp.isneginf(row_max)  # every key masked (or none): the row's weights are all 0
    row_max[masked] = 0
    weights -= row_max
    np.exp(weights, out=weights)
    total = row_sum(weights)
    total[masked] = 1
    return total, row_max


def _blocked_vjp(ctx, q, k, v, mask, out, lse, g_out, g_lse):
    """The VJP block by block on arrays; returns (Q̄, K̄, V̄, M̄) of the broadcast batch shape (the
    engine sums each back to its input's shape)."""
    need_q, need_k, need_v, need_mask = ctx.needs_input_grad[:4]
    batch, L, S = lse.shape[:-1], q.shape[-2], k.shape[-2]
    grads = [_zeros_in_order_of(x, batch + x.shape[-2:], q.dtype) if need else None
             for need, x in ((need_q, q), (need_k, k), (need_v, v))]
    grads.append(get_array_module(q).zeros(batch + (L, S), dtype=q.dtype) if need_mask else None)
    run_kernel(_backward_kernel, q * q.dtype.type(ctx.scale), k, v, mask, out, lse, g_out, g_lse, ctx.scale, ctx.causal,
               ctx.dropout_p, ctx.seed, out=tuple(grads))
    return grads


def _backward_kernel(scaled_q, k, v, mask, o, lse, g_out, g_lse, scale, causal, dropout_p, seed, *, out):
    """Q̄, K̄, V̄, M̄ into ``out`` (zeros, or None where not needed), of the whole batch, on this process's
    threads (a kernel: :func:`nnmath.backend.run_kernel`)."""
    batch = lse.shape[:-1]
    scaled_q, k, v, mask = _broadcast_batch(batch, scaled_q, k, v, mask)

    def items(part):
        _backward_blocks(scale, causal, dropout_p, seed, batch, part, scaled_q[part], k[part], v[part],
                         None if mask is None else mask[part], o[part], lse[part],
                         None if g_out is None else g_out[part], None if g_lse is None else g_lse[part],
                         *(None if g is None else g[part] for g in out))
    _over_batch(batch, items, lse)
    return out


def _backward_blocks(scale, causal, dropout_p, seed, batch, part, scaled_q, k, v, mask, out, lse, g_out, g_lse,
                     gq, gk, gv, gm):
    """Q̄, K̄, V̄, M̄ of the batch items ``part`` (of ``batch``), written into ``gq``, ``gk``, ``gv``, ``gm``
    (those not needed are None), block by block.

    The per-query terms are folded into the products as one more column: S − ℓ = [s·Q, −ℓ] [K, 1]ᵀ and,
    without dropout, Ō Vᵀ − Δ + ℓ̄ = [Ō, ℓ̄ − Δ] [V, 1]ᵀ. A product with 33 columns instead of 32 took the
    same time, and the subtraction of a number per row, which NumPy loops over row by row, is gone
    (measured: 951 against 1,264 µs for 48 heads of 64 × 256 scores)."""
    L, S = scaled_q.shape[-2], k.shape[-2]
    shifted_q, k_ones = _with_column(scaled_q, -lse), _with_column(k, 1)
    g_folded = v_ones = None
    if g_out is not None and dropout_p == 0:
        column = -row_sum(g_out, 1, out)[..., 0]
        g_folded, v_ones = _with_column(g_out, column if g_lse is None else column + g_lse), _with_column(v, 1)
    delta = None if g_out is None or g_folded is not None else row_sum(g_out, 1, out)
    for r0, r1, e in _row_blocks(batch, L, S, causal):
        weights = _block_scores(shifted_q, k_ones, mask, causal, r0, r1, e)
        np.exp(weights, out=weights)  # P
        if g_folded is not None:
            if gv is not None:
                gv[..., :e, :] += np.matmul(np.swapaxes(weights, -1, -2), g_out[..., r0:r1, :])
            g_weights = np.matmul(g_folded[..., r0:r1, :], np.swapaxes(v_ones[..., :e, :], -1, -2))
        else:
            g_weights = _score_grads_unfolded(seed, dropout_p, batch, part, S, v, g_out, g_lse, delta, weights,
                                              gv, r0, r1, e)
        g_weights = np.multiply(weights, g_weights, out=weights)  # S̄ (P is not needed any more)
        if gq is not None and r1 - r0 == L:
            np.matmul(g_weights, k[..., :e, :], out=gq)
        elif gq is not None:
            gq[..., r0:r1, :] = np.matmul(g_weights, k[..., :e, :])
        if gk is not None:
            gk[..., :e, :] += np.matmul(np.swapaxes(g_weights, -1, -2), scaled_q[..., r0:r1, :])
        if gm is not None:
            gm[..., r0:r1, :e] = g_weights
    if gq is not None:
        gq *= scaled_q.dtype.type(scale)


def _with_column(a, column):
    """[a, column]: a with one more column on its last axis (``column`` broadcast to a's other axes)."""
    xp = get_array_module(a)
    wider = xp.empty(a.shape[:-1] + (a.shape[-1] + 1,), dtype=a.dtype)
    wider[..., :-1] = a
    wider[..., -1] = column
    return wider


def _score_grads_unfolded(seed, dropout_p, batch, part, S, v, g_out, g_lse, delta, weights, gv, r0, r1, e):
    """Z ⊙ (Ō Vᵀ) − Δ + ℓ̄ of a block (with dropout, or without Ō), adding (P ⊙ Z)ᵀ Ō to ``gv``."""
    g_weights = 0.0
    if g_out is not None:
        g_block = g_out[..., r0:r1, :]
        dropped, keep = weights, None
        if dropout_p > 0:
            keep = _dropout_rows(seed, r0, batch + (r1 - r0, S), dropout_p, weights)[part][..., :e]
            dropped = weights * keep
        if gv is not None:
            gv[..., :e, :] += np.matmul(np.swapaxes(dropped, -1, -2), g_block)
        g_weights = np.matmul(g_block, np.swapaxes(v[..., :e, :], -1, -2))
        if keep is not None:
            g_weights *= keep
        g_weights -= delta[..., r0:r1, :]
    if g_lse is not None:
        g_weights = g_weights + g_lse[..., r0:r1, None]
    return g_weights


def _differentiable_vjp(ctx, q, k, v, mask, out, lse, g_out, g_lse):
    """The same VJP as :func:`_blocked_vjp`, all rows at once, with differentiable ops (for create_graph)."""
    dtype = q._data.dtype
    batch, L, S = tuple(lse.shape[:-1]), q.shape[-2], k.shape[-2]
    scaled_q = q * ctx.scale
    scores = matmul(scaled_q, k.mT)
    if mask is not None:
        scores = scores + mask
    if ctx.causal:
        xp = get_array_module(q._data)
        scores = scores + Tensor._make(xp.triu(xp.full((L, S), -np.inf, dtype=dtype), 1))
    weights = exp(scores - lse.unsqueeze(-1))
    dropped, keep = weights, None
    if ctx.dropout_p > 0:
        keep = cat([Tensor._make(_dropout_rows(ctx.seed, r0, batch + (r1 - r0, S), ctx.dropout_p, q._data))
                    for r0, r1, _ in _row_blocks(batch, L, S, ctx.causal)], -2)
        dropped = weights * keep
    g_scores = None
    if g_out is not None:
        g_weights = matmul(g_out, v.mT)
        if keep is not None:
            g_weights = g_weights * keep
        g_scores = g_weights - (g_out * out).sum(-1, keepdim=True)
    if g_lse is not None:
        g_scores = g_lse.unsqueeze(-1) if g_scores is None else g_scores + g_lse.unsqueeze(-1)
    g_scores = weights * g_scores
    need_q, need_k, need_v, need_mask = ctx.needs_input_grad[:4]
    gq = matmul(g_scores, k) * ctx.scale if need_q else None
    gk = matmul(g_scores.mT, scaled_q) if need_k else None
    gv = matmul(dropped.mT, g_out) if need_v and g_out is not None else None
    return gq, gk, gv, g_scores if need_mask else None


def attention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None, scale: float, is_causal: bool = False,
              dropout_p: float = 0.0, seed: int = 0) -> Tensor:
    """softmax(scale·Q Kᵀ + M) V with an additive float mask M (at least 2-D, or None) of the query's
    dtype, a top-left causal mask when ``is_causal``, and dropout on the weights drawn from ``seed``.
    Arguments are not checked here: :func:`nnmath.nn.functional.scaled_dot_product_attention` is the
    public entry point."""
    out, _ = ScaledDotProductAttention.apply(query, key, value, mask, scale, is_causal, dropout_p, seed)
    return out
