"""The op table of ``nnmath.linalg``; ``tests/test_op_db.py`` generates gradcheck, gradgradcheck, PyTorch
parity (float32/float64, values and gradients) and non-contiguous checks from it.

Samples are well conditioned: invertible matrices are random + 3·I, SPD ones M Mᵀ + n·I, symmetric ones
have well-separated eigenvalues, and matrices for the SVD have distinct singular values. Ops whose
outputs are unique only up to sign compare gauge-invariant functions of them (Q∘Q, R∘R, U∘U, Vh∘Vh,
the eigenvalues, V∘V). Ops that read one triangle of a symmetric input get ``sym(a)`` so that finite
differences and PyTorch see the same symmetric perturbations.
"""
from __future__ import annotations

import math

import numpy as np

from nnmath.linalg import decompositions, functions, inverses, systems
from opinfo import OpInfo, Sample, point, points, set_special_points


def sym(a):
    return (a + a.mT) / 2


def invertible(rng, *shape):
    n = shape[-1]
    return rng.uniform(-1, 1, shape) + 3 * np.eye(n)


def spd(rng, *shape):
    n = shape[-1]
    M = rng.uniform(-1, 1, shape)
    return M @ np.swapaxes(M, -1, -2) + n * np.eye(n)


def separated_symmetric(rng, *shape, spectrum=None):
    """Q diag(λ) Qᵀ with λ spaced by ≥ 1.5 (eigenvectors well defined, F bounded)."""
    n = shape[-1]
    Q, _ = np.linalg.qr(rng.standard_normal(shape))
    lam = np.array(spectrum if spectrum is not None else [-1.0 + 1.5 * i for i in range(n)])
    return (Q * lam) @ np.swapaxes(Q, -1, -2)


def distinct_singular(rng, m, n, batch=()):
    """U diag(σ) Vᵀ with σ = 3, 2, 1, … (distinct and away from 0)."""
    k = min(m, n)
    U, _ = np.linalg.qr(rng.standard_normal(batch + (m, k)))
    V, _ = np.linalg.qr(rng.standard_normal(batch + (n, k)))
    s = np.arange(k, 0, -1, dtype=float) + 0.5
    return (U * s) @ np.swapaxes(V, -1, -2)


def entry(name, op, samples, **kw):
    """An OpInfo with tolerances suited to LAPACK in float32 (both libraries call it, in other orders)."""
    kw.setdefault("rtol", 1e-4)
    kw.setdefault("atol", 1e-5)
    kw.setdefault("rtol64", 1e-9)
    kw.setdefault("atol64", 1e-10)
    return OpInfo(name, op, samples, **kw)


def svd_gauge_free(m, a, **kw):
    U, S, Vh = m.linalg.svd(a, **kw)
    k = S.shape[-1]
    return U[..., :, :k] * U[..., :, :k], S, Vh[..., :k, :] * Vh[..., :k, :]


def qr_gauge_free(m, a, **kw):
    Q, R = m.linalg.qr(a, **kw)
    return Q * Q, R * R


def eigh_gauge_free(m, a, **kw):
    L, V = m.linalg.eigh(sym(a), **kw)
    return L, V * V


def eigh_reconstruct(m, a):
    L, V = m.linalg.eigh(sym(a))
    return (V * L.unsqueeze(-2)) @ V.mT


