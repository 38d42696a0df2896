"""``nnmath.distributions.bernoulli``: where PyTorch programs import :class:`Bernoulli` from."""
from nnmath.distributions.discrete import Bernoulli

__all__ = ["Bernoulli"]
