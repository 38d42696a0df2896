"""nnmath.linalg against PyTorch where the op table does not reach: integer outputs, named fields,
modes without gradients, batching, dtypes, and the error messages."""
from __future__ import annotations

import math

import numpy as np
import pytest

import nnmath
import nnmath.linalg as LA

torch = pytest.importorskip("torch")


def both(a, requires_grad=False):
    return (nnmath.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad))


def close(ours, theirs, rtol=1e-9, atol=1e-10):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def test_matrix_rank_matches_torch():
    rng = np.random.default_rng(0)
    low = rng.standard_normal((3, 5, 2)) @ rng.standard_normal((3, 2, 4))     # rank 2
    full = rng.standard_normal((4, 3))
    for a in (low, full, np.zeros((2, 3))):
        x, t = both(a)
        assert LA.matrix_rank(x).numpy().tolist() == torch.linalg.matrix_rank(t).numpy().tolist()
    x, t = both(low)
    assert LA.matrix_rank(x, atol=1.0, rtol=0.0).numpy().tolist() == \
        torch.linalg.matrix_rank(t, atol=1.0, rtol=0.0).numpy().tolist()
    s = low @ np.swapaxes(low, -1, -2)
    x, t = both(s)
    assert LA.matrix_rank(x, hermitian=True).numpy().tolist() == \
        torch.linalg.matrix_rank(t, hermitian=True).numpy().tolist()
    assert LA.matrix_rank(x).dtype == nnmath.int64


@pytest.mark.parametrize("driver", [None, "gelsd"])
def test_lstsq_fields_match_torch(driver):
    rng = np.random.default_rng(1)
    A, B = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 2))
    (a, ta), (b, tb) = both(A), both(B)
    ours, theirs = LA.lstsq(a, b, driver=driver), torch.linalg.lstsq(ta, tb, driver=driver)
    for field in ("solution", "residuals", "singular_values"):
        o, t = getattr(ours, field), getattr(theirs, field)
        assert tuple(o.shape) == tuple(t.shape), field
        close(o, t)
    assert ours.rank.numpy().tolist() == theirs.rank.numpy().tolist()


def test_lstsq_wide_is_minimum_norm():
    rng = np.random.default_rng(2)
    A, b = rng.standard_normal((2, 4)), rng.standard_normal(2)
    x = LA.lstsq(nnmath.tensor(A), nnmath.tensor(b)).solution
    np.testing.assert_allclose(x.numpy(), np.linalg.pinv(A) @ b, rtol=1e-10, atol=1e-12)


def test_qr_modes_and_r_only():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((4, 3))
    a, t = both(A)
    for mode in ("reduced", "complete"):
        Q, R = LA.qr(a, mode=mode)
        tQ, tR = torch.linalg.qr(t, mode=mode)
        close(Q.abs(), tQ.abs())
        close(R.abs(), tR.abs())
    Q, R = LA.qr(a, mode="r")
    assert tuple(Q.shape) == (0,) and tuple(R.shape) == (3, 3)
    a.requires_grad_()
    with pytest.raises(RuntimeError, match="mode='r'"):
        LA.qr(a, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
        LA.qr(a, mode="complete").Q.sum().backward()


def test_eigh_reads_one_triangle_like_torch():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((3, 3))       # not symmetric: only the named triangle counts
    a, t = both(A)
    for uplo in ("L", "U"):
        close(LA.eigvalsh(a, UPLO=uplo), torch.linalg.eigvalsh(t, UPLO=uplo))
    L, V = LA.eigh(a)
    close(L, torch.linalg.eigh(t).eigenvalues)
    close((V * L.unsqueeze(-2)) @ V.mT, torch.tril(t) + torch.tril(t, -1).mT)


def test_named_fields():
    A = np.eye(2) * 2
    a = nnmath.tensor(A)
    assert LA.slogdet(a).logabsdet.item() == pytest.approx(math.log(4))
    assert LA.slogdet(a).sign.item() == 1
    assert LA.svd(a).S.shape == (2,) and LA.svd(a).Vh.shape == (2, 2)
    assert LA.qr(a).R.shape == (2, 2)
    assert LA.solve_ex(a, a).result.shape == (2, 2)
    assert LA.inv_ex(a).inverse.shape == (2, 2)
    assert LA.cholesky_ex(a).L.shape == (2, 2)


def test_solve_batch_broadcast_and_vectors_match_torch():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((2, 1, 3, 3)) + 3 * np.eye(3)
    for B in (rng.standard_normal((4, 3, 2)), rng.standard_normal((2, 1, 3)), rng.standard_normal(3)):
        (a, ta), (b, tb) = both(A), both(B)
        close(LA.solve(a, b), torch.linalg.solve(ta, tb))


def test_pinv_of_rank_deficient_matches_torch():
    rng = np.random.default_rng(6)
    A = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 3))
    a, t = both(A)
    close(LA.pinv(a), torch.linalg.pinv(t))
    close(LA.pinv(a, atol=0.5), torch.linalg.pinv(t, atol=0.5))
    S = A @ A.T
    a, t = both(S)
    close(LA.pinv(a, hermitian=True), torch.linalg.pinv(t, hermitian=True), atol=1e-9)


