"""Least squares three ways: normal equations, QR and gradient descent with autodiff, on a polynomial fit.

    python examples/math/least_squares.py [--out runs/least_squares] [--degree 3] [--n-samples 50]

The data are y = sin(πx) + ε, ε ~ N(0, 0.1²), at x uniformly spaced on [−1, 1]; the model is a polynomial
of degree d, y ≈ Aθ with the Vandermonde matrix A[i, j] = xᵢʲ. The least-squares solution θ* minimises
‖Aθ − y‖² and is found

1. from the normal equations (AᵀA) θ = Aᵀy, solved with ``nnmath.linalg.solve``;
2. from the thin QR factorisation A = QR: Aθ = y ⟺ Rθ = Qᵀy (Q has orthonormal columns), solved with
   ``nnmath.linalg.solve_triangular``; this avoids squaring the condition number, κ(AᵀA) = κ(A)²;
3. by gradient descent on L(θ) = ‖Aθ − y‖² / n with the gradient from ``backward()``. L is quadratic with
   Hessian H = 2AᵀA/n; the fixed step η = 2/(λ_min + λ_max) contracts the error by (κ − 1)/(κ + 1) per
   step, κ = λ_max/λ_min, so k steps leave ‖θ_k − θ*‖ ≤ ((κ − 1)/(κ + 1))ᵏ ‖θ₀ − θ*‖.

It prints the three solutions, their largest pairwise difference and the bound, and writes
``least_squares.png`` (the data, the true curve and the three fits, which lie on top of each other).
"""
from __future__ import annotations

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

import nnmath  # noqa: E402
from nnmath import linalg  # noqa: E402


def make_data(n_samples: int, noise: float, seed: int):
    rng = np.random.default_rng(seed)
    x = np.linspace(-1.0, 1.0, n_samples)
    y = np.sin(math.pi * x) + noise * rng.standard_normal(n_samples)
    return x, y


def vandermonde(x, degree: int):
    """A[i, j] = xᵢʲ, j = 0 … degree, as a float64 Tensor."""
    return nnmath.tensor(np.vander(x, degree + 1, increasing=True), dtype=nnmath.float64)


def normal_equations(A, y):
    """θ from (AᵀA) θ = Aᵀy."""
    return linalg.solve(A.mT @ A, A.mT @ y)


def qr_solution(A, y):
    """θ from Rθ = Qᵀy, A = QR with Q (n × p) orthonormal columns and R (p × p) upper triangular."""
    Q, R = linalg.qr(A)                      # mode="reduced"
    return linalg.solve_triangular(R, (Q.mT @ y)[:, None], upper=True)[:, 0]


def gradient_descent(A, y, steps: int):
    """θ after ``steps`` steps of θ ← θ − η ∇L(θ), L(θ) = ‖Aθ − y‖²/n, η = 2/(λ_min + λ_max) of the Hessian.

    Returns θ, the losses, and the contraction factor (κ − 1)/(κ + 1)."""
    n = A.shape[0]
    with nnmath.no_grad():
        eigenvalues = linalg.eigvalsh(2 * (A.mT @ A) / n)   # ascending
    lam_min, lam_max = float(eigenvalues[0]), float(eigenvalues[-1])
    step = 2.0 / (lam_min + lam_max)
    theta = nnmath.zeros(A.shape[1], dtype=nnmath.float64, requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = ((A @ theta - y) ** 2).mean()
        loss.backward()
        with nnmath.no_grad():
            theta -= step * theta.grad
        theta.grad = None
        losses.append(loss.item())
    kappa = lam_max / lam_min
    return theta.detach(), losses, (kappa - 1) / (kappa + 1)


def main(out=None, n_samples: int = 50, degree: int = 3, noise: float = 0.1, steps: int = 1000, seed: int = 0,
         print_fn=print):
    out = out if out is not None else os.path.join("runs", "least_squares")
    x, y_np = make_data(n_samples, noise, seed)
    A, y = vandermonde(x, degree), nnmath.tensor(y_np, dtype=nnmath.float64)

    theta_ne = normal_equations(A, y).numpy()
    theta_qr = qr_solution(A, y).numpy()
    theta_gd, losses, rate = gradient_descent(A, y, steps)
    theta_gd = theta_gd.numpy()

    solutions = {"normal equations": theta_ne, "QR": theta_qr, "gradient descent": theta_gd}
    max_diff = max(float(np.abs(a - b).max()) for a in solutions.values() for b in solutions.values())
    bound = rate ** steps * float(np.linalg.norm(theta_qr))       # θ₀ = 0
    kappa_A = float(np.linalg.cond(A.numpy()))
    print_fn(f"degree {degree} polynomial, {n_samples} points, κ(A) = {kappa_A:.3g}, κ(AᵀA) = {kappa_A ** 2:.3g}")
    for name, theta in solutions.items():
        print_fn(f"{name:>17}: θ = {np.array2string(theta, precision=6, floatmode='fixed')}")
    print_fn(f"normal equations vs QR: max |Δθ| = {np.abs(theta_ne - theta_qr).max():.2e}")
    print_fn(f"gradient descent vs QR: max |Δθ| = {np.abs(theta_gd - theta_qr).max():.2e} after {steps} steps "
             f"(bound ((κ−1)/(κ+1))^k ‖θ*‖ = {bound:.2e}, contraction {rate:.4f} per step)")
    print_fn(f"largest pairwise difference: {max_diff:.2e}; residual mean square {losses[-1]:.5f}")

    fig, (ax, ax_loss) = _common.figure(1, 2, figsize=(10, 4))
    grid = np.linspace(-1, 1, 200)
    G = np.vander(grid, degree + 1, increasing=True)
    ax.scatter(x, y_np, s=12, color="0.4", label="data")
    ax.plot(grid, np.sin(math.pi * grid), color="0.7", lw=4, label="sin(πx)")
    for (name, theta), style in zip(solutions.items(), ("-", "--", ":")):
        ax.plot(grid, G @ theta, style, lw=2, label=name)
    ax.set(xlabel="x", ylabel="y", title=f"degree-{degree} least-squares fits (max |Δθ| = {max_diff:.1e})")
    ax.legend()
    ax_loss.semilogy(np.asarray(losses) - losses[-1] + 1e-16)
    ax_loss.set(xlabel="step", ylabel="L(θ_k) − L(θ_final)", title="gradient descent")
    path = _common.save_figure(fig, out, "least_squares.png")
    print_fn(f"wrote {path}")
    return {"normal_equations": theta_ne, "qr": theta_qr, "gradient_descent": theta_gd, "max_diff": max_diff,
            "bound": bound, "losses": losses, "kappa": kappa_A, "png": path}


if __name__ == "__main__":
    parser = _common.parser("least_squares", __doc__)
    parser.add_argument("--n-samples", type=int, default=50)
    parser.add_argument("--degree", type=int, default=3)
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    main(out=args.out, n_samples=args.n_samples, degree=args.degree, noise=args.noise, steps=args.steps,
         seed=args.seed)
