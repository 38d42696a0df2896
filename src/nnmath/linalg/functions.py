"""Matrix functions and products: matrix_exp, pinv, matrix_rank, cross, multi_dot, vecdot, diagonal.

Only :class:`MatrixExp` is a primitive; the rest is composed of differentiable ops.
"""
from __future__ import annotations

import numpy as np

from nnmath.autograd.function import Function
from nnmath.backend import get_array_module
from nnmath.linalg._common import check_float, check_matrix, check_square
from nnmath.linalg.decompositions import eigh, svd
from nnmath.ops._util import accepts_out, promote
from nnmath.ops.elementwise import abs as _abs
from nnmath.ops.elementwise import maximum, where
from nnmath.ops.reduction import amax
from nnmath.ops.reduction import sum as _sum
from nnmath.ops.shape import broadcast_tensors, broadcast_to, cat, movedim, stack, unsqueeze
from nnmath.tensor import Tensor

# Padé [13/13] coefficients and the 1-norm bound up to which it is accurate to double precision
# (N. J. Higham, "The scaling and squaring method for the matrix exponential revisited", 2005).
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _expm(A: np.ndarray) -> np.ndarray:
    """exp(A) by scaling and squaring with the Padé [13/13] approximant (Higham 2005, Alg. 2.3 without
    the lower-degree shortcuts): each matrix is scaled by 2⁻ˢ so that ‖A‖₁ ≤ θ₁₃, then squared s times."""
    n = A.shape[-1]
    xp = get_array_module(A)
    norms = np.abs(A).sum(axis=-2).max(axis=-1) if A.size else xp.zeros(A.shape[:-2])
    with np.errstate(divide="ignore"):
        s = np.maximum(0, np.ceil(np.log2(np.maximum(norms, 1e-300) / _THETA13))).astype(int)
    X = A / (2.0 ** s)[..., None, None].astype(A.dtype)
    b = _PADE13
    I = xp.eye(n, dtype=A.dtype)
    X2 = X @ X
    X4 = X2 @ X2
    X6 = X4 @ X2
    U = X @ (X6 @ (b[13] * X6 + b[11] * X4 + b[9] * X2) + b[7] * X6 + b[5] * X4 + b[3] * X2 + b[1] * I)
    V = X6 @ (b[12] * X6 + b[10] * X4 + b[8] * X2) + b[6] * X6 + b[4] * X4 + b[2] * X2 + b[0] * I
    E = np.linalg.solve(V - U, V + U)
    for step in range(int(s.max()) if s.size else 0):
        E = np.where((step < s)[..., None, None], E @ E, E)
    return E.astype(A.dtype, copy=False)


class MatrixExp(Function):
    """Forward:  Y = exp(A) = Σₖ Aᵏ / k!   (scaling and squaring with Padé [13/13], Higham 2005)
    VJP:      Ā = L(Aᵀ, Ȳ) = the upper-right n×n block of exp([[Aᵀ, Ȳ], [0, Aᵀ]])

    The Fréchet derivative L(A, E) of exp is the upper-right block of exp([[A, E], [0, A]])
    (Najfeld & Havel, "Derivatives of the matrix exponential and their computation", 1995;
    Higham, "Functions of Matrices", 2008, Thm. 3.6), and its adjoint is L(Aᵀ, ·). The VJP calls
    matrix_exp itself, so it is differentiable again."""

    @staticmethod
    def forward(ctx, A):
        ctx.save_for_backward(A)
        return _expm(A)

    @staticmethod
    def backward(ctx, gY):
        A, = ctx.saved_tensors
        n = A.shape[-1]
        At = broadcast_to(A.mT, tuple(gY.shape))
        zero = At * 0
        block = cat([cat([At, gY], -1), cat([zero, At], -1)], -2)
        return MatrixExp.apply(block)[..., :n, n:]


def matrix_exp(A):
    """exp(A) of (a batch of) square matrices."""
    check_square(A, "linalg.matrix_exp")
    return MatrixExp.apply(A)


def _tolerance(S_max, atol, rtol, rcond, m, n, dtype, name):
    """max(atol, rtol · σ₁) with PyTorch's defaults (rtol = eps · max(m, n) when neither is given)."""
    if rcond is not None:
        if rtol is not None:
            raise RuntimeError(f"{name}: rcond and rtol cannot both be given")
        rtol = rcond
    if rtol is None:
        rtol = np.finfo(dtype).eps * max(m, n) if atol is None or (not isinstance(atol, Tensor) and atol <= 0) else 0.0
    atol = 0.0 if atol is None else atol
    return maximum(S_max.detach() * rtol, atol if isinstance(atol, Tensor) else Tensor._make(get_array_module(S_max._data).asarray(atol, dtype)))


