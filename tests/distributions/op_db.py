"""Op-table entries of ``nnmath.distributions``: log-densities, entropies and every closed-form KL
divergence, each against ``torch.distributions`` (values, gradients and Hessian-vector products) with
float64 gradcheck and gradgradcheck, at random parameters and at the special points users land on:
p = ½ and logits 0 (zero-initialised), concentration 1 (uniform priors), exact-zero probabilities,
a value at the mode of a kink (Laplace) or on a support boundary, equal distributions (KL = 0).

Discrete values are passed as the keyword ``value`` (a constant: gradcheck must not perturb a count off
the integers); continuous values are differentiable arguments. Parameters of a KL pair are listed p's
first, then q's.
"""
from __future__ import annotations

import numpy as np

from nnmath.distributions.kl import _KL_REGISTRY, _infinite
from nnmath.special import StandardGamma
from opinfo import OpInfo, Sample, positive

SHAPE = (3,)


def levels(rng):
    return [Sample(positive(rng, s, low=0.5, high=4.0), {"u": rng.uniform(0.05, 0.95, s)}) for s in [(), (3,), (2, 2)]]


def D(m):
    return m.distributions


def t(m, value, like):
    """A constant tensor of ``like``'s dtype (discrete values, fixed counts)."""
    return m.tensor(value, dtype=like.dtype)


def simplex(x):
    """x renormalised over its last dimension: gradcheck's perturbations stay on the simplex."""
    return x / x.sum(-1, keepdim=True)


# --- families: how to build one from its differentiable parameters, and where to draw them ----------
def _u(low, high, shape=SHAPE):
    return lambda rng: rng.uniform(low, high, shape)


def _lower_triangular(rng):
    L = np.tril(rng.uniform(-0.5, 0.5, (3, 3)))
    np.fill_diagonal(L, rng.uniform(0.8, 1.5, 3))
    return L


FAMILIES = {
    # name: (build(m, *params), [draw(rng) per parameter])
    "Normal": (lambda m, loc, scale: D(m).Normal(loc, scale), [_u(-1, 1), _u(0.5, 2)]),
    "Laplace": (lambda m, loc, scale: D(m).Laplace(loc, scale), [_u(-1, 1), _u(0.5, 2)]),
    "Uniform": (lambda m, low, high: D(m).Uniform(low, high), [_u(0.1, 0.3), _u(0.6, 0.9)]),
    "Exponential": (lambda m, rate: D(m).Exponential(rate), [_u(0.5, 2)]),
    "Gamma": (lambda m, a, b: D(m).Gamma(a, b), [_u(0.5, 3), _u(0.5, 2)]),
    "Beta": (lambda m, a, b: D(m).Beta(a, b), [_u(0.5, 3), _u(0.5, 3)]),
    "Bernoulli": (lambda m, p: D(m).Bernoulli(probs=p), [_u(0.1, 0.9)]),
    "Binomial": (lambda m, p: D(m).Binomial(t(m, 5.0, p), probs=p), [_u(0.1, 0.9)]),
    "Geometric": (lambda m, p: D(m).Geometric(probs=p), [_u(0.1, 0.9)]),
    "Poisson": (lambda m, rate: D(m).Poisson(rate), [_u(0.5, 3)]),
    "Categorical": (lambda m, logits: D(m).Categorical(logits=logits), [_u(-1, 1, (3, 4))]),
    "OneHotCategorical": (lambda m, logits: D(m).OneHotCategorical(logits=logits), [_u(-1, 1, (3, 4))]),
    "Dirichlet": (lambda m, a: D(m).Dirichlet(a), [_u(0.5, 3, (2, 3))]),
    "MultivariateNormal": (lambda m, loc, L: D(m).MultivariateNormal(loc, scale_tril=m.tril(L)),
                           [_u(-1, 1), _lower_triangular]),
    "Independent": (lambda m, loc, scale: D(m).Independent(D(m).Normal(loc, scale), 1),
                    [_u(-1, 1, (2, 3)), _u(0.5, 2, (2, 3))]),
}


def draw(family, rng):
    return tuple(d(rng) for d in FAMILIES[family][1])


def build(family, m, params):
    return FAMILIES[family][0](m, *params)


# --- KL pairs -------------------------------------------------------------------------------------
def kl_op(fp, fq):
    n = len(FAMILIES[fp][1])
    return lambda m, *params: D(m).kl_divergence(build(fp, m, params[:n]), build(fq, m, params[n:]))