OP_DB = [
    # --- systems, inverses, determinants ---------------------------------------------------------
    entry("linalg.solve", lambda m, a, b, **kw: m.linalg.solve(a, b, **kw),
          lambda rng: [Sample((invertible(rng, 3, 3), rng.uniform(-1, 1, (3, 2)))),
                       Sample((invertible(rng, 2, 3, 3), rng.uniform(-1, 1, (2, 3, 1)))),
                       Sample((invertible(rng, 3, 3), rng.uniform(-1, 1, (3,)))),
                       Sample((invertible(rng, 2, 2, 2), rng.uniform(-1, 1, (2, 2)))),
                       Sample((invertible(rng, 2, 2, 2), rng.uniform(-1, 1, (3, 1, 2, 1)))),
                       Sample((invertible(rng, 3, 3), rng.uniform(-1, 1, (2, 3))), {"left": False})],
          covers=(systems.Solve,)),
    entry("linalg.solve_triangular", lambda m, a, b, **kw: m.linalg.solve_triangular(a, b, **kw),
          lambda rng: [Sample((invertible(rng, 3, 3), rng.uniform(-1, 1, (3, 2))), {"upper": True}),
                       Sample((invertible(rng, 2, 3, 3), rng.uniform(-1, 1, (2, 3, 1))), {"upper": False}),
                       Sample((invertible(rng, 3, 3), rng.uniform(-1, 1, (2, 3))), {"upper": True, "left": False}),
                       Sample((invertible(rng, 3, 3), rng.uniform(-1, 1, (3, 2))),
                              {"upper": False, "unitriangular": True})]),
    entry("linalg.inv", lambda m, a: m.linalg.inv(a),
          lambda rng: [Sample((invertible(rng, 3, 3),)), Sample((invertible(rng, 2, 2, 2),)),
                       Sample((invertible(rng, 1, 1),))],
          covers=(inverses.Inv,)),
    entry("linalg.det", lambda m, a: m.linalg.det(a),
          lambda rng: [Sample((invertible(rng, 3, 3),)), Sample((invertible(rng, 2, 2, 2),)),
                       Sample((invertible(rng, 3, 3)[::-1].copy(),))],
          covers=(inverses.Det,)),
    entry("linalg.slogdet", lambda m, a: tuple(m.linalg.slogdet(a)),
          lambda rng: [Sample((invertible(rng, 3, 3),)), Sample((invertible(rng, 2, 3, 3)[:, ::-1].copy(),))],
          covers=(inverses.Slogdet,)),
    entry("logdet", lambda m, a: m.linalg.logdet(a), lambda rng: [Sample((spd(rng, 2, 3, 3),))],
          torch_op=lambda t, a: t.logdet(a)),
    entry("linalg.matrix_power", lambda m, a, n: m.linalg.matrix_power(a, n),
          lambda rng: [Sample((invertible(rng, 3, 3) / 3, 3)), Sample((invertible(rng, 2, 2, 2) / 3, 2)),
                       Sample((invertible(rng, 3, 3), -2)), Sample((invertible(rng, 3, 3), 1))]),
    entry("linalg.lstsq", lambda m, a, b: m.linalg.lstsq(a, b).solution,
          lambda rng: [Sample((distinct_singular(rng, 4, 2), rng.uniform(-1, 1, (4, 2)))),
                       Sample((distinct_singular(rng, 3, 3, (2,)), rng.uniform(-1, 1, (2, 3, 1)))),
                       Sample((distinct_singular(rng, 2, 3), rng.uniform(-1, 1, (2, 2))))]),
    # --- decompositions --------------------------------------------------------------------------
    entry("linalg.cholesky", lambda m, a, **kw: m.linalg.cholesky(sym(a), **kw),
          lambda rng: [Sample((spd(rng, 3, 3),)), Sample((spd(rng, 2, 2, 2),)),
                       Sample((spd(rng, 3, 3),), {"upper": True})],
          covers=(decompositions.Cholesky,)),
    entry("linalg.qr", qr_gauge_free,
          lambda rng: [Sample((distinct_singular(rng, 4, 3),)), Sample((invertible(rng, 3, 3),)),
                       Sample((distinct_singular(rng, 3, 2, (2,)),)), Sample((distinct_singular(rng, 2, 3),)),
                       Sample((invertible(rng, 3, 3),), {"mode": "complete"}),
                       Sample((distinct_singular(rng, 2, 4),), {"mode": "complete"})],
          covers=(decompositions.Qr,)),
    entry("linalg.qr_product", lambda m, a: (lambda q, r: q @ r)(*m.linalg.qr(a)),
          lambda rng: [Sample((distinct_singular(rng, 4, 3),)), Sample((distinct_singular(rng, 2, 3),))]),
    entry("linalg.eigh", eigh_gauge_free,
          lambda rng: [Sample((separated_symmetric(rng, 3, 3),)), Sample((separated_symmetric(rng, 2, 2, 2),)),
                       Sample((separated_symmetric(rng, 3, 3),), {"UPLO": "U"})],
          covers=(decompositions.Eigh,)),
    entry("linalg.eigh_reconstruct", eigh_reconstruct, lambda rng: [Sample((separated_symmetric(rng, 3, 3),))]),
    entry("linalg.eigvalsh", lambda m, a: m.linalg.eigvalsh(sym(a)),
          lambda rng: [Sample((separated_symmetric(rng, 3, 3),)), Sample((separated_symmetric(rng, 2, 2, 2),))]),
    entry("linalg.svd", svd_gauge_free,
          lambda rng: [Sample((distinct_singular(rng, 4, 3),), {"full_matrices": False}),
                       Sample((distinct_singular(rng, 2, 3),), {"full_matrices": False}),
                       Sample((distinct_singular(rng, 3, 3, (2,)),), {"full_matrices": False}),
                       Sample((distinct_singular(rng, 4, 2),), {"full_matrices": True}),
                       Sample((distinct_singular(rng, 2, 3),), {"full_matrices": True})],
          covers=(decompositions.Svd,)),
    entry("linalg.svd_reconstruct", lambda m, a: (lambda U, S, Vh: (U * S.unsqueeze(-2)) @ Vh)(
              *m.linalg.svd(a, full_matrices=False)),
          lambda rng: [Sample((distinct_singular(rng, 3, 2),))]),
    entry("linalg.svdvals", lambda m, a: m.linalg.svdvals(a),
          lambda rng: [Sample((distinct_singular(rng, 4, 3),)), Sample((distinct_singular(rng, 2, 3, (2,)),))]),
    # --- matrix functions ------------------------------------------------------------------------
    entry("linalg.matrix_exp", lambda m, a: m.linalg.matrix_exp(a),
          lambda rng: [Sample((rng.uniform(-1, 1, (3, 3)),)), Sample((rng.uniform(-1, 1, (2, 2, 2)),)),
                       Sample((4 * rng.uniform(-1, 1, (2, 2)),))],   # ‖A‖₁ > θ₁₃: exercises squaring
          covers=(functions.MatrixExp,)),
    entry("linalg.pinv", lambda m, a, **kw: m.linalg.pinv(a, **kw),
          lambda rng: [Sample((distinct_singular(rng, 4, 3),)), Sample((distinct_singular(rng, 2, 3, (2,)),))]),
    entry("linalg.pinv_hermitian", lambda m, a: m.linalg.pinv(sym(a), hermitian=True),
          lambda rng: [Sample((separated_symmetric(rng, 3, 3, spectrum=[-2.0, 1.0, 3.0]),))]),
    entry("linalg.cross", lambda m, a, b, **kw: m.linalg.cross(a, b, **kw),
          lambda rng: [Sample((rng.uniform(-1, 1, (3,)), rng.uniform(-1, 1, (3,)))),
                       Sample((rng.uniform(-1, 1, (1, 3)), rng.uniform(-1, 1, (2, 3)))),
                       Sample((rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (3, 2))), {"dim": 0})]),
    entry("linalg.multi_dot", lambda m, *ts: m.linalg.multi_dot(ts),
          lambda rng: [Sample((rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (4, 2)))),
                       Sample((rng.uniform(-1, 1, (3,)), rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (2,))))]),
    entry("linalg.vecdot", lambda m, a, b, **kw: m.linalg.vecdot(a, b, **kw),
          lambda rng: [Sample((rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (3,)))),
                       Sample((rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (3, 2))), {"dim": 0})]),
    entry("linalg.diagonal", lambda m, a, **kw: m.linalg.diagonal(a, **kw),
          lambda rng: [Sample((rng.uniform(-1, 1, (3, 4)),)), Sample((rng.uniform(-1, 1, (2, 3, 4)),), {"offset": 1}),
                       Sample((rng.uniform(-1, 1, (3, 2, 4)),), {"offset": -1, "dim1": 0, "dim2": 2})]),
    # --- norms -----------------------------------------------------------------------------------
    entry("linalg.vector_norm", lambda m, a, **kw: m.linalg.vector_norm(a, **kw),
          lambda rng: [Sample((rng.uniform(-1, 1, (3, 2)),)),
                       Sample((rng.uniform(-1, 1, (3, 2)),), {"ord": 1, "dim": 1}),
                       Sample((rng.uniform(-1, 1, (2, 3)),), {"ord": math.inf, "dim": -1, "keepdim": True}),
                       Sample((rng.uniform(-1, 1, (2, 3)),), {"ord": -math.inf, "dim": 0}),
                       Sample((rng.uniform(0.5, 1, (2, 3)),), {"ord": 3, "dim": (0, 1)}),
                       Sample((rng.uniform(0.5, 1, (4,)),), {"ord": 0.5})]),
    entry("linalg.matrix_norm", lambda m, a, **kw: m.linalg.matrix_norm(a, **kw),
          lambda rng: [Sample((distinct_singular(rng, 3, 2),), {"ord": o})
                       for o in ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)]
          + [Sample((distinct_singular(rng, 3, 3, (2,)),), {"ord": "nuc", "keepdim": True}),
             Sample((rng.uniform(-1, 1, (3, 2, 2)),), {"ord": 1, "dim": (0, 2)})]),
    entry("linalg.norm", lambda m, a, **kw: m.linalg.norm(a, **kw),
          lambda rng: [Sample((rng.uniform(-1, 1, (2, 3)),)), Sample((rng.uniform(-1, 1, (2, 3)),), {"ord": 1}),
                       Sample((rng.uniform(-1, 1, (2, 3, 2)),), {"dim": 1}),
                       Sample((distinct_singular(rng, 3, 3, (2,)),), {"ord": 2, "dim": (1, 2)}),
                       Sample((rng.uniform(-1, 1, (4,)),), {"ord": math.inf})]),
    entry("linalg.cond", lambda m, a, **kw: m.linalg.cond(a, **kw),
          lambda rng: [Sample((distinct_singular(rng, 3, 2),)), Sample((distinct_singular(rng, 3, 3),), {"p": -2})]),
    # PyTorch's own backward of cond(A, p) for p ∉ {None, 2, -2} fails (it modifies a saved inverse in
    # place), so the reference is its definition ‖A‖_p ‖A⁻¹‖_p.
    entry("linalg.cond_p", lambda m, a, **kw: m.linalg.cond(a, **kw),
          lambda rng: [Sample((invertible(rng, 3, 3),), {"p": "fro"}), Sample((invertible(rng, 3, 3),), {"p": 1}),
                       Sample((invertible(rng, 2, 3, 3),), {"p": math.inf})],
          torch_op=lambda t, a, p: t.linalg.matrix_norm(a, p) * t.linalg.matrix_norm(t.linalg.inv(a), p)),
]


