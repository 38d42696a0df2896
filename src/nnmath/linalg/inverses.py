"""Inverses and determinants: inv, det, slogdet, logdet, lstsq, matrix_power.

Primitives (each a :class:`~nnmath.autograd.function.Function`): :class:`Inv`, :class:`Det`,
:class:`Slogdet`. Their VJPs are written with ``inv`` and ``matmul`` themselves, so second derivatives
come for free. ``lstsq`` (from QR) and ``matrix_power`` are composed of primitives.

The VJPs are the classical ones; see M. B. Giles, "An extended collection of matrix derivative
results for forward and reverse mode algorithmic differentiation" (2008), §2.2, and
K. B. Petersen & M. S. Pedersen, "The Matrix Cookbook" (2012), eqs. (49), (59).
"""
from __future__ import annotations

import collections

import numpy as np

from nnmath.autograd.fit import broadcast_to
from nnmath.autograd.function import Function
from nnmath.backend import get_array_module
from nnmath.linalg._common import LinAlgError, check_matrix, check_square, eye, is_singular, singular_error
from nnmath.linalg.decompositions import qr, svd, svdvals
from nnmath.linalg.systems import solve_triangular
from nnmath.ops._util import accepts_out
from nnmath.ops.elementwise import log, where
from nnmath.ops.reduction import prod
from nnmath.ops.reduction import sum as _sum
from nnmath.ops.shape import squeeze, unsqueeze
from nnmath.tensor import Tensor


class Inv(Function):
    """Forward:  Y = A⁻¹
    VJP:      Ā = −Yᵀ Ȳ Yᵀ = −A⁻ᵀ Ȳ A⁻ᵀ      (Giles 2008, §2.2.3; from dY = −Y dA Y)"""

    @staticmethod
    def forward(ctx, A):
        try:
            Y = np.linalg.inv(A)
        except np.linalg.LinAlgError:
            err = singular_error("linalg.inv", A)
            raise LinAlgError(str(err).replace("the system has no unique solution", "it has no inverse")) from None
        ctx.save_for_backward(Y)
        return Y

    @staticmethod
    def backward(ctx, gY):
        Y, = ctx.saved_tensors
        Yt = Y.mT
        return -(Yt @ gY @ Yt)


