"""Arithmetic: the field operations on tensors, elementwise with broadcasting.

Each Function states its forward and its vector-Jacobian product (VJP): given ȳ = ∂L/∂y, the
gradient with respect to each input. Broadcast inputs get their gradient summed back by the engine.
"""
from __future__ import annotations

import numpy as np

from nnmath.autograd.function import Function
from nnmath.ops._util import apply_broadcasting, promote, promote_float, to_float
from nnmath.ops.elementwise import abs, exp, log, log1p, maximum, sin, sqrt, where
from nnmath.tensor import Tensor


class Add(Function):
    """Forward:  y = a + b
    VJP:      ā = ȳ,  b̄ = ȳ"""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, gy):
        return gy, gy


class Sub(Function):
    """Forward:  y = a − b
    VJP:      ā = ȳ,  b̄ = −ȳ"""

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, gy):
        return gy, (-gy if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """Forward:  y = a ⊙ b
    VJP:      ā = ȳ ⊙ b,  b̄ = ȳ ⊙ a"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        ga = gy * b if ctx.needs_input_grad[0] else None
        gb = gy * a if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    """Forward:  y = a / b
    VJP:      ā = ȳ / b,  b̄ = −ȳ ⊙ a / b²"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        ga = gy / b if ctx.needs_input_grad[0] else None
        gb = -gy * a / (b * b) if ctx.needs_input_grad[1] else None
        return ga, gb


class Neg(Function):
    """Forward:  y = −x
    VJP:      x̄ = −ȳ"""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, gy):
        return -gy


class Pow(Function):
    """Forward:  y = aᵇ
    VJP:      ā = ȳ ⊙ b ⊙ aᵇ⁻¹   (0 where b = 0, as PyTorch: d/da a⁰ = 0)
              b̄ = ȳ ⊙ aᵇ ⊙ ln a   (0 where a = 0 and b ≥ 0)"""

    @staticmethod
    def forward(ctx, a, b):
        y = np.power(a, b)
        ctx.save_for_backward(a, b)
        return y

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = where(b == 0, 0.0, gy * b * a ** (b - 1))
        if ctx.needs_input_grad[1]:
            safe = where((a == 0) & (b >= 0), 1.0, a)
            gb = gy * (a ** b) * log(safe)
        return ga, gb


class PowScalar(Function):
    """Forward:  y = xᵖ for a constant exponent p
    VJP:      x̄ = ȳ ⊙ p ⊙ xᵖ⁻¹   (0 when p = 0)"""

    @staticmethod
    def forward(ctx, x, p):
        ctx.save_for_backward(x)
        ctx.p = p
        if p == 2:
            return x * x
        return np.power(x, p)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        p = ctx.p
        if p == 0:
            return gy * 0.0
        if p == 1:
            return gy
        if p == 2:
            return gy * (x * 2)
        return gy * (p * x ** (p - 1))


def add(input, other, *, alpha=1, out=None):
    """y = input + alpha · other (broadcasting)."""
    a, b = promote(input, other)
    if alpha != 1:
        b = mul(b, alpha)
    return apply_broadcasting("add", Add, a, b)


def sub(input, other, *, alpha=1, out=None):
    """y = input − alpha · other (broadcasting)."""
    a, b = promote(input, other)
    if a._data.dtype.kind == "b":
        raise RuntimeError("sub: subtraction of bool tensors is not supported; use logical_xor")
    if alpha != 1:
        b = mul(b, alpha)
    return apply_broadcasting("sub", Sub, a, b)


subtract = sub


def rsub(input, other, *, alpha=1):
    """y = other − alpha · input."""
    return sub(other, mul(input, alpha) if alpha != 1 else input)


def mul(input, other, *, out=None):
    """y = input ⊙ other (elementwise, broadcasting)."""
    a, b = promote(input, other)
    return apply_broadcasting("mul", Mul, a, b)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """y = input / other: true division (integers give the default float dtype);
    ``rounding_mode='floor'`` or ``'trunc'`` rounds the quotient (no gradient)."""
    if rounding_mode is None:
        a, b = promote_float(input, other)
        return apply_broadcasting("div", Div, a, b)
    a, b = promote(input, other)
    if rounding_mode == "floor":
        return _no_grad_binary(a, b, np.floor_divide if a._data.dtype.kind in "iu" else
                               lambda x, y: np.floor(x / y))
    if rounding_mode == "trunc":
        return _no_grad_binary(a, b, lambda x, y: np.trunc(x / y).astype(x.dtype))
    raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")


divide = div
true_divide = div


def floor_divide(input, other):
    return div(input, other, rounding_mode="floor")


def remainder(input, other):
    """Python's modulus: the result has the sign of the divisor. Gradient: 1 for input."""
    a, b = promote(input, other)
    q = _no_grad_binary(a, b, lambda x, y: np.floor(x / y) if x.dtype.kind == "f" else np.floor_divide(x, y))
    return a - q * b


