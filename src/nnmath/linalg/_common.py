"""Checks and small helpers shared by the linear-algebra modules.

Errors name the function and the shape (or the batch element) at fault, like PyTorch's.
"""
from __future__ import annotations

import numpy as np

from nnmath.backend import get_array_module
from nnmath.ops.shape import unsqueeze
from nnmath.tensor import Tensor


class LinAlgError(RuntimeError):
    """A matrix has no result of the requested kind (singular, not positive-definite, …).
    A ``RuntimeError``, as ``torch.linalg.LinAlgError`` is."""


def check_float(A, name: str) -> None:
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(A).__name__}")
    if A._data.dtype.kind not in "f":
        raise RuntimeError(f"{name}: Expected a floating point tensor as input. Got {A.dtype}")


def check_matrix(A, name: str) -> None:
    """At least 2-D and floating."""
    check_float(A, name)
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions, "
                           f"got shape {tuple(A.shape)}")


def check_square(A, name: str) -> None:
    """At least 2-D, floating and square in the last two dimensions."""
    check_matrix(A, name)
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices (shape {tuple(A.shape)})")


def batch_where(arrays, fails, name: str):
    """The first batch index at which ``fails(matrix, ...)`` is true, or None.

    ``arrays`` broadcast over their leading (batch) dimensions; each carries a matrix at the end."""
    batch = np.broadcast_shapes(*[a.shape[:-2] for a in arrays])
    full = [np.broadcast_to(a, batch + a.shape[-2:]) for a in arrays]
    for idx in np.ndindex(*batch):
        if fails(*[a[idx] for a in full]):
            return idx
    return None


def where_text(idx) -> str:
    """``'the input matrix'`` or ``'the matrix at batch index (1,)'``."""
    return "the input matrix" if idx is None or idx == () else f"the matrix at batch index {idx}"


def is_singular(A) -> bool:
    try:
        np.linalg.inv(A)
        return False
    except np.linalg.LinAlgError:
        return True


def singular_error(name: str, *arrays) -> LinAlgError:
    idx = batch_where(arrays[:1], is_singular, name)
    return LinAlgError(f"{name}: {where_text(idx)} is singular, so the system has no unique solution "
                       f"(a pivot of its LU factorization is zero)")


def eye(n: int, like) -> Tensor:
    """A constant n×n identity of ``like``'s dtype."""
    dt = like._data.dtype if isinstance(like, Tensor) else np.dtype(like)
    xp = get_array_module(like._data) if isinstance(like, Tensor) else np
    return Tensor._make(xp.eye(n, dtype=dt))


def diag_embed(v: Tensor) -> Tensor:
    """(…, n) → (…, n, n) with ``v`` on the diagonal: a product with the identity, so differentiable."""
    return unsqueeze(v, -1) * eye(v.shape[-1], v)


def diag(A: Tensor) -> Tensor:
    """The main diagonal of the last two dimensions, (…, n, n) → (…, n)."""
    k = min(A.shape[-2], A.shape[-1])
    idx = np.arange(k)
    return A[..., idx, idx]