# --- special points -------------------------------------------------------------------------------
def kink(*args, **kwargs):
    return point(*args, smooth=False, **kwargs)


SMOOTH_INVERTIBLE = "rational in A: smooth wherever A is invertible (a singular A raises, naming it)"
MULTILINEAR = "multilinear in its inputs: smooth everywhere"
SINGULAR = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]]      # rank 2, distinct singular values
REPEATED = [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, -1.0]]     # eigenvalue 2 twice
NAN_AT_ZERO = ("PyTorch's second derivative of a norm at the zero vector is NaN; nnmath's is the derivative of its "
               "first-derivative convention (x̄ = 0 at ‖x‖ = 0), 0")
DET_SINGULAR = ("det is a polynomial: at a singular A its gradient is the cofactor matrix (nnmath); PyTorch "
                "2.13 returns 0 there")
SLOGDET_SINGULAR = ("log|det A| = −∞ at a singular A; nnmath's gradient is cof(A)/det(A) (±∞, NaN where a cofactor "
                    "is 0), PyTorch's comes from a singular LU factorization")
DEGENERATE = ("at a repeated eigen-/singular value the derivative through the eigenvectors is undefined: the "
              "Hessian of a spectral function there is NaN for PyTorch and for nnmath (docs/autograd.md)")

