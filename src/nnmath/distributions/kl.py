"""KL divergence between distributions, KL(p‖q) = E_p[ln p(X) − ln q(X)], from a registry of closed
forms (``register_kl``), as in ``torch.distributions.kl``."""
from __future__ import annotations

import math

from nnmath import creation, linalg, ops, special
from nnmath.distributions.continuous import Beta, Dirichlet, Exponential, Gamma, Laplace, Normal, Uniform
from nnmath.distributions.discrete import Bernoulli, Categorical, OneHotCategorical, Poisson
from nnmath.distributions.independent import Independent, sum_rightmost
from nnmath.distributions.multivariate_normal import MultivariateNormal, batch_mahalanobis
from nnmath.ops.activation import softplus

_KL_REGISTRY: dict = {}


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
    # p (ln p − ln q) + (1 − p)(ln(1 − p) − ln(1 − q)), with ln σ(ℓ) = −softplus(−ℓ)
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
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
