"""The activations of the seeds (sigmoid, tanh, ReLU), softplus, softmax / log-softmax, and the binary
cross-entropy of a probability (the log-likelihood primitives of classification).

A network is linear maps joined by these nonlinearities; their derivatives are what
back-propagation multiplies through at every layer.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from nnmath import dtypes
from nnmath.autograd.function import Function
from nnmath.autograd.grad_mode import state
from nnmath.ops._erf import ERF_SERIES, erf_rows
from nnmath.ops._util import require_floating, to_float
from nnmath.ops.elementwise import clamp_min, exp, log, log1p, where
from nnmath.parallel import split_rows
from nnmath.tensor import Tensor, wrap_dim


class Sigmoid(Function):
    """Forward:  y = σ(x) = 1 / (1 + e⁻ˣ)   (computed from e^(−|x|): never overflows)
    VJP:      x̄ = ȳ ⊙ y ⊙ (1 − y)"""
    operators_only_backward = True

    @staticmethod
    def forward(ctx, x):
        e = np.exp(-np.abs(x))
        y = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        return gy * y * (1 - y)


class Tanh(Function):
    """Forward:  y = tanh x = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)
    VJP:      x̄ = ȳ ⊙ (1 − y²)"""
    operators_only_backward = True

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        return gy * (1 - y * y)


#: ReLU's zeros: a row of this many, against which NumPy's maximum runs its vectorised loop on rows of
#: contiguous numbers. Against the number 0 it runs a slower loop: 1,083 µs against 318 on 1.4 M float32
#: (the seed CNN's first activation), the same function and the same bits.
_ZERO_ROW = 16384
_zero_rows: dict = {}


def _relu_rows(x, y):
    if type(x) is not np.ndarray or not (x.flags.c_contiguous and y.flags.c_contiguous) or x.size < _ZERO_ROW:
        np.maximum(x, x.dtype.type(0), out=y)
        return
    zeros = _zero_rows.get(x.dtype)
    if zeros is None:
        zeros = _zero_rows[x.dtype] = np.zeros(_ZERO_ROW, x.dtype)
    flat_x, flat_y = x.reshape(-1), y.reshape(-1)
    whole = flat_x.size - flat_x.size % _ZERO_ROW
    np.maximum(flat_x[:whole].reshape(-1, _ZERO_ROW), zeros, out=flat_y[:whole].reshape(-1, _ZERO_ROW))
    np.maximum(flat_x[whole:], x.dtype.type(0), out=flat_y[whole:])


class Relu(Function):
    """Forward:  y = max(x, 0)
    VJP:      x̄ = ȳ where not y ≤ 0, else 0   (0 at x = 0, and 0 rather than NaN where ȳ is NaN and
              x ≤ 0; ȳ passes where x is NaN: PyTorch's threshold_backward)"""

    @staticmethod
    def forward(ctx, x):
        y = np.empty_like(x)
        split_rows(_relu_rows, (x,), (y,))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        return where(Tensor._make(np.logical_not(np.less_equal(y._data, 0))), gy, 0.0)


class Softmax(Function):
    """Forward:  yᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m),  m = maxⱼ xⱼ (the shift cancels; it prevents overflow)
    VJP:      x̄ = y ⊙ (ȳ − Σⱼ ȳⱼ yⱼ)"""

    @staticmethod
    def forward(ctx, x, dim):
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        y = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        return y * (gy - (gy * y).sum(ctx.dim, keepdim=True))


class LogSoftmax(Function):
    """Forward:  yᵢ = xᵢ − m − ln Σⱼ e^(xⱼ − m)   (log-sum-exp, stable for any x)
    VJP:      x̄ = ȳ − softmax(x) ⊙ Σⱼ ȳⱼ,  with softmax(x) = eʸ"""

    @staticmethod
    def forward(ctx, x, dim):
        shifted = x - x.max(axis=dim, keepdims=True)
        y = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        return gy - exp(y) * gy.sum(ctx.dim, keepdim=True)


_GELU_A = 0.044715
_GELU_C = float(np.sqrt(2.0 / np.pi))


def _gelu_tanh_gate(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """σ(2z) = (1 + tanh z)/2 for z = √(2/π)(x + 0.044715 x³) into ``s``: one pass per step, in place."""
    np.multiply(x, x, out=s)
    s *= x.dtype.type(_GELU_A)
    s += x.dtype.type(1)
    s *= x
    s *= x.dtype.type(-2 * _GELU_C)  # −2z
    with np.errstate(over="ignore"):  # e^(−2z) = inf far left: σ = 0 there, as it should be
        np.exp(s, out=s)
    s += x.dtype.type(1)
    return np.reciprocal(s, out=s)


def _gelu_tanh_rows(x, gate, y):
    np.multiply(x, _gelu_tanh_gate(x, gate), out=y)


def _gelu_tanh_slope_rows(x, gate, slope):
    np.multiply(x, x, out=slope)
    slope *= x.dtype.type(3 * _GELU_A)
    slope += x.dtype.type(1)
    slope *= x
    slope *= x.dtype.type(2 * _GELU_C)  # 2x z′
    slope *= gate
    slope *= 1 - gate
    slope += gate


def _gelu_tanh_grad_rows(x, gate, gy, gx):
    """x̄ = ȳ ⊙ y′(x) into ``gx``, in one kernel (no second op for the product)."""
    _gelu_tanh_slope_rows(x, gate, gx)
    gx *= gy


class _Gated:
    """The forward and backward of y = x ⊙ gate(x) for a Function that names its kernels: ``rows(x, gate, y)``
    computes y and the gate over pieces of rows on this process's threads (:func:`nnmath.parallel.split_rows`),
    the gate kept for the backward; ``grad_rows(x, gate, ȳ, x̄)`` is x̄ = ȳ ⊙ y′(x) in one kernel, and
    ``derivative`` the op y′(x, gate), used when a graph of the derivative is recorded (create_graph=True,
    or bfloat16 widened by apply)."""

    @staticmethod
    def forward(ctx, x):
        gate, y = np.empty_like(x), np.empty_like(x)
        split_rows(type(ctx).rows, (x,), (gate, y))
        ctx.save_for_backward(x)
        ctx.gate = gate
        return y

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        if state.enabled or x._data.dtype != ctx.gate.dtype:
            return gy * type(ctx).derivative.apply(x, ctx.gate)
        gx = np.empty_like(x._data)
        split_rows(type(ctx).grad_rows, (x._data, ctx.gate, np.broadcast_to(gy._data, gx.shape)), (gx,))
        return Tensor._make(gx)


class _GateDerivative:
    """The forward of y′(x) for a Function whose kernel ``slope_rows(x, gate, slope)`` computes it from x and
    the gate its activation kept."""

    @staticmethod
    def forward(ctx, x, gate):
        ctx.save_for_backward(x)
        slope = np.empty_like(x)
        split_rows(type(ctx).slope_rows, (x, gate), (slope,))
        return slope


class GeluTanhDerivative(_GateDerivative, Function):
    """Forward:  y′(x) = σ + 2x σ(1 − σ) z′,  z′ = √(2/π)(1 + 3·0.044715 x²)   (the derivative of
              :class:`GeluTanh`; σ = σ(2z) is passed in, already computed by its forward)
    VJP:      x̄ = ȳ ⊙ y″(x),  y″ = 4σ(1 − σ) z′ + 4x σ(1 − σ)(1 − 2σ) z′² + 2x σ(1 − σ) z″,  z″ = 6·0.044715·√(2/π) x
              (σ recomputed from x with differentiable ops: derivatives of any order)"""

    slope_rows = staticmethod(_gelu_tanh_slope_rows)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        s = sigmoid((x + x * x * x * _GELU_A) * (2 * _GELU_C))
        dz = (x * x * (3 * _GELU_A) + 1.0) * _GELU_C
        ds = s * (1.0 - s)
        second = ds * dz * 4.0 + x * ds * (1.0 - 2.0 * s) * dz * dz * 4.0 + x * x * ds * (12 * _GELU_A * _GELU_C)
        return gy * second, None


class GeluTanh(_Gated, Function):
    """Forward:  y = x·σ(2z) = x/2 · (1 + tanh z),  z = √(2/π)(x + 0.044715 x³)
    VJP:      x̄ = ȳ ⊙ y′(x),  y′ = σ + 2x σ(1 − σ) z′   (:class:`GeluTanhDerivative`, itself differentiable)

    One in-place pass per arithmetic step instead of a dozen ops each allocating its result, over
    pieces of rows on this process's threads (:func:`nnmath.parallel.split_rows`): a Transformer's
    MLP applies it to its widest activations. σ is kept for the backward."""

    rows, grad_rows = staticmethod(_gelu_tanh_rows), staticmethod(_gelu_tanh_grad_rows)
    derivative = GeluTanhDerivative


_SQRT1_2 = math.sqrt(0.5)
#: φ(x) = e^(−x²/2) · 2/√π · √½ · ½ = e^(−x²/2)/√(2π), PyTorch's kBeta
_GELU_BETA = 2.0 / math.sqrt(math.pi) * _SQRT1_2 * 0.5


def _gelu_rows(x, cdf, y):
    """y = x/2 · (1 + erf(x/√2)) in PyTorch's order of operations, and Φ(x) = (1 + erf(x/√2))/2 into ``cdf``
    (erf in float64, rounded to x's dtype: :mod:`nnmath.ops._erf`)."""
    with np.errstate(invalid="ignore"):  # −∞ gives −∞ · 0 = NaN, as PyTorch's
        _gelu_of_rows(x, cdf, y)


def _gelu_of_rows(x, cdf, y):
    one = x.dtype.type(1)
    np.multiply(x, x.dtype.type(_SQRT1_2), out=y)
    scaled = y.astype(np.float64, order="C").reshape(-1)  # a flat view of the copy
    erf = np.empty_like(scaled)
    erf_rows(scaled, erf, series=ERF_SERIES[8 if x.dtype.itemsize >= 8 else 4])
    cdf[...] = erf.reshape(cdf.shape)
    cdf += one  # 1 + erf
    np.multiply(x, x.dtype.type(0.5), out=y)
    y *= cdf
    cdf *= x.dtype.type(0.5)  # exact: Φ


def _gelu_slope_rows(x, cdf, slope):
    """y′(x) = Φ + x φ(x) into ``slope``, φ = kβ e^(−x²/2) (PyTorch's order)."""
    np.multiply(x, x, out=slope)
    slope *= x.dtype.type(-0.5)
    np.exp(slope, out=slope)
    slope *= x.dtype.type(_GELU_BETA)
    with np.errstate(invalid="ignore"):  # ±∞ · 0 = NaN, as PyTorch's
        slope *= x
    slope += cdf


def _gelu_grad_rows(x, cdf, gy, gx):
    """x̄ = ȳ ⊙ y′(x) into ``gx``, in one kernel."""
    _gelu_slope_rows(x, cdf, gx)
    with np.errstate(invalid="ignore"):
        gx *= gy


class GeluDerivative(_GateDerivative, Function):
    """Forward:  y′(x) = Φ(x) + x φ(x)   (the derivative of :class:`Gelu`; Φ is passed in, already computed
              by its forward)
    VJP:      x̄ = ȳ ⊙ y″(x),  y″ = 2φ + x φ′ = φ(x) (2 − x²)   (φ recomputed from x with differentiable ops:
              derivatives of any order)"""

    slope_rows = staticmethod(_gelu_slope_rows)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        density = exp(x * x * -0.5) * _GELU_BETA
        return gy * (density * (2.0 - x * x)), None


class Gelu(_Gated, Function):
    """Forward:  y = x Φ(x) = x/2 · (1 + erf(x/√2))
    VJP:      x̄ = ȳ ⊙ y′(x),  y′ = Φ(x) + x φ(x),  φ(x) = e^(−x²/2)/√(2π)   (:class:`GeluDerivative`,
              itself differentiable)

    The exact GELU (``nn.GELU()``, PyTorch's default) as one op, over pieces of rows on this process's
    threads (:func:`nnmath.parallel.split_rows`), the operations in PyTorch's order. Φ is kept for the
    backward."""

    rows, grad_rows = staticmethod(_gelu_rows), staticmethod(_gelu_grad_rows)
    derivative = GeluDerivative


def gelu(input):
    """The exact GELU, x Φ(x) = x/2 · (1 + erf(x/√2)), as one op."""
    return Gelu.apply(to_float(input))


def gelu_tanh(input):
    """GELU with the tanh approximation, x/2 · (1 + tanh(√(2/π)(x + 0.044715 x³))), as one op."""
    return GeluTanh.apply(to_float(input))


def sigmoid(input):
    """σ(x) = 1 / (1 + e⁻ˣ)."""
    return Sigmoid.apply(to_float(input))


def tanh(input):
    """tanh x."""
    return Tanh.apply(to_float(input))


def relu(input):
    """max(x, 0)."""
    if not dtypes.is_inexact_np(input._data.dtype):
        return Tensor._make(np.maximum(input._data, 0))
    return Relu.apply(input)


class Softplus(Function):
    """Forward:  y = log(1 + e^(βx)) / β = (max(βx, 0) + log1p(e^(−|βx|))) / β;  y = x where βx > threshold
    VJP:      x̄ = ȳ ⊙ σ(βx)  (ȳ where βx > threshold)"""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        z = x * beta
        y = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
        y = np.where(z > threshold, x, y).astype(x.dtype, copy=False)
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        return y

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        z = x * ctx.beta
        linear = Tensor._make(z._data > ctx.threshold)
        return gy * where(linear, 1.0, sigmoid(z))


def softplus(input, beta=1.0, threshold=20.0):
    """Softplus(x) = log(1 + e^(βx)) / β, computed stably; x itself where βx > threshold."""
    return Softplus.apply(input, beta, threshold)


_BCE_EPS = float(np.float32(1e-12))  # PyTorch's EPSILON, a float32 constant (9.99999996e-13)


class BinaryCrossEntropy(Function):
    """The negative log-likelihood of y under a Bernoulli of probability x (PyTorch's binary cross-entropy):

    Forward:  ℓ = −(y max(ln x, −100) + (1 − y) max(ln(1 − x), −100))   (the clamp keeps ℓ finite at 0, 1)
    VJP:      x̄ = ℓ̄ (x − y) / max(x (1 − x), 10⁻¹²),  ȳ = ℓ̄ (max(ln(1 − x), −100) − max(ln x, −100))

    A primitive rather than a composition of clamp and log: at x ∈ {0, 1} the composition's gradient
    is 0 · ∞ = NaN, PyTorch's is the finite (x − y)/10⁻¹² above; inside (0, 1) both are the derivative.
    ȳ is the derivative of the clamped ℓ, finite everywhere (PyTorch's is ±∞ at x ∈ {0, 1}, where ℓ is
    linear in y with slope ±100)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        with np.errstate(divide="ignore"):
            return -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log1p(-x), -100))

    @staticmethod
    def backward(ctx, gl):
        x, y = ctx.saved_tensors
        gx = gl * (x - y) / clamp_min(x * (1 - x), _BCE_EPS) if ctx.needs_input_grad[0] else None
        gy = gl * (clamp_min(log1p(-x), -100.0) - clamp_min(log(x), -100.0)) if ctx.needs_input_grad[1] else None
        return gx, gy


def bernoulli_nll(input, target):
    """−(y ln x + (1 − y) ln(1 − x)) elementwise, each logarithm clamped at −100 (PyTorch's binary
    cross-entropy before weighting and reduction)."""
    return BinaryCrossEntropy.apply(input, target)


def _softmax_dim(x, dim, name):
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated; pass dim=",
                      stacklevel=3)
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return wrap_dim(dim, x.ndim, name)


def _with_dtype(x, dtype, op):
    if dtype is not None:
        return x.to(dtype)
    require_floating(op, x)
    return x


def softmax(input, dim=None, dtype=None, _stacklevel=3):
    """softmax(x)ᵢ = e^(xᵢ) / Σⱼ e^(xⱼ) along ``dim``."""
    x = _with_dtype(input, dtype, "softmax")
    return Softmax.apply(x, _softmax_dim(x, dim, "softmax"))


def log_softmax(input, dim=None, dtype=None, _stacklevel=3):
    """log softmax(x)ᵢ = xᵢ − log Σⱼ e^(xⱼ) along ``dim``, computed stably."""
    x = _with_dtype(input, dtype, "log_softmax")
    return LogSoftmax.apply(x, _softmax_dim(x, dim, "log_softmax"))


__all__ = [
    "sigmoid",
    "tanh",
    "relu",
    "softmax",
    "log_softmax",
]