def kl_samples(fp, fq):
    return lambda rng: [Sample(draw(fp, rng) + KL_DRAW_Q.get((fp, fq), lambda rng: draw(fq, rng))(rng))
                        for _ in range(2)]


# q's parameters where a random draw would often put p's mass outside q's support (+∞, no derivative)
KL_DRAW_Q = {
    ("Uniform", "Uniform"): lambda rng: (rng.uniform(-0.2, 0.05, SHAPE), rng.uniform(0.95, 1.2, SHAPE)),
    ("Beta", "Uniform"): lambda rng: (rng.uniform(-0.5, -0.1, SHAPE), rng.uniform(1.1, 1.5, SHAPE)),
}


def same(values):
    return tuple(v.copy() for v in values)


def c(*values):
    return np.array(values, dtype=float)


# Special points of each pair: (p's parameters, q's parameters, smooth), or a reason for none.
KL_SPECIAL = {
    ("Bernoulli", "Bernoulli"): [(c(0.5, 0.0, 1.0), c(0.5, 0.3, 0.7), False),    # p = ½, p = 0, p = 1
                                 (c(0.3, 0.4, 0.6), c(0.0, 1.0, 0.5), False)],   # q = 0, q = 1: +∞
    ("Uniform", "Uniform"): [(c(0.1, 0.2, 0.3), c(0.6, 0.7, 0.8), c(0.1, 0.0, 0.3), c(0.9, 0.7, 0.8), False)],
    ("Laplace", "Laplace"): [(c(0.2, -0.1, 0.0), c(1.0, 0.5, 2.0), c(0.2, -0.1, 0.0), c(0.7, 0.5, 1.0), False)],
    ("Beta", "Uniform"): [(c(1.0, 2.0, 0.5), c(1.0, 1.0, 3.0), c(0.0, 0.0, -0.5), c(1.0, 1.2, 1.0), False)],
    ("Beta", "Beta"): [(c(1.0, 1.0, 2.0), c(1.0, 3.0, 1.0), c(1.0, 2.0, 1.0), c(1.0, 1.0, 1.0), True)],
    ("Gamma", "Gamma"): [(c(1.0, 2.0, 0.7), c(1.0, 1.5, 2.0), c(1.0, 1.0, 0.7), c(2.0, 1.5, 2.0), True)],
    ("Uniform", "Gamma"): [(c(0.0, 0.1, 0.2), c(0.5, 0.6, 0.7), c(1.0, 2.0, 0.5), c(1.0, 1.0, 2.0), False)],
    ("Uniform", "Exponential"): [(c(0.0, 0.1, 0.2), c(0.5, 0.6, 0.7), c(1.0, 2.0, 0.5), False)],
    ("Uniform", "Beta"): [(c(0.0, 0.1, 0.2), c(0.5, 0.6, 1.0), c(1.0, 2.0, 0.5), c(1.0, 1.0, 2.0), False)],
    ("Geometric", "Geometric"): [(c(0.5, 0.5, 0.2), c(0.5, 0.3, 0.5), True)],
}


def kl_special(fp, fq):
    """Equal distributions (KL = 0, gradient 0) for pairs of one family, plus the pair's own points."""
    def special(rng):
        out = []
        if fp == fq:
            p = draw(fp, rng)
            # equal Laplace locations sit on the kink of |μ_p − μ_q|; equal Uniform supports on the edge of
            # containment (KL jumps to +∞ beyond it)
            out.append(Sample(p + same(p), smooth=fp not in ("Laplace", "Uniform")))
        for *params, smooth in KL_SPECIAL.get((fp, fq), []):
            out.append(Sample(tuple(params), smooth=smooth))
        return out
    return special


def kl_entries():
    out = []
    for (p_cls, q_cls), closed_form in _KL_REGISTRY.items():
        fp, fq = p_cls.__name__, q_cls.__name__
        if closed_form is _infinite:  # +∞ whatever the parameters: a value to compare, no derivative
            out.append(OpInfo(f"distributions.kl.{fp}.{fq}", kl_op(fp, fq), kl_samples(fp, fq), gradcheck=False,
                              gradgrad=False, special="constant +∞: q's support never contains p's"))
            continue
        out.append(OpInfo(f"distributions.kl.{fp}.{fq}", kl_op(fp, fq), kl_samples(fp, fq),
                          special=kl_special(fp, fq), **TOLERANCES))
    return out


