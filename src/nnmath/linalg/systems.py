"""Linear systems: solve A X = B (general and triangular).

The primitive :class:`Solve` has the VJP B̄ = A⁻ᵀ X̄, Ā = −B̄ Xᵀ, written with ``solve`` itself, so second
derivatives come for free; ``solve_triangular`` is composed of it.

See M. B. Giles, "An extended collection of matrix derivative results for forward and reverse mode
algorithmic differentiation" (2008), §2.2, and K. B. Petersen & M. S. Pedersen, "The Matrix Cookbook"
(2012), eq. (61).
"""
from __future__ import annotations

import collections

import numpy as np

from nnmath.autograd.function import Function
from nnmath.linalg._common import check_square, eye, singular_error
from nnmath.ops._util import accepts_out
from nnmath.ops.shape import squeeze, tril, triu, unsqueeze
from nnmath.tensor import Tensor


class Solve(Function):
    """Forward:  X = A⁻¹ B          (A: (…, n, n), B: (…, n, k); batch dimensions broadcast)
    VJP:      B̄ = A⁻ᵀ X̄,   Ā = −B̄ Xᵀ      (Giles 2008, §2.2.3)

    From dX = A⁻¹ (dB − dA X): ⟨X̄, dX⟩ = ⟨A⁻ᵀX̄, dB⟩ − ⟨A⁻ᵀX̄ Xᵀ, dA⟩."""

    @staticmethod
    def forward(ctx, A, B, name):
        try:
            X = np.linalg.solve(A, B)
        except np.linalg.LinAlgError:
            raise singular_error(name, A, B) from None
        ctx.name = name
        ctx.save_for_backward(A, X)
        return X

    @staticmethod
    def backward(ctx, gX):
        A, X = ctx.saved_tensors
        gB = Solve.apply(A.mT, gX, ctx.name)
        gA = -(gB @ X.mT) if ctx.needs_input_grad[0] else None
        return gA, gB, None


def _is_vector_rhs(A, B) -> bool:
    """PyTorch's rule: B is a (batch of) vector(s) if 1-D, or if its shape is A's without the last dim."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def _check_system(A, B, name: str, n_dim: int = -2):
    check_square(A, name)
    if not isinstance(B, Tensor):
        raise TypeError(f"{name}: expected B to be a Tensor, got {type(B).__name__}")
    if B.ndim < 2:
        raise RuntimeError(f"{name}: B must have at least 2 dimensions, got shape {tuple(B.shape)}")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"{name}: A and B must have the same dtype, got {A.dtype} and {B.dtype}")
    if B.shape[n_dim] != A.shape[-1]:
        raise RuntimeError(f"{name}: incompatible shapes of A {tuple(A.shape)} and B {tuple(B.shape)}: "
                           f"A is {A.shape[-2]}×{A.shape[-1]} but B has {B.shape[n_dim]} "
                           f"{'rows' if n_dim == -2 else 'columns'}")
    try:
        np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    except ValueError:
        raise RuntimeError(f"{name}: the batch dimensions of A {tuple(A.shape[:-2])} and B "
                           f"{tuple(B.shape[:-2])} do not broadcast (shapes {tuple(A.shape)} and "
                           f"{tuple(B.shape)})") from None


@accepts_out
def solve(A, B, *, left=True, out=None):
    """X with A X = B (``left=True``) or X A = B (``left=False``); batched, broadcasting.

    B may be a vector (shape (n,) or A's batch shape + (n,)); then X is one too."""
    check_square(A, "linalg.solve")
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.solve: expected B to be a Tensor, got {type(B).__name__}")
    if _is_vector_rhs(A, B):
        if not left:
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation XA = B: "
                               f"A {tuple(A.shape)}, B {tuple(B.shape)} (with left=False B must be a matrix)")
        B2 = unsqueeze(B, -1)
        _check_system(A, B2, "linalg.solve")
        return squeeze(Solve.apply(A, B2, "linalg.solve"), -1)
    if not left:
        _check_system(A, B, "linalg.solve", n_dim=-1)
        return Solve.apply(A.mT, B.mT, "linalg.solve").mT
    _check_system(A, B, "linalg.solve")
    return Solve.apply(A, B, "linalg.solve")


def solve_ex(A, B, *, left=True, check_errors=False):
    """``solve`` plus an ``info`` tensor of zeros (errors raise)."""
    X = solve(A, B, left=left)
    return collections.namedtuple("solve_ex", ["result", "info"])(
        X, Tensor._make(np.zeros(tuple(A.shape[:-2]), dtype=np.int32)))


@accepts_out
def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """X with A X = B (or X A = B) for triangular A; only A's ``upper`` or lower triangle is read.

    Composed: ``solve`` of ``triu(A)`` / ``tril(A)`` (with a unit diagonal when ``unitriangular``),
    so the gradient with respect to A lies in that triangle, as PyTorch's does."""
    name = "linalg.solve_triangular"
    if not left:
        _check_system(A, B, name, n_dim=-1)
        return solve_triangular(A.mT, B.mT, upper=not upper, left=True, unitriangular=unitriangular).mT
    _check_system(A, B, name)
    n = A.shape[-1]
    if unitriangular:
        T = (triu(A, 1) if upper else tril(A, -1)) + eye(n, A)
    else:
        T = triu(A) if upper else tril(A)
    return Solve.apply(T, B, name)


__all__ = ["solve", "solve_ex", "solve_triangular"]
