"""Lazy layers: ``LazyLinear``, ``LazyConv*``, ``LazyConvTranspose*``, ``LazyBatchNorm*``,
``LazyInstanceNorm*``, whose input size (``in_features``, ``in_channels``, ``num_features``) is read
from the first input they are called on.

Until then their parameters are :class:`~nnmath.nn.parameter.UninitializedParameter` s (and the
batch norms' running statistics :class:`~nnmath.nn.parameter.UninitializedBuffer` s). The first call
gives them their shapes, initialises them as the ordinary layer does (drawing the same random
numbers from the generator, at that moment) and turns the module into that layer: a ``LazyLinear``
becomes a ``Linear``. Loading a state_dict into a lazy layer takes the saved shapes instead.
"""
from __future__ import annotations

from nnmath import creation, dtypes
from nnmath.autograd.grad_mode import no_grad
from nnmath.nn.modules.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from nnmath.nn.modules.instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from nnmath.nn.modules.linear import Linear
from nnmath.nn.modules.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d
from nnmath.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy


class LazyModuleMixin:
    """Makes a layer lazy: a forward pre-hook calls ``initialize_parameters(*inputs)`` on the first
    call, then the module's class becomes ``cls_to_become``. A subclass defines
    ``initialize_parameters``; its parameters are uninitialized until then.

    Build the optimizer after a first ("dry") run, or before it: the parameters keep their identity
    when they are given their shapes.
    """

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer of this module is still uninitialized."""
        return any(is_lazy(v) for v in list(self._parameters.values()) + list(self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """As Module's, the uninitialized entries given as they are (``<UninitializedParameter>``)."""
        out = super().state_dict(*args, destination=destination, prefix=prefix, keep_vars=keep_vars)
        for name, value in list(self._parameters.items()) + list(self._buffers.items()):
            if is_lazy(value) and prefix + name in out:
                out[prefix + name] = value
        return out


def _infer_parameters(module, args):
    with no_grad():
        module.initialize_parameters(*args)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    module._initialize_hook.remove()
    object.__delattr__(module, "_initialize_hook")
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


