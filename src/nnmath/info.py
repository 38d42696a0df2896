"""Information theory on probability tables and samples (``nnmath.info``; PyTorch has no equivalent).

A probability table is a Tensor of non-negative entries summing to 1 (a joint table ``pxy[x, y]``
sums to 1 over all its entries). Every table function is a composition of differentiable ops, with
0 · ln 0 = 0. Results are in nats, or in bits with ``base=2`` (any base b: divided by ln b).

Identities (H: entropy, I: mutual information):

- H(X) = −Σₓ p(x) ln p(x);  H(X, Y) = −Σₓᵧ p(x, y) ln p(x, y)
- H(Y | X) = H(X, Y) − H(X) ≤ H(Y);  chain rule H(X, Y) = H(X) + H(Y | X)
- I(X; Y) = Σₓᵧ p(x, y) ln(p(x, y) / (p(x) p(y))) = H(X) + H(Y) − H(X, Y) ≥ 0
- I(X; Y | Z) = H(X, Z) + H(Y, Z) − H(X, Y, Z) − H(Z)
- KL(p ‖ q) = Σ p ln(p / q) ≥ 0, = 0 iff p = q;  cross-entropy H(p, q) = −Σ p ln q = H(p) + KL(p ‖ q)
- JS(p, q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = ½(p + q), symmetric, 0 ≤ JS ≤ ln 2
- perplexity = e^H (= 2^H in bits)

Estimators from samples: the plug-in entropy of observed counts with the optional Miller–Madow bias
correction H + (m − 1)/(2N) (m occupied bins, N samples), the plug-in mutual information of discrete
samples, and the Kraskov–Stögbauer–Grassberger k-nearest-neighbour estimator (algorithm 1) for continuous
samples.
"""
from __future__ import annotations

import math

import numpy as np

from nnmath import creation, dtypes, ops
from nnmath.distributions import Distribution
from nnmath.special import digamma, xlogy
from nnmath.tensor import Tensor

__all__ = ["entropy", "joint_entropy", "conditional_entropy", "mutual_information",
           "conditional_mutual_information", "kl_divergence", "js_divergence", "cross_entropy", "perplexity",
           "entropy_from_counts", "entropy_from_samples", "histogram_entropy", "mutual_information_from_samples",
           "ksg_mutual_information"]


def _tolerance(t: Tensor) -> float:
    return 1e-6 if t._data.dtype == np.float64 else 1e-4


def as_table(p, fn: str, dim=None) -> Tensor:
    """``p`` (a table of probabilities) as a floating Tensor, checked: entries ≥ 0 and sums (over ``dim``, or all) equal to 1."""
    if not isinstance(p, Tensor):
        p = creation.tensor(p, dtype=dtypes.float64)
    elif not p.is_floating_point():
        p = p.to(dtypes.float64)
    data = p._data
    if data.size and np.nanmin(data) < 0:
        raise ValueError(f"{fn}: probabilities must be non-negative, found {data.min():.6g}")
    total = data.sum() if dim is None else data.sum(dim)
    tol = _tolerance(p)
    if np.any(~(np.abs(total - 1) <= tol)):
        shown = np.asarray(total).ravel()[:6]
        raise ValueError(f"{fn}: probabilities must sum to 1 (tolerance {tol:g} relative), but they sum to "
                         f"{np.array2string(shown, precision=10) if np.ndim(total) else f'{float(total):.10g}'}")
    return p


def _in_base(value, base):
    return value if base is None else value / math.log(base)


def _neg_plogp(p, dims):
    return -(xlogy(p, p).sum(dims) if dims != () else xlogy(p, p))


def entropy(p, dim=-1, base=None):
    """H(p) = −Σ pᵢ ln pᵢ over ``dim`` of a probability vector/table (0 ln 0 = 0), or the entropy of a
    :class:`~nnmath.distributions.Distribution` (its ``entropy()``)."""
    if isinstance(p, Distribution):
        return _in_base(p.entropy(), base)
    p = as_table(p, "entropy", dim)
    return _in_base(_neg_plogp(p, dim), base)


