"""The seeds' linear regression, done right.

Seeds 001 and 004 fit y = θ₁x + θ₀ by gradient descent with hand-written gradients, and both are
wrong: seed 001 updates θ₀ and θ₁ with the un-summed per-sample vectors (θ turns into a vector of
100 values); seed 004 swaps the two gradients and flips their sign. Here the same data are fitted
three ways that agree: gradient descent with autodiff, and the normal equations XᵀXθ = Xᵀy; and a
finite-difference check shows the seeds' formulas disagree with the true gradient while autodiff's
match it.

For the mean squared error L(θ₀, θ₁) = (1/N) Σᵢ (θ₁xᵢ + θ₀ − yᵢ)² the true gradient is
    ∂L/∂θ₀ = (2/N) Σᵢ (ŷᵢ − yᵢ),     ∂L/∂θ₁ = (2/N) Σᵢ (ŷᵢ − yᵢ) xᵢ.
"""
from __future__ import annotations

import numpy as np

import nnmath as nm


def seed001_data(n=100, seed=0):
    """Seed 001's data: x evenly spaced on [−1, 1], y = 2x + 1 + N(0, 0.1²) noise."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-1, 1, n)
    return x, 2 * x + 1 + rng.standard_normal(n) * 0.1


def mse(theta0, theta1, x, y):
    """L = (1/N) Σ (θ₁x + θ₀ − y)² for tensors or arrays."""
    return ((x * theta1 + theta0 - y) ** 2).mean()


def fit_by_autodiff(x, y, lr=0.1, steps=1000):
    """Gradient descent θ ← θ − lr ∇L with ∇L from nnmath's reverse-mode autodiff (``steps`` ≥ 1)."""
    if steps < 1:
        raise ValueError(f"fit_by_autodiff: steps must be at least 1, got {steps}")
    X, Y = nm.tensor(x), nm.tensor(y)
    theta0 = nm.zeros((), dtype=nm.float64, requires_grad=True)
    theta1 = nm.zeros((), dtype=nm.float64, requires_grad=True)
    for _ in range(steps):
        loss = mse(theta0, theta1, X, Y)
        theta0.grad = theta1.grad = None
        loss.backward()
        with nm.no_grad():
            theta0 -= lr * theta0.grad
            theta1 -= lr * theta1.grad
    return theta0.item(), theta1.item(), loss.item()


def fit_by_normal_equations(x, y):
    """θ = (AᵀA)⁻¹Aᵀy with A = [1, x]: the exact least-squares solution."""
    A = np.stack([np.ones_like(x), x], axis=1)
    theta0, theta1 = np.linalg.solve(A.T @ A, A.T @ y)
    return float(theta0), float(theta1)


def autodiff_gradient(theta0, theta1, x, y):
    """(∂L/∂θ₀, ∂L/∂θ₁) by autodiff."""
    t0 = nm.tensor(theta0, dtype=nm.float64, requires_grad=True)
    t1 = nm.tensor(theta1, dtype=nm.float64, requires_grad=True)
    g0, g1 = nm.autograd.grad(mse(t0, t1, nm.tensor(x), nm.tensor(y)), (t0, t1))
    return np.array([g0.item(), g1.item()])


def finite_difference_gradient(theta0, theta1, x, y, eps=1e-6):
    """Central differences (L(θ + εe) − L(θ − εe)) / 2ε, error O(ε²)."""
    def loss(a, b):
        return float(mse(a, b, x, y))
    return np.array([(loss(theta0 + eps, theta1) - loss(theta0 - eps, theta1)) / (2 * eps),
                     (loss(theta0, theta1 + eps) - loss(theta0, theta1 - eps)) / (2 * eps)])


def seed001_gradient(theta0, theta1, x, y):
    """Seed 001's update directions, as written: the per-sample vectors (ŷ − y)/N and (ŷ − y)x/N."""
    gradients = (x * theta1 + theta0 - y) / len(x)
    return gradients, gradients * x


def seed004_gradient(theta0, theta1, x, y):
    """Seed 004's formulas, as written (y_pred = θ₀ + θ₁x): θ₀ gets −2(ŷ − y)x, θ₁ gets −2(ŷ − y)."""
    residual = theta0 + theta1 * x - y
    return -2 * residual * x, -2 * residual


def as_mean_gradient(per_sample):
    """A per-sample formula read as generously as possible: averaged over the samples."""
    return np.array([np.mean(g) for g in per_sample])


def main(lr=0.1, steps=1000, seed=0, print_fn=print):
    x, y = seed001_data(seed=seed)
    b_gd, w_gd, loss = fit_by_autodiff(x, y, lr, steps)
    b_ne, w_ne = fit_by_normal_equations(x, y)
    print_fn(f"gradient descent (autodiff): slope {w_gd:.4f}, intercept {b_gd:.4f}, mse {loss:.5f}")
    print_fn(f"normal equations:            slope {w_ne:.4f}, intercept {b_ne:.4f}")
    point = (0.3, -0.7)
    fd = finite_difference_gradient(*point, x, y)
    ad = autodiff_gradient(*point, x, y)
    s1 = seed001_gradient(*point, x, y)
    s4 = as_mean_gradient(seed004_gradient(*point, x, y))
    print_fn(f"gradient at (θ₀, θ₁) = {point}:")
    print_fn(f"  finite differences  {fd}")
    print_fn(f"  autodiff            {ad}   max error {np.abs(ad - fd).max():.1e}")
    print_fn(f"  seed 001            shapes {s1[0].shape}, {s1[1].shape}: per-sample vectors, not a gradient "
             f"(summed: {np.array([s1[0].sum(), s1[1].sum()])}, half the true value)")
    print_fn(f"  seed 004 (averaged) {s4}   swapped and sign-flipped")
    return {"slope": w_gd, "intercept": b_gd, "normal_equations": (w_ne, b_ne), "finite_difference": fd,
            "autodiff": ad, "seed001": s1, "seed004": s4}


if __name__ == "__main__":
    main()