class Det(Function):
    """Forward:  y = det(A)
    VJP:      Ā = ȳ det(A) A⁻ᵀ      (Jacobi's formula; Giles 2008, §2.2.4)

    At a singular A, det(A) A⁻ᵀ is the cofactor matrix cof(A) = adj(A)ᵀ, computed there from the SVD
    A = U diag(s) Vh as det(U) det(Vh) U diag(∏_{j≠i} s_j) Vh (as PyTorch does); its own derivative
    then needs distinct singular values."""

    @staticmethod
    def forward(ctx, A):
        y = get_array_module(A).asarray(np.linalg.det(A))
        ctx.save_for_backward(A, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        A, y = ctx.saved_tensors
        if any(is_singular(M) for M in A._data.reshape((-1,) + A._data.shape[-2:])):
            return unsqueeze(unsqueeze(gy, -1), -1) * _cofactor(A)
        scale = unsqueeze(unsqueeze(gy * y, -1), -1)
        return scale * inv(A).mT


def _cofactor(A: Tensor) -> Tensor:
    """cof(A) = adj(A)ᵀ = det(U) det(Vh) U diag(∏_{j≠i} s_j) Vh, defined for singular A too."""
    U, S, Vh = svd(A)
    n = S.shape[-1]
    xp = get_array_module(A._data)
    on_diag = Tensor._make(xp.eye(n, dtype=bool))
    others = prod(where(on_diag, 1.0, unsqueeze(S, -2) + 0 * unsqueeze(S, -1)), -1)   # ∏_{j≠i} s_j
    signs = np.linalg.det(U._data) * np.linalg.det(Vh._data)
    signs = Tensor._make(xp.asarray(signs, dtype=A._data.dtype)[..., None, None])
    return signs * ((U * unsqueeze(others, -2)) @ Vh)


class Slogdet(Function):
    """Forward:  (sign, logabsdet) with det(A) = sign · exp(logabsdet)
    VJP:      Ā = l̄ A⁻ᵀ      (d log|det A| = tr(A⁻¹ dA); the sign is piecewise constant)

    At a singular A (logabsdet = −∞) A⁻ᵀ is written cof(A)/det(A): ±∞, and NaN where a cofactor is 0."""

    @staticmethod
    def forward(ctx, A):
        sign, logabsdet = np.linalg.slogdet(A)
        xp = get_array_module(A)
        sign, logabsdet = xp.asarray(sign), xp.asarray(logabsdet)
        ctx.mark_non_differentiable(sign)
        ctx.save_for_backward(A)
        return sign, logabsdet

    @staticmethod
    def backward(ctx, gsign, glogabsdet):
        A, = ctx.saved_tensors
        scale = unsqueeze(unsqueeze(glogabsdet, -1), -1)
        if any(is_singular(M) for M in A._data.reshape((-1,) + A._data.shape[-2:])):
            return scale * _cofactor(A) / unsqueeze(unsqueeze(Det.apply(A), -1), -1)
        return scale * inv(A).mT


# --- public functions ------------------------------------------------------------------------------

@accepts_out
def inv(A, *, out=None):
    """A⁻¹ of (a batch of) square matrices; raises :class:`LinAlgError` naming a singular batch element."""
    check_square(A, "linalg.inv")
    return Inv.apply(A)


def inv_ex(A, *, check_errors=False):
    return collections.namedtuple("inv_ex", ["inverse", "info"])(
        inv(A), Tensor._make(np.zeros(tuple(A.shape[:-2]), dtype=np.int32)))


@accepts_out
def det(A, *, out=None):
    """det(A) of (a batch of) square matrices."""
    check_square(A, "linalg.det")
    return Det.apply(A)


_Slogdet = collections.namedtuple("slogdet", ["sign", "logabsdet"])


@accepts_out
def slogdet(A, *, out=None):
    """(sign, log|det A|): the determinant without overflow. Named fields ``sign``, ``logabsdet``."""
    check_square(A, "linalg.slogdet")
    return _Slogdet(*Slogdet.apply(A))


def logdet(A):
    """log det(A) (NaN where det(A) < 0), as ``torch.logdet``."""
    sign, logabsdet = slogdet(A)
    return logabsdet + log(sign)


_Lstsq = collections.namedtuple("lstsq", ["solution", "residuals", "rank", "singular_values"])


def lstsq(A, B, rcond=None, *, driver=None):
    """Least squares: X minimising ‖A X − B‖ (m ≥ n), or the minimum-norm solution of A X = B (m < n).

    Full-rank A is assumed (as PyTorch's default 'gelsy' on full-rank input). Composed from QR:
    m ≥ n: A = QR, X = R⁻¹ Qᵀ B;  m < n: Aᵀ = QR, X = Q R⁻ᵀ B. Returns (solution, residuals, rank,
    singular_values) with PyTorch's rules: ``singular_values`` only for drivers 'gelsd'/'gelss',
    ``residuals`` (squared, per column) only for those drivers when m > n and A has full rank."""
    name = "linalg.lstsq"
    check_matrix(A, name)
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"{name}: parameter `driver` should be one of (gels, gelsy, gelsd, gelss), got {driver!r}")
    vector = B.ndim == A.ndim - 1
    if vector:
        B = unsqueeze(B, -1)
    if B.ndim < 2 or B.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"{name}: A {tuple(A.shape)} and B {tuple(B.shape)} must have the same number of rows")
    m, n = A.shape[-2], A.shape[-1]
    if m >= n:
        Q, R = qr(A)
        X = solve_triangular(R, Q.mT @ B, upper=True)
    else:
        Q, R = qr(A.mT)
        X = Q @ solve_triangular(R.mT, B, upper=False)
    s = np.linalg.svd(A._data, compute_uv=False)
    tol = (np.finfo(A._data.dtype).eps * max(m, n) if rcond is None else rcond) * s[..., :1]
    rank = Tensor._make((s > tol).sum(-1).astype(np.int64))
    empty = Tensor._make(get_array_module(A._data).empty((0,), dtype=A._data.dtype))
    residuals = singular_values = empty
    if driver in ("gelsd", "gelss"):
        singular_values = svdvals(A)
        if m > n and bool((rank._data == n).all()):
            residuals = _sum((A @ X - B) ** 2, -2)
    if vector:
        X = squeeze(X, -1)
        if residuals is not empty:
            residuals = squeeze(residuals, -1)
    return _Lstsq(X, residuals, rank, singular_values)


@accepts_out
def matrix_power(A, n: int, *, out=None):
    """Aⁿ by repeated squaring; n < 0 uses inv(A)^|n|, n = 0 gives the identity."""
    check_square(A, "linalg.matrix_power")
    n = int(n)
    if n == 0:
        return broadcast_to(eye(A.shape[-1], A), tuple(A.shape)).clone()
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


__all__ = ["inv", "inv_ex", "det", "slogdet", "logdet", "lstsq", "matrix_power"]