def joint_entropy(pxy, base=None):
    """H(X, Y, …) = −Σ p ln p over every entry of a joint table."""
    p = as_table(pxy, "joint_entropy")
    return _in_base(_neg_plogp(p, tuple(range(p.ndim))), base)


def _marginal(p, keep):
    drop = tuple(d for d in range(p.ndim) if d not in keep)
    return p.sum(drop) if drop else p


def conditional_entropy(pxy, given=0, base=None):
    """H(Y | X) = H(X, Y) − H(X), X being the dimension(s) ``given`` of the joint table."""
    p = as_table(pxy, "conditional_entropy")
    given = (given,) if isinstance(given, int) else tuple(given)
    given = tuple(g % p.ndim for g in given)
    h_joint = _neg_plogp(p, tuple(range(p.ndim)))
    px = _marginal(p, given)
    return _in_base(h_joint - _neg_plogp(px, tuple(range(px.ndim))), base)


def mutual_information(pxy, base=None):
    """I(X; Y) = Σ p(x, y) ln(p(x, y) / (p(x) p(y))) of a 2-D joint table (X along dim 0)."""
    p = as_table(pxy, "mutual_information")
    if p.ndim != 2:
        raise ValueError(f"mutual_information: expected a 2-D joint table, got shape {tuple(p.shape)}")
    product = p.sum(1, keepdim=True) * p.sum(0, keepdim=True)
    return _in_base((xlogy(p, p) - xlogy(p, product)).sum((0, 1)), base)


def conditional_mutual_information(pxyz, base=None):
    """I(X; Y | Z) = H(X, Z) + H(Y, Z) − H(X, Y, Z) − H(Z) of a 3-D table ``p[x, y, z]``."""
    p = as_table(pxyz, "conditional_mutual_information")
    if p.ndim != 3:
        raise ValueError(f"conditional_mutual_information: expected a 3-D joint table, got shape {tuple(p.shape)}")
    pxz, pyz, pz = p.sum(1), p.sum(0), p.sum((0, 1))
    value = _neg_plogp(pxz, (0, 1)) + _neg_plogp(pyz, (0, 1)) - _neg_plogp(p, (0, 1, 2)) - _neg_plogp(pz, (0,))
    return _in_base(value, base)


def kl_divergence(p, q, dim=-1, base=None):
    """KL(p ‖ q) = Σ pᵢ ln(pᵢ / qᵢ) over ``dim``; +∞ where some qᵢ = 0 < pᵢ."""
    p = as_table(p, "kl_divergence", dim)
    q = as_table(q, "kl_divergence", dim)
    return _in_base((xlogy(p, p) - xlogy(p, q)).sum(dim), base)


def js_divergence(p, q, dim=-1, base=None):
    """JS(p, q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2."""
    p = as_table(p, "js_divergence", dim)
    q = as_table(q, "js_divergence", dim)
    m = (p + q) / 2
    value = 0.5 * (xlogy(p, p) - xlogy(p, m)).sum(dim) + 0.5 * (xlogy(q, q) - xlogy(q, m)).sum(dim)
    return _in_base(value, base)


def cross_entropy(p, q, dim=-1, base=None):
    """H(p, q) = −Σ pᵢ ln qᵢ = H(p) + KL(p ‖ q)."""
    p = as_table(p, "cross_entropy", dim)
    q = as_table(q, "cross_entropy", dim)
    return _in_base(-xlogy(p, q).sum(dim), base)


def perplexity(p, dim=-1):
    """e^H(p): the effective number of equally likely outcomes."""
    return ops.exp(entropy(p, dim))


# --- estimators from samples -----------------------------------------------------------------------
def entropy_from_counts(counts, correction=None, base=None):
    """Plug-in entropy of a histogram of counts, −Σ (cᵢ/N) ln(cᵢ/N); ``correction="miller-madow"``
    adds (m − 1)/(2N), m = number of non-empty bins, which removes the O(1/N) bias of the plug-in."""
    c = np.asarray(counts._data if isinstance(counts, Tensor) else counts, dtype=np.float64).ravel()
    if np.any(c < 0):
        raise ValueError("entropy_from_counts: counts must be non-negative")
    n = c.sum()
    if n <= 0:
        raise ValueError("entropy_from_counts: need at least one observation")
    p = c[c > 0] / n
    h = float(-(p * np.log(p)).sum())
    if correction in ("miller-madow", "miller_madow"):
        h += (p.size - 1) / (2 * n)
    elif correction is not None:
        raise ValueError(f"entropy_from_counts: unknown correction {correction!r} (None or 'miller-madow')")
    return creation.tensor(_in_base(h, base), dtype=dtypes.float64)


