"""Rearranging channels into pixels and back (sub-pixel convolution, Shi et al. 2016)."""
from __future__ import annotations

from nnmath.nn import functional as F
from nnmath.nn.modules.module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    """y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w]: groups of r² channels become r × r blocks of
    pixels, raising the resolution by r.

    Args:
        upscale_factor: r

    Shape:
        input (*, C·r², H, W) -> output (*, C, H·r, W·r)

    Example::

        >>> nn.PixelShuffle(3)(nnmath.randn(1, 9, 4, 4)).shape
        nnmath.Size([1, 1, 12, 12])
    """

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """The inverse of :class:`PixelShuffle`: r × r blocks of pixels become r² channels.

    Args:
        downscale_factor: r

    Shape:
        input (*, C, H·r, W·r) -> output (*, C·r², H, W)

    Example::

        >>> nn.PixelUnshuffle(3)(nnmath.randn(1, 1, 12, 12)).shape
        nnmath.Size([1, 9, 4, 4])
    """

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
