"""KL divergence between distributions, KL(p‖q) = E_p[ln p(X) − ln q(X)], from a registry of closed
forms (``register_kl``), as in ``torch.distributions.kl``."""
from __future__ import annotations

import math

import numpy as np

from nnmath import creation, linalg, ops, special
from nnmath.distributions.continuous import Beta, Dirichlet, Exponential, Gamma, Laplace, Normal, Uniform
from nnmath.distributions.discrete import Bernoulli, Binomial, Categorical, Geometric, OneHotCategorical, Poisson
from nnmath.distributions.independent import Independent, sum_rightmost
from nnmath.distributions.multivariate_normal import MultivariateNormal, batch_mahalanobis
from nnmath.ops.activation import softplus
from nnmath.tensor import Tensor

_KL_REGISTRY: dict = {}
_EULER = 0.57721566490153286061  # Euler–Mascheroni γ = −ψ(1)


def register_kl(type_p, type_q):
    """Decorator: ``@register_kl(Normal, Normal) def kl(p, q): ...``. Lookup picks the most specific
    registered pair by the classes' method resolution order."""
    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        return fn
    return decorator


def _dispatch(type_p, type_q):
    best, best_rank = None, None
    for (tp, tq), fn in _KL_REGISTRY.items():
        if issubclass(type_p, tp) and issubclass(type_q, tq):
            rank = (type_p.__mro__.index(tp), type_q.__mro__.index(tq))
            if best_rank is None or rank < best_rank:
                best, best_rank = fn, rank
    return best


def kl_divergence(p, q):
    """KL(p‖q) = ∫ p ln(p/q), batched; raises NotImplementedError naming the pair when no closed form
    is registered."""
    fn = _dispatch(type(p), type(q))
    if fn is None:
        raise NotImplementedError(f"kl_divergence: no closed form registered for "
                                  f"({type(p).__name__}, {type(q).__name__}); add one with "
                                  f"@register_kl({type(p).__name__}, {type(q).__name__})")
    return fn(p, q)


def _inf_like(x):
    return creation.full_like(x, math.inf)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    # ln(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - ops.log(var_ratio))


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    """p (ln p − ln q) + (1 − p)(ln(1 − p) − ln(1 − q)), with ln σ(ℓ) = −softplus(−ℓ); each term is 0
    where its weight (p or 1 − p) is 0 and +∞ where q puts no mass on an outcome p has."""
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = ops.where(p.probs == 0, creation.zeros_like(t1), ops.where(q.probs == 0, _inf_like(t1), t1))
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = ops.where(p.probs == 1, creation.zeros_like(t2), ops.where(q.probs == 1, _inf_like(t2), t2))
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = ops.where(q.probs == 0, _inf_like(t), t)
    t = ops.where(p.probs == 0, creation.zeros_like(t), t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = ops.log((q.high - q.low) / (p.high - p.low))
    outside = (q.low > p.low) | (q.high < p.high)
    return ops.where(outside, _inf_like(result), result)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    ratio = q.rate / p.rate
    return ratio - 1 - ops.log(ratio)


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    loc_abs_diff = (p.loc - q.loc).abs()
    return (-ops.log(scale_ratio) + loc_abs_diff / q.scale
            + scale_ratio * ops.exp(-loc_abs_diff / p.scale) - 1)


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    t1 = q.concentration * ops.log(p.rate / q.rate)
    t2 = special.gammaln(q.concentration) - special.gammaln(p.concentration)
    t3 = (p.concentration - q.concentration) * special.digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    sum_p = p.concentration1 + p.concentration0
    sum_q = q.concentration1 + q.concentration0
    t1 = special.gammaln(q.concentration1) + special.gammaln(q.concentration0) + special.gammaln(sum_p)
    t2 = special.gammaln(p.concentration1) + special.gammaln(p.concentration0) + special.gammaln(sum_q)
    t3 = (p.concentration1 - q.concentration1) * special.digamma(p.concentration1)
    t4 = (p.concentration0 - q.concentration0) * special.digamma(p.concentration0)
    t5 = (sum_q - sum_p) * special.digamma(sum_p)
    return t1 - t2 + t3 + t4 + t5


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    sum_p = p.concentration.sum(-1)
    sum_q = q.concentration.sum(-1)
    t1 = special.gammaln(sum_p) - special.gammaln(sum_q)
    t2 = (special.gammaln(p.concentration) - special.gammaln(q.concentration)).sum(-1)
    t3 = p.concentration - q.concentration
    t4 = special.digamma(p.concentration) - special.digamma(sum_p).unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(-1)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    return p.rate * (ops.log(p.rate) - ops.log(q.rate)) - (p.rate - q.rate)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("kl_divergence(MultivariateNormal, MultivariateNormal): the event shapes differ, "
                         f"{tuple(p.event_shape)} vs {tuple(q.event_shape)}")
    k = p.event_shape[0]
    half_term1 = ops.log(linalg.diagonal(q.scale_tril)).sum(-1) - ops.log(linalg.diagonal(p.scale_tril)).sum(-1)
    shape = ops.broadcast_shapes(tuple(p.batch_shape), tuple(q.batch_shape))
    Lq = q.scale_tril.expand(*(tuple(shape) + (k, k)))
    Lp = p.scale_tril.expand(*(tuple(shape) + (k, k)))
    M = linalg.solve_triangular(Lq, Lp, upper=False)
    term2 = (M * M).sum((-2, -1))
    term3 = batch_mahalanobis(q.scale_tril, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - k)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("kl_divergence(Independent, Independent) needs equal "
                                  "reinterpreted_batch_ndims")
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    """n (p (logit p − logit q) + ln(1 − p) − ln(1 − q)) for equal total counts n; +∞ where p's count
    exceeds q's (p puts mass where q has none). q's count larger than p's has no closed form: raises."""
    if np.any(p.total_count._data < q.total_count._data):
        raise NotImplementedError("kl_divergence(Binomial, Binomial): no closed form when q.total_count > "
                                  "p.total_count")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + ops.log1p(-p.probs) - ops.log1p(-q.probs))
    return ops.where(p.total_count > q.total_count, _inf_like(kl), kl)


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    """−H(p) − ln(1 − q)/p − logit(q)   (E_p[k] = 1/p − 1)."""
    return -p.entropy() - ops.log1p(-q.probs) / p.probs - q.logits


