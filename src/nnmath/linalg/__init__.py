"""nnmath.linalg: PyTorch's ``torch.linalg`` on NumPy, batched over leading dimensions, with derivatives.

- :mod:`~nnmath.linalg.systems`         solve, solve_triangular, inv, det, slogdet, lstsq, matrix_power
- :mod:`~nnmath.linalg.decompositions`  cholesky, qr, svd, svdvals, eigh, eigvalsh
- :mod:`~nnmath.linalg.functions`       matrix_exp, pinv, matrix_rank, cross, multi_dot, vecdot, diagonal
- :mod:`~nnmath.linalg.norms`           vector_norm, matrix_norm, norm, cond

The primitives (Solve, Inv, Det, Slogdet, Cholesky, Qr, Eigh, Svd, MatrixExp) state their VJPs and
sources in their docstrings; see docs/linalg.md. Everything else is composed of them.
"""
from nnmath.linalg._common import LinAlgError
from nnmath.linalg.decompositions import cholesky, cholesky_ex, eigh, eigvalsh, qr, svd, svdvals
from nnmath.linalg.functions import cross, diagonal, matrix_exp, matrix_rank, multi_dot, pinv, vecdot
from nnmath.linalg.norms import cond, matrix_norm, norm, vector_norm
from nnmath.linalg.systems import (det, inv, inv_ex, logdet, lstsq, matrix_power, slogdet, solve, solve_ex,
                                 solve_triangular)

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "eigh", "eigvalsh", "qr", "svd", "svdvals", "cross",
           "diagonal", "matrix_exp", "matrix_rank", "multi_dot", "pinv", "vecdot", "cond", "matrix_norm",
           "norm", "vector_norm", "det", "inv", "inv_ex", "logdet", "lstsq", "matrix_power", "slogdet",
           "solve", "solve_ex", "solve_triangular"]