SPECIAL = {
    "linalg.solve": SMOOTH_INVERTIBLE, "linalg.solve_triangular": SMOOTH_INVERTIBLE, "linalg.inv": SMOOTH_INVERTIBLE,
    # det is a polynomial: smooth at singular A too, where its gradient is the cofactor matrix
    "linalg.det": points(point(SINGULAR, grad_differs=DET_SINGULAR),
                         point([[1.0, 2.0], [2.0, 4.0]], grad_differs=DET_SINGULAR)),
    "linalg.slogdet": points(point([[0.0, 1.0], [1.0, 0.0]]),                            # det < 0
                             kink(SINGULAR, grad_differs=SLOGDET_SINGULAR)),            # det = 0: −∞
    "logdet": "log det of a symmetric positive-definite matrix: smooth on that open set",
    "linalg.matrix_power": points(point(SINGULAR, 2), point(np.zeros((2, 2)), 3)),
    "linalg.lstsq": "smooth for A of full rank (the case it is defined for)",
    "linalg.cholesky": "smooth on the open set of symmetric positive-definite matrices",
    "linalg.qr": "smooth for A of full rank (Q, R unique with LAPACK's signs)",
    "linalg.qr_product": "Q R = A: linear in A",
    "linalg.eigh": "the eigenvectors are defined only for distinct eigenvalues; see linalg.eigvalsh",
    "linalg.eigh_reconstruct": "V diag(Λ) Vᵀ = A: linear in A wherever the decomposition is differentiable",
    "linalg.eigvalsh": points(kink(REPEATED, differs=DEGENERATE)),
    "linalg.svd": "the singular vectors are defined only for distinct nonzero singular values; see svdvals",
    "linalg.svd_reconstruct": "U diag(S) Vh = A: linear in A wherever the decomposition is differentiable",
    "linalg.svdvals": points(kink(REPEATED, differs=DEGENERATE)),
    "linalg.matrix_exp": points(point(np.zeros((3, 3))), point(np.eye(2) * 2)),   # 0; a multiple of I
    "linalg.pinv": "smooth where the rank does not change (full rank here)",
    "linalg.pinv_hermitian": "smooth where the rank does not change (full rank here)",
    "linalg.cross": MULTILINEAR, "linalg.multi_dot": MULTILINEAR, "linalg.vecdot": MULTILINEAR,
    "linalg.diagonal": "linear: a selection of entries",
    "linalg.vector_norm": points(kink(np.zeros((2, 3)), differs=NAN_AT_ZERO),                  # the zero vector
                                 point([[0.0, 0.5, -1.0], [0.3, 0.0, 0.0]], ord=3, dim=1),    # |x|³ is C²
                                 kink([[0.0, 0.5, -1.0], [0.3, 0.0, 0.0]], ord=1, dim=1),
                                 kink(np.zeros((2, 3)), ord=3, dim=1),
                                 kink([[0.5, -0.5, 0.2], [0.3, 0.3, -0.3]], ord=np.inf, dim=1),   # ties
                                 kink([[0.0, 0.5, -1.0], [0.0, 0.0, 0.0]], ord=0, dim=1)),
    "linalg.matrix_norm": points(kink(np.zeros((2, 2)), differs=NAN_AT_ZERO),                    # 'fro' at 0
                                 kink(REPEATED, ord=2), kink(REPEATED, ord="nuc", differs=DEGENERATE),
                                 kink([[1.0, -1.0], [1.0, 1.0]], ord=1)),                      # column sums tie
    "linalg.norm": points(kink(np.zeros(4), differs=NAN_AT_ZERO)),
    "linalg.cond": "smooth where the extreme singular values are distinct and nonzero",
    "linalg.cond_p": "smooth where the norms' maxima are attained once (samples are random: they are)",
}

set_special_points(OP_DB, SPECIAL)
