"""Discrete distributions: Bernoulli, Categorical, OneHotCategorical, Binomial, Geometric, Poisson."""
from __future__ import annotations

from functools import cached_property

import numpy as np

from nnmath import creation, dtypes, ops, special
from nnmath.autograd.grad_mode import no_grad
from nnmath.distributions import constraints
from nnmath.distributions.distribution import Distribution, as_param, broadcast_all
from nnmath.ops.activation import softplus
from nnmath.random import rng
from nnmath.tensor import Size, Tensor


def _clamp_probs(p):
    eps = float(np.finfo(p._data.dtype).eps)
    return ops.clamp(p, eps, 1 - eps)


def probs_to_logits(probs, is_binary=False):
    """ln p − ln(1 − p) (binary) or ln p (categorical), p clamped to [eps, 1 − eps]."""
    p = _clamp_probs(probs)
    return ops.log(p) - ops.log1p(-p) if is_binary else ops.log(p)


def logits_to_probs(logits, is_binary=False):
    return ops.sigmoid(logits) if is_binary else ops.softmax(logits, dim=-1)


def _one_of(name, probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError(f"{name}: give either probs or logits, not both and not neither")


class _BinaryParameters:
    """One success probability per element, given as ``probs`` p or ``logits`` ln(p / (1 − p));
    the other is derived on first use."""

    def _param_event_ndim(self, name):
        return 0

    def _set_probs_or_logits(self, name, probs, logits):
        """Keep the one given (broadcast to a Tensor) and return it: its shape is the batch shape."""
        _one_of(name, probs, logits)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            return self.probs
        (self.logits,) = broadcast_all(logits)
        return self.logits

    @cached_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @cached_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)


class Bernoulli(_BinaryParameters, Distribution):
    """Bernoulli distribution on {0, 1} with P(X = 1) = p = σ(logits).

    Mass:     P(x) = pˣ (1 − p)¹⁻ˣ;  ln P(x) = x·ℓ − ln(1 + e^ℓ) with ℓ = logits
    Entropy:  H = −p ln p − (1 − p) ln(1 − p)
    KL:       KL(B(p)‖B(q)) = p ln(p/q) + (1 − p) ln((1 − p)/(1 − q))
    """
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        param = self._set_probs_or_logits("Bernoulli", probs, logits)
        super().__init__(param.shape, (), validate_args)

    @property
    def param_shape(self):
        return self.batch_shape

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        p = self.probs
        mode = (p >= 0.5).to(p.dtype)
        return ops.where(p == 0.5, creation.full_like(p, float("nan")), mode)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        with no_grad():
            u = self._noise(sample_shape, lambda g, s: g.random(s))
            return (u < self.probs.detach()).to(self.probs.dtype)

    def log_prob(self, value):
        value = self._value(value)
        self._validate_sample(value)
        logits = self.logits
        return value * logits - softplus(logits)

    def entropy(self):
        return softplus(self.logits) - self.probs * self.logits

    def enumerate_support(self, expand=True):
        values = creation.tensor([0.0, 1.0], dtype=self.probs.dtype).reshape((2,) + (1,) * len(self.batch_shape))
        return values.expand(*((2,) + tuple(self.batch_shape))) if expand else values