# --- log-densities and entropies ---------------------------------------------------------------
def log_prob(family, differentiable_value=True):
    """``log_prob(value)``; the value is the last argument, or the keyword ``value`` when discrete."""
    if differentiable_value:
        return lambda m, *args: build(family, m, args[:-1]).log_prob(args[-1])
    return lambda m, *params, value: build(family, m, params).log_prob(t(m, value, params[0]))


def entropy(family):
    return lambda m, *params: build(family, m, params).entropy()


def with_params(family, *values, n=2, **kw):
    """Samples: ``n`` random parameter draws followed by ``values`` (extra arguments)."""
    return lambda rng: [Sample(draw(family, rng) + tuple(v(rng) for v in values), **kw) for _ in range(n)]


def at(*args, value=None, smooth=True, differs=""):
    kwargs = {} if value is None else {"value": np.array(value, dtype=float)}
    return lambda rng: [Sample(tuple(np.array(a, dtype=float) for a in args), kwargs, smooth=smooth, differs=differs)]


def joined(*samplers):
    return lambda rng: [s for sampler in samplers for s in sampler(rng)]


# float32: PyTorch's and nnmath's lgamma/digamma differ in the last bits; float64: polygamma (in the
# Hessians of entropies and KL divergences) is accurate to ~1e-9 relative (see tests/special/op_db.py).
TOLERANCES = dict(rtol=1e-4, atol=1e-5, rtol64=1e-8, atol64=1e-10)

BINOMIAL_HESSIAN = ("PyTorch composes ln(1 + e^ℓ) of clamp and |ℓ|, whose second derivative at ℓ = 0 is 0; "
                    "nnmath's softplus primitive gives the true n/4")

def entry(*args, **kwargs):
    return OpInfo(*args, **TOLERANCES, **kwargs)


