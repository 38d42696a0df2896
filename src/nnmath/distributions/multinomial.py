"""The multinomial distribution: the counts of ``total_count`` independent categorical draws."""
from __future__ import annotations

import numpy as np

from nnmath import creation, ops, special
from nnmath.distributions import constraints
from nnmath.distributions.discrete import Categorical
from nnmath.distributions.distribution import Distribution, broadcast_all
from nnmath.tensor import Size, Tensor

__all__ = ["Multinomial"]


class _Counts(constraints.Constraint):
    """Non-negative integer vectors (last dimension) summing to at most ``upper_bound``."""
    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound: int):
        self.upper_bound = upper_bound

    def check(self, value):
        x = constraints._array(value)
        return (x >= 0).all(-1) & (x == np.round(x)).all(-1) & (x.sum(-1) <= self.upper_bound)


class Multinomial(Distribution):
    r"""Counts x = (x₁, …, x_K) of ``total_count`` = n draws from a categorical distribution p.

    Mass:  P(x) = n! / (x₁! ⋯ x_K!) · ∏ₖ pₖ^{xₖ}   (Σₖ xₖ = n)
    Mean:  n p;   Variance: n p (1 − p) (per category)

    Sampling draws n categorical samples (PyTorch's draws) and counts them.
    """
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}

    def __init__(self, total_count: int = 1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial_probs = None
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args)

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def support(self):
        return _Counts(self.total_count)

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def expand(self, batch_shape, _instance=None):
        new = Multinomial.__new__(Multinomial)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(tuple(batch_shape))
        Distribution.__init__(new, tuple(batch_shape), tuple(self.event_shape), self._validate_args)
        return new

    def sample(self, sample_shape=()):
        """Counts: n categorical draws of shape (n, *sample_shape, *batch_shape), tallied per category."""
        sample_shape = tuple(Size(sample_shape))
        draws = self._categorical.sample((self.total_count,) + sample_shape)._data
        draws = np.moveaxis(draws, 0, -1).reshape(-1, self.total_count)  # one row of n draws per count vector
        shape = self._extended_shape(sample_shape)
        counts = np.zeros((draws.shape[0], shape[-1]), self.probs._data.dtype)
        np.add.at(counts, (np.arange(draws.shape[0])[:, None], draws), 1)
        return Tensor._make(counts.reshape(shape))

    def log_prob(self, value):
        """ln n! − Σₖ ln xₖ! + Σₖ xₖ ln pₖ (with 0 · ln 0 = 0)."""
        value = value if isinstance(value, Tensor) else creation.tensor(value, dtype=self.probs.dtype)
        self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        safe = ops.where((value == 0) & ops.isinf(logits), creation.zeros_like(logits), logits)
        log_factorial_n = special.gammaln(value.sum(-1) + 1)
        log_factorial_xs = special.gammaln(value + 1).sum(-1)
        return log_factorial_n - log_factorial_xs + (safe * value).sum(-1)
