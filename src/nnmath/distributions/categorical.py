"""``nnmath.distributions.categorical``: where PyTorch programs import :class:`Categorical` from."""
from nnmath.distributions.discrete import Categorical

__all__ = ["Categorical"]
