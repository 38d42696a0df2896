"""Normalisation layers: ``LayerNorm`` and ``RMSNorm`` (per sample) and the batch-norm family (per channel).

``_BatchNorm`` holds everything the batch-norm layers share (parameters, running statistics, the
momentum rule); a layer for another input rank only states which ranks it accepts.
"""
from __future__ import annotations

from nnmath import creation, dtypes
from nnmath.autograd import no_grad
from nnmath.nn import functional as F
from nnmath.nn import init
from nnmath.nn.modules.module import Module
from nnmath.nn.parameter import Parameter


def _per_sample_affine(module, normalized_shape, eps, elementwise_affine: bool, bias: bool | None, device,
                       dtype) -> None:
    """LayerNorm's and RMSNorm's settings and parameters: γ (ones) of the normalised shape when
    ``elementwise_affine``, and β (zeros) also when ``bias`` (``bias=None``: no β entry at all, as RMSNorm)."""
    module.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    module.eps = eps
    module.elementwise_affine = elementwise_affine
    wanted = {"weight": elementwise_affine} if bias is None else {"weight": elementwise_affine,
                                                                  "bias": elementwise_affine and bias}
    for name, present in wanted.items():
        module.register_parameter(name, Parameter(creation.empty(*module.normalized_shape, device=device, dtype=dtype))
                                  if present else None)
    _reset_affine(module)


def _reset_affine(module) -> None:
    if module.weight is not None:
        init.ones_(module.weight)
    if module._parameters.get("bias") is not None:
        init.zeros_(module.bias)


