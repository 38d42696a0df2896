"""Pooling layers: max, average and adaptive pooling (the mathematics is in :mod:`nnmath.ops.pooling`)."""
from __future__ import annotations

from nnmath.nn import functional as F
from nnmath.nn.modules.module import Module


class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """y[n, c, i, j] = max of x[n, c] over the window (i, j) (size kernel_size, step stride, spacing
    dilation, implicit −∞ padding).

    Args:
        kernel_size: int or pair;  stride: default kernel_size;  padding: at most half the kernel
        dilation: spacing of the window's elements;  return_indices: also return the flat index h·W + w
            of each maximum;  ceil_mode: round the output size up (windows may hang over the edge)

    Shape:
        input (N, C, H, W) or (C, H, W) -> output (N, C, OH, OW),
        OH = ⌊(H + 2·padding − dilation·(KH − 1) − 1) / stride⌋ + 1 (⌈…⌉ with ceil_mode)

    Example::

        >>> nn.MaxPool2d(3, stride=2)(nnmath.randn(20, 16, 50, 32)).shape
        nnmath.Size([20, 16, 24, 15])
    """

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool1d(_MaxPoolNd):
    """1-d max-pooling over the last dimension of (N, C, L) or (C, L) (arguments as :class:`MaxPool2d`).

    Example::

        >>> nn.MaxPool1d(3, stride=2)(nnmath.randn(20, 16, 50)).shape
        nnmath.Size([20, 16, 24])
    """

    def forward(self, input):
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool2d(Module):
    """y[n, c, i, j] = mean of x[n, c] over the window (i, j): its sum divided by the number of cells
    (counting the zero padding when ``count_include_pad``) or by ``divisor_override``.

    Shape:
        input (N, C, H, W) or (C, H, W) -> output (N, C, OH, OW) (sizes as :class:`MaxPool2d`)

    Example::

        >>> nn.AvgPool2d(3, stride=2)(nnmath.randn(20, 16, 50, 32)).shape
        nnmath.Size([20, 16, 24, 15])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(AvgPool2d):
    """1-d average pooling over the last dimension of (N, C, L) or (C, L)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size: cell (i, j) averages rows [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉) and
    the same for columns. ``output_size``: int or pair (None keeps that input size).

    Example::

        >>> nn.AdaptiveAvgPool2d((5, 7))(nnmath.randn(1, 64, 8, 9)).shape
        nnmath.Size([1, 64, 5, 7])
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed output size (windows as :class:`AdaptiveAvgPool2d`).

    Example::

        >>> nn.AdaptiveMaxPool2d((5, 7))(nnmath.randn(1, 64, 8, 9)).shape
        nnmath.Size([1, 64, 5, 7])
    """

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """Average pooling of (N, C, L) to a fixed length."""

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """Max pooling of (N, C, L) to a fixed length."""

    def forward(self, input):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)
