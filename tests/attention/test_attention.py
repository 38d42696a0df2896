"""F.scaled_dot_product_attention beyond the op table: fully masked rows, −∞ masks, long sequences cut
into blocks of query rows (against PyTorch and against the unblocked differentiable VJP), memory kept
for backward, dropout's statistics, and PyTorch's errors with clearer messages."""
from __future__ import annotations

import numpy as np
import pytest

import nnmath
import nnmath.nn.functional as F
from nnmath.ops import attention as attention_ops

torch = pytest.importorskip("torch")


def arrays(*shapes, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) * scale for s in shapes]


def both(values, dtype=np.float64):
    """The same arrays as nnmath and torch tensors requiring grad (bool arrays as constant masks)."""
    ours = [nnmath.tensor(v.astype(dtype), requires_grad=True) if v.dtype.kind == "f" else nnmath.tensor(v)
            for v in values]
    theirs = [torch.tensor(v.astype(dtype), requires_grad=True) if v.dtype.kind == "f" else torch.tensor(v)
              for v in values]
    return ours, theirs


def compare_with_torch(values, rtol=1e-10, atol=1e-12, dtype=np.float64, **kwargs):
    """Forward and every gradient of sdpa(q, k, v[, mask]) in nnmath and PyTorch."""
    ours, theirs = both(values, dtype)
    mask_o = ours[3] if len(ours) > 3 else None
    mask_t = theirs[3] if len(theirs) > 3 else None
    out_o = F.scaled_dot_product_attention(*ours[:3], attn_mask=mask_o, **kwargs)
    out_t = torch.nn.functional.scaled_dot_product_attention(*theirs[:3], attn_mask=mask_t, **kwargs)
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy(), rtol=rtol, atol=atol)
    cotangent = np.random.default_rng(9).standard_normal(tuple(out_t.shape)).astype(dtype)
    (out_o * nnmath.tensor(cotangent)).sum().backward()
    (out_t * torch.tensor(cotangent)).sum().backward()
    for a, b in zip(ours, theirs):
        if b.requires_grad:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol)
    return out_o, ours


def test_comparison_helper_fails_when_nnmath_is_wrong(monkeypatch):
    right = F.scaled_dot_product_attention
    values = arrays((2, 3, 4), (2, 5, 4), (2, 5, 4))
    compare_with_torch(values)
    monkeypatch.setattr(F, "scaled_dot_product_attention",
                        lambda q, k, v, attn_mask=None, **kwargs: right(q, k, v * 1.000001, attn_mask, **kwargs))
    with pytest.raises(AssertionError):
        compare_with_torch(values)


def test_a_fully_masked_row_gives_zeros_and_zero_gradients_as_pytorch():
    mask = np.ones((4, 6), dtype=bool)
    mask[2] = False
    out, ours = compare_with_torch(arrays((2, 4, 3), (2, 6, 3), (2, 6, 3)) + [mask])
    assert not out.detach().numpy()[:, 2].any()
    assert not ours[0].grad.numpy()[:, 2].any()
    float_mask = np.where(mask, 0.0, -np.inf)
    out, _ = compare_with_torch(arrays((2, 4, 3), (2, 6, 3), (2, 6, 3)) + [float_mask])
    assert np.isfinite(out.detach().numpy()).all()


def test_huge_scores_and_infinite_masks_stay_finite():
    q, k, v = arrays((2, 5, 4), (2, 7, 4), (2, 7, 4), scale=1e3)  # scores of order 1e6: e^S overflows unshifted
    mask = np.zeros((5, 7))
    mask[:, ::2] = -np.inf
    out, ours = compare_with_torch([q, k, v, mask], rtol=1e-9, atol=1e-9)
    assert np.isfinite(out.detach().numpy()).all() and np.isfinite(ours[0].grad.numpy()).all()


