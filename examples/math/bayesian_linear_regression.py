"""Bayesian linear regression by variational inference (``rsample`` + Adam on the ELBO), checked against
the closed-form Gaussian posterior.

    python examples/math/bayesian_linear_regression.py [--out runs/bayesian_linear_regression]

Model: y = φ(x)ᵀw + ε with φ(x) = (1, x), noise ε ~ N(0, σ²) (σ known, β = 1/σ²) and prior w ~ N(0, α⁻¹I).
The posterior is Gaussian in closed form:

    p(w | y) = N(m, S),   S⁻¹ = Λ = αI + βΦᵀΦ,   m = β S Φᵀy,

and the evidence is log p(y) = log N(y | 0, σ²I + α⁻¹ΦΦᵀ).

Variational inference fits q(w) by maximising the evidence lower bound

    ELBO(q) = E_q[log p(y | w)] − KL(q ‖ p(w)) = log p(y) − KL(q ‖ p(w | y)),

with the expectation estimated from K reparameterised samples w = μ + L ε, ε ~ N(0, I) (``rsample``, so
the gradient flows into μ and L) and the KL term in closed form (``kl_divergence``). Two families:

- full-rank q = N(μ, LLᵀ) (``MultivariateNormal(scale_tril=L)``) contains the posterior, so the optimum
  is q = p(w | y): μ → m, LLᵀ → S, ELBO → log p(y);
- mean-field q = N(μ, diag(s²)) (``Independent(Normal)``): minimising KL(q ‖ p(w | y)) =
  ½[tr(ΛΣ_q) + (μ − m)ᵀΛ(μ − m) − log det Σ_q + log det S] − 1 gives μ = m exactly but s_i² = 1/Λ_ii
  (≤ S_ii: mean-field VI underestimates the variance when the weights are correlated), and the ELBO
  falls short of log p(y) by ½(Σ_i log Λ_ii − log det Λ).

It prints those numbers and writes ``bayesian_linear_regression.png``: the data with posterior-predictive
bands of the regression line and sampled lines, the 2-σ ellipses of the three posteriors over (w₀, w₁),
and the ELBO curves.
"""
from __future__ import annotations

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

import nnmath  # noqa: E402
import nnmath.nn.functional as F  # noqa: E402
from nnmath import linalg  # noqa: E402
from nnmath.distributions import Independent, MultivariateNormal, Normal, kl_divergence  # noqa: E402
from nnmath.optim import Adam  # noqa: E402
from nnmath.optim.lr_scheduler import CosineAnnealingLR  # noqa: E402

TRUE_W = (-0.3, 0.8)