def test_matrix_power_zero_and_matrix_exp_of_larger_matrices():
    rng = np.random.default_rng(7)
    A = rng.standard_normal((2, 5, 5))
    a, t = both(A)
    close(LA.matrix_power(a, 0), torch.linalg.matrix_power(t, 0))
    close(LA.matrix_power(a, 5), torch.linalg.matrix_power(t, 5))
    close(LA.matrix_exp(a * 3), torch.linalg.matrix_exp(t * 3), rtol=1e-10)
    close(LA.matrix_exp(a * 0), torch.eye(5).double().expand(2, 5, 5))


def test_vector_norm_ord_zero_and_dtype():
    x, t = both(np.array([0.0, 1.5, -2.0, 0.0]))
    close(LA.vector_norm(x, 0), torch.linalg.vector_norm(t, 0))
    close(LA.norm(x), torch.linalg.norm(t))
    y = LA.vector_norm(x, dtype=nnmath.float32)
    assert y.dtype == nnmath.float32


# --- dtypes ------------------------------------------------------------------------------------

FLOAT32_OPS = {
    "inv": lambda A: LA.inv(A),
    "det": lambda A: LA.det(A),
    "slogdet": lambda A: LA.slogdet(A).logabsdet,
    "solve": lambda A: LA.solve(A, A[..., :1]),
    "cholesky": lambda A: LA.cholesky(A @ A.mT),
    "qr": lambda A: LA.qr(A).R,
    "svd": lambda A: LA.svd(A).U,
    "svdvals": lambda A: LA.svdvals(A),
    "eigh": lambda A: LA.eigh(A + A.mT).eigenvectors,
    "matrix_exp": lambda A: LA.matrix_exp(A),
    "pinv": lambda A: LA.pinv(A),
    "lstsq": lambda A: LA.lstsq(A, A[..., :1]).solution,
    "matrix_norm": lambda A: LA.matrix_norm(A, "nuc"),
    "cond": lambda A: LA.cond(A),
    "matrix_power": lambda A: LA.matrix_power(A, -2),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_OPS))
def test_float32_stays_float32_forward_and_backward(name):
    rng = np.random.default_rng(8)
    A = nnmath.tensor((rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)).astype(np.float32), requires_grad=True)
    out = FLOAT32_OPS[name](A)
    assert out.dtype == nnmath.float32
    out.sum().backward()
    assert A.grad.dtype == nnmath.float32


# --- errors ------------------------------------------------------------------------------------

