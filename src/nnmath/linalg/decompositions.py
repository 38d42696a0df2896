"""Matrix decompositions with their reverse-mode derivatives: Cholesky, QR, SVD, symmetric eigen.

Each is a :class:`~nnmath.autograd.function.Function` whose backward is written with differentiable
nnmath ops (matmul, triangular solves, tril), so second derivatives come for free. Outputs that
are unique only up to sign (the columns of Q, U, V) have gradients only through functions that do
not depend on that choice; degenerate spectra make the derivatives undefined (see each class).
"""
from __future__ import annotations

import collections

import numpy as np

from nnmath.autograd.function import Function
from nnmath.backend import get_array_module
from nnmath.linalg._common import (LinAlgError, batch_where, check_matrix, check_square, diag, diag_embed, eye,
                                   where_text)
from nnmath.linalg.systems import solve_triangular
from nnmath.ops._util import accepts_out
from nnmath.ops.shape import cat, tril, unsqueeze
from nnmath.tensor import Tensor

# --- Cholesky -------------------------------------------------------------------------------------

def _phi(X: Tensor) -> Tensor:
    """Φ(X): the lower triangle of X with its diagonal halved."""
    return tril(X, -1) + 0.5 * diag_embed(diag(X))


class Cholesky(Function):
    """Forward:  L with A = L Lᵀ, L lower triangular with a positive diagonal (A symmetric
              positive-definite; only its lower triangle is read)
    VJP:      Ā = ½ (S + Sᵀ),  S = L⁻ᵀ Φ(Lᵀ L̄) L⁻¹,  Φ = lower triangle with halved diagonal

    I. Murray, "Differentiation of the Cholesky decomposition" (2016), eq. (10): from
    dA = dL Lᵀ + L dLᵀ, L⁻¹ dL = Φ(L⁻¹ dA L⁻ᵀ), and Φ is self-adjoint. Symmetrised because only
    symmetric perturbations of A keep it in the domain (PyTorch returns the same symmetric Ā)."""

    @staticmethod
    def forward(ctx, A):
        try:
            L = np.linalg.cholesky(A)
        except np.linalg.LinAlgError:
            raise _not_positive_definite(A) from None
        ctx.save_for_backward(L)
        return L

    @staticmethod
    def backward(ctx, gL):
        L, = ctx.saved_tensors
        P = _phi(L.mT @ gL)
        S = solve_triangular(L.mT, P, upper=True)          # L⁻ᵀ P
        S = solve_triangular(L, S, upper=False, left=False)  # (L⁻ᵀ P) L⁻¹
        return 0.5 * (S + S.mT)