def make_data(n_samples: int, noise: float, seed: int):
    """x uniform on [0, 2] (away from 0, so intercept and slope are correlated a posteriori)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 2.0, n_samples)
    y = TRUE_W[0] + TRUE_W[1] * x + noise * rng.standard_normal(n_samples)
    return x, y


def features(x):
    return np.stack([np.ones_like(x), x], axis=1)


def closed_form_posterior(Phi, y, alpha: float, noise: float):
    """m, S of p(w | y) and the log evidence log p(y), from nnmath.linalg (float64)."""
    beta = 1.0 / noise ** 2
    Phi_t, y_t = nnmath.tensor(Phi), nnmath.tensor(y)
    precision = alpha * nnmath.eye(Phi.shape[1], dtype=nnmath.float64) + beta * Phi_t.mT @ Phi_t
    S = linalg.inv(precision)
    m = beta * S @ (Phi_t.mT @ y_t)
    marginal_cov = noise ** 2 * nnmath.eye(len(y), dtype=nnmath.float64) + Phi_t @ Phi_t.mT / alpha
    log_evidence = MultivariateNormal(nnmath.zeros(len(y), dtype=nnmath.float64), marginal_cov).log_prob(y_t)
    return m.numpy(), S.numpy(), precision.numpy(), float(log_evidence)


class Family:
    """Variational parameters and the q(w) they define; ``full`` chooses N(μ, LLᵀ), else N(μ, diag(s²))."""

    def __init__(self, dim: int, full: bool):
        self.full = full
        self.mu = nnmath.zeros(dim, dtype=nnmath.float64, requires_grad=True)
        # softplus⁻¹(1) for the diagonal of L (or s), 0 below it: q starts as N(0, I).
        self.raw_diag = nnmath.full((dim,), math.log(math.e - 1), dtype=nnmath.float64, requires_grad=True)
        self.raw_lower = nnmath.zeros((dim, dim), dtype=nnmath.float64, requires_grad=full)

    def parameters(self):
        return [self.mu, self.raw_diag] + ([self.raw_lower] if self.full else [])

    def q(self):
        scale = F.softplus(self.raw_diag)
        if self.full:
            dim = scale.shape[0]
            L = nnmath.tril(self.raw_lower, -1) + nnmath.eye(dim, dtype=nnmath.float64) * scale
            return MultivariateNormal(self.mu, scale_tril=L)
        return Independent(Normal(self.mu, scale), 1)


def fit(Phi, y, alpha: float, noise: float, full: bool, steps: int, n_mc: int, lr: float, seed: int):
    """Maximise the Monte-Carlo ELBO with Adam (cosine-annealed learning rate); returns μ, Σ_q, ELBO curve."""
    nnmath.manual_seed(seed)
    Phi_t, y_t = nnmath.tensor(Phi), nnmath.tensor(y)
    dim = Phi.shape[1]
    prior = MultivariateNormal(nnmath.zeros(dim, dtype=nnmath.float64),
                               nnmath.eye(dim, dtype=nnmath.float64) / alpha)
    prior_mf = Independent(Normal(nnmath.zeros(dim, dtype=nnmath.float64),
                                  nnmath.full((dim,), alpha ** -0.5, dtype=nnmath.float64)), 1)
    family = Family(dim, full)
    optimizer = Adam(family.parameters(), lr=lr)
    scheduler = CosineAnnealingLR(optimizer, T_max=steps)
    elbos = []
    for _ in range(steps):
        q = family.q()
        w = q.rsample((n_mc,))                                        # (K, dim), differentiable in μ, L
        log_lik = Normal(w @ Phi_t.mT, noise).log_prob(y_t).sum(-1).mean()
        elbo = log_lik - kl_divergence(q, prior if full else prior_mf)
        optimizer.zero_grad()
        (-elbo).backward()
        optimizer.step()
        scheduler.step()
        elbos.append(elbo.item())
    with nnmath.no_grad():
        q = family.q()
        cov = q.covariance_matrix.numpy() if full else np.diag(q.variance.numpy())
    return family.mu.detach().numpy(), cov, np.asarray(elbos)


def exact_elbo(mu, cov, m, S, log_evidence):
    """ELBO(q) = log p(y) − KL(q ‖ p(w | y)), both Gaussian (noise-free, to compare with the MC curve)."""
    q = MultivariateNormal(nnmath.tensor(mu), nnmath.tensor(cov))
    return log_evidence - float(kl_divergence(q, MultivariateNormal(nnmath.tensor(m), nnmath.tensor(S))))


def _ellipse(ax, mean, cov, **kwargs):
    t = np.linspace(0, 2 * np.pi, 200)
    L = np.linalg.cholesky(cov)
    points = mean[:, None] + 2 * L @ np.stack([np.cos(t), np.sin(t)])
    ax.plot(points[0], points[1], **kwargs)


def main(out=None, n_samples: int = 20, noise: float = 0.3, alpha: float = 1.0, steps: int = 1500, n_mc: int = 32,
         lr: float = 0.1, seed: int = 0, print_fn=print):
    out = out if out is not None else os.path.join("runs", "bayesian_linear_regression")
    x, y = make_data(n_samples, noise, seed)
    Phi = features(x)
    m, S, precision, log_evidence = closed_form_posterior(Phi, y, alpha, noise)
    sd = np.sqrt(np.diag(S))
    print_fn(f"{n_samples} points, σ = {noise}, α = {alpha}, true w = {TRUE_W}")
    print_fn(f"closed form: m = {np.array2string(m, precision=4)}, sd = {np.array2string(sd, precision=4)}, "
             f"corr = {S[0, 1] / (sd[0] * sd[1]):.3f}, log p(y) = {log_evidence:.4f}")
    results = {"m": m, "S": S, "log_evidence": log_evidence}
    for full in (True, False):
        name = "full-rank" if full else "mean-field"
        mu, cov, elbos = fit(Phi, y, alpha, noise, full, steps, n_mc, lr, seed)
        elbo = exact_elbo(mu, cov, m, S, log_evidence)
        target_var = np.diag(S) if full else 1.0 / np.diag(precision)
        gap = 0.0 if full else 0.5 * (np.log(np.diag(precision)).sum() - np.linalg.slogdet(precision)[1])
        mean_err = float(np.abs(mu - m).max() / sd.min())
        var_err = float(np.abs(np.diag(cov) / target_var - 1).max())
        print_fn(f"{name:>10} VI: μ = {np.array2string(mu, precision=4)}, sd = "
                 f"{np.array2string(np.sqrt(np.diag(cov)), precision=4)} (theory "
                 f"{np.array2string(np.sqrt(target_var), precision=4)}); max |μ − m| = {mean_err:.3f} posterior sd, "
                 f"max |var/var* − 1| = {var_err:.3f}")
        print_fn(f"{'':>10}     ELBO = {elbo:.4f} (theory log p(y) − {gap:.4f} = {log_evidence - gap:.4f}); "
                 f"MC ELBO first/last 100 steps: {elbos[:100].mean():.2f} → {elbos[-100:].mean():.4f}")
        results[name] = {"mu": mu, "cov": cov, "elbos": elbos, "elbo": elbo, "elbo_theory": log_evidence - gap,
                         "mean_error_sd": mean_err, "var_error": var_err, "target_var": target_var}

    fig, (ax_fit, ax_post, ax_elbo) = _common.figure(1, 3, figsize=(15, 4.5))
    grid = np.linspace(-0.2, 2.2, 100)
    G = features(grid)
    rng = np.random.default_rng(seed + 1)
    for w in rng.multivariate_normal(m, S, size=20):
        ax_fit.plot(grid, G @ w, color="C0", alpha=0.15, lw=1)
    for name, color in (("closed form", "C0"), ("mean-field", "C2")):
        mean, cov = (m, S) if name == "closed form" else (results[name]["mu"], results[name]["cov"])
        line_sd = np.sqrt(np.einsum("ij,jk,ik->i", G, cov, G))        # sd of φ(x)ᵀw, noise left out
        ax_fit.plot(grid, G @ mean, color=color, label=f"{name}: E[φ(x)ᵀw] ± 2 sd")
        ax_fit.fill_between(grid, G @ mean - 2 * line_sd, G @ mean + 2 * line_sd, color=color, alpha=0.2)
    ax_fit.scatter(x, y, color="k", s=14, zorder=3, label="data")
    ax_fit.set(xlabel="x", ylabel="y", title="data, posterior lines w ~ p(w | y)")
    ax_fit.legend(fontsize=8)

    samples = rng.multivariate_normal(m, S, size=300)
    ax_post.scatter(samples[:, 0], samples[:, 1], s=3, color="0.6", label="samples of p(w | y)")
    _ellipse(ax_post, m, S, color="C0", lw=3, label="closed form N(m, S)")
    _ellipse(ax_post, results["full-rank"]["mu"], results["full-rank"]["cov"], color="C1", ls="--", lw=2,
             label="full-rank VI")
    _ellipse(ax_post, results["mean-field"]["mu"], results["mean-field"]["cov"], color="C2", lw=2,
             label="mean-field VI")
    ax_post.plot(*TRUE_W, "k*", ms=12, label="true w")
    ax_post.set(xlabel="w₀ (intercept)", ylabel="w₁ (slope)", title="posterior over w: 2-σ ellipses")
    ax_post.legend(fontsize=8)

    for name, color in (("full-rank", "C1"), ("mean-field", "C2")):
        elbos = results[name]["elbos"]
        smooth = np.convolve(elbos, np.ones(25) / 25, mode="valid")
        ax_elbo.plot(np.arange(len(smooth)) + 12, smooth, color=color, label=f"{name} (25-step mean)")
        ax_elbo.axhline(results[name]["elbo_theory"], color=color, ls=":")
    ax_elbo.axhline(log_evidence, color="k", ls="--", lw=1, label="log p(y)")
    ax_elbo.set(xlabel="Adam step", ylabel="ELBO", title="Monte-Carlo ELBO (dotted: theoretical optimum)",
                ylim=(log_evidence - 6, log_evidence + 1))
    ax_elbo.legend(fontsize=8)
    results["png"] = _common.save_figure(fig, out, "bayesian_linear_regression.png")
    print_fn(f"wrote {results['png']}")
    return results


if __name__ == "__main__":
    parser = _common.parser("bayesian_linear_regression", __doc__)
    parser.add_argument("--n-samples", type=int, default=20)
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--n-mc", type=int, default=32)
    args = parser.parse_args()
    main(out=args.out, n_samples=args.n_samples, noise=args.noise, alpha=args.alpha, steps=args.steps,
         n_mc=args.n_mc, seed=args.seed)