class Categorical(Distribution):
    """Categorical distribution over {0, …, K − 1} (last dimension of probs/logits).

    ``probs`` are normalised to sum to 1 over the last dimension (after validation that they are
    non-negative); ``logits`` are normalised to ``logits − logsumexp(logits)``.

    Mass:     P(x = k) = pₖ
    Entropy:  H = −Σₖ pₖ ln pₖ
    KL:       KL(p‖q) = Σₖ pₖ (ln pₖ − ln qₖ)  (+∞ where qₖ = 0 < pₖ)
    """
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of(type(self).__name__, probs, logits)
        if probs is not None:
            probs = as_param(probs)
            if probs.ndim < 1:
                raise ValueError(f"{type(self).__name__}: probs must be at least one-dimensional")
            if (validate_args is None and Distribution._validate_default) or validate_args:
                if np.any(probs._data < 0):
                    raise ValueError(f"{type(self).__name__}: parameter probs must be non-negative, "
                                     f"but found {probs._data[probs._data < 0][:6]}")
            self.probs = probs / probs.sum(-1, keepdim=True)
            param = self.probs
        else:
            logits = as_param(logits)
            if logits.ndim < 1:
                raise ValueError(f"{type(self).__name__}: logits must be at least one-dimensional")
            self.logits = logits - ops.logsumexp(logits, dim=-1, keepdim=True)
            param = self.logits
        self._num_events = param.shape[-1]
        super().__init__(tuple(param.shape)[:-1], (), validate_args)

    def _param_event_ndim(self, name):
        return 1

    @cached_property
    def logits(self):
        return probs_to_logits(self.probs)

    @cached_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return self.probs.shape

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self):
        return creation.full(tuple(self.batch_shape), float("nan"), dtype=self.probs.dtype)

    @property
    def variance(self):
        return creation.full(tuple(self.batch_shape), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    def sample(self, sample_shape=()):
        with no_grad():
            probs = self.probs._data.astype(np.float64)
            cdf = np.cumsum(probs, -1)
            cdf = cdf / cdf[..., -1:]
            shape = tuple(Size(sample_shape)) + tuple(self.batch_shape)
            u = rng(None).random(shape + (1,))
            index = (u > np.broadcast_to(cdf, shape + cdf.shape[-1:])).sum(-1)
            return Tensor._make(np.minimum(index, self._num_events - 1).astype(np.int64))

    def log_prob(self, value):
        value = value if isinstance(value, Tensor) else creation.tensor(value)
        self._validate_sample(value)
        index = value.to(dtypes.int64)
        shape = ops.broadcast_shapes(tuple(index.shape), tuple(self.batch_shape))
        logits = self.logits.expand(*(tuple(shape) + (self._num_events,)))
        index = index.expand(*shape).unsqueeze(-1)
        return logits.gather(-1, index).squeeze(-1)

    def entropy(self):
        min_real = float(np.finfo(self.logits._data.dtype).min)
        logits = ops.clamp(self.logits, min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = creation.arange(self._num_events).reshape((-1,) + (1,) * len(self.batch_shape))
        return values.expand(*((self._num_events,) + tuple(self.batch_shape))) if expand else values


class OneHotCategorical(Distribution):
    """Categorical distribution whose draws are one-hot vectors of length K (event_shape (K,)).

    Mass:     P(x) = Πₖ pₖ^(xₖ) for one-hot x
    Entropy:  H = −Σₖ pₖ ln pₖ
    KL:       that of the underlying Categorical distributions
    """
    arg_constraints = Categorical.arg_constraints
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args)
        k = self._categorical._num_events
        super().__init__(self._categorical.batch_shape, (k,), validate_args=False)
        self._validate_args = self._categorical._validate_args

    def expand(self, batch_shape, _instance=None):
        new = type(self).__new__(type(self))
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, tuple(batch_shape), self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        probs = self.probs
        index = probs._data.argmax(-1)
        return Tensor._make(np.eye(probs.shape[-1], dtype=probs._data.dtype)[index])

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def _dtype(self):
        return self.probs._data.dtype

    def sample(self, sample_shape=()):
        index = self._categorical.sample(sample_shape)._data
        return Tensor._make(np.eye(self.event_shape[0], dtype=self._dtype())[index])

    def log_prob(self, value):
        value = self._value(value) if isinstance(value, Tensor) else creation.tensor(value, dtype=self.probs.dtype)
        self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self):
        return self._categorical.entropy()


