"""Arithmetic: the field operations on tensors, elementwise with broadcasting.

Each Function states its forward and its vector-Jacobian product (VJP): given ȳ = ∂L/∂y, the
gradient with respect to each input. Broadcast inputs get their gradient summed back by the engine.
"""
from __future__ import annotations

import numpy as np

from nnmath.autograd.function import Function
from nnmath.ops._util import apply_broadcasting, promote, promote_float, to_float
from nnmath.ops.elementwise import log, where
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
]
