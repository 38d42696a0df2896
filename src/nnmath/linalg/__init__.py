"""nnmath.linalg: PyTorch's ``torch.linalg`` on NumPy, batched over leading dimensions, with derivatives.

The modules import each other in this order (each only from those above it):

- :mod:`~nnmath.linalg._common`        argument checks, errors naming the singular batch element
- :mod:`~nnmath.linalg.systems`        solve, solve_ex, solve_triangular
- :mod:`~nnmath.linalg.decompositions` cholesky, qr, svd, svdvals, eigh, eigvalsh
- :mod:`~nnmath.linalg.inverses`       inv, det, slogdet, logdet, lstsq, matrix_power
- :mod:`~nnmath.linalg.functions`      matrix_exp, pinv, matrix_rank, cross, multi_dot, vecdot, diagonal
- :mod:`~nnmath.linalg.norms`          vector_norm, matrix_norm, norm, cond

The primitives (Solve, Inv, Det, Slogdet, Cholesky, Qr, Eigh, Svd, MatrixExp) state their VJPs and
sources in their docstrings; see docs/linalg.md. Everything else is composed of them.
"""
from nnmath.linalg._common import LinAlgError
from nnmath.linalg.decompositions import cholesky, cholesky_ex, eigh, eigvalsh, qr, svd, svdvals
from nnmath.linalg.functions import cross, diagonal, matrix_exp, matrix_rank, multi_dot, pinv, vecdot
from nnmath.linalg.inverses import det, inv, inv_ex, logdet, lstsq, matrix_power, slogdet
from nnmath.linalg.norms import cond, matrix_norm, norm, vector_norm
from nnmath.linalg.systems import solve, solve_ex, solve_triangular

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "eigh", "eigvalsh", "qr", "svd", "svdvals", "cross",
           "diagonal", "matrix_exp", "matrix_rank", "multi_dot", "pinv", "vecdot", "cond", "matrix_norm",
           "norm", "vector_norm", "det", "inv", "inv_ex", "logdet", "lstsq", "matrix_power", "slogdet",
           "solve", "solve_ex", "solve_triangular"]
