"""Reinterpret batch dimensions of a distribution as event dimensions."""
from __future__ import annotations

from nnmath.distributions import constraints
from nnmath.distributions.distribution import Distribution


def sum_rightmost(value, n):
    return value.sum(tuple(range(-n, 0))) if n > 0 else value


class Independent(Distribution):
    """``base_distribution`` with its rightmost ``reinterpreted_batch_ndims`` batch dimensions treated
    as event dimensions: the components are independent, so

    ln p(x) = Σᵢ ln pᵢ(xᵢ),  H = Σᵢ Hᵢ,  KL(Πpᵢ‖Πqᵢ) = Σᵢ KL(pᵢ‖qᵢ).
    """
    arg_constraints = {}

    def __init__(self, base_distribution, reinterpreted_batch_ndims, validate_args=None):
        n = int(reinterpreted_batch_ndims)
        batch = tuple(base_distribution.batch_shape)
        if n > len(batch):
            raise ValueError(f"Independent: reinterpreted_batch_ndims={n} exceeds the base distribution's "
                             f"batch dimensions {batch}")
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = n
        split = len(batch) - n
        super().__init__(batch[:split], batch[split:] + tuple(base_distribution.event_shape),
                         validate_args=False)
        self._validate_args = base_distribution._validate_args if validate_args is None else validate_args

    def expand(self, batch_shape, _instance=None):
        event = tuple(self.event_shape)[:self.reinterpreted_batch_ndims]
        base = self.base_dist.expand(tuple(batch_shape) + event)
        return Independent(base, self.reinterpreted_batch_ndims, self._validate_args)

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    @property
    def support(self):
        return constraints.independent(self.base_dist.support, self.reinterpreted_batch_ndims)

    @property
    def mean(self):
        return self.base_dist.mean

    @property
    def mode(self):
        return self.base_dist.mode

    @property
    def variance(self):
        return self.base_dist.variance

    def sample(self, sample_shape=()):
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value):
        return sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self):
        return sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def __repr__(self):
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"