def _leading_minor_failure(A) -> int:
    n = A.shape[-1]
    for k in range(1, n + 1):
        try:
            np.linalg.cholesky(A[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return n


def _not_positive_definite(A) -> LinAlgError:
    def fails(M):
        try:
            np.linalg.cholesky(M)
            return False
        except np.linalg.LinAlgError:
            return True
    idx = batch_where([A], fails, "linalg.cholesky")
    order = _leading_minor_failure(A[idx] if idx is not None else A)
    where = "the input" if idx in (None, ()) else where_text(idx)
    return LinAlgError(f"linalg.cholesky: The factorization could not be completed because {where} is not "
                       f"positive-definite (the leading minor of order {order} is not positive-definite).")


@accepts_out
def cholesky(A, *, upper=False, out=None):
    """L with A = L Lᵀ (or U = Lᵀ with A = Uᵀ U when ``upper``) of symmetric positive-definite A."""
    check_square(A, "linalg.cholesky")
    L = Cholesky.apply(A)
    return L.mT if upper else L


def cholesky_ex(A, *, upper=False, check_errors=False):
    return collections.namedtuple("cholesky_ex", ["L", "info"])(
        cholesky(A, upper=upper), Tensor._make(np.zeros(tuple(A.shape[:-2]), dtype=np.int32)))


# --- QR -------------------------------------------------------------------------------------------

def _copyltu(M: Tensor) -> Tensor:
    """The symmetric matrix whose lower triangle is M's (lower copied to upper)."""
    return tril(M) + tril(M, -1).mT


def _qr_backward_tall(Q, R, gQ, gR):
    """Ā for A = QR, A m×n with m ≥ n (reduced): Ā = (Q̄ + Q copyltu(M)) R⁻ᵀ, M = R R̄ᵀ − Q̄ᵀ Q."""
    M = R @ gR.mT - gQ.mT @ Q
    B = gQ + Q @ _copyltu(M)
    return solve_triangular(R, B.mT, upper=True).mT  # B R⁻ᵀ = (R⁻¹ Bᵀ)ᵀ


class Qr(Function):
    """Forward:  A = Q R  (mode 'reduced': Q m×k, R k×n, k = min(m, n); 'complete': Q m×m;
              'r': R only). LAPACK's sign convention, as PyTorch's.
    VJP (m ≥ n, reduced):  Ā = (Q̄ + Q copyltu(M)) R⁻ᵀ,  M = R R̄ᵀ − Q̄ᵀ Q,
              copyltu(M) = the symmetric matrix with M's lower triangle.
              M. Seeger, A. Hetzel, Z. Dai, E. Meissner, N. D. Lawrence, "Auto-differentiating linear
              algebra" (2017), and S. F. Walter & L. Lehmann, "Algorithmic differentiation of linear
              algebra functions with application in optimum experimental design" (2018).
    VJP (m < n):  split A = [X | Y] with X m×m: X = Q U, Y = Q V (R = [U | V]); then
              Ȳ = Q V̄ and X̄ is the square-case VJP with Q̄ + Y V̄ᵀ in place of Q̄ (as PyTorch).
    Not differentiable for mode='r' (no Q) nor for mode='complete' with m > n (Q not unique)."""

    @staticmethod
    def forward(ctx, A, mode):
        ctx.mode = mode
        if mode == "r":
            R = np.linalg.qr(A, mode="r")
            Q = get_array_module(A).empty((0,), dtype=A.dtype)
            return Q, R
        Q, R = np.linalg.qr(A, mode=mode)
        ctx.save_for_backward(Q, R)
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        if ctx.mode == "r":
            raise RuntimeError("linalg.qr: The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                               "differentiate through linalg.qr.")
        Q, R = ctx.saved_tensors
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("linalg.qr: The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        if m >= n:
            return _qr_backward_tall(Q, R, gQ, gR), None
        U, V = R[..., :, :m], R[..., :, m:]
        gU, gV = gR[..., :, :m], gR[..., :, m:]
        Y = Q @ V
        gX = _qr_backward_tall(Q, U, gQ + Y @ gV.mT, gU)
        gY = Q @ gV
        return cat([gX, gY], -1), None


_QR = collections.namedtuple("qr", ["Q", "R"])


@accepts_out
def qr(A, mode="reduced", *, out=None):
    """A = Q R with Q orthonormal columns and R upper triangular; ``mode`` 'reduced', 'complete' or 'r'."""
    check_matrix(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"linalg.qr: qr received unrecognized mode {mode!r} but expected one of "
                           f"'reduced' (default), 'r', or 'complete'")
    return _QR(*Qr.apply(A, mode))


# --- symmetric eigendecomposition --------------------------------------------------------------

def _inverse_gaps(lam: Tensor) -> Tensor:
    """F with F_ij = 1 / (λ_j − λ_i) off the diagonal and 0 on it (differentiable in λ)."""
    n = lam.shape[-1]
    I = eye(n, lam)
    E = unsqueeze(lam, -2) - unsqueeze(lam, -1) + I   # λ_j − λ_i, with 1 on the diagonal
    return (1 - I) / E


class Eigh(Function):
    """Forward:  A = V diag(Λ) Vᵀ for symmetric A (only the ``UPLO`` triangle is read); Λ ascending
    VJP:      Ā = V (diag(Λ̄) + F ∘ skew(Vᵀ V̄)) Vᵀ,  F_ij = 1/(λ_j − λ_i) (i ≠ j), F_ii = 0,
              skew(X) = ½ (X − Xᵀ)

    M. B. Giles, "An extended collection of matrix derivative results for forward and reverse mode
    algorithmic differentiation" (2008), §3.1: Ā = V (diag(Λ̄) + F ∘ (Vᵀ V̄)) Vᵀ, here symmetrised
    (only symmetric perturbations of A are admissible); since F is antisymmetric,
    sym(F ∘ X) = F ∘ skew(X), which makes Ā independent of the signs chosen for V's columns.
    Caveat: with repeated eigenvalues F is infinite and the eigenvectors are not unique, so the
    derivative through V is undefined (as in PyTorch); through Λ alone (eigvalsh) it stays defined."""

    @staticmethod
    def forward(ctx, A, UPLO):
        lam, V = np.linalg.eigh(A, UPLO=UPLO)
        ctx.save_for_backward(lam, V)
        return lam, V

    @staticmethod
    def backward(ctx, glam, gV):
        lam, V = ctx.saved_tensors
        inner = diag_embed(glam)
        if gV.requires_grad or gV._data.any():
            X = V.mT @ gV
            inner = inner + _inverse_gaps(lam) * (0.5 * (X - X.mT))
        return V @ inner @ V.mT, None


_Eigh = collections.namedtuple("eigh", ["eigenvalues", "eigenvectors"])


@accepts_out
def eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric A: A = V diag(Λ) Vᵀ."""
    check_square(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return _Eigh(*Eigh.apply(A, UPLO))


@accepts_out
def eigvalsh(A, UPLO="L", *, out=None):
    """The eigenvalues of symmetric A, ascending."""
    check_square(A, "linalg.eigvalsh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigvalsh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return Eigh.apply(A, UPLO)[0]


# --- SVD ------------------------------------------------------------------------------------------

class Svd(Function):
    """Forward:  A = U diag(S) Vh, S descending (``full_matrices``: U m×m and Vh n×n)
    VJP (k = min(m, n), reduced factors; with full_matrices only the first k columns of U and rows
    of Vh carry gradient, as in PyTorch):
        Ā = U [ (F ∘ (UᵀŪ − ŪᵀU)) S + diag(S̄) + S (F ∘ (VᵀV̄ − V̄ᵀV)) ] Vᵀ
            + (I − UUᵀ) Ū S⁻¹ Vᵀ + U S⁻¹ V̄ᵀ (I − VVᵀ),       F_ij = 1/(s_j² − s_i²), F_ii = 0
    J. Townsend, "Differentiating the singular value decomposition" (2016); C. Ionescu, O. Vantzos,
    C. Sminchisescu, "Matrix backpropagation for deep networks with structured layers" (2015).
    Caveat: repeated singular values make F infinite and the singular vectors non-unique, and a zero
    singular value makes S⁻¹ infinite: the derivative through U, V is then undefined (as in PyTorch);
    through S alone (svdvals) Ā = U diag(S̄) Vᵀ stays defined."""

    @staticmethod
    def forward(ctx, A, full_matrices):
        U, S, Vh = np.linalg.svd(A, full_matrices=full_matrices)
        ctx.save_for_backward(U, S, Vh)
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        m, n = U.shape[-2], Vh.shape[-1]
        k = S.shape[-1]
        U, Vh = U[..., :, :k], Vh[..., :k, :]
        gU, gVh = gU[..., :, :k], gVh[..., :k, :]
        V, gV = Vh.mT, gVh.mT
        use_U = gU.requires_grad or bool(gU._data.any())
        use_V = gV.requires_grad or bool(gV._data.any())
        inner = diag_embed(gS)
        if use_U or use_V:
            F = _inverse_gaps(S * S)
            Srow = unsqueeze(S, -2)   # right-multiplying by diag(S) scales columns
            Scol = unsqueeze(S, -1)   # left-multiplying scales rows
        if use_U:
            J = U.mT @ gU
            inner = inner + (F * (J - J.mT)) * Srow
        if use_V:
            K = V.mT @ gV
            inner = inner + Scol * (F * (K - K.mT))
        gA = U @ inner @ Vh
        if use_U and m > k:
            gU_perp = gU - U @ (U.mT @ gU)
            gA = gA + (gU_perp / Srow) @ Vh
        if use_V and n > k:
            gV_perp = gV - V @ (V.mT @ gV)
            gA = gA + U @ (gV_perp / Srow).mT
        return gA, None


_SVD = collections.namedtuple("svd", ["U", "S", "Vh"])


@accepts_out
def svd(A, full_matrices=True, *, driver=None, out=None):
    """A = U diag(S) Vh with S descending; ``full_matrices=False`` gives the reduced factors."""
    check_matrix(A, "linalg.svd")
    return _SVD(*Svd.apply(A, bool(full_matrices)))


@accepts_out
def svdvals(A, *, driver=None, out=None):
    """The singular values of A, descending."""
    check_matrix(A, "linalg.svdvals")
    return Svd.apply(A, False)[1]


__all__ = ["cholesky", "cholesky_ex", "qr", "eigh", "eigvalsh", "svd", "svdvals"]