# --- pairs of different families -------------------------------------------------------------------
# KL(p‖q) = −H(p) − E_p[ln q(X)]: each closed form below is that expectation for q's log-density, with
# the moments of p (E[X], E[X²], E[ln X], ...). It is +∞ whenever p has mass where q has none.

def _infinite(p, q):
    """+∞: p puts probability where q's density is 0 (q's support does not contain p's)."""
    return _inf_like(next(v for v in vars(p).values() if isinstance(v, Tensor)))


for _p, _q in [(Exponential, Beta), (Exponential, Uniform), (Gamma, Beta), (Gamma, Uniform),
               (Laplace, Beta), (Laplace, Exponential), (Laplace, Gamma), (Laplace, Uniform),
               (Normal, Beta), (Normal, Exponential), (Normal, Gamma), (Normal, Uniform),
               (Poisson, Bernoulli), (Poisson, Binomial)]:
    register_kl(_p, _q)(_infinite)


def _normal_cross_entropy(q, mean, second_moment):
    """−E_p[ln N(X; μ, σ²)] = ½ ln(2πσ²) + (E[X²] − 2μE[X] + μ²)/(2σ²)."""
    var = q.scale * q.scale
    return 0.5 * ops.log(2 * math.pi * var) + (0.5 * second_moment - q.loc * mean + 0.5 * q.loc * q.loc) / var


def _gamma_cross_entropy(q, mean, mean_log):
    """−E_p[ln Gamma(X; α, β)] = ln Γ(α) − α ln β − (α − 1) E[ln X] + β E[X]."""
    a = q.concentration
    return special.gammaln(a) - a * ops.log(q.rate) - (a - 1) * mean_log + q.rate * mean


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p, q):
    """−H(p) − (p ln λ − λ)   (ln k! = 0 on {0, 1})."""
    return -p.entropy() - (p.probs * ops.log(q.rate) - q.rate)


def _beta_moments(p):
    """E[X], E[X²] and E[ln X] of Beta(α, β)."""
    a, b = p.concentration1, p.concentration0
    total = a + b
    mean = a / total
    return mean, mean * (1 - mean) / (total + 1) + mean * mean, special.digamma(a) - special.digamma(total)