@accepts_out
def pinv(A, *, atol=None, rtol=None, hermitian=False, rcond=None, out=None):
    """Moore–Penrose pseudo-inverse A⁺ = V diag(1/σ) Uᵀ from the SVD, dropping σ ≤ max(atol, rtol·σ₁)
    (``hermitian``: from the eigendecomposition of symmetric A, dropping |λ| ≤ tol).

    Composed of svd/eigh, so it is differentiable where they are (full rank, distinct σ)."""
    name = "linalg.pinv"
    check_matrix(A, name)
    m, n = A.shape[-2], A.shape[-1]
    dtype = A._data.dtype
    if hermitian:
        check_square(A, name)
        lam, V = eigh(A)
        size = _abs(lam)
        tol = _tolerance(amax(size, -1, keepdim=True), atol, rtol, rcond, m, n, dtype, name)
        keep = size > tol
        inv_lam = where(keep, 1 / where(keep, lam, 1.0), 0.0)
        return (V * unsqueeze(inv_lam, -2)) @ V.mT
    if A.numel() == 0:
        return Tensor._make(get_array_module(A._data).zeros(tuple(A.shape[:-2]) + (n, m), dtype=dtype))
    U, S, Vh = svd(A, full_matrices=False)
    tol = _tolerance(S[..., :1], atol, rtol, rcond, m, n, dtype, name)
    keep = S > tol
    inv_S = where(keep, 1 / where(keep, S, 1.0), 0.0)
    return (Vh.mT * unsqueeze(inv_S, -2)) @ U.mT


@accepts_out
def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None, out=None):
    """The number of singular values (|eigenvalues| when ``hermitian``) above max(atol, rtol·σ₁)."""
    name = "linalg.matrix_rank"
    check_matrix(A, name)
    a = A._data
    m, n = a.shape[-2], a.shape[-1]
    s = np.abs(np.linalg.eigvalsh(a)) if hermitian else np.linalg.svd(a, compute_uv=False)
    xp = get_array_module(a)
    if tol is not None:
        atol, rtol = tol, 0.0
    atol_v = 0.0 if atol is None else (atol._data if isinstance(atol, Tensor) else atol)
    if rtol is None:
        rtol = np.finfo(a.dtype).eps * max(m, n) if atol is None or bool(np.all(xp.asarray(atol_v) <= 0)) else 0.0
    rtol_v = rtol._data if isinstance(rtol, Tensor) else rtol
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), a.dtype)
    threshold = np.maximum(xp.asarray(atol_v)[..., None] if np.ndim(atol_v) else atol_v,
                           (xp.asarray(rtol_v)[..., None] if np.ndim(rtol_v) else rtol_v) * smax)
    return Tensor._make((s > threshold).sum(axis=-1).astype(np.int64))


@accepts_out
def cross(input, other, *, dim=-1, out=None):
    """The cross product a × b of 3-vectors along ``dim`` (inputs broadcast):
    (a₁b₂ − a₂b₁, a₂b₀ − a₀b₂, a₀b₁ − a₁b₀)."""
    check_float(input, "linalg.cross")
    a, b = promote(input, other)
    if a.ndim != b.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions, got shapes "
                           f"{tuple(a.shape)} and {tuple(b.shape)}")
    try:
        a, b = broadcast_tensors(a, b)
    except ValueError:
        raise RuntimeError(f"linalg.cross: shapes {tuple(input.shape)} and {tuple(other.shape)} do not "
                           f"broadcast") from None
    if a.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[dim]} and {other.shape[dim]}")
    a, b = movedim(a, dim, -1), movedim(b, dim, -1)
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    c = stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], -1)
    return movedim(c, -1, dim)


@accepts_out
def multi_dot(tensors, *, out=None):
    """A₁ A₂ ⋯ Aₖ; the first may be a 1-D row vector and the last a 1-D column vector."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        ok = t.ndim == 2 or (t.ndim == 1 and i in (0, len(tensors) - 1))
        if not ok:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D (the first and last may be 1D) but got "
                               f"{t.ndim}D (shape {tuple(t.shape)})")
    result = tensors[0]
    for t in tensors[1:]:
        if result.shape[-1] != t.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors cannot be multiplied: {tuple(result.shape)} @ "
                               f"{tuple(t.shape)}")
        result = result @ t
    return result


@accepts_out
def vecdot(x, y, *, dim=-1, out=None):
    """Σᵢ xᵢ yᵢ along ``dim`` (inputs broadcast)."""
    return _sum(x * y, dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The ``offset``-th diagonal of the matrices in dimensions (dim1, dim2), as the last dimension."""
    if A.ndim < 2:
        raise RuntimeError(f"linalg.diagonal: expected at least 2 dimensions, got shape {tuple(A.shape)}")
    X = movedim(A, (dim1, dim2), (-2, -1))
    rows, cols = X.shape[-2], X.shape[-1]
    if offset >= 0:
        k = max(0, min(rows, cols - offset))
        i = np.arange(k)
        j = i + offset
    else:
        k = max(0, min(rows + offset, cols))
        j = np.arange(k)
        i = j - offset
    return X[..., i, j]


__all__ = ["matrix_exp", "pinv", "matrix_rank", "cross", "multi_dot", "vecdot", "diagonal"]
