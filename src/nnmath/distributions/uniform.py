"""``nnmath.distributions.uniform``: where PyTorch programs import :class:`Uniform` from."""
from nnmath.distributions.continuous import Uniform

__all__ = ["Uniform"]
