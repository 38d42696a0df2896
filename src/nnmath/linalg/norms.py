"""Vector and matrix norms and the condition number, composed of reductions and singular values."""
from __future__ import annotations

import math

from nnmath.linalg._common import check_float, check_matrix, check_square
from nnmath.linalg.decompositions import svdvals
from nnmath.linalg.inverses import inv
from nnmath.ops import reduction
from nnmath.ops._util import accepts_out
from nnmath.ops.elementwise import abs as _abs
from nnmath.ops.reduction import amax, amin
from nnmath.ops.reduction import sum as _sum
from nnmath.ops.shape import movedim, unsqueeze

_INF = math.inf


@accepts_out
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """‖x‖_ord over ``dim`` (all elements when None): ord = 2, 1, inf, −inf, 0 (count of nonzeros) or
    any real p: (Σ |xᵢ|ᵖ)^(1/p). The 2-norm's gradient at x = 0 is 0 (PyTorch's subgradient)."""
    check_float(x, "linalg.vector_norm")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if dtype is not None:
        x = x.to(dtype)
    if isinstance(dim, int):
        dim = (dim,)
    return reduction.norm(x, 2 if ord == 2 else ord, dim, keepdim)


@accepts_out
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """Matrix norms over the two dimensions ``dim``:
    'fro' √(Σ aᵢⱼ²), 'nuc' Σ σᵢ, 2 / −2 the largest / smallest singular value,
    1 / −1 the max / min column sum of |aᵢⱼ|, inf / −inf the max / min row sum of |aᵢⱼ|."""
    name = "linalg.matrix_norm"
    check_matrix(A, name)
    if dtype is not None:
        A = A.to(dtype)
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"{name}: dim must be a 2-tuple, got {dim!r}")
    d0, d1 = (d % A.ndim for d in dim)
    if d0 == d1:
        raise RuntimeError(f"{name}: dims must be different, got {tuple(dim)}")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    X = movedim(A, (d0, d1), (-2, -1))
    if ord == "nuc":
        out = _sum(svdvals(X), -1)
    elif ord in (2, -2):
        s = svdvals(X)
        out = amax(s, -1) if ord == 2 else amin(s, -1)
    elif ord in (1, -1):
        col = _sum(_abs(X), -2)
        out = amax(col, -1) if ord == 1 else amin(col, -1)
    elif ord in (_INF, -_INF):
        row = _sum(_abs(X), -1)
        out = amax(row, -1) if ord == _INF else amin(row, -1)
    else:
        raise RuntimeError(f"{name}: Order {ord} not supported (use 'fro', 'nuc', 2, -2, 1, -1, inf, -inf)")
    if keepdim:
        for d in sorted((d0, d1)):
            out = unsqueeze(out, d)
    return out


@accepts_out
def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """PyTorch's dispatching norm: a vector norm when ``dim`` is an int (or ``A`` is 1-D), a matrix norm
    when ``dim`` is a 2-tuple (or ``A`` is 2-D and ``ord`` is given); the 2-norm of all elements when
    both ``ord`` and ``dim`` are None."""
    check_float(A, "linalg.norm")
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        if len(dim) == 1:
            return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
        if len(dim) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
        raise RuntimeError(f"linalg.norm: dim must be an int or a 1- or 2-tuple, got {dim!r}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                       f"Got {A.ndim}D (shape {tuple(A.shape)})")


@accepts_out
def cond(A, p=None, *, out=None):
    """The condition number κ_p(A) = ‖A‖_p ‖A⁻¹‖_p; for p None / 2 / −2 the ratio σ₁/σₙ (or σₙ/σ₁)
    of singular values (any shape); for the other norms A must be square and invertible."""
    check_matrix(A, "linalg.cond")
    if p in (None, 2, -2):
        s = svdvals(A)
        return s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
    check_square(A, "linalg.cond")
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


__all__ = ["vector_norm", "matrix_norm", "norm", "cond"]
