"""Dropout: zero random elements in training (scaled to keep the expectation), identity in eval."""
from __future__ import annotations

from nnmath.nn import functional as F
from nnmath.nn.modules.module import Module


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        F._check_probability(p)
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """y = x ⊙ m / (1 − p), mᵢ ~ Bernoulli(1 − p), in training mode; y = x in eval mode.

    Args:
        p: probability of zeroing an element (default: 0.5)
        inplace: overwrite the input (default: False)

    Shape:
        input (*) -> output (*), same shape

    Example::

        >>> m = nn.Dropout(p=0.2)
        >>> m(nnmath.randn(20, 16)).shape
        nnmath.Size([20, 16])
    """

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks: dropped units take SELU's negative saturation value and the result
    is affinely rescaled to keep zero mean and unit variance; identity in eval mode.

    Args:
        p: probability of dropping an element (default: 0.5)
        inplace: overwrite the input (default: False)

    Shape:
        input (*) -> output (*), same shape

    Example::

        >>> nn.AlphaDropout(0.2)(nnmath.randn(20, 16)).shape
        nnmath.Size([20, 16])
    """

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels: each feature map x[n, c] is kept (scaled by 1/(1 − p)) with probability 1 − p,
    else zeroed, in training mode; y = x in eval mode.

    Shape:
        input (N, C, H, W) or (C, H, W) -> output, same shape

    Example::

        >>> nn.Dropout2d(p=0.2)(nnmath.randn(20, 16, 32, 32)).shape
        nnmath.Size([20, 16, 32, 32])
    """

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) (see :class:`Dropout2d`)."""

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zero whole channels of a (N, C, D, H, W) or (C, D, H, W) input: each x[n, c] is kept (scaled by
    1/(1 − p)) with probability 1 − p, else zeroed, in training mode; y = x in eval mode.

    Example::

        >>> nn.Dropout3d(p=0.2)(nnmath.randn(2, 4, 3, 3, 3)).shape
        nnmath.Size([2, 4, 3, 3, 3])
    """

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)
