"""nnmath.distributions against torch.distributions (float64), sampling statistics, validation."""
import math

import numpy as np
import pytest

import nnmath
from nnmath import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions

RNG = np.random.default_rng(0)
SHAPE = (3,)


def _pos(low=0.5, high=3.0, shape=SHAPE):
    return RNG.uniform(low, high, shape)


def _probs(shape=(2, 4)):
    p = RNG.uniform(0.1, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


def _spd(k=3):
    a = RNG.standard_normal((k, k))
    return a @ a.T + k * np.eye(k)


# name: (nnmath class, torch class, params (kwargs of float64 arrays), value sampler)
CASES = {
    "Normal": (D.Normal, TD.Normal, dict(loc=RNG.standard_normal(SHAPE), scale=_pos()),
               lambda: RNG.standard_normal(SHAPE)),
    "Uniform": (D.Uniform, TD.Uniform, dict(low=np.array([-1.0, 0.0, 2.0]), high=np.array([1.0, 0.5, 5.0])),
                lambda: np.array([0.3, 0.25, 3.0])),
    "Exponential": (D.Exponential, TD.Exponential, dict(rate=_pos()), lambda: _pos(0.1, 2.0)),
    "Laplace": (D.Laplace, TD.Laplace, dict(loc=RNG.standard_normal(SHAPE), scale=_pos()),
                lambda: RNG.standard_normal(SHAPE)),
    "Gamma": (D.Gamma, TD.Gamma, dict(concentration=_pos(), rate=_pos()), lambda: _pos(0.1, 3.0)),
    "Beta": (D.Beta, TD.Beta, dict(concentration1=_pos(1.2, 3), concentration0=_pos(1.2, 3)),
             lambda: RNG.uniform(0.05, 0.95, SHAPE)),
    "Dirichlet": (D.Dirichlet, TD.Dirichlet, dict(concentration=_pos(0.5, 3, (2, 4))), lambda: _probs()),
    "Bernoulli": (D.Bernoulli, TD.Bernoulli, dict(probs=RNG.uniform(0.1, 0.9, SHAPE)),
                  lambda: np.array([0.0, 1.0, 1.0])),
    "BernoulliLogits": (D.Bernoulli, TD.Bernoulli, dict(logits=RNG.standard_normal(SHAPE)),
                        lambda: np.array([1.0, 0.0, 1.0])),
    "Categorical": (D.Categorical, TD.Categorical, dict(probs=_probs()), lambda: np.array([0, 3])),
    "CategoricalLogits": (D.Categorical, TD.Categorical, dict(logits=RNG.standard_normal((2, 4))),
                          lambda: np.array([[1, 2], [0, 3]])),
    "OneHotCategorical": (D.OneHotCategorical, TD.OneHotCategorical, dict(probs=_probs()),
                          lambda: np.eye(4)[[2, 1]]),
    "Binomial": (D.Binomial, TD.Binomial, dict(total_count=np.array(6.0), probs=RNG.uniform(0.1, 0.9, SHAPE)),
                 lambda: np.array([0.0, 3.0, 6.0])),
    "Poisson": (D.Poisson, TD.Poisson, dict(rate=_pos()), lambda: np.array([0.0, 2.0, 5.0])),
    "Geometric": (D.Geometric, TD.Geometric, dict(probs=RNG.uniform(0.1, 0.9, SHAPE)),
                  lambda: np.array([0.0, 1.0, 4.0])),
    "MVN_cov": (D.MultivariateNormal, TD.MultivariateNormal,
                dict(loc=RNG.standard_normal((2, 3)), covariance_matrix=_spd()), lambda: RNG.standard_normal((2, 3))),
    "MVN_tril": (D.MultivariateNormal, TD.MultivariateNormal,
                 dict(loc=RNG.standard_normal(3), scale_tril=np.linalg.cholesky(_spd())),
                 lambda: RNG.standard_normal((4, 3))),
    "MVN_prec": (D.MultivariateNormal, TD.MultivariateNormal,
                 dict(loc=RNG.standard_normal(3), precision_matrix=_spd()), lambda: RNG.standard_normal(3)),
}
INTEGER_VALUES = {"Categorical", "CategoricalLogits"}
DIFFERENTIABLE = {"total_count"}  # excluded from gradients


def build(name, requires_grad=False):
    ours_cls, theirs_cls, params, value = CASES[name]
    ours = {k: nnmath.tensor(v, dtype=nnmath.float64, requires_grad=requires_grad and k not in DIFFERENTIABLE)
            for k, v in params.items()}
    theirs = {k: torch.tensor(v, dtype=torch.float64, requires_grad=requires_grad and k not in DIFFERENTIABLE)
              for k, v in params.items()}
    return ours_cls(**ours), theirs_cls(**theirs), ours, theirs


def values(name):
    v = CASES[name][3]()
    if name in INTEGER_VALUES:
        return nnmath.tensor(v), torch.tensor(v)
    return nnmath.tensor(v, dtype=nnmath.float64), torch.tensor(v, dtype=torch.float64)


def close(a, b, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", list(CASES))
def test_log_prob_and_its_gradients_match_torch(name):
    ours, theirs, op, tp = build(name, requires_grad=True)
    v_ours, v_theirs = values(name)
    a, b = ours.log_prob(v_ours), theirs.log_prob(v_theirs)
    assert tuple(a.shape) == tuple(b.shape)
    close(a, b)
    a.sum().backward()
    b.sum().backward()
    for k in op:
        if tp[k].requires_grad:
            close(op[k].grad, tp[k].grad, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", list(CASES))
def test_shapes_moments_and_entropy_match_torch(name):
    ours, theirs, _, _ = build(name)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert tuple(ours.sample((5,)).shape) == tuple(theirs.sample((5,)).shape)
    for attr in ["mean", "variance", "stddev", "mode"]:
        if name.startswith("Categorical") and attr != "mode":
            assert np.isnan(getattr(ours, attr).numpy()).all()
            continue
        if name == "Beta" and attr == "mode":
            continue  # torch's Beta.mode is that of its Dirichlet; checked in test_beta_mode
        close(getattr(ours, attr), getattr(theirs, attr))
    if name != "Poisson":  # PyTorch has no Poisson entropy
        close(ours.entropy(), theirs.entropy())


def test_beta_mode():
    d = D.Beta(nnmath.tensor([2.0, 5.0], dtype=nnmath.float64), nnmath.tensor([3.0, 2.0], dtype=nnmath.float64))
    np.testing.assert_allclose(d.mode.numpy(), [1 / 3, 4 / 5])


@pytest.mark.parametrize("name", ["Normal", "Uniform", "Exponential", "Laplace", "Gamma"])
def test_cdf_and_icdf_match_torch(name):
    ours, theirs, _, _ = build(name)
    v_ours, v_theirs = values(name)
    close(ours.cdf(v_ours), theirs.cdf(v_theirs), rtol=1e-9)
    if name == "Gamma":
        return  # PyTorch has no Gamma.icdf
    p = np.array([0.1, 0.5, 0.93])
    close(ours.icdf(nnmath.tensor(p, dtype=nnmath.float64)), theirs.icdf(torch.tensor(p, dtype=torch.float64)),
          rtol=1e-9)
    np.testing.assert_allclose(ours.cdf(ours.icdf(nnmath.tensor(p, dtype=nnmath.float64))).numpy(), p, rtol=1e-12)


KL_PAIRS = ["Normal", "Bernoulli", "Categorical", "OneHotCategorical", "Uniform", "Exponential", "Laplace",
            "Gamma", "Beta", "Dirichlet", "Poisson", "MVN_cov"]


@pytest.mark.parametrize("name", KL_PAIRS)
def test_kl_divergence_matches_torch(name):
    p_ours, p_theirs, op, tp = build(name, requires_grad=True)
    cls, tcls, params, _ = CASES[name]
    other = {k: (v * 1.3 + 0.1 if k not in ("probs", "covariance_matrix", "total_count") else v) for k, v in params.items()}
    if name in ("Categorical", "OneHotCategorical"):
        other["probs"] = _probs()
    if name == "Uniform":
        other = dict(low=params["low"] - 0.5, high=params["high"] + 1.0)
    if name == "Bernoulli":
        other = dict(probs=np.array([0.3, 0.6, 0.5]))
    if name == "MVN_cov":
        other = dict(loc=params["loc"] + 0.5, covariance_matrix=_spd())
    q_ours = cls(**{k: nnmath.tensor(v, dtype=nnmath.float64) for k, v in other.items()})
    q_theirs = tcls(**{k: torch.tensor(v, dtype=torch.float64) for k, v in other.items()})
    a = D.kl_divergence(p_ours, q_ours)
    b = TD.kl_divergence(p_theirs, q_theirs)
    close(a, b, rtol=1e-9)
    assert (a.detach().numpy() >= 0).all()
    np.testing.assert_allclose(D.kl_divergence(p_ours, p_ours).detach().numpy(), 0, atol=1e-12)
    a.sum().backward()
    b.sum().backward()
    for k in op:
        if tp[k].grad is not None:
            close(op[k].grad, tp[k].grad, rtol=1e-7, atol=1e-10)


def test_kl_uniform_outside_support_is_infinite_and_independent():
    p = D.Uniform(nnmath.tensor(0.0), nnmath.tensor(2.0))
    q = D.Uniform(nnmath.tensor(0.5), nnmath.tensor(3.0))
    assert D.kl_divergence(p, q).item() == math.inf
    base_p = D.Normal(nnmath.zeros(2, 3, dtype=nnmath.float64), nnmath.ones(2, 3, dtype=nnmath.float64))
    base_q = D.Normal(nnmath.ones(2, 3, dtype=nnmath.float64), 2 * nnmath.ones(2, 3, dtype=nnmath.float64))
    kl = D.kl_divergence(D.Independent(base_p, 1), D.Independent(base_q, 1))
    ref = TD.kl_divergence(TD.Independent(TD.Normal(torch.zeros(2, 3, dtype=torch.float64),
                                                    torch.ones(2, 3, dtype=torch.float64)), 1),
                           TD.Independent(TD.Normal(torch.ones(2, 3, dtype=torch.float64),
                                                    2 * torch.ones(2, 3, dtype=torch.float64)), 1))
    close(kl, ref)


def test_kl_without_closed_form_names_the_pair():
    with pytest.raises(NotImplementedError, match=r"\(Normal, Poisson\)"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Poisson(1.0))


def test_register_kl_extends_the_registry():
    class MyNormal(D.Normal):
        pass

    @D.register_kl(MyNormal, D.Poisson)
    def _kl(p, q):
        return nnmath.tensor(42.0)

    try:
        assert D.kl_divergence(MyNormal(0.0, 1.0), D.Poisson(1.0)).item() == 42.0
        # subclasses fall back to the parent's closed form
        assert D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(0.0, 1.0)).item() == pytest.approx(0.0)
    finally:  # the registry is global: leave it as the library defines it
        del D.kl._KL_REGISTRY[MyNormal, D.Poisson]


def test_independent_matches_torch():
    loc, scale = RNG.standard_normal((4, 3)), _pos(shape=(4, 3))
    ours = D.Independent(D.Normal(nnmath.tensor(loc), nnmath.tensor(scale)), 1)
    theirs = TD.Independent(TD.Normal(torch.tensor(loc), torch.tensor(scale)), 1)
    x = RNG.standard_normal((2, 4, 3))
    assert tuple(ours.batch_shape) == (4,) and tuple(ours.event_shape) == (3,)
    close(ours.log_prob(nnmath.tensor(x)), theirs.log_prob(torch.tensor(x)))
    close(ours.entropy(), theirs.entropy())


@pytest.mark.parametrize("name", ["Normal", "Laplace", "Exponential", "Uniform", "Gamma", "Beta", "MVN_cov"])
def test_rsample_is_differentiable_and_its_gradient_has_the_right_mean(name):
    """E[∂x/∂θ] = ∂E[x]/∂θ: the mean over 20000 reparameterised draws of the gradient of Σx matches the
    gradient of the mean (compared with torch's analytic mean gradient) within 5 standard errors."""
    ours, theirs, op, tp = build(name, requires_grad=True)
    n = 20000
    x = ours.rsample((n,))
    (x.sum() / n).backward()
    theirs.mean.sum().backward()
    for k in op:
        if not op[k].requires_grad:
            continue
        ref = tp[k].grad.numpy() if tp[k].grad is not None else np.zeros(op[k].shape)
        # the per-draw gradient ∂x/∂θ has a spread comparable to that of x/θ; bound its sd by 3·max(sd(x), 1)
        per_draw_sd = 3 * max(float(np.std(x.detach().numpy())), 1.0)
        np.testing.assert_allclose(op[k].grad.numpy(), ref, atol=5 * per_draw_sd / math.sqrt(n))


def test_gamma_rsample_gradient_is_the_implicit_derivative():
    """dz/dα from StandardGamma equals −(∂P/∂α)/p(z), checked by finite differences of the quantile."""
    from nnmath.special import StandardGamma
    alpha = nnmath.tensor([0.3, 1.0, 2.5, 20.0], dtype=nnmath.float64, requires_grad=True)
    u = np.array([0.2, 0.5, 0.7, 0.99])
    z = StandardGamma.apply(alpha, u, None)
    z.sum().backward()
    h = 1e-6
    plus = StandardGamma.apply(nnmath.tensor(alpha.detach().numpy() + h), u, None).numpy()
    minus = StandardGamma.apply(nnmath.tensor(alpha.detach().numpy() - h), u, None).numpy()
    np.testing.assert_allclose(alpha.grad.numpy(), (plus - minus) / (2 * h), rtol=1e-6)
    # the quantile really is the inverse CDF
    np.testing.assert_allclose(nnmath.special.gammainc(alpha.detach(), z.detach()).numpy(), u, rtol=1e-12)


def test_gamma_rsample_gradient_mean_is_one_over_rate():
    """E[Z] = α/β, so E[∂Z/∂α] = 1/β."""
    alpha = nnmath.tensor([0.4, 3.0], dtype=nnmath.float64, requires_grad=True)
    d = D.Gamma(alpha, nnmath.tensor([1.0, 2.0], dtype=nnmath.float64))
    n = 20000
    z = d.rsample((n,))
    z.sum().backward()
    per_draw_sd = 1.5  # generous bound on sd(∂Z/∂α) for these α
    np.testing.assert_allclose(alpha.grad.numpy() / n, [1.0, 0.5], atol=5 * per_draw_sd / math.sqrt(n))


@pytest.mark.parametrize("name", list(CASES))
def test_sample_mean_and_variance_within_five_standard_errors(name):
    ours, _, _, _ = build(name)
    n = 20000
    nnmath.manual_seed(123)
    x = ours.sample((n,)).numpy().astype(np.float64)
    if name.startswith("Categorical"):
        probs = ours.probs.numpy()
        freq = np.stack([(x == k).mean(0) for k in range(probs.shape[-1])], -1)
        se = np.sqrt(probs * (1 - probs) / n)
        assert (np.abs(freq - probs) <= 5 * se + 1e-12).all()
        return
    mean, var = ours.mean.numpy(), ours.variance.numpy()
    se_mean = np.sqrt(var / n)
    assert (np.abs(x.mean(0) - mean) <= 5 * se_mean).all(), (x.mean(0), mean)
    # sd of the sample variance ≈ var · √(2/n) for near-normal data; a factor 3 covers the heavier tails
    se_var = 3 * var * math.sqrt(2 / n) + 1e-12
    assert (np.abs(x.var(0) - var) <= 5 * se_var).all(), (x.var(0), var)


def test_sample_has_no_grad_and_seed_reproduces():
    d = D.Normal(nnmath.tensor([0.0], requires_grad=True), 1.0)
    assert not d.sample((3,)).requires_grad
    assert d.rsample((3,)).requires_grad
    nnmath.manual_seed(5)
    a = d.sample((4,)).numpy()
    nnmath.manual_seed(5)
    np.testing.assert_array_equal(a, d.sample((4,)).numpy())


@pytest.mark.parametrize("make,match", [
    (lambda: D.Normal(0.0, 0.0), r"Normal: parameter scale .* \[0\.\]"),
    (lambda: D.Normal(0.0, -2.0), r"Normal: parameter scale"),
    (lambda: D.Bernoulli(probs=1.5), r"Bernoulli: parameter probs .*1\.5"),
    (lambda: D.Categorical(probs=[0.5, -0.1, 0.6]), r"Categorical: parameter probs must be non-negative"),
    (lambda: D.Dirichlet([1.0, 0.0]), r"Dirichlet: parameter concentration"),
    (lambda: D.Uniform(1.0, 1.0), r"Uniform: parameter low must be < high"),
    (lambda: D.Gamma(-1.0, 1.0), r"Gamma: parameter concentration"),
    (lambda: D.Poisson(-0.5), r"Poisson: parameter rate"),
    (lambda: D.MultivariateNormal(nnmath.zeros(2), covariance_matrix=nnmath.tensor([[1.0, 2.0], [2.0, 1.0]])),
     r"MultivariateNormal: parameter covariance_matrix"),
    (lambda: D.Normal(0.0, 1.0, validate_args=True).log_prob(float("nan")), r"Normal.log_prob"),
    (lambda: D.Exponential(1.0).log_prob(-1.0), r"Exponential.log_prob: the value must lie in the support"),
    (lambda: D.Bernoulli(probs=0.3).log_prob(0.5), r"Bernoulli.log_prob"),
    (lambda: D.Categorical(probs=[0.5, 0.5]).log_prob(2), r"Categorical.log_prob"),
    (lambda: D.Dirichlet([1.0, 2.0]).log_prob([0.5, 0.6]), r"Dirichlet.log_prob.*tolerance|Dirichlet.log_prob"),
])
def test_validation_errors_name_the_distribution(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_validation_can_be_disabled_and_categorical_normalises():
    D.Normal(0.0, -1.0, validate_args=False)
    d = D.Categorical(probs=nnmath.tensor([2.0, 6.0]))
    np.testing.assert_allclose(d.probs.numpy(), [0.25, 0.75])


def test_expand():
    d = D.Normal(nnmath.tensor(0.0), nnmath.tensor(1.0)).expand((3, 2))
    assert tuple(d.batch_shape) == (3, 2) and tuple(d.sample().shape) == (3, 2)
    c = D.Categorical(probs=nnmath.tensor([0.2, 0.8])).expand((4,))
    assert tuple(c.sample((2,)).shape) == (2, 4)
    m = D.MultivariateNormal(nnmath.zeros(2), scale_tril=nnmath.eye(2)).expand((5,))
    assert tuple(m.rsample().shape) == (5, 2)


def test_every_closed_form_kl_pytorch_has_between_nnmath_families_exists():
    """PyTorch's KL table, restricted to the families nnmath implements, is nnmath's (each pair's value,
    gradient and Hessian-vector product are compared in the op table, tests/distributions/op_db.py)."""
    from torch.distributions.kl import _KL_REGISTRY as theirs
    from nnmath.distributions.kl import _KL_REGISTRY as ours
    families = {name for name in D.__all__ if isinstance(getattr(D, name), type)}
    expected = {(p.__name__, q.__name__) for p, q in theirs if p.__name__ in families and q.__name__ in families}
    assert len(expected) == 44
    assert expected == {(p.__name__, q.__name__) for p, q in ours}


def test_binomial_kl_with_a_larger_q_count_is_refused():
    p = D.Binomial(3, probs=nnmath.tensor([0.4]))
    q = D.Binomial(5, probs=nnmath.tensor([0.4]))
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        D.kl_divergence(p, q)
    assert D.kl_divergence(q, p).item() == math.inf


def test_bernoulli_derivatives_at_one_half_are_the_mathematical_ones():
    """At p = ½ (logits 0): d/dp log P(x) = x/p − (1 − x)/(1 − p) = ±2 and dH/dp = ln((1 − p)/p) = 0."""
    p = nnmath.tensor([0.5, 0.5], dtype=nnmath.float64, requires_grad=True)
    d = D.Bernoulli(probs=p)
    g, = nnmath.autograd.grad(d.log_prob(nnmath.tensor([1.0, 0.0], dtype=nnmath.float64)).sum(), p)
    np.testing.assert_allclose(g.numpy(), [2.0, -2.0], rtol=1e-12)
    g, = nnmath.autograd.grad(D.Bernoulli(probs=p).entropy().sum(), p)
    np.testing.assert_allclose(g.numpy(), [0.0, 0.0], atol=1e-12)


def test_binomial_log_prob_at_logits_zero_has_the_softplus_derivatives():
    """ln P(k) = kℓ − n softplus(ℓ) + const: at ℓ = 0 the first derivative is k − n/2, the second −n/4."""
    logits = nnmath.tensor([0.0, 0.0], dtype=nnmath.float64, requires_grad=True)
    lp = D.Binomial(4, logits=logits).log_prob(nnmath.tensor([1.0, 4.0], dtype=nnmath.float64))
    g, = nnmath.autograd.grad(lp.sum(), logits, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [1 - 2, 4 - 2], rtol=1e-12)
    h, = nnmath.autograd.grad(g.sum(), logits)
    np.testing.assert_allclose(h.numpy(), [-1.0, -1.0], rtol=1e-12)


def test_dirichlet_gradient_at_concentration_one_keeps_the_log_term():
    """∂/∂αᵢ ln Dir(x; α) = ln xᵢ − ψ(αᵢ) + ψ(α₀): at α = 1 the ln xᵢ term is there (xlogy′ at 0)."""
    a = nnmath.tensor([1.0, 1.0, 1.0], dtype=nnmath.float64, requires_grad=True)
    x = np.array([0.2, 0.3, 0.5])
    g, = nnmath.autograd.grad(D.Dirichlet(a).log_prob(nnmath.tensor(x)), a)
    psi1, psi3 = -0.5772156649015329, 1.5 - 0.5772156649015329  # ψ(1), ψ(3)
    np.testing.assert_allclose(g.numpy(), np.log(x) - psi1 + psi3, rtol=1e-12)