@register_kl(Beta, Exponential)
def _kl_beta_exponential(p, q):
    """−H(p) − ln λ + λ α/(α + β)."""
    return -p.entropy() - ops.log(q.rate) + q.rate * _beta_moments(p)[0]


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    """−H(p) + ln Γ(α_q) − α_q ln β_q − (α_q − 1)(ψ(α) − ψ(α + β)) + β_q α/(α + β)."""
    mean, _, mean_log = _beta_moments(p)
    return -p.entropy() + _gamma_cross_entropy(q, mean, mean_log)


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    """−H(p) + ½ ln(2πσ²) + (E[X²] − 2μE[X] + μ²)/(2σ²),  E[X²] = Var + E[X]²."""
    mean, second, _ = _beta_moments(p)
    return -p.entropy() + _normal_cross_entropy(q, mean, second)


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    """−H(p) + ln(b − a) if [0, 1] ⊆ [a, b], else +∞."""
    result = -p.entropy() + ops.log(q.high - q.low)
    return ops.where((q.low > 0) | (q.high < 1), _inf_like(result), result)


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p, q):
    """−α ln(β/λ) + β/λ + ln Γ(α) + αγ − (1 + γ)   (E[ln X] = −γ − ln λ, γ Euler's constant)."""
    ratio = q.rate / p.rate
    return (-q.concentration * ops.log(ratio) + ratio + special.gammaln(q.concentration)
            + q.concentration * _EULER - (1 + _EULER))


@register_kl(Exponential, Normal)
def _kl_exponential_normal(p, q):
    """ln λ − 1 + ½ ln(2πσ²) + (E[X²] − 2μE[X] + μ²)/(2σ²),  E[X] = 1/λ, E[X²] = 2/λ²."""
    mean = 1 / p.rate
    return -p.entropy() + _normal_cross_entropy(q, mean, 2 * mean * mean)


@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p, q):
    """−H(p) − ln λ + λ α/β."""
    return -p.entropy() - ops.log(q.rate) + q.rate * p.concentration / p.rate


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    """−H(p) + ½ ln(2πσ²) + (E[X²] − 2μE[X] + μ²)/(2σ²),  E[X] = α/β, E[X²] = α(α + 1)/β²."""
    a, b = p.concentration, p.rate
    return -p.entropy() + _normal_cross_entropy(q, a / b, a * (a + 1) / (b * b))


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p, q):
    """−(1 + ln 2b) + ½ ln(2πσ²) + (2b² + (μ_p − μ_q)²)/(2σ²)."""
    second = 2 * p.scale * p.scale + p.loc * p.loc
    return -p.entropy() + _normal_cross_entropy(q, p.loc, second)


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    """−ln(σ/b) + E|X − μ_q|/b − ½(1 + ln(π/2)),  E|X − μ_q| = σ√(2/π) e^(−d²/2σ²) + d erf(d/(σ√2)),
    d = μ_p − μ_q (the mean of a folded normal)."""
    d = p.loc - q.loc
    folded = (math.sqrt(2 / math.pi) * p.scale * ops.exp(-0.5 * (d / p.scale) ** 2)
              + d * special.erf(d / (p.scale * math.sqrt(2))))
    return -ops.log(p.scale / q.scale) + folded / q.scale - 0.5 * (1 + math.log(0.5 * math.pi))


def _uniform_mean_log(low, high):
    """E[ln X] for X ~ U[low, high): (h ln h − h − l ln l + l)/(h − l), with 0 ln 0 = 0."""
    return (special.xlogy(high, high) - special.xlogy(low, low)) / (high - low) - 1


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    """−ln(h − l) − (α − 1)E[ln X] − (β − 1)E[ln(1 − X)] + ln B(α, β) if [l, h) ⊆ [0, 1], else +∞."""
    a, b = q.concentration1, q.concentration0
    log_beta = special.gammaln(a) + special.gammaln(b) - special.gammaln(a + b)
    mean_log = _uniform_mean_log(p.low, p.high)
    mean_log_complement = _uniform_mean_log(1 - p.high, 1 - p.low)
    result = -ops.log(p.high - p.low) - (a - 1) * mean_log - (b - 1) * mean_log_complement + log_beta
    return ops.where((p.high > 1) | (p.low < 0), _inf_like(result), result)


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p, q):
    """λ (l + h)/2 − ln((h − l) λ) if l ≥ 0, else +∞."""
    result = q.rate * (p.high + p.low) / 2 - ops.log((p.high - p.low) * q.rate)
    return ops.where(p.low < 0, _inf_like(result), result)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    """−ln(h − l) + ln Γ(α) − α ln β − (α − 1)E[ln X] + β(l + h)/2 if l ≥ 0, else +∞."""
    result = -p.entropy() + _gamma_cross_entropy(q, p.mean, _uniform_mean_log(p.low, p.high))
    return ops.where(p.low < 0, _inf_like(result), result)


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p, q):
    """−ln(h − l) + ½ ln(2πσ²) + ((h − l)²/12 + ((l + h)/2 − μ)²)/(2σ²)."""
    mean = p.mean
    return -p.entropy() + _normal_cross_entropy(q, mean, p.variance + mean * mean)
