"""Properties of nnmath.linalg on random well-conditioned inputs (hypothesis)."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

import nnmath
import nnmath.linalg as LA

SETTINGS = settings(max_examples=30, deadline=None)


@st.composite
def matrices(draw, square=True, batch=True):
    """Random matrices of size 1–4 with up to two batch dimensions, seeded by hypothesis."""
    seed = draw(st.integers(0, 2 ** 32 - 1))
    n = draw(st.integers(1, 4))
    m = n if square else draw(st.integers(1, 4))
    b = tuple(draw(st.lists(st.integers(1, 3), max_size=2))) if batch else ()
    return np.random.default_rng(seed).uniform(-1, 1, b + (m, n))


def well_conditioned(a):
    return a + 3 * np.eye(a.shape[-1])


@SETTINGS
@given(matrices(), st.integers(0, 2 ** 32 - 1))
def test_solve_inverts_matmul(a, seed):
    A = nnmath.tensor(well_conditioned(a))
    x = nnmath.tensor(np.random.default_rng(seed).standard_normal(a.shape[:-1]))
    np.testing.assert_allclose(LA.solve(A, A @ x.unsqueeze(-1)).squeeze(-1).numpy(), x.numpy(), atol=1e-10)
    np.testing.assert_allclose(LA.solve(A, (A @ x.unsqueeze(-1)).squeeze(-1)).numpy(), x.numpy(), atol=1e-10)


@SETTINGS
@given(matrices(), st.integers(0, 2 ** 32 - 1))
def test_det_is_multiplicative(a, seed):
    b = np.random.default_rng(seed).uniform(-1, 1, a.shape)
    A, B = nnmath.tensor(a), nnmath.tensor(b)
    np.testing.assert_allclose(LA.det(A @ B).numpy(), (LA.det(A) * LA.det(B)).numpy(), rtol=1e-9, atol=1e-12)
    sign, logabs = LA.slogdet(nnmath.tensor(well_conditioned(a)))
    np.testing.assert_allclose((sign * logabs.exp()).numpy(), LA.det(nnmath.tensor(well_conditioned(a))).numpy(),
                               rtol=1e-10)


@SETTINGS
@given(matrices(square=False))
def test_qr_is_orthonormal_and_reconstructs(a):
    Q, R = LA.qr(nnmath.tensor(a))
    k = min(a.shape[-2:])
    np.testing.assert_allclose((Q.mT @ Q).numpy(), np.broadcast_to(np.eye(k), a.shape[:-2] + (k, k)), atol=1e-12)
    np.testing.assert_allclose((Q @ R).numpy(), a, atol=1e-12)
    assert np.allclose(np.tril(R.numpy(), -1), 0)


@SETTINGS
@given(matrices(square=False), st.booleans())
def test_svd_reconstructs(a, full):
    U, S, Vh = LA.svd(nnmath.tensor(a), full_matrices=full)
    k = S.shape[-1]
    rebuilt = (U[..., :, :k] * S.unsqueeze(-2)) @ Vh[..., :k, :]
    np.testing.assert_allclose(rebuilt.numpy(), a, atol=1e-12)
    assert np.all(np.diff(S.numpy(), axis=-1) <= 0)
    np.testing.assert_allclose(LA.svdvals(nnmath.tensor(a)).numpy(), S.numpy(), atol=1e-12)


@SETTINGS
@given(matrices())
def test_eigh_and_cholesky_reconstruct(a):
    s = a @ np.swapaxes(a, -1, -2) + a.shape[-1] * np.eye(a.shape[-1])
    L, V = LA.eigh(nnmath.tensor(s))
    np.testing.assert_allclose(((V * L.unsqueeze(-2)) @ V.mT).numpy(), s, atol=1e-11)
    C = LA.cholesky(nnmath.tensor(s))
    np.testing.assert_allclose((C @ C.mT).numpy(), s, atol=1e-11)
    np.testing.assert_allclose(LA.cholesky(nnmath.tensor(s), upper=True).numpy(), np.swapaxes(C.numpy(), -1, -2))


@SETTINGS
@given(matrices())
def test_inverse_and_matrix_exp_identities(a):
    A = nnmath.tensor(well_conditioned(a))
    eye = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
    np.testing.assert_allclose((A @ LA.inv(A)).numpy(), eye, atol=1e-12)
    np.testing.assert_allclose((LA.matrix_exp(nnmath.tensor(a)) @ LA.matrix_exp(-nnmath.tensor(a))).numpy(), eye,
                               atol=1e-12)
    np.testing.assert_allclose(LA.matrix_power(A, -1).numpy(), LA.inv(A).numpy(), atol=1e-14)


@SETTINGS
@given(matrices(square=False))
def test_pinv_penrose_conditions(a):
    A = nnmath.tensor(a)
    P = LA.pinv(A)
    np.testing.assert_allclose((A @ P @ A).numpy(), a, atol=1e-9)
    np.testing.assert_allclose((P @ A @ P).numpy(), P.numpy(), atol=1e-9)


@SETTINGS
@given(matrices(), st.integers(0, 2 ** 32 - 1))
def test_vjp_of_solve_is_linear_in_the_cotangent(a, seed):
    rng = np.random.default_rng(seed)
    A = nnmath.tensor(well_conditioned(a), requires_grad=True)
    b = nnmath.tensor(rng.standard_normal(a.shape[:-1] + (2,)))
    X = LA.solve(A, b)
    g1, g2 = rng.standard_normal(X.shape), rng.standard_normal(X.shape)
    grad = lambda g: nnmath.autograd.grad(X, A, nnmath.tensor(g), retain_graph=True)[0].numpy()
    np.testing.assert_allclose(grad(2 * g1 + g2), 2 * grad(g1) + grad(g2), atol=1e-10)
    assert grad(g1).shape == a.shape