class Binomial(_BinaryParameters, Distribution):
    """Binomial distribution: the number of successes in ``total_count`` Bernoulli(p) trials.

    Mass:     P(k) = C(n, k) pᵏ (1 − p)ⁿ⁻ᵏ,  ln C(n, k) = ln Γ(n+1) − ln Γ(k+1) − ln Γ(n−k+1)
    Entropy:  H = −Σₖ P(k) ln P(k) (summed over the support; needs one total_count)
    """
    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        _one_of("Binomial", probs, logits)
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            param = self.probs
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            param = self.logits
        self.total_count = self.total_count.to(param.dtype)
        super().__init__(param.shape, (), validate_args)

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ops.minimum(ops.floor((self.total_count + 1) * self.probs), self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        with no_grad():
            shape = self._extended_shape(sample_shape)
            n = np.broadcast_to(self.total_count._data, shape).astype(np.int64)
            p = np.broadcast_to(self.probs._data, shape)
            draws = rng(None).binomial(n, p)
            return Tensor._make(draws.astype(self.probs._data.dtype))

    def log_prob(self, value):
        value = self._value(value)
        self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_binom = special.gammaln(n + 1) - special.gammaln(value + 1) - special.gammaln(n - value + 1)
        # k ℓ − n ln(1 + e^ℓ): the softplus primitive is finite for any ℓ and smooth at ℓ = 0, where
        # its derivative is ½ and its second derivative ¼ (a composition of clamp and |ℓ| is not).
        kl = ops.where(value == 0, creation.zeros_like(logits), value * logits)
        return log_binom + kl - n * softplus(logits)

    def entropy(self):
        n = np.unique(self.total_count._data)
        if n.size != 1:
            raise NotImplementedError("Binomial.entropy needs one total_count for the whole batch")
        values = self.enumerate_support(expand=False)
        log_prob = self.log_prob(values)
        return -(ops.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        n = int(np.max(self.total_count._data))
        values = creation.arange(n + 1, dtype=self.probs.dtype).reshape((-1,) + (1,) * len(self.batch_shape))
        return values.expand(*((n + 1,) + tuple(self.batch_shape))) if expand else values


class Geometric(_BinaryParameters, Distribution):
    """Geometric distribution: the number of failures before the first success of Bernoulli(p) trials.

    Mass:     P(k) = (1 − p)ᵏ p,  k = 0, 1, …;  ln P(k) = k ln(1 − p) + ln p  (0 at k = 0 when p = 1)
    Entropy:  H = −((1 − p) ln(1 − p) + p ln p) / p = (softplus(ℓ) − p ℓ) / p,  ℓ = logits
    KL:       KL(Geo(p)‖Geo(q)) = −H(p) − ln(1 − q)/p − logit(q)
    """
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        param = self._set_probs_or_logits("Geometric", probs, logits)
        super().__init__(param.shape, (), validate_args)
        if self._validate_args and probs is not None and not np.all(self.probs._data > 0):
            raise ValueError(f"Geometric: parameter probs must be positive, but found "
                             f"{self.probs._data[~(self.probs._data > 0)][:6]}")

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return creation.zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()):
        with no_grad():
            p = self.probs._data
            u = self._noise(sample_shape, lambda g, s: g.uniform(np.finfo(p.dtype).tiny, 1, s))._data
            return Tensor._make(np.floor(np.log(u) / np.log1p(-p)).astype(p.dtype))

    def log_prob(self, value):
        value = self._value(value)
        self._validate_sample(value)
        p = self.probs
        # k ln(1 − p) with 0 · ln 0 = 0 for the certain success (p = 1, k = 0), as PyTorch
        certain = (p == 1) & (value == 0)
        return value * ops.log1p(-ops.where(certain, creation.zeros_like(p), p)) + ops.log(p)

    def entropy(self):
        return (softplus(self.logits) - self.probs * self.logits) / self.probs


class Poisson(Distribution):
    """Poisson distribution with rate λ.

    Mass:     P(k) = λᵏ e^(−λ) / k!
    KL:       KL(Poi(λ₁)‖Poi(λ₂)) = λ₁ ln(λ₁/λ₂) − λ₁ + λ₂
    """
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, (), validate_args)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return ops.floor(self.rate)

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        with no_grad():
            shape = self._extended_shape(sample_shape)
            draws = rng(None).poisson(np.broadcast_to(self.rate._data, shape))
            return Tensor._make(draws.astype(self.rate._data.dtype))

    def log_prob(self, value):
        value = self._value(value)
        self._validate_sample(value)
        return special.xlogy(value, self.rate) - self.rate - special.gammaln(value + 1)