@pytest.mark.parametrize("is_causal", [False, True], ids=["plain", "causal"])
def test_rows_far_below_their_heads_largest_score_take_their_own_maximum(is_causal):
    """A head's weights share one shift (its largest score) except on rows whose scores lie far below it:
    here row 1's scores are about 150 below row 0's, so e^(S − M) would be 0 for all of them and the row
    NaN; those rows take their own maximum, and every row matches PyTorch."""
    q, k, v = arrays((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 8))
    k[..., 0] = 1.0 + 0.01 * k[..., 0]
    q[..., 0, :] = 0.0
    q[..., 0, 0] = 150 * np.sqrt(8)  # row 0: scores ≈ 150
    q[..., 1, 0] = 0.0               # row 1: scores ≈ 0, far below the head's largest
    compare_with_torch([q, k, v], is_causal=is_causal)
    # float32: scores of 150 carry rounding errors of 150·2⁻²⁴ ≈ 1e-5, which the gradients (scaled by |q| ≈
    # 424) amplify: the outputs are compared, and the gradients must be finite
    ours, theirs = both([q, k, v], np.float32)
    out = F.scaled_dot_product_attention(*ours, is_causal=is_causal)
    expected = torch.nn.functional.scaled_dot_product_attention(*theirs, is_causal=is_causal)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-4, atol=2e-5)
    out.sum().backward()
    assert all(np.isfinite(t.grad.numpy()).all() for t in ours)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 16 query rows even for small inputs, so a few dozen rows make several blocks."""
    monkeypatch.setattr(attention_ops, "_BLOCK_ELEMENTS", 1)


@pytest.mark.parametrize("kwargs", [{}, {"is_causal": True}, {"scale": 0.3}], ids=["plain", "causal", "scale"])
@pytest.mark.parametrize("L,S", [(40, 40), (40, 23), (23, 40)])
def test_blocks_of_query_rows_match_pytorch(small_blocks, L, S, kwargs):
    compare_with_torch(arrays((2, 2, L, 4), (2, 2, S, 4), (2, 2, S, 3)), **kwargs)


@pytest.mark.parametrize("mask_shape", [(40, 33), (2, 1, 40, 33), (1, 33), (40, 1)])
def test_blocks_with_masks_of_every_broadcast_shape(small_blocks, mask_shape):
    q, k, v, m = arrays((2, 2, 40, 4), (2, 2, 33, 4), (2, 2, 33, 3), mask_shape)
    compare_with_torch([q, k, v, m])
    compare_with_torch([q, k, v, m > -0.5])


def test_long_sequences_in_float32_match_pytorch():
    """The defaults (blocks of many rows), float32, causal, T = 300: within float32 rounding."""
    q, k, v = arrays((2, 3, 300, 16), (2, 3, 300, 16), (2, 3, 300, 16))
    compare_with_torch([q, k, v], rtol=1e-4, atol=2e-5, dtype=np.float32, is_causal=True)


def test_the_blocked_and_the_differentiable_vjp_agree(small_blocks):
    """backward() runs the NumPy block-by-block VJP; with create_graph=True the same VJP is built from
    differentiable ops. Both, with causal mask, float mask and dropout, give the same gradients."""
    q, k, v, m = [nnmath.tensor(a, requires_grad=True) for a in arrays((2, 40, 4), (2, 33, 4), (2, 33, 3), (40, 33))]
    for kwargs in ({"is_causal": True, "dropout_p": 0.3}, {"attn_mask": m, "dropout_p": 0.2}):
        nnmath.manual_seed(3)
        out = F.scaled_dot_product_attention(q, k, v, **kwargs)
        loss = (out * nnmath.tensor(arrays(tuple(out.shape), seed=5)[0])).sum()
        inputs = (q, k, v, m) if "attn_mask" in kwargs else (q, k, v)
        blocked = nnmath.autograd.grad(loss, inputs, retain_graph=True)
        differentiable = nnmath.autograd.grad(loss, inputs, create_graph=True)
        for a, b in zip(blocked, differentiable):
            np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-13)


def test_only_linear_memory_is_kept_for_backward():
    q, k, v = [nnmath.tensor(a, requires_grad=True) for a in arrays((2, 200, 8), (2, 300, 8), (2, 300, 8))]
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    saved = out.grad_fn.saved_tensors
    assert max(t.numel() for t in saved) == 2 * 300 * 8  # Q, K, V, O and ℓ: no 200 × 300 weights


def test_dropout_drops_the_fraction_p_and_keeps_the_mean():
    q, k = [nnmath.zeros(1, 1, 200, 4), nnmath.zeros(1, 1, 200, 4)]  # uniform weights 1/S
    v = nnmath.ones(1, 1, 200, 1)
    nnmath.manual_seed(0)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25).numpy()
    # each output is (number of kept keys) / (S (1 − p)): mean 1, and kept fraction ≈ 0.75
    assert out.mean() == pytest.approx(1.0, abs=0.01)
    assert (out * 0.75).mean() == pytest.approx(0.75, abs=0.01)
    assert not F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy().any()
    nnmath.manual_seed(0)
    again = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25).numpy()
    np.testing.assert_array_equal(out, again)


def test_dtype_is_kept_and_float32_is_the_default():
    q = nnmath.randn(2, 3, 4)
    assert F.scaled_dot_product_attention(q, q, q, is_causal=True).dtype == nnmath.float32
    q64 = q.double()
    assert F.scaled_dot_product_attention(q64, q64, q64).dtype == nnmath.float64


def test_empty_sequences():
    q, k = nnmath.randn(2, 3, 4), nnmath.randn(2, 0, 4)
    assert not F.scaled_dot_product_attention(q, k, nnmath.randn(2, 0, 5)).numpy().any()
    assert tuple(F.scaled_dot_product_attention(nnmath.randn(2, 0, 4), q, q).shape) == (2, 0, 4)


@pytest.mark.parametrize("args,kwargs,message", [
    (((4,), (4,), (4,)), {}, "at least 2 dimensions"),
    (((2, 3, 4), (2, 5, 3), (2, 5, 4)), {}, "same feature size"),
    (((2, 3, 4), (2, 5, 4), (2, 6, 4)), {}, "same sequence length"),
    (((2, 4, 3, 4), (2, 3, 5, 4), (2, 3, 5, 4)), {"enable_gqa": True}, "must divide"),
    (((2, 4, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)), {}, "enable_gqa=True"),
])
def test_shape_errors_name_the_shapes(args, kwargs, message):
    tensors = [nnmath.randn(*s) for s in args]
    with pytest.raises(RuntimeError, match=message):
        F.scaled_dot_product_attention(*tensors, **kwargs)


def test_mask_and_dtype_errors():
    q = nnmath.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="not both"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=nnmath.ones(3, 3, dtype=nnmath.bool), is_causal=True)
    with pytest.raises(RuntimeError, match="bool or of the query's dtype"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=nnmath.ones(3, 3, dtype=nnmath.float64))
    with pytest.raises(RuntimeError, match="does not broadcast"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=nnmath.ones(4, 3))
    with pytest.raises(RuntimeError, match="does not broadcast"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=nnmath.ones(5, 2, 3, 3))
    with pytest.raises(RuntimeError, match="same dtype"):
        F.scaled_dot_product_attention(q, q.double(), q)
    with pytest.raises(RuntimeError, match="floating point"):
        ids = nnmath.ones(2, 3, 4, dtype=nnmath.int64)
        F.scaled_dot_product_attention(ids, ids, ids)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=1.5)


@pytest.mark.parametrize("split_heads", [True, False])
def test_output_is_laid_out_as_the_queries_as_pytorch(split_heads):
    """Heads split off one (B, T, 3C) projection: O is stored as (B, T, H, d) as in PyTorch (its strides are
    PyTorch's), so O.transpose(1, 2).reshape(B, T, C) is a view; the gradients reaching the projection
    equal PyTorch's. Contiguous queries give a contiguous O."""
    B, T, H, d = 2, 9, 3, 4
    values = arrays((B, T, 3 * H * d) if split_heads else (3, B, H, T, d))[0]

    def heads(lib, x):
        if split_heads:
            return [t.reshape(B, T, H, d).transpose(1, 2) for t in x.split(H * d, dim=2)]
        return list(x.unbind(0))
    x_o, x_t = nnmath.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    out_o = F.scaled_dot_product_attention(*heads(nnmath, x_o), is_causal=True)
    out_t = torch.nn.functional.scaled_dot_product_attention(*heads(torch, x_t), is_causal=True)
    assert out_o.stride() == out_t.stride()
    assert out_o.is_contiguous() == out_t.is_contiguous() == (not split_heads)
    merged = out_o.transpose(1, 2).reshape(B, T, H * d)
    assert np.shares_memory(merged.detach().numpy(), out_o.detach().numpy()) == split_heads
    cotangent = np.random.default_rng(3).standard_normal((B, T, H * d))
    (merged * nnmath.tensor(cotangent)).sum().backward()
    (out_t.transpose(1, 2).reshape(B, T, H * d) * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x_o.grad.numpy(), x_t.grad.numpy(), rtol=1e-10, atol=1e-12)
