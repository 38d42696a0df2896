"""Padding layers: constant (zero), reflection, replication and circular padding of the last 1, 2 or
3 dimensions (math in :mod:`nnmath.ops.padding`, through ``F.pad``)."""
from __future__ import annotations

from nnmath.nn import functional as F
from nnmath.nn.modules.module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


def _expand(padding, dims: int) -> tuple:
    """An int pads every side; a tuple lists (left, right, top, bottom, front, back) for ``dims`` dims."""
    if isinstance(padding, int):
        return (padding,) * (2 * dims)
    padding = tuple(padding)
    if len(padding) != 2 * dims:
        raise ValueError(f"padding must be an int or a tuple of {2 * dims} ints, got {padding}")
    return padding


class _PadNd(Module):
    """Pads the last ``dims`` dimensions of a (N, C, *) or (C, *) input: ``padding`` = an int for every
    side, or (left, right[, top, bottom[, front, back]]), the last dimension first."""

    dims = 1
    mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _expand(padding, self.dims)

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dimension with the constant ``value``.

    Args:
        padding: int (both sides) or (left, right)
        value: the fill value

    Shape:
        input (N, C, W) or (C, W) -> output (…, W + left + right)

    Example::

        >>> nn.ConstantPad1d(1, 3.5)(nnmath.zeros(1, 2)).tolist()
        [[3.5, 0.0, 0.0, 3.5]]
    """
    dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dimensions with ``value``; ``padding`` = int or (left, right, top, bottom).

    Shape:
        input (N, C, H, W) or (C, H, W) -> output (…, H + top + bottom, W + left + right)

    Example::

        >>> nn.ConstantPad2d((1, 0, 0, 1), 2.0)(nnmath.zeros(1, 1, 1)).shape
        nnmath.Size([1, 2, 2])
    """
    dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dimensions with ``value``; ``padding`` = int or
    (left, right, top, bottom, front, back).

    Shape:
        input (N, C, D, H, W) or (C, D, H, W) -> output, each of D, H, W widened

    Example::

        >>> nn.ConstantPad3d(1, 0.0)(nnmath.zeros(1, 1, 1, 1)).shape
        nnmath.Size([1, 3, 3, 3])
    """
    dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pads the last dimension with zeros; ``padding`` = int or (left, right).

    Example::

        >>> nn.ZeroPad1d(2)(nnmath.ones(1, 1)).tolist()
        [[0.0, 0.0, 1.0, 0.0, 0.0]]
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last two dimensions with zeros; ``padding`` = int or (left, right, top, bottom).

    Example::

        >>> nn.ZeroPad2d((1, 1, 2, 0))(nnmath.ones(1, 1, 1)).shape
        nnmath.Size([1, 3, 3])
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pads the last three dimensions with zeros.

    Example::

        >>> nn.ZeroPad3d(1)(nnmath.ones(1, 1, 1, 1)).shape
        nnmath.Size([1, 3, 3, 3])
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pads the last dimension with its mirror image (the edge not repeated): [a b c] padded by 2
    gives [c b a b c b a]. ``padding`` = int or (left, right), each smaller than the dimension.

    Example::

        >>> nn.ReflectionPad1d(2)(nnmath.arange(3.0).reshape(1, 3)).tolist()
        [[2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0]]
    """
    dims, mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Pads the last two dimensions by reflection; ``padding`` = int or (left, right, top, bottom).

    Shape:
        input (N, C, H, W) or (C, H, W) -> output (…, H + top + bottom, W + left + right)

    Example::

        >>> nn.ReflectionPad2d(1)(nnmath.zeros(1, 1, 3, 3)).shape
        nnmath.Size([1, 1, 5, 5])
    """
    dims, mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Pads the last three dimensions by reflection.

    Example::

        >>> nn.ReflectionPad3d(1)(nnmath.zeros(1, 1, 2, 2, 2)).shape
        nnmath.Size([1, 1, 4, 4, 4])
    """
    dims, mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Pads the last dimension by repeating its edge values: [a b c] padded by 2 gives [a a a b c c c].

    Example::

        >>> nn.ReplicationPad1d(1)(nnmath.arange(3.0).reshape(1, 3)).tolist()
        [[0.0, 0.0, 1.0, 2.0, 2.0]]
    """
    dims, mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Pads the last two dimensions by repeating the edges; ``padding`` = int or (left, right, top, bottom).

    Example::

        >>> nn.ReplicationPad2d(1)(nnmath.zeros(1, 2, 2)).shape
        nnmath.Size([1, 4, 4])
    """
    dims, mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Pads the last three dimensions by repeating the edges.

    Example::

        >>> nn.ReplicationPad3d(1)(nnmath.zeros(1, 1, 1, 1, 1)).shape
        nnmath.Size([1, 1, 3, 3, 3])
    """
    dims, mode = 3, "replicate"


class CircularPad1d(_PadNd):
    """Pads the last dimension periodically: [a b c] padded by 1 gives [c a b c a].

    Example::

        >>> nn.CircularPad1d(1)(nnmath.arange(3.0).reshape(1, 3)).tolist()
        [[2.0, 0.0, 1.0, 2.0, 0.0]]
    """
    dims, mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Pads the last two dimensions periodically.

    Example::

        >>> nn.CircularPad2d(1)(nnmath.zeros(1, 1, 2, 2)).shape
        nnmath.Size([1, 1, 4, 4])
    """
    dims, mode = 2, "circular"


class CircularPad3d(_PadNd):
    """Pads the last three dimensions periodically.

    Example::

        >>> nn.CircularPad3d(1)(nnmath.zeros(1, 1, 1, 1, 1)).shape
        nnmath.Size([1, 1, 3, 3, 3])
    """
    dims, mode = 3, "circular"
