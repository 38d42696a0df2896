"""Continuous distributions on the real line: Normal, Uniform, Exponential, Laplace, Gamma, Beta,
and the Dirichlet on the simplex."""
from __future__ import annotations

import math

import numpy as np

from nnmath import creation, ops, special
from nnmath.distributions import constraints
from nnmath.distributions.distribution import Distribution, as_param, broadcast_all
from nnmath.tensor import Tensor

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _eps(t: Tensor) -> float:
    return float(np.finfo(t._data.dtype).eps)


def _tiny(t: Tensor) -> float:
    return float(np.finfo(t._data.dtype).tiny)


class Normal(Distribution):
    """Normal (Gaussian) distribution N(loc, scale²).

    Density:  p(x) = exp(−(x − μ)² / (2σ²)) / (σ √(2π))
    CDF:      Φ((x − μ)/σ) = ½ (1 + erf((x − μ)/(σ√2)))
    Entropy:  H = ½ + ½ ln(2π) + ln σ
    KL:       KL(N₁‖N₂) = ln(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²) / (2σ₂²) − ½
    rsample:  μ + σ ε with ε ~ N(0, 1)
    """
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale * self.scale

    def rsample(self, sample_shape=()):
        eps = self._noise(sample_shape, lambda g, s: g.standard_normal(s))
        return self.loc + eps * self.scale

    def log_prob(self, value):
        value = self._value(value)
        self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -0.5 * z * z - ops.log(self.scale) - _HALF_LOG_2PI

    def cdf(self, value):
        value = self._value(value)
        self._validate_sample(value, "cdf")
        return 0.5 * (1 + special.erf((value - self.loc) / (self.scale * math.sqrt(2))))

    def icdf(self, value):
        return self.loc + self.scale * special.ndtri(self._value(value))

    def entropy(self):
        return 0.5 + _HALF_LOG_2PI + ops.log(self.scale)


class Uniform(Distribution):
    """Continuous uniform distribution on [low, high).

    Density:  p(x) = 1 / (b − a) on [a, b)
    CDF:      (x − a)/(b − a), clamped to [0, 1]
    Entropy:  H = ln(b − a)
    KL:       KL(U[a₁,b₁)‖U[a₂,b₂)) = ln((b₂ − a₂)/(b₁ − a₁)) if [a₁,b₁) ⊆ [a₂,b₂), else +∞
    rsample:  a + (b − a) u with u ~ U[0, 1)
    """
    arg_constraints = {"low": constraints.dependent, "high": constraints.dependent}
    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, (), validate_args)
        if self._validate_args and not np.all(self.low._data < self.high._data):
            bad = ~(self.low._data < self.high._data)
            raise ValueError(f"Uniform: parameter low must be < high, but found low={self.low._data[bad][:6]} "
                             f"high={self.high._data[bad][:6]}")

    @property
    def support(self):
        return constraints.half_open_interval(self.low, self.high)

    @property
    def mean(self):
        return (self.low + self.high) / 2

    @property
    def mode(self):
        return creation.full_like(self.high, float("nan"))

    @property
    def variance(self):
        w = self.high - self.low
        return w * w / 12

    def rsample(self, sample_shape=()):
        u = self._noise(sample_shape, lambda g, s: g.random(s))
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        value = self._value(value)
        self._validate_sample(value)
        inside = ((self.low <= value) & (self.high > value)).to(self.low.dtype)
        return ops.log(inside) - ops.log(self.high - self.low)

    def cdf(self, value):
        value = self._value(value)
        self._validate_sample(value, "cdf")
        return ops.clamp((value - self.low) / (self.high - self.low), 0, 1)

    def icdf(self, value):
        return self.low + self._value(value) * (self.high - self.low)

    def entropy(self):
        return ops.log(self.high - self.low)


