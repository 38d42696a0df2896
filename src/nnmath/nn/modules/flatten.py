"""``Flatten`` and ``Unflatten``: reshape between a flat feature vector and a structured one."""
from __future__ import annotations

from nnmath.nn.modules.module import Module


class Flatten(Module):
    """y = x reshaped so that dimensions start_dim..end_dim become one.

    Args:
        start_dim: first dimension to flatten (default: 1, keeping the batch dimension)
        end_dim: last dimension to flatten (default: -1)

    Shape:
        input (*, S_start, ..., S_end, *) -> output (*, ∏ S_i, *)

    Example::

        >>> nn.Flatten()(nnmath.ones(32, 1, 5, 5)).shape
        nnmath.Size([32, 25])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """y = x with dimension ``dim`` reshaped to ``unflattened_size``.

    Args:
        dim: the dimension to unflatten
        unflattened_size: its new shape (one entry may be -1)

    Shape:
        input (*, S_dim, *) -> output (*, U_1, ..., U_n, *) with ∏ U_i = S_dim

    Example::

        >>> nn.Unflatten(1, (2, 5))(nnmath.ones(2, 10)).shape
        nnmath.Size([2, 2, 5])
    """

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
