"""Affine maps: ``Identity``, ``Linear`` (y = x Wᵀ + b) and ``Bilinear`` (y = x₁ᵀ W x₂ + b)."""
from __future__ import annotations

import math

from nnmath import creation
from nnmath.nn import functional as F
from nnmath.nn import init
from nnmath.nn.modules.module import Module
from nnmath.nn.parameter import Parameter


class Identity(Module):
    """y = x; arguments are accepted and ignored (a placeholder that keeps a model's structure).

    Example::

        >>> nn.Identity(54, unused="x")(nnmath.ones(2)).shape
        nnmath.Size([2])
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x Wᵀ + b.

    Args:
        in_features: size of each input sample
        out_features: size of each output sample
        bias: if False, the layer learns no additive bias (default: True)
        dtype: dtype of the parameters (default: the default float dtype)

    Shape:
        input (*, in_features) -> output (*, out_features)

    Attributes:
        weight: (out_features, in_features), initialised from U(−1/√in_features, 1/√in_features)
            (kaiming_uniform_ with a = √5)
        bias: (out_features,), initialised from U(−1/√in_features, 1/√in_features)

    Example::

        >>> m = nn.Linear(20, 30)
        >>> m(nnmath.randn(128, 20)).shape
        nnmath.Size([128, 30])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(creation.empty(out_features, in_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.fan_in_uniform_(self.weight, self.bias)

    def forward(self, input):
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise RuntimeError(f"{self._get_name()}({self.extra_repr()}): input has "
                               f"{input.shape[-1] if input.ndim else 'no'} features in its last dimension (shape "
                               f"{tuple(input.shape)}); expected {self.in_features}")
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class NonDynamicallyQuantizableLinear(Linear):
    """A :class:`Linear` under another name: ``MultiheadAttention.out_proj``, as in PyTorch (whose quantisation
    tools use the name to leave this layer alone), so the module's repr and type match."""


class Bilinear(Module):
    """yₖ = x₁ᵀ Wₖ x₂ + bₖ.

    Args:
        in1_features, in2_features: sizes of the two inputs
        out_features: size of the output
        bias: if False, no additive bias (default: True)

    Shape:
        input1 (*, in1_features), input2 (*, in2_features) -> output (*, out_features)

    Attributes:
        weight: (out_features, in1_features, in2_features), from U(−1/√in1_features, 1/√in1_features)
        bias: (out_features,), from the same distribution

    Example::

        >>> m = nn.Bilinear(20, 30, 40)
        >>> m(nnmath.randn(128, 20), nnmath.randn(128, 30)).shape
        nnmath.Size([128, 40])
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(creation.empty(out_features, in1_features, in2_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