class Exponential(Distribution):
    """Exponential distribution with rate λ.

    Density:  p(x) = λ e^(−λx), x ≥ 0
    CDF:      1 − e^(−λx)
    Entropy:  H = 1 − ln λ
    KL:       KL(Exp(λ₁)‖Exp(λ₂)) = ln(λ₁/λ₂) + λ₂/λ₁ − 1
    rsample:  E/λ with E ~ Exp(1)
    """
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        self.rate = as_param(rate)
        super().__init__(self.rate.shape, (), validate_args)

    @property
    def mean(self):
        return 1 / self.rate

    @property
    def mode(self):
        return creation.zeros_like(self.rate)

    @property
    def variance(self):
        return 1 / (self.rate * self.rate)

    def rsample(self, sample_shape=()):
        e = self._noise(sample_shape, lambda g, s: g.standard_exponential(s))
        return e / self.rate

    def log_prob(self, value):
        value = self._value(value)
        self._validate_sample(value)
        return ops.log(self.rate) - self.rate * value

    def cdf(self, value):
        value = self._value(value)
        self._validate_sample(value, "cdf")
        return 1 - ops.exp(-self.rate * value)

    def icdf(self, value):
        return -ops.log1p(-self._value(value)) / self.rate

    def entropy(self):
        return 1.0 - ops.log(self.rate)


class Laplace(Distribution):
    """Laplace distribution with location μ and scale b.

    Density:  p(x) = exp(−|x − μ|/b) / (2b)
    CDF:      ½ − ½ sign(x − μ) (e^(−|x − μ|/b) − 1)
    Entropy:  H = 1 + ln(2b)
    KL:       KL(L₁‖L₂) = ln(b₂/b₁) + |μ₁ − μ₂|/b₂ + (b₁/b₂) e^(−|μ₁ − μ₂|/b₁) − 1
    rsample:  μ − b sign(u) ln(1 − |u|) with u ~ U(−1, 1)
    """
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale * self.scale

    @property
    def stddev(self):
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape=()):
        eps = _eps(self.loc)
        u = self._noise(sample_shape, lambda g, s: g.uniform(-1 + eps, 1, s))
        return self.loc - self.scale * ops.sign(u) * ops.log1p(-u.abs())

    def log_prob(self, value):
        value = self._value(value)
        self._validate_sample(value)
        return -ops.log(2 * self.scale) - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        value = self._value(value)
        self._validate_sample(value, "cdf")
        d = value - self.loc
        return 0.5 - 0.5 * ops.sign(d) * ops.expm1(-d.abs() / self.scale)

    def icdf(self, value):
        term = self._value(value) - 0.5
        return self.loc - self.scale * ops.sign(term) * ops.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + ops.log(2 * self.scale)


class Gamma(Distribution):
    """Gamma distribution with concentration α and rate β.

    Density:  p(x) = βᵅ xᵅ⁻¹ e^(−βx) / Γ(α), x > 0
    CDF:      P(α, βx), the regularised lower incomplete gamma function
    Entropy:  H = α − ln β + ln Γ(α) + (1 − α) ψ(α)
    KL:       KL(Γ₁‖Γ₂) = α₂ ln(β₁/β₂) + ln Γ(α₂) − ln Γ(α₁) + (α₁ − α₂) ψ(α₁) + (β₂ − β₁) α₁/β₁
    rsample:  Z/β with Z ~ Gamma(α, 1) drawn by Marsaglia–Tsang (NumPy); ∂Z/∂α by implicit
              differentiation of the CDF (:class:`StandardGamma`).
    """
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, (), validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ops.clamp((self.concentration - 1) / self.rate, min=0)

    @property
    def variance(self):
        return self.concentration / (self.rate * self.rate)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        z = special.standard_gamma(self.concentration, shape)
        return ops.clamp(z / self.rate, min=_tiny(self.rate))

    def log_prob(self, value):
        value = self._value(value)
        self._validate_sample(value)
        a, b = self.concentration, self.rate
        return special.xlogy(a, b) + special.xlogy(a - 1, value) - b * value - special.gammaln(a)

    def cdf(self, value):
        value = self._value(value)
        self._validate_sample(value, "cdf")
        return special.gammainc(self.concentration, self.rate * value)

    def entropy(self):
        a = self.concentration
        return a - ops.log(self.rate) + special.gammaln(a) + (1.0 - a) * special.digamma(a)