class LayerNorm(Module):
    """y = (x − E[x]) / √(Var[x] + ε) ⊙ γ + β, statistics over the last len(normalized_shape) dimensions
    of each sample (biased variance).

    Args:
        normalized_shape: the trailing shape to normalise over (an int or a tuple)
        eps: ε added to the variance (default: 1e-5)
        elementwise_affine: learn γ and β (default: True)
        bias: learn β (default: True; only with elementwise_affine)

    Shape:
        input (*, *normalized_shape) -> output, same shape

    Attributes:
        weight: γ of shape normalized_shape, initialised to ones
        bias: β of shape normalized_shape, initialised to zeros

    Example::

        >>> m = nn.LayerNorm(10)
        >>> m(nnmath.randn(20, 5, 10)).shape
        nnmath.Size([20, 5, 10])
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        _per_sample_affine(self, normalized_shape, eps, elementwise_affine, bias, device, dtype)

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input):
        trailing = tuple(input.shape[max(input.ndim - len(self.normalized_shape), 0):])
        if trailing != self.normalized_shape:
            raise RuntimeError(f"{self._get_name()}({self.extra_repr()}): input of shape {tuple(input.shape)} does "
                               f"not end with normalized_shape {self.normalized_shape}")
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """y = x / √(mean(x²) + ε) ⊙ γ, the mean over the last len(normalized_shape) dimensions of each sample:
    layer normalisation without centring and without β (Zhang & Sennrich, 2019).

    Args:
        normalized_shape: the trailing shape to normalise over (an int or a tuple)
        eps: ε added to the mean square (default: None, the machine epsilon of the input's dtype)
        elementwise_affine: learn γ (default: True)

    Shape:
        input (*, *normalized_shape) -> output, same shape

    Attributes:
        weight: γ of shape normalized_shape, initialised to ones

    Example::

        >>> m = nn.RMSNorm([5, 10])
        >>> m(nnmath.randn(20, 5, 10)).shape
        nnmath.Size([20, 5, 10])
    """

    def __init__(self, normalized_shape, eps: float | None = None, elementwise_affine: bool = True, device=None,
                 dtype=None):
        super().__init__()
        _per_sample_affine(self, normalized_shape, eps, elementwise_affine, None, device, dtype)

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class _NormBase(Module):
    """Per-channel affine parameters and running statistics, shared by batch-norm-type layers.

    Attributes:
        weight, bias: γ (ones) and β (zeros) of shape (num_features,) when ``affine`` (β only with
            ``bias=True``)
        running_mean, running_var: buffers (zeros, ones) of shape (num_features,) when
            ``track_running_stats``
        num_batches_tracked: int64 buffer counting training batches (for momentum=None)
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(creation.empty(num_features, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(creation.empty(num_features, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", creation.ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", creation.tensor(0, dtype=dtypes.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _check_input_dim(self, input) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """Batch normalisation of an (N, C, *) input; subclasses only check the input's rank.

    In training, normalises with the batch statistics and updates the running ones:
    running ← (1 − momentum) · running + momentum · batch (unbiased variance), or the cumulative
    average over all batches seen when ``momentum=None``. In eval, normalises with the running
    statistics (or the batch's when ``track_running_stats=False``).
    """

    def forward(self, input):
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise RuntimeError(f"{self._get_name()}({self.extra_repr()}): input has {input.shape[1]} channels in "
                               f"dimension 1 (shape {tuple(input.shape)}); expected {self.num_features}")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked)
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        # Running statistics are updated only when they are tracked and the batch's are used.
        update = not self.training or self.track_running_stats
        return F.batch_norm(input,
                            self.running_mean if update else None,
                            self.running_var if update else None,
                            self.weight, self.bias, use_batch_stats, momentum, self.eps)


class BatchNorm1d(_BatchNorm):
    """y = (x − E[x]) / √(Var[x] + ε) ⊙ γ + β per channel, over the batch (and length) dimensions.

    Args:
        num_features: C, the number of channels
        eps: ε added to the variance (default: 1e-5)
        momentum: weight of the batch statistic in the running average (default: 0.1); None for the
            cumulative average
        affine: learn γ and β (default: True)
        track_running_stats: keep running statistics for eval mode (default: True)
        bias: learn β (keyword only, default: True; only with affine)

    Shape:
        input (N, C) or (N, C, L) -> output, same shape

    Attributes:
        weight: γ (C,), ones;  bias: β (C,), zeros
        running_mean: (C,), zeros;  running_var: (C,), ones;  num_batches_tracked: int64 scalar, 0

    Example::

        >>> m = nn.BatchNorm1d(100)
        >>> m(nnmath.randn(20, 100)).shape
        nnmath.Size([20, 100])
    """

    def _check_input_dim(self, input) -> None:
        if input.ndim not in (2, 3):
            raise ValueError(f"{self._get_name()}: expected 2D or 3D input (got {input.ndim}D input of shape "
                             f"{tuple(input.shape)})")


class BatchNorm2d(_BatchNorm):
    """y = (x − E[x]) / √(Var[x] + ε) ⊙ γ + β per channel, statistics over (N, H, W).

    Arguments, attributes and running statistics as :class:`BatchNorm1d`.

    Shape:
        input (N, C, H, W) -> output, same shape

    Example::

        >>> nn.BatchNorm2d(100)(nnmath.randn(20, 100, 35, 45)).shape
        nnmath.Size([20, 100, 35, 45])
    """

    def _check_input_dim(self, input) -> None:
        if input.ndim != 4:
            raise ValueError(f"{self._get_name()}: expected 4D input (N, C, H, W) (got {input.ndim}D input of shape "
                             f"{tuple(input.shape)})")


class GroupNorm(Module):
    """y = (x − μ_g) / √(σ²_g + ε) ⊙ γ + β, statistics per sample over each group of C / num_groups
    channels (and all positions); the same in training and eval.

    Args:
        num_groups: number of groups (divides num_channels)
        num_channels: C
        eps: ε (default 1e-5)
        affine: learn per-channel γ (ones) and β (zeros) (default True)

    Shape:
        input (N, C, *) -> output, same shape

    Example::

        >>> nn.GroupNorm(3, 6)(nnmath.randn(20, 6, 10, 10)).shape
        nnmath.Size([20, 6, 10, 10])
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, device=None,
                 dtype=None):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(creation.empty(num_channels, device=device, dtype=dtype))
            self.bias = Parameter(creation.empty(num_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, input):
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise RuntimeError(f"{self._get_name()}({self.extra_repr()}): expected input of shape (N, "
                               f"{self.num_channels}, *), got {tuple(input.shape)}")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
