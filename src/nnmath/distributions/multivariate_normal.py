"""The multivariate normal distribution, parameterised through its Cholesky factor."""
from __future__ import annotations

import math

from nnmath import linalg, ops
from nnmath.distributions import constraints
from nnmath.distributions.distribution import Distribution, as_param


def batch_mahalanobis(L, x):
    """‖L⁻¹ x‖² over the last dimension (x broadcast against L's batch)."""
    shape = ops.broadcast_shapes(tuple(L.shape[:-2]), tuple(x.shape[:-1]))
    k = x.shape[-1]
    Lb = L.expand(*(tuple(shape) + (k, k)))
    xb = x.expand(*(tuple(shape) + (k,))).unsqueeze(-1)
    y = linalg.solve_triangular(Lb, xb, upper=False).squeeze(-1)
    return (y * y).sum(-1)


class MultivariateNormal(Distribution):
    """Multivariate normal N(μ, Σ) on ℝᵏ, given by exactly one of ``covariance_matrix`` Σ,
    ``precision_matrix`` Σ⁻¹ or ``scale_tril`` L (lower triangular, Σ = L Lᵀ).

    Density:  p(x) = (2π)^(−k/2) |Σ|^(−½) exp(−½ (x − μ)ᵀ Σ⁻¹ (x − μ)),
              ln p(x) = −½ (k ln 2π + ‖L⁻¹(x − μ)‖²) − Σᵢ ln Lᵢᵢ
    Entropy:  H = ½ k (1 + ln 2π) + Σᵢ ln Lᵢᵢ
    KL:       KL(N₁‖N₂) = ½ [tr(Σ₂⁻¹Σ₁) + (μ₂ − μ₁)ᵀ Σ₂⁻¹ (μ₂ − μ₁) − k + ln |Σ₂| − ln |Σ₁|]
    rsample:  μ + L ε with ε ~ N(0, I)
    """
    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        given = [m is not None for m in (covariance_matrix, precision_matrix, scale_tril)]
        if sum(given) != 1:
            raise ValueError("MultivariateNormal: give exactly one of covariance_matrix, precision_matrix, "
                             "scale_tril")
        self.loc = as_param(loc)
        if self.loc.ndim < 1:
            raise ValueError("MultivariateNormal: loc must be at least one-dimensional")
        matrix = next(as_param(m, self.loc) for m in (covariance_matrix, precision_matrix, scale_tril)
                      if m is not None)
        if matrix.ndim < 2:
            raise ValueError("MultivariateNormal: the matrix parameter must be at least two-dimensional")
        if scale_tril is not None:
            self.scale_tril = matrix
        elif covariance_matrix is not None:
            self.covariance_matrix = matrix
        else:
            self.precision_matrix = matrix
        k = self.loc.shape[-1]
        batch = ops.broadcast_shapes(tuple(self.loc.shape[:-1]), tuple(matrix.shape[:-2]))
        super().__init__(batch, (k,), validate_args)
        if scale_tril is None:
            if covariance_matrix is not None:
                self.scale_tril = linalg.cholesky(matrix)
            else:
                self.scale_tril = linalg.cholesky(linalg.inv(matrix))
        self._unbroadcasted_scale_tril = self.scale_tril
        self.loc = self.loc.expand(*(tuple(batch) + (k,)))

    def _param_event_ndim(self, name):
        return 1 if name == "loc" else 2

    def expand(self, batch_shape, _instance=None):
        new = type(self).__new__(type(self))
        k = self.event_shape[0]
        new.loc = self.loc.expand(*(tuple(batch_shape) + (k,)))
        new.scale_tril = self.scale_tril
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        Distribution.__init__(new, tuple(batch_shape), self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def _covariance(self):
        L = self.scale_tril
        return L @ L.mT

    def __getattr__(self, name):
        if name == "covariance_matrix":
            return self._covariance.expand(*(tuple(self.batch_shape) + tuple(self.event_shape) * 2))
        if name == "precision_matrix":
            return linalg.inv(self._covariance).expand(*(tuple(self.batch_shape) + tuple(self.event_shape) * 2))
        raise AttributeError(name)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        L = self.scale_tril
        return (L * L).sum(-1).expand(*(tuple(self.batch_shape) + tuple(self.event_shape)))

    def rsample(self, sample_shape=()):
        eps = self._noise(sample_shape, lambda g, s: g.standard_normal(s))
        return self.loc + (self.scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self):
        return ops.log(linalg.diagonal(self.scale_tril)).sum(-1)

    def log_prob(self, value):
        value = self._value(value)
        self._validate_sample(value)
        k = self.event_shape[0]
        m = batch_mahalanobis(self.scale_tril, value - self.loc)
        return -0.5 * (k * math.log(2 * math.pi) + m) - self._half_log_det()

    def entropy(self):
        k = self.event_shape[0]
        h = 0.5 * k * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h.expand(*tuple(self.batch_shape)) if len(self.batch_shape) else h