def _as_rows(x):
    a = np.asarray(x._data if isinstance(x, Tensor) else x)
    return a.reshape(a.shape[0], -1) if a.ndim > 1 else a.reshape(-1, 1)


def entropy_from_samples(x, correction=None, base=None):
    """Plug-in (or Miller–Madow) entropy of discrete samples (rows of ``x`` are outcomes)."""
    _, counts = np.unique(_as_rows(x), axis=0, return_counts=True)
    return entropy_from_counts(counts, correction, base)


def histogram_entropy(x, bins=10, range=None, correction=None, base=None):  # noqa: A002
    """Entropy of the histogram of 1-D samples (the discretised variable; not a differential entropy)."""
    counts, _ = np.histogram(np.asarray(x._data if isinstance(x, Tensor) else x).ravel(), bins=bins, range=range)
    return entropy_from_counts(counts, correction, base)


def mutual_information_from_samples(x, y, base=None):
    """Plug-in I(X; Y) = Ĥ(X) + Ĥ(Y) − Ĥ(X, Y) of paired discrete samples."""
    rx, ry = _as_rows(x), _as_rows(y)
    if rx.shape[0] != ry.shape[0]:
        raise ValueError(f"mutual_information_from_samples: x has {rx.shape[0]} samples, y has {ry.shape[0]}")
    hx = entropy_from_samples(rx).item()
    hy = entropy_from_samples(ry).item()
    hxy = entropy_from_samples(np.concatenate([rx, ry], 1).astype(np.float64)
                               if rx.dtype != ry.dtype else np.concatenate([rx, ry], 1)).item()
    return creation.tensor(_in_base(hx + hy - hxy, base), dtype=dtypes.float64)


def _chebyshev_distances(a):
    return np.abs(a[:, None, :] - a[None, :, :]).max(-1)


def ksg_mutual_information(x, y, k=3, base=None):
    """Kraskov–Stögbauer–Grassberger estimator (algorithm 1) of I(X; Y) for continuous samples:

    Î = ψ(k) + ψ(N) − ⟨ψ(nₓ + 1) + ψ(n_y + 1)⟩,

    where εᵢ is the max-norm distance from point i to its k-th neighbour in the joint space and nₓ(i)
    (n_y(i)) counts the points strictly within εᵢ of xᵢ (yᵢ) in the marginal space. O(N²) time and
    memory (fine for N ≤ a few thousand). Kraskov, Stögbauer, Grassberger, Phys. Rev. E 69, 066138 (2004).
    """
    rx = _as_rows(x).astype(np.float64)
    ry = _as_rows(y).astype(np.float64)
    n = rx.shape[0]
    if ry.shape[0] != n:
        raise ValueError(f"ksg_mutual_information: x has {n} samples, y has {ry.shape[0]}")
    if not 1 <= k < n:
        raise ValueError(f"ksg_mutual_information: need 1 ≤ k < N, got k={k}, N={n}")
    dx = _chebyshev_distances(rx)
    dy = _chebyshev_distances(ry)
    joint = np.maximum(dx, dy)
    np.fill_diagonal(joint, np.inf)
    eps = np.partition(joint, k - 1, axis=1)[:, k - 1]
    nx = (dx < eps[:, None]).sum(1) - 1  # minus the point itself
    ny = (dy < eps[:, None]).sum(1) - 1
    psi = digamma(creation.tensor(np.concatenate([[k, n], nx + 1.0, ny + 1.0]), dtype=dtypes.float64)).numpy()
    value = psi[0] + psi[1] - (psi[2:2 + len(nx)] + psi[2 + len(nx):]).mean()
    return creation.tensor(_in_base(float(value), base), dtype=dtypes.float64)
