"""``nnmath.utils``: helpers around training; ``nnmath.utils.data`` loads datasets in batches."""
from nnmath.utils import data

__all__ = ["data"]