def test_singular_inverse_names_the_batch_element():
    A = np.stack([np.eye(3), np.array([[1.0, 2, 3], [2, 4, 6], [0, 0, 1]])])
    with pytest.raises(LA.LinAlgError, match=r"linalg.inv: the matrix at batch index \(1,\) is singular"):
        LA.inv(nnmath.tensor(A))
    with pytest.raises(RuntimeError, match=r"linalg.solve: the matrix at batch index \(1,\) is singular"):
        LA.solve(nnmath.tensor(A), nnmath.ones(2, 3, 1, dtype=nnmath.float64))
    with pytest.raises(RuntimeError, match=r"linalg.inv: the input matrix is singular"):
        LA.inv(nnmath.zeros(2, 2))


def test_not_positive_definite_names_the_leading_minor():
    A = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(RuntimeError, match=r"linalg.cholesky: The factorization could not be completed because "
                                           r"the input is not positive-definite \(the leading minor of order 2"):
        LA.cholesky(nnmath.tensor(A))
    batch = np.stack([np.eye(3), np.eye(3), np.diag([1.0, 1.0, -1.0])])
    with pytest.raises(LA.LinAlgError, match=r"batch index \(2,\).*leading minor of order 3"):
        LA.cholesky(nnmath.tensor(batch))


@pytest.mark.parametrize("fn", [LA.inv, LA.det, LA.slogdet, LA.cholesky, LA.eigh, LA.matrix_exp,
                                lambda a: LA.matrix_power(a, 2)])
def test_non_square_is_named(fn):
    with pytest.raises(RuntimeError, match=r"linalg\.\w+: A must be batches of square matrices, but they are "
                                           r"2 by 3 matrices \(shape \(4, 2, 3\)\)"):
        fn(nnmath.zeros(4, 2, 3))


def test_mismatched_batches_and_sizes():
    A = nnmath.tensor(np.eye(3).repeat(2).reshape(3, 3, 2).transpose(2, 0, 1).copy())
    with pytest.raises(RuntimeError, match=r"linalg.solve: the batch dimensions of A \(2,\) and B \(4,\) do not broadcast"):
        LA.solve(A, nnmath.zeros(4, 3, 1, dtype=nnmath.float64))
    with pytest.raises(RuntimeError, match="linalg.solve: incompatible shapes"):
        LA.solve(A, nnmath.zeros(2, 4, 1, dtype=nnmath.float64))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        LA.inv(nnmath.zeros(3))
    with pytest.raises(RuntimeError, match="Expected a floating point tensor"):
        LA.inv(nnmath.tensor([[1, 2], [3, 4]]))
    with pytest.raises(RuntimeError, match="must have length 3"):
        LA.cross(nnmath.zeros(2), nnmath.zeros(2))
    with pytest.raises(RuntimeError, match="Order 3 not supported"):
        LA.matrix_norm(nnmath.zeros(2, 2), 3)
    with pytest.raises(RuntimeError, match="unrecognized mode"):
        LA.qr(nnmath.zeros(2, 2), mode="economic")


def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix():
    # d det(A) / dA = cof(A) holds at singular A too (rank n − 1 gives a nonzero cofactor); checked
    # against the cofactors and finite differences (PyTorch 2.x returns zeros here).
    from nnmath.autograd import gradcheck
    A = np.array([[1.0, 2.0], [2.0, 4.0]])
    a = nnmath.tensor(A, requires_grad=True)
    LA.det(a).backward()
    np.testing.assert_allclose(a.grad.numpy(), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    B = nnmath.tensor(np.array([[[1.0, 2, 3], [2, 4, 6], [1, 0, 1]], [[2.0, 0, 0], [0, 1, 0], [0, 0, 3]]]),
                      requires_grad=True)
    assert gradcheck(LA.det, (B,))


def test_solve_left_false_needs_a_matrix_like_torch():
    with pytest.raises(RuntimeError, match="Incompatible shapes of A and B for the equation XA = B"):
        LA.solve(nnmath.eye(3), nnmath.ones(3), left=False)