class Dirichlet(Distribution):
    """Dirichlet distribution on the probability simplex with concentration α ∈ (0, ∞)ᴷ.

    Density:  p(x) = Γ(α₀) / Πⱼ Γ(αⱼ) · Πⱼ xⱼ^(αⱼ − 1),  α₀ = Σⱼ αⱼ
    Entropy:  H = ln B(α) + (α₀ − K) ψ(α₀) − Σⱼ (αⱼ − 1) ψ(αⱼ),  ln B(α) = Σ ln Γ(αⱼ) − ln Γ(α₀)
    KL:       KL(Dir(α)‖Dir(β)) = ln Γ(α₀) − ln Γ(β₀) − Σ (ln Γ(αⱼ) − ln Γ(βⱼ))
                                   + Σ (αⱼ − βⱼ)(ψ(αⱼ) − ψ(α₀))
    rsample:  Gⱼ / Σ Gₖ with Gⱼ ~ Gamma(αⱼ, 1) (reparameterised through :class:`Gamma`)
    """
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        self.concentration = as_param(concentration)
        if self.concentration.ndim < 1:
            raise ValueError("Dirichlet: parameter concentration must be at least one-dimensional")
        shape = tuple(self.concentration.shape)
        super().__init__(shape[:-1], shape[-1:], validate_args)

    def _param_event_ndim(self, name):
        return 1

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        am1 = ops.clamp(self.concentration - 1, min=0)
        return am1 / am1.sum(-1, keepdim=True)

    @property
    def variance(self):
        a0 = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (a0 - self.concentration) / (a0 * a0 * (a0 + 1))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        g = special.standard_gamma(self.concentration, shape)
        return g / g.sum(-1, keepdim=True)

    def log_prob(self, value):
        value = self._value(value)
        self._validate_sample(value)
        a = self.concentration
        return (special.xlogy(a - 1, value).sum(-1) + special.gammaln(a.sum(-1))
                - special.gammaln(a).sum(-1))

    def entropy(self):
        a = self.concentration
        k = a.shape[-1]
        a0 = a.sum(-1)
        log_b = special.gammaln(a).sum(-1) - special.gammaln(a0)
        return log_b + (a0 - k) * special.digamma(a0) - ((a - 1) * special.digamma(a)).sum(-1)


class Beta(Distribution):
    """Beta distribution with concentrations α (concentration1) and β (concentration0).

    Density:  p(x) = x^(α−1) (1 − x)^(β−1) / B(α, β),  B(α, β) = Γ(α)Γ(β)/Γ(α + β)
    Entropy:  H = ln B(α, β) − (α − 1)ψ(α) − (β − 1)ψ(β) + (α + β − 2)ψ(α + β)
    KL:       KL(Beta(α₁,β₁)‖Beta(α₂,β₂)) = ln B(α₂,β₂) − ln B(α₁,β₁) + (α₁ − α₂)ψ(α₁)
                                            + (β₁ − β₂)ψ(β₁) + (α₂ − α₁ + β₂ − β₁)ψ(α₁ + β₁)
    rsample:  X/(X + Y) with X ~ Gamma(α, 1), Y ~ Gamma(β, 1)
    """
    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        super().__init__(self.concentration1.shape, (), validate_args)

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        """(α − 1)/(α + β − 2), defined for α, β > 1."""
        return (self.concentration1 - 1) / (self.concentration1 + self.concentration0 - 2)

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total * total * (total + 1))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        x = special.standard_gamma(self.concentration1, shape)
        y = special.standard_gamma(self.concentration0, shape)
        return x / (x + y)

    def log_prob(self, value):
        value = self._value(value)
        self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        log_beta = special.gammaln(a) + special.gammaln(b) - special.gammaln(a + b)
        return special.xlogy(a - 1, value) + special.xlog1py(b - 1, -value) - log_beta

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        log_beta = special.gammaln(a) + special.gammaln(b) - special.gammaln(a + b)
        return (log_beta - (a - 1) * special.digamma(a) - (b - 1) * special.digamma(b)
                + (a + b - 2) * special.digamma(a + b))