DENSITIES = [
    entry("distributions.Normal.log_prob", log_prob("Normal"), with_params("Normal", _u(-2, 2)),
           special=at([0.3, -1.0, 0.0], [1.0, 0.5, 2.0], [0.3, -1.0, 0.0])),                    # x at the mean
    entry("distributions.Laplace.log_prob", log_prob("Laplace"), with_params("Laplace", _u(-2, 2)),
           special=at([0.3, -1.0, 0.0], [1.0, 0.5, 2.0], [0.3, -1.0, 0.0], smooth=False)),      # |x − μ| kink
    entry("distributions.Uniform.log_prob", log_prob("Uniform"), with_params("Uniform", _u(0.35, 0.55)),
           special=at([0.1, 0.2, 0.3], [0.6, 0.7, 0.8], [0.1, 0.2, 0.5], smooth=False)),       # x on the lower bound
    entry("distributions.Exponential.log_prob", log_prob("Exponential"), with_params("Exponential", _u(0.1, 2)),
           special=at([0.5, 1.0, 2.0], [0.0, 0.0, 1.0], smooth=False)),                         # x = 0, the boundary
    entry("distributions.Gamma.log_prob", log_prob("Gamma"), with_params("Gamma", _u(0.2, 3)),
           special=at([1.0, 1.0, 2.0], [0.5, 2.0, 1.0], [0.4, 1.3, 2.0])),                    # concentration 1
    entry("distributions.Beta.log_prob", log_prob("Beta"), with_params("Beta", _u(0.1, 0.9)),
           special=at([1.0, 1.0, 2.0], [1.0, 3.0, 1.0], [0.3, 0.5, 0.8])),                    # concentrations 1
    entry("distributions.Dirichlet.log_prob", lambda m, a, x: build("Dirichlet", m, (a,)).log_prob(simplex(x)),
           with_params("Dirichlet", _u(0.2, 1.0, (2, 3))),
           special=at([[1.0, 1.0, 1.0], [1.0, 2.0, 0.5]], [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])),   # uniform prior
    entry("distributions.Bernoulli.log_prob", log_prob("Bernoulli", False),
           lambda rng: [Sample(draw("Bernoulli", rng), {"value": np.array([0.0, 1.0, 1.0])})],
           special=joined(at([0.5, 0.5, 0.2], value=[0.0, 1.0, 1.0]),                            # p = ½
                          at([0.0, 1.0, 0.0], value=[0.0, 1.0, 1.0], smooth=False))),           # p = 0, 1
    entry("distributions.Bernoulli.logits.log_prob",
           lambda m, logits, value: D(m).Bernoulli(logits=logits).log_prob(t(m, value, logits)),
           lambda rng: [Sample(uniform_logits(rng), {"value": np.array([0.0, 1.0, 1.0])})],
           special=at([0.0, 0.0, 3.0], value=[0.0, 1.0, 1.0])),                                    # logits 0
    entry("distributions.Bernoulli.entropy", entropy("Bernoulli"), with_params("Bernoulli"),
           special=joined(at([0.5, 0.5, 0.5]), at([0.0, 1.0, 0.5], smooth=False))),
    entry("distributions.Binomial.log_prob", log_prob("Binomial", False),
           lambda rng: [Sample(draw("Binomial", rng), {"value": np.array([0.0, 2.0, 5.0])})],
           special=at([0.5, 0.5, 0.5], value=[0.0, 2.0, 5.0], differs=BINOMIAL_HESSIAN)),
    entry("distributions.Binomial.logits.log_prob",
           lambda m, logits, value: D(m).Binomial(t(m, 4.0, logits), logits=logits).log_prob(t(m, value, logits)),
           lambda rng: [Sample(uniform_logits(rng), {"value": np.array([0.0, 1.0, 4.0])})],
           special=at([0.0, 0.0, 0.0], value=[0.0, 1.0, 4.0], differs=BINOMIAL_HESSIAN)),        # logits 0
    entry("distributions.Binomial.entropy", entropy("Binomial"), with_params("Binomial"),
           special=at([0.5, 0.5, 0.5], differs=BINOMIAL_HESSIAN)),
    entry("distributions.Geometric.log_prob", log_prob("Geometric", False),
           lambda rng: [Sample(draw("Geometric", rng), {"value": np.array([0.0, 1.0, 4.0])})],
           special=joined(at([0.5, 0.5, 0.5], value=[0.0, 1.0, 4.0]),
                          at([1.0, 1.0, 0.5], value=[0.0, 0.0, 2.0], smooth=False))),           # p = 1, certain
    entry("distributions.Geometric.entropy", entropy("Geometric"), with_params("Geometric"),
           special=at([0.5, 0.5, 0.25])),
    entry("distributions.Poisson.log_prob", log_prob("Poisson", False),
           lambda rng: [Sample(draw("Poisson", rng), {"value": np.array([0.0, 2.0, 5.0])})],
           special=at([1.0, 0.5, 2.0], value=[0.0, 0.0, 0.0])),                      # value 0: xlogy(0, λ)
    entry("distributions.Categorical.log_prob",
           lambda m, logits, value: D(m).Categorical(logits=logits).log_prob(m.tensor(value).long()),
           lambda rng: [Sample(draw("Categorical", rng), {"value": np.array([0, 3, 1])})],
           special=at(np.zeros((3, 4)), value=[0, 3, 1])),                                          # equal logits
    entry("distributions.Categorical.entropy", entropy("Categorical"), with_params("Categorical"),
           special=at(np.zeros((3, 4)))),
    entry("distributions.Gamma.entropy", entropy("Gamma"), with_params("Gamma"), special=at([1.0, 1.0], [1.0, 2.0])),
    entry("distributions.Beta.entropy", entropy("Beta"), with_params("Beta"), special=at([1.0, 1.0], [1.0, 2.0])),
    entry("distributions.Dirichlet.entropy", entropy("Dirichlet"), with_params("Dirichlet"),
           special=at(np.ones((2, 3)))),
    entry("distributions.MultivariateNormal.log_prob", log_prob("MultivariateNormal"),
           with_params("MultivariateNormal", _u(-1, 1, (2, 3))),
           special=at([0.1, 0.2, 0.3], np.eye(3), [[0.1, 0.2, 0.3], [0.0, 0.0, 0.0]])),            # x at the mean
]


def uniform_logits(rng):
    return (rng.uniform(-2, 2, SHAPE),)


OP_DB = [
    OpInfo("distributions.standard_gamma_icdf", lambda m, alpha, u: StandardGamma.apply(alpha, u, None), levels,
           covers=(StandardGamma,), parity=False, gradgrad=False,
           special="the implicit derivative is smooth in α > 0; α = 1 is an ordinary point of it"),
] + DENSITIES + kl_entries()
