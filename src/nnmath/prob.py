"""Probability tables (``nnmath.prob``): marginals, conditionals, Bayes' rule, independence tests.

A joint table ``pxy[x, y]`` holds P(X = x, Y = y). The rules, as implemented:

- marginal:     P(X = x) = Σᵧ P(x, y)
- condition:    P(Y = y | X = x) = P(x, y) / P(x)   (undefined where P(x) = 0)
- product rule: P(x, y) = P(x) P(y | x);  chain rule P(x₁, …, xₙ) = Πᵢ P(xᵢ | x₁, …, xᵢ₋₁)
- Bayes:        P(h | d) = P(d | h) P(h) / Σₕ′ P(d | h′) P(h′)
- independence: X ⫫ Y  ⇔  P(x, y) = P(x) P(y) for all x, y
- χ² test:      χ² = Σ (O − E)² / E with E = row total · column total / N, dof = (r − 1)(c − 1),
                p-value = Q(dof/2, χ²/2), the regularised upper incomplete gamma function
Everything except the test is a composition of differentiable ops.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from nnmath import creation, dtypes, ops
from nnmath.info import as_table
from nnmath.special import gammaincc
from nnmath.tensor import Tensor

__all__ = ["marginal", "condition", "bayes", "independent", "product_rule", "chain_rule",
           "chi2_independence_test", "Chi2Result"]

Chi2Result = namedtuple("Chi2Result", ["statistic", "p_value", "dof", "expected"])


def marginal(pxy, dim):
    """The marginal table of the dimension(s) ``dim`` (the others are summed out)."""
    p = as_table(pxy, "marginal")
    keep = {d % p.ndim for d in ((dim,) if isinstance(dim, int) else dim)}
    drop = tuple(d for d in range(p.ndim) if d not in keep)
    return p.sum(drop) if drop else p


def condition(pxy, given_dim=0, mask=False):
    """P(rest | X) = P(x, rest) / P(x), X along ``given_dim``. A conditioning event with P(x) = 0 raises
    ValueError, unless ``mask=True``: then those conditionals are NaN."""
    p = as_table(pxy, "condition")
    given_dim %= p.ndim
    others = tuple(d for d in range(p.ndim) if d != given_dim)
    px = p.sum(others, keepdim=True)
    zero = px._data == 0
    if zero.any():
        if not mask:
            where = np.argwhere(zero.reshape(-1)).ravel().tolist()
            raise ValueError(f"condition: P(X = x) = 0 for x in {where} along dim {given_dim}; the conditional "
                             f"is undefined there (pass mask=True to get NaN instead)")
        safe = ops.where(px == 0, creation.ones_like(px), px)
        return ops.where(px == 0, creation.full_like(p, float("nan")), p / safe)
    return p / px


def product_rule(px, py_given_x):
    """P(x, y) = P(x) P(y | x), X along dim 0 of ``py_given_x``."""
    px = as_table(px, "product_rule")
    shape = tuple(px.shape) + (1,) * (py_given_x.ndim - px.ndim)
    return px.reshape(shape) * py_given_x


def chain_rule(*conditionals):
    """P(x₁, …, xₙ) = P(x₁) P(x₂ | x₁) ⋯ P(xₙ | x₁…xₙ₋₁); the i-th table has dims (x₁, …, xᵢ)."""
    joint = conditionals[0]
    for c in conditionals[1:]:
        joint = joint.unsqueeze(-1) * c
    return as_table(joint, "chain_rule")


def bayes(prior, likelihood):
    """Posterior P(h | d) ∝ P(d | h) P(h) over the last dimension h (``likelihood[..., h]`` = P(d | h),
    broadcast against ``prior[h]``)."""
    prior = as_table(prior, "bayes")
    like = likelihood if isinstance(likelihood, Tensor) else creation.tensor(likelihood, dtype=prior.dtype)
    if np.any(like._data < 0):
        raise ValueError("bayes: likelihoods must be non-negative")
    joint = like * prior
    evidence = joint.sum(-1, keepdim=True)
    if np.any(evidence._data == 0):
        raise ValueError("bayes: the evidence Σₕ P(d | h) P(h) is 0; the posterior is undefined")
    return joint / evidence


def independent(pxy, atol=1e-8) -> bool:
    """Whether P(x, y) = P(x) P(y) everywhere, within ``atol`` (2-D table)."""
    p = as_table(pxy, "independent")
    product = p.sum(1, keepdim=True) * p.sum(0, keepdim=True)
    return bool(np.all(np.abs(p._data - product._data) <= atol))


def chi2_independence_test(counts) -> Chi2Result:
    """Pearson's χ² test of independence for an r × c contingency table of counts.

    Returns (statistic, p_value, dof, expected) with expected counts E = (row total)(column total)/N,
    χ² = Σ (O − E)²/E, dof = (r − 1)(c − 1) and p = Q(dof/2, χ²/2). No continuity correction.
    """
    obs = np.asarray(counts._data if isinstance(counts, Tensor) else counts, dtype=np.float64)
    if obs.ndim != 2 or min(obs.shape) < 2:
        raise ValueError(f"chi2_independence_test: need a 2-D table of at least 2 × 2 counts, got shape {obs.shape}")
    if np.any(obs < 0):
        raise ValueError("chi2_independence_test: counts must be non-negative")
    n = obs.sum()
    expected = obs.sum(1, keepdims=True) * obs.sum(0, keepdims=True) / n
    if np.any(expected == 0):
        raise ValueError("chi2_independence_test: a row or column total is 0 (expected count 0)")
    stat = float(((obs - expected) ** 2 / expected).sum())
    dof = (obs.shape[0] - 1) * (obs.shape[1] - 1)
    p = gammaincc(creation.tensor(dof / 2, dtype=dtypes.float64), creation.tensor(stat / 2, dtype=dtypes.float64))
    return Chi2Result(stat, float(p.item()), dof, creation.tensor(expected))
