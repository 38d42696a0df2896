"""Upsampling layers: :func:`nnmath.nn.functional.interpolate` as modules."""
from __future__ import annotations

from nnmath.nn import functional as F
from nnmath.nn.modules.module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class Upsample(Module):
    """Resamples (N, C, L) or (N, C, H, W) to ``size`` or by ``scale_factor`` ('nearest' (default),
    'linear', 'bilinear'; ``align_corners`` for the linear modes).

    Shape:
        input (N, C, *in) -> output (N, C, *out), out = size or ⌊in · scale_factor⌋

    Example::

        >>> nn.Upsample(scale_factor=2)(nnmath.ones(1, 1, 2, 2)).shape
        nnmath.Size([1, 1, 4, 4])
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) else scale_factor
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of (N, C, H, W) (:class:`Upsample` with mode='nearest').

    Example::

        >>> nn.UpsamplingNearest2d(scale_factor=2)(nnmath.ones(1, 1, 2, 2)).shape
        nnmath.Size([1, 1, 4, 4])
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of (N, C, H, W) with corners aligned (:class:`Upsample` with
    mode='bilinear', align_corners=True).

    Example::

        >>> nn.UpsamplingBilinear2d(scale_factor=2)(nnmath.ones(1, 1, 2, 2)).shape
        nnmath.Size([1, 1, 4, 4])
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