def fmod(input, other):
    """C's fmod: the result has the sign of the dividend."""
    a, b = promote(input, other)
    q = _no_grad_binary(a, b, lambda x, y: np.trunc(x / y) if x.dtype.kind == "f" else
                        (np.sign(x) * np.sign(y) * (np.abs(x) // np.abs(y))).astype(x.dtype))
    return a - q * b


def _no_grad_binary(a, b, fn):
    return Tensor._make(np.asarray(fn(a._data, b._data)))


def neg(input):
    """y = −x."""
    if input._data.dtype.kind == "b":
        raise RuntimeError("neg: negation of a bool tensor is not supported; use logical_not")
    return Neg.apply(input)


negative = neg


def pow(input, exponent):
    """y = input ** exponent; either may be a tensor or a Python number."""
    if not isinstance(input, Tensor):
        a, b = promote(input, exponent)
        return apply_broadcasting("pow", Pow, a, b)
    if isinstance(exponent, Tensor):
        a, b = promote(input, exponent)
        if a._data.dtype.kind in "iu" and (b._data < 0).any():
            raise RuntimeError("pow: integers to negative integer powers are not allowed")
        return apply_broadcasting("pow", Pow, a, b)
    if input._data.dtype.kind in "iub" and isinstance(exponent, float):
        input = to_float(input)
    if input._data.dtype.kind in "iu" and exponent < 0:
        raise RuntimeError("pow: integers to negative integer powers are not allowed")
    if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
        return PowScalar.apply(input, exponent)
    a, b = promote(input, exponent)
    return apply_broadcasting("pow", Pow, a, b)


def square(input):
    """y = x²."""
    return pow(input, 2)


def reciprocal(input):
    """y = 1/x."""
    return div(1.0, to_float(input))


def addcmul(input, tensor1, tensor2, *, value=1):
    """y = input + value · tensor1 ⊙ tensor2 (broadcast)."""
    return add(input, mul(tensor1, tensor2), alpha=value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """y = input + value · tensor1 / tensor2 (broadcast)."""
    return add(input, div(tensor1, tensor2), alpha=value)


def hypot(input, other):
    """y = √(a² + b²), the length of the hypotenuse (elementwise)."""
    return sqrt(add(mul(input, input), mul(other, other)))


def logaddexp(input, other):
    """y = log(eᵃ + eᵇ) = max(a, b) + log1p(e^(−|a − b|)), stable for large |a|, |b|."""
    a, b = promote_float(input, other)
    return add(maximum(a, b), log1p(exp(neg(abs(sub(a, b))))))


def logaddexp2(input, other):
    """y = log₂(2ᵃ + 2ᵇ)."""
    ln2 = float(np.log(2.0))
    return div(logaddexp(mul(to_float(input), ln2), mul(to_float(other), ln2)), ln2)


def deg2rad(input):
    """Degrees to radians: y = x · π / 180."""
    return mul(to_float(input), float(np.pi / 180.0))


def rad2deg(input):
    """Radians to degrees: y = x · 180 / π."""
    return mul(to_float(input), float(180.0 / np.pi))


def sinc(input):
    """The normalised sinc: y = sin(πx) / (πx), with y = 1 (and y′ = 0) at x = 0."""
    x = to_float(input)
    zero = Tensor._make(x._data == 0)
    safe = where(zero, Tensor._make(np.ones((), x._data.dtype)), x)
    pix = mul(safe, float(np.pi))
    return where(zero, Tensor._make(np.ones((), x._data.dtype)), div(sin(pix), pix))


def float_power(input, exponent):
    """input ** exponent computed in double precision (float64 result, as PyTorch)."""
    a = input.double() if isinstance(input, Tensor) else input
    b = exponent.double() if isinstance(exponent, Tensor) else exponent
    if not isinstance(a, Tensor):
        a = Tensor._make(np.asarray(a, np.float64))
    return pow(a, b)


def heaviside(input, values):
    """The step function: 0 where x < 0, ``values`` where x = 0, 1 where x > 0 (no gradient)."""
    x, v = promote(input, values)
    return Tensor._make(np.heaviside(x._data, v._data).astype(x._data.dtype))


def copysign(input, other):
    """|input| with the sign of ``other`` (elementwise); the gradient flows to ``input``."""
    a, b = promote_float(input, other)
    flip = Tensor._make(np.signbit(a._data) != np.signbit(b._data))
    return where(flip, neg(a), a)


__all__ = [
    "add",
    "sub",
    "subtract",
    "rsub",
    "mul",
    "multiply",
    "div",
    "divide",
    "true_divide",
    "floor_divide",
    "remainder",
    "fmod",
    "neg",
    "negative",
    "pow",
    "square",
    "reciprocal",
    "addcmul",
    "addcdiv",
    "hypot",
    "logaddexp",
    "logaddexp2",
    "deg2rad",
    "rad2deg",
    "sinc",
    "float_power",
    "heaviside",
    "copysign",
]