class LazyLinear(LazyModuleMixin, Linear):
    """A :class:`Linear` whose ``in_features`` is the last dimension of its first input.

    Args:
        out_features: size of each output sample
        bias: if False, the layer learns no additive bias (default: True)

    Shape:
        input (*, H_in) -> output (*, out_features); H_in is fixed by the first call

    Attributes:
        weight: (out_features, H_in) once initialised, from U(−1/√H_in, 1/√H_in)
        bias: (out_features,), from the same distribution

    Example::

        >>> m = nn.LazyLinear(30)
        >>> m(nnmath.randn(128, 20)).shape, m
        (nnmath.Size([128, 30]), Linear(in_features=20, out_features=30, bias=True))
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__(0, 0, False, device, dtype)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
        elif self.in_features == 0:  # given its weight by load_state_dict
            self.in_features = self.weight.shape[1]


class _LazyConvMixin(LazyModuleMixin):
    def __init__(self, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                 device, dtype, output_padding=0):
        # bias=False here: the parameters are replaced by uninitialized ones just after
        if self._transposed:
            super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation,
                             padding_mode, device, dtype)
        else:
            super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device,
                             dtype)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        n = self._dims
        if input.ndim not in (n + 1, n + 2):
            raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {type(self).__name__}, "
                               f"but got input of size: {tuple(input.shape)}")
        if not self.has_uninitialized_params():
            if self.in_channels == 0:  # given its weight by load_state_dict
                self.in_channels = self.weight.shape[0] if self._transposed else self.weight.shape[1] * self.groups
            return
        self.in_channels = input.shape[1] if input.ndim == n + 2 else input.shape[0]
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if self._transposed:
            self.weight.materialize((self.in_channels, self.out_channels // self.groups, *self.kernel_size))
        else:
            self.weight.materialize((self.out_channels, self.in_channels // self.groups, *self.kernel_size))
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


class LazyConv1d(_LazyConvMixin, Conv1d):
    """A :class:`Conv1d` whose ``in_channels`` is read from its first input (dimension −2).

    Args: as :class:`Conv1d` without ``in_channels``.

    Shape:
        input (N, C_in, L) or (C_in, L) -> output (N, out_channels, L_out)

    Attributes:
        weight: (out_channels, C_in/groups, K), from U(−√k, √k), k = groups / (C_in·K)
        bias: (out_channels,)

    Example::

        >>> nn.LazyConv1d(33, 3)(nnmath.randn(20, 16, 50)).shape
        nnmath.Size([20, 33, 48])
    """

    cls_to_become = Conv1d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, device,
                         dtype)


class LazyConv2d(_LazyConvMixin, Conv2d):
    """A :class:`Conv2d` whose ``in_channels`` is read from its first input (dimension −3).

    Args: as :class:`Conv2d` without ``in_channels``.

    Shape:
        input (N, C_in, H, W) or (C_in, H, W) -> output (N, out_channels, H_out, W_out)

    Attributes:
        weight: (out_channels, C_in/groups, KH, KW), from U(−√k, √k), k = groups / (C_in·KH·KW)
        bias: (out_channels,)

    Example::

        >>> nn.LazyConv2d(6, kernel_size=5, padding=2)(nnmath.randn(1, 1, 28, 28)).shape
        nnmath.Size([1, 6, 28, 28])
    """

    cls_to_become = Conv2d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, device,
                         dtype)


class LazyConvTranspose1d(_LazyConvMixin, ConvTranspose1d):
    """A :class:`ConvTranspose1d` whose ``in_channels`` is read from its first input.

    Args: as :class:`ConvTranspose1d` without ``in_channels``.

    Shape:
        input (N, C_in, L) -> output (N, out_channels, L_out)

    Attributes:
        weight: (C_in, out_channels/groups, K)
        bias: (out_channels,)

    Example::

        >>> nn.LazyConvTranspose1d(33, 3, stride=2)(nnmath.randn(20, 16, 50)).shape
        nnmath.Size([20, 33, 101])
    """

    cls_to_become = ConvTranspose1d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0, groups: int = 1,
                 bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, device,
                         dtype, output_padding)


class LazyConvTranspose2d(_LazyConvMixin, ConvTranspose2d):
    """A :class:`ConvTranspose2d` whose ``in_channels`` is read from its first input.

    Args: as :class:`ConvTranspose2d` without ``in_channels``.

    Shape:
        input (N, C_in, H, W) -> output (N, out_channels, H_out, W_out)

    Attributes:
        weight: (C_in, out_channels/groups, KH, KW)
        bias: (out_channels,)

    Example::

        >>> nn.LazyConvTranspose2d(33, 3, stride=2)(nnmath.randn(2, 16, 5, 10)).shape
        nnmath.Size([2, 33, 11, 21])
    """

    cls_to_become = ConvTranspose2d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0, groups: int = 1,
                 bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, device,
                         dtype, output_padding)


class _LazyNormBase(LazyModuleMixin):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None):
        # affine and track_running_stats False here: the tensors are replaced just after
        super().__init__(0, eps, momentum, False, False, device, dtype)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(dtype=dtype)
            self.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)
            self.num_batches_tracked = creation.tensor(0, dtype=dtypes.int64)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        if not self.has_uninitialized_params():
            if self.num_features == 0:  # given its tensors by load_state_dict
                self.num_features = input.shape[1]
            return
        self.num_features = input.shape[1]
        if self.affine:
            self.weight.materialize((self.num_features,))
            self.bias.materialize((self.num_features,))
        if self.track_running_stats:
            self.running_mean.materialize((self.num_features,))
            self.running_var.materialize((self.num_features,))
        self.reset_parameters()


def _lazy_norm(base, affine_default, doc):
    class Lazy(_LazyNormBase, base):
        cls_to_become = base

        def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = affine_default,
                     track_running_stats: bool = affine_default, device=None, dtype=None):
            super().__init__(eps, momentum, affine, track_running_stats, device, dtype)

    Lazy.__name__ = Lazy.__qualname__ = "Lazy" + base.__name__
    Lazy.__module__ = __name__
    Lazy.__doc__ = doc
    return Lazy


_NORM_DOC = """A :class:`{0}` whose ``num_features`` is the size of dimension 1 of its first input.

    Args: as :class:`{0}` without ``num_features``.

    Attributes:
        weight, bias: (C,), ones and zeros once initialised (when ``affine``)
        running_mean, running_var: (C,) buffers, zeros and ones (when ``track_running_stats``)

    Example::

        >>> nn.Lazy{0}()(nnmath.randn({1})).shape
        nnmath.Size([{2}])
    """
LazyBatchNorm1d = _lazy_norm(BatchNorm1d, True, _NORM_DOC.format("BatchNorm1d", "4, 3", "4, 3"))
LazyBatchNorm2d = _lazy_norm(BatchNorm2d, True, _NORM_DOC.format("BatchNorm2d", "2, 3, 4, 4", "2, 3, 4, 4"))
LazyBatchNorm3d = _lazy_norm(BatchNorm3d, True, _NORM_DOC.format("BatchNorm3d", "2, 3, 2, 2, 2", "2, 3, 2, 2, 2"))
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d, False, _NORM_DOC.format("InstanceNorm1d", "2, 3, 5", "2, 3, 5"))
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d, False, _NORM_DOC.format("InstanceNorm2d", "2, 3, 4, 4", "2, 3, 4, 4"))
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d, False, _NORM_DOC.format("InstanceNorm3d", "2, 3, 2, 2, 2",
                                                                 "2, 3, 2, 2, 2"))

__all__ = ["LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConvTranspose1d", "LazyConvTranspose2d",
           "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
           "LazyInstanceNorm3d"]
