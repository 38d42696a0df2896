"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``.

The mathematics (and its derivatives, themselves convolutions) is in :mod:`nnmath.ops.conv`; a layer
holds W and b, initialises them as PyTorch does, checks its input, and calls the functional op.
"""
from __future__ import annotations

from nnmath import creation
from nnmath.nn import functional as F
from nnmath.nn import init
from nnmath.nn.modules.module import Module
from nnmath.nn.parameter import Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value, n):
    if isinstance(value, (list, tuple)):
        return tuple(int(v) for v in value) if len(value) == n else tuple(int(value[0]) for _ in range(n))
    return (int(value),) * n


class _ConvNd(Module):
    """Parameters and checks shared by the convolution layers.

    Attributes:
        weight: (out_channels, in_channels/groups, *kernel_size) for a convolution,
            (in_channels, out_channels/groups, *kernel_size) for a transposed one; U(−√k, √k) with
            k = 1 / fan_in (kaiming_uniform_ with a = √5, as PyTorch)
        bias: (out_channels,), U(−√k, √k)
    """

    _dims = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", output_padding=0, device=None, dtype=None):
        super().__init__()
        n = self._dims
        name = type(self).__name__
        if groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: invalid padding string {padding!r}, should be one of 'valid', 'same'")
            if padding == "same" and any(s != 1 for s in _ntuple(stride, n)):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
            if self._transposed:
                raise ValueError(f"{name}: only an int or a tuple padding is supported")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f"{name}: only 'zeros' padding_mode is supported for transposed convolutions")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, n)
        self.stride = _ntuple(stride, n)
        self.padding = padding if isinstance(padding, str) else _ntuple(padding, n)
        self.dilation = _ntuple(dilation, n)
        self.transposed = self._transposed
        self.output_padding = _ntuple(output_padding, n)
        self.groups = groups
        self.padding_mode = padding_mode
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(creation.empty(*shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.fan_in_uniform_(self.weight, self.bias)

    def _check_input(self, input):
        n = self._dims
        name = type(self).__name__
        layout = "(N, C, L) or (C, L)" if n == 1 else "(N, C, H, W) or (C, H, W)"
        if input.ndim not in (n + 1, n + 2):
            raise RuntimeError(f"{name}: expected a {n + 1}-D (unbatched) or {n + 2}-D (batched) input of shape "
                               f"{layout}, but got a {input.ndim}-D input of shape {tuple(input.shape)}")
        channels = input.shape[-n - 1]
        if channels != self.in_channels:
            raise RuntimeError(f"{name}({self.extra_repr()}): expected input with {self.in_channels} channels "
                               f"(dimension {input.ndim - n - 1} of shape {layout}), but got {channels} channels "
                               f"(input of shape {tuple(input.shape)})")

    def _padded(self, input):
        """The input with a non-zero padding mode applied (the convolution then pads with nothing)."""
        n = self._dims
        if self.padding_mode == "zeros":
            return input, self.padding
        if isinstance(self.padding, str):
            if self.padding == "valid":
                return input, 0
            widths = []
            for k, d in zip(reversed(self.kernel_size), reversed(self.dilation)):
                total = d * (k - 1)
                widths += [total // 2, total - total // 2]
        else:
            widths = [p for p in reversed(self.padding) for _ in range(2)]
        x = input if input.ndim == n + 2 else input.unsqueeze(0)
        x = F.pad(x, tuple(widths), mode=self.padding_mode)
        return (x if input.ndim == n + 2 else x.squeeze(0)), 0

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._dims:
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._dims:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c]: a 2-d cross-correlation over groups of channels.

    Args:
        in_channels, out_channels: C_in and C_out
        kernel_size: int or (KH, KW)
        stride: int or pair (default 1)
        padding: int, pair, 'valid' or 'same' (default 0)
        dilation: spacing between kernel elements (default 1)
        groups: split the channels into this many independent convolutions (default 1)
        bias: learn b (default True)
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular' (default 'zeros')

    Shape:
        input (N, C_in, H, W) or (C_in, H, W) -> output (N, C_out, OH, OW) or (C_out, OH, OW),
        OH = ⌊(H + 2·padding − dilation·(KH − 1) − 1) / stride⌋ + 1

    Attributes:
        weight: (C_out, C_in/groups, KH, KW), U(−√k, √k) with k = groups / (C_in·KH·KW)
        bias: (C_out,), U(−√k, √k)

    Example::

        >>> m = nn.Conv2d(16, 33, 3, stride=2)
        >>> m(nnmath.randn(20, 16, 50, 100)).shape
        nnmath.Size([20, 33, 24, 49])
    """

    _dims = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 0, device, dtype)

    def forward(self, input):
        self._check_input(input)
        x, padding = self._padded(input)
        return F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c]: a 1-d cross-correlation (arguments as :class:`Conv2d`).

    Shape:
        input (N, C_in, L) or (C_in, L) -> output (N, C_out, L_out),
        L_out = ⌊(L + 2·padding − dilation·(K − 1) − 1) / stride⌋ + 1

    Attributes:
        weight: (C_out, C_in/groups, K), U(−√k, √k) with k = groups / (C_in·K);  bias: (C_out,)

    Example::

        >>> nn.Conv1d(16, 33, 3, stride=2)(nnmath.randn(20, 16, 50)).shape
        nnmath.Size([20, 33, 24])
    """

    _dims = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 0, device, dtype)

    def forward(self, input):
        self._check_input(input)
        x, padding = self._padded(input)
        return F.conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """The adjoint of :class:`Conv2d` in its input (a "deconvolution"), plus a bias; it maps a
    convolution's output size back to its input size.

    Args: as :class:`Conv2d`, plus ``output_padding`` (added to one side of the output, < stride or
    dilation) to resolve which input size a strided convolution came from.

    Shape:
        input (N, C_in, H, W) -> output (N, C_out, OH, OW),
        OH = (H − 1)·stride − 2·padding + dilation·(KH − 1) + output_padding + 1

    Attributes:
        weight: (C_in, C_out/groups, KH, KW), U(−√k, √k) with k = groups / (C_out·KH·KW)
        bias: (C_out,)

    Example::

        >>> nn.ConvTranspose2d(16, 33, 3, stride=2)(nnmath.randn(20, 16, 50, 100)).shape
        nnmath.Size([20, 33, 101, 201])
    """

    _dims = 2
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None,
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, device, dtype)

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        output_size = tuple(output_size)[-self._dims:]
        spatial = tuple(input.shape)[-self._dims:]
        out = []
        for n, want, s, p, d, k in zip(spatial, output_size, self.stride, self.padding, self.dilation,
                                       self.kernel_size):
            smallest = (n - 1) * s - 2 * p + d * (k - 1) + 1
            if not smallest <= want < smallest + s:
                raise ValueError(f"{type(self).__name__}: requested an output size of {output_size}, but valid "
                                 f"sizes range from {smallest} to {smallest + s - 1} (for an input of {spatial})")
            out.append(want - smallest)
        return tuple(out)

    def forward(self, input, output_size=None):
        self._check_input(input)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups, self.dilation)


class ConvTranspose1d(ConvTranspose2d):
    """The 1-d transposed convolution (see :class:`ConvTranspose2d`); weight (C_in, C_out/groups, K).

    Example::

        >>> nn.ConvTranspose1d(16, 33, 3, stride=2)(nnmath.randn(20, 16, 50)).shape
        nnmath.Size([20, 33, 101])
    """

    _dims = 1

    def forward(self, input, output_size=None):
        self._check_input(input)
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups, self.dilation)
