"""Activation functions as modules; each ``forward`` calls :mod:`nnmath.nn.functional`.

Every module maps an input of any shape (*) to an output of the same shape (softmax-type modules act
along ``dim``).
"""
from __future__ import annotations

from nnmath.nn import functional as F
from nnmath.nn.modules.module import Module


def _inplace_repr(inplace: bool, prefix: str = "") -> str:
    if not inplace:
        return prefix
    return f"{prefix}, inplace=True" if prefix else "inplace=True"


class ReLU(Module):
    """ReLU(x) = max(x, 0).

    Args:
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.ReLU()(nnmath.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class LeakyReLU(Module):
    """LeakyReLU(x) = x if x > 0 else negative_slope · x.

    Args:
        negative_slope: slope for x < 0 (default: 0.01)
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.LeakyReLU(0.1)(nnmath.tensor([-1.0, 2.0]))
        tensor([-0.1000,  2.0000])
    """

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"negative_slope={self.negative_slope}")


class ELU(Module):
    """ELU(x) = x if x > 0 else α (eˣ − 1).

    Args:
        alpha: α (default: 1.0)
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.ELU()(nnmath.zeros(2))
        tensor([0., 0.])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"alpha={self.alpha}")


class CELU(Module):
    """CELU(x) = max(0, x) + min(0, α (e^(x/α) − 1)).

    Args:
        alpha: α (default: 1.0)
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.CELU()(nnmath.zeros(2))
        tensor([0., 0.])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"alpha={self.alpha}")


class SELU(Module):
    """SELU(x) = λ · ELU(x, α), λ ≈ 1.0507, α ≈ 1.6733.

    Args:
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.SELU()(nnmath.zeros(2))
        tensor([0., 0.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.selu(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class GELU(Module):
    """GELU(x) = x Φ(x) = x/2 · (1 + erf(x/√2)); with approximate='tanh',
    x/2 · (1 + tanh(√(2/π) (x + 0.044715 x³))).

    Args:
        approximate: 'none' (default) or 'tanh'

    Example::

        >>> nn.GELU()(nnmath.zeros(2))
        tensor([0., 0.])
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """SiLU(x) = x σ(x) (also called swish).

    Args:
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.SiLU()(nnmath.zeros(2))
        tensor([0., 0.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.silu(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Mish(Module):
    """Mish(x) = x tanh(softplus(x)).

    Args:
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.Mish()(nnmath.zeros(2))
        tensor([0., 0.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.mish(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e⁻ˣ).

    Example::

        >>> nn.Sigmoid()(nnmath.zeros(2))
        tensor([0.5000, 0.5000])
    """

    def forward(self, input):
        return F.sigmoid(input)


class LogSigmoid(Module):
    """LogSigmoid(x) = log σ(x) = −softplus(−x).

    Example::

        >>> nn.LogSigmoid()(nnmath.zeros(1))
        tensor([-0.6931])
    """

    def forward(self, input):
        return F.logsigmoid(input)


class Tanh(Module):
    """tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ).

    Example::

        >>> nn.Tanh()(nnmath.zeros(2))
        tensor([0., 0.])
    """

    def forward(self, input):
        return F.tanh(input)


class Softplus(Module):
    """Softplus(x) = log(1 + e^(βx)) / β; x itself where βx > threshold.

    Args:
        beta: β (default: 1.0)
        threshold: above it the function is linear (default: 20.0)

    Example::

        >>> nn.Softplus()(nnmath.zeros(1))
        tensor([0.6931])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """Softsign(x) = x / (1 + |x|).

    Example::

        >>> nn.Softsign()(nnmath.tensor([1.0]))
        tensor([0.5000])
    """

    def forward(self, input):
        return F.softsign(input)


class Hardtanh(Module):
    """Hardtanh(x) = min(max(x, min_val), max_val).

    Args:
        min_val: lower bound (default: -1.0)
        max_val: upper bound (default: 1.0)
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.Hardtanh()(nnmath.tensor([-2.0, 0.5]))
        tensor([-1.0000,  0.5000])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"min_val={self.min_val}, max_val={self.max_val}")


class ReLU6(Hardtanh):
    """ReLU6(x) = min(max(x, 0), 6).

    Args:
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.ReLU6()(nnmath.tensor([-1.0, 7.0]))
        tensor([0., 6.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Hardsigmoid(Module):
    """Hardsigmoid(x) = ReLU6(x + 3) / 6.

    Args:
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.Hardsigmoid()(nnmath.zeros(1))
        tensor([0.5000])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardsigmoid(input, self.inplace)


class Hardswish(Module):
    """Hardswish(x) = x · ReLU6(x + 3) / 6.

    Args:
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.Hardswish()(nnmath.zeros(1))
        tensor([0.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardswish(input, self.inplace)


class _SoftmaxBase(Module):
    """Shared by the softmax-type modules: a ``dim`` and its repr."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    """softmax(x)ᵢ = e^(xᵢ) / Σⱼ e^(xⱼ) along ``dim``.

    Args:
        dim: the dimension that sums to one

    Example::

        >>> nn.Softmax(dim=1)(nnmath.zeros(1, 4))
        tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    def forward(self, input):
        return F.softmax(input, self.dim)


class Softmin(_SoftmaxBase):
    """softmin(x) = softmax(−x) along ``dim``.

    Args:
        dim: the dimension that sums to one

    Example::

        >>> nn.Softmin(dim=1)(nnmath.zeros(1, 2))
        tensor([[0.5000, 0.5000]])
    """

    def forward(self, input):
        return F.softmin(input, self.dim)


class LogSoftmax(_SoftmaxBase):
    """log softmax(x)ᵢ = xᵢ − log Σⱼ e^(xⱼ) along ``dim`` (stable).

    Args:
        dim: the dimension of the classes

    Example::

        >>> nn.LogSoftmax(dim=1)(nnmath.zeros(1, 2))
        tensor([[-0.6931, -0.6931]])
    """

    def forward(self, input):
        return F.log_softmax(input, self.dim)
