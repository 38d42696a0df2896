"""``nnmath.distributions.normal``: where PyTorch programs import :class:`Normal` from."""
from nnmath.distributions.continuous import Normal

__all__ = ["Normal"]
