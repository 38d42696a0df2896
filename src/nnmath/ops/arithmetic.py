"""Arithmetic: the field operations on tensors, elementwise with broadcasting.

Each Function states its forward and its vector-Jacobian product (VJP): given ȳ = ∂L/∂y, the
gradient with respect to each input. Broadcast inputs get their gradient summed back by the engine.
"""
from __future__ import annotations

import numpy as np

from nnmath.autograd.function import Function
from nnmath.autograd.fit import cast
from nnmath.backend import get_array_module
from nnmath.dtypes import result_type_np
from nnmath.ops._util import (apply_broadcasting, as_tensor_like, broadcast_error, check_divisor, promote,
                              promote_float, reject_dtype_kinds, scalar_like, to_float, write_out)
from nnmath.ops.elementwise import exp, log, sin, where
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
    operators_only_backward = True

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, gy):
        return gy, (-gy if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """Forward:  y = a ⊙ b
    VJP:      ā = ȳ ⊙ b,  b̄ = ȳ ⊙ a"""
    operators_only_backward = True

    @staticmethod
    def forward(ctx, a, b):
        # Each gradient reads only the other factor: saving only what is needed (as PyTorch) lets
        # b = a * 3 be changed in place later, or a itself.
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[0] else None)
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
    operators_only_backward = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)  # ā reads only b
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
    operators_only_backward = True

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, gy):
        return -gy


class Pow(Function):
    """Forward:  y = aᵇ
    VJP:      ā = ȳ ⊙ b ⊙ aᵇ⁻¹   (0 where a = b = 0, as PyTorch: d/da a⁰ = 0; where only b = 0 the formula
              itself gives 0 and keeps its derivative ∂²y/∂a∂b = 1/a, which a mask would drop)
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
            ga = where((b == 0) & (a == 0), 0.0, gy * b * a ** (b - 1))
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


class Atan2(Function):
    """Forward:  z = atan2(a, b), the angle of the point (b, a)
    VJP:      ā = z̄ b / (a² + b²),  b̄ = −z̄ a / (a² + b²)   (0 at a = b = 0, where the angle is undefined,
              as PyTorch)"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, gz):
        a, b = ctx.saved_tensors
        r2 = a * a + b * b
        origin = Tensor._make(r2._data == 0)
        scale = where(origin, 0.0, gz / where(origin, 1.0, r2))
        return (scale * b if ctx.needs_input_grad[0] else None), (-scale * a if ctx.needs_input_grad[1] else None)


class Hypot(Function):
    """Forward:  z = √(a² + b²)   (without overflow or underflow of the squares)
    VJP:      ā = z̄ a / z,  b̄ = z̄ b / z   (NaN at a = b = 0, where the cone has no gradient, as PyTorch)"""

    @staticmethod
    def forward(ctx, a, b):
        z = np.hypot(a, b)
        ctx.save_for_backward(a, b, z)
        return z

    @staticmethod
    def backward(ctx, gz):
        a, b, z = ctx.saved_tensors
        scale = gz / z
        return (scale * a if ctx.needs_input_grad[0] else None), (scale * b if ctx.needs_input_grad[1] else None)


def atan2(input, other):
    """The angle θ ∈ (−π, π] of the point (other, input): atan2(y, x). Broadcasting."""
    a, b = promote_float(input, other)
    return apply_broadcasting("atan2", Atan2, a, b)


arctan2 = atan2


def hypot(input, other):
    """√(input² + other²), computed without overflowing the squares. Broadcasting."""
    a, b = promote_float(input, other)
    return apply_broadcasting("hypot", Hypot, a, b)


def _is_bool(x) -> bool:
    return x._data.dtype.kind == "b" if isinstance(x, Tensor) else isinstance(x, (bool, np.bool_))


def _scaled(op: str, b: Tensor, alpha) -> Tensor:
    """alpha · b in b's dtype, with PyTorch's checks on ``alpha`` (no float alpha for integers, a bool
    alpha only for bool results, no complex alpha for real results)."""
    kind = b._data.dtype.kind
    if isinstance(alpha, (bool, np.bool_)) and kind != "b":
        raise RuntimeError(f"{op}: a bool alpha is only supported for bool results, got {b.dtype} operands")
    if isinstance(alpha, (float, np.floating)) and kind in "biu":
        raise RuntimeError(f"{op}: for integral input tensors, argument alpha must not be a floating point "
                           f"number (got alpha={alpha}, operands of {b.dtype})")
    if isinstance(alpha, (complex, np.complexfloating)) and kind != "c":
        raise RuntimeError(f"{op}: for non-complex input tensors, argument alpha must not be a complex number")
    try:
        factor = scalar_like(alpha, b._data)
    except OverflowError:
        raise RuntimeError(f"{op}: alpha={alpha} cannot be converted to {b.dtype} without overflow") from None
    return mul(b, Tensor._make(factor))


def _is_one(alpha) -> bool:
    return type(alpha) is int and alpha == 1


def add(input, other, *, alpha=1, out=None):
    """y = input + alpha · other (broadcasting)."""
    a, b = promote(input, other, keep_numbers=_is_one(alpha))
    if not _is_one(alpha):
        b = _scaled("add", b, alpha)
    y = apply_broadcasting("add", Add, a, b)
    return y if out is None else write_out("add", y, out)


def sub(input, other, *, alpha=1, out=None):
    """y = input − alpha · other (broadcasting)."""
    if _is_bool(input) or _is_bool(other):
        raise RuntimeError("sub: subtraction, the `-` operator, with a bool tensor is not supported; to invert "
                           "a mask use the `~` or logical_not() operator, to compare two masks logical_xor()")
    a, b = promote(input, other, keep_numbers=_is_one(alpha))
    if not _is_one(alpha):
        b = _scaled("sub", b, alpha)
    y = apply_broadcasting("sub", Sub, a, b)
    return y if out is None else write_out("sub", y, out)


subtract = sub


def rsub(input, other, *, alpha=1):
    """y = other − alpha · input."""
    return sub(other, mul(input, alpha) if alpha != 1 else input)


def mul(input, other, *, out=None):
    """y = input ⊙ other (elementwise, broadcasting)."""
    a, b = promote(input, other, keep_numbers=True)
    y = apply_broadcasting("mul", Mul, a, b)
    return y if out is None else write_out("mul", y, out)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """y = input / other: true division (integers give the default float dtype);
    ``rounding_mode='floor'`` or ``'trunc'`` rounds the quotient (no gradient). Integer division by
    zero raises."""
    if rounding_mode is None:
        a, b = promote_float(input, other, keep_numbers=True)
        y = apply_broadcasting("div", Div, a, b)
    elif rounding_mode in ("floor", "trunc"):
        a, b = _integer_or_real("div", input, other, rounding_mode)
        y = _no_grad_binary(a, b, _floor_div if rounding_mode == "floor" else _trunc_div)
    else:
        raise RuntimeError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")
    return y if out is None else write_out("div", y, out)


divide = div
true_divide = div


def _integer_or_real(op, input, other, rounding_mode="floor"):
    """The promoted operands of a rounding division, after PyTorch's checks: no bool, no complex, no
    integer division by zero."""
    a, b = promote(input, other)
    mode = f"(rounding_mode={rounding_mode!r})" if op == "div" else ""
    error = broadcast_error(op, a._data.shape, b._data.shape)
    if error is not None:
        raise error
    reject_dtype_kinds(f"{op}{mode}", "bc", "bool and complex", a)
    check_divisor(op, b)
    return a, b


def _floor_div(x, y):
    if x.dtype.kind in "iu":
        return np.floor_divide(x, y)
    return np.floor(x / y)


def _trunc_div(x, y):
    if x.dtype.kind not in "iu":
        return np.trunc(x / y)
    q = np.floor_divide(x, y)
    # Floor and truncation differ when the division is inexact and the signs differ.
    return q + ((x - q * y != 0) & ((x < 0) != (y < 0))).astype(q.dtype)


def floor_divide(input, other):
    """y = ⌊input / other⌋ (no gradient); integer division by zero raises."""
    return div(input, other, rounding_mode="floor")


def remainder(input, other):
    """Python's modulus: the result has the sign of the divisor. Gradient: 1 for input."""
    a, b = _integer_or_real("remainder", input, other)
    q = _no_grad_binary(a, b, _floor_div)
    return a - q * b


def fmod(input, other):
    """C's fmod: the result has the sign of the dividend."""
    a, b = _integer_or_real("fmod", input, other)
    q = _no_grad_binary(a, b, _trunc_div)
    return a - q * b


def _no_grad_binary(a, b, fn):
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # inf and nan are the answers
        return Tensor._make(fn(a._data, b._data))  # a NumPy scalar result becomes a 0-d array there


def neg(input):
    """y = −x."""
    if input._data.dtype.kind == "b":
        raise RuntimeError("neg: negation of a bool tensor is not supported; use logical_not")
    return Neg.apply(input)


negative = neg


def pow(input, exponent):
    """y = input ** exponent; either may be a tensor or a Python number."""
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        return _pow_scalar_exponent(input, exponent)
    a, b = promote(input, exponent)
    kind = a._data.dtype.kind
    if kind == "b":
        raise RuntimeError("pow: not implemented for bool tensors")
    if kind in "iu":
        return _no_grad_binary(a, b, _integer_power)
    return apply_broadcasting("pow", Pow, a, b)


def _pow_scalar_exponent(x: Tensor, p):
    dt = result_type_np(x, p)
    if dt.kind in "biu" and isinstance(p, (int, np.integer)) and not isinstance(p, (bool, np.bool_)):
        if p < 0:
            raise RuntimeError(f"pow: integers to negative integer powers are not allowed ({x.dtype} tensor ** {p})")
        if dt.kind != "b" and not np.iinfo(dt).min <= p <= np.iinfo(dt).max:
            raise RuntimeError(f"pow: the exponent {p} cannot be converted to {x.dtype} without overflow")
    if dt.kind == "b" or (dt.kind in "iu" and p in (0, 1)):
        if p not in (0, 1):
            raise RuntimeError("pow: not implemented for bool tensors")
        # PyTorch: x ** 0 is ones and x ** 1 a copy, in the result dtype, for every dtype.
        return Tensor._make(np.ones_like(x._data, dtype=dt) if p == 0 else x._data.astype(dt))
    if dt != x._data.dtype:
        x = cast(x, dt)
    if isinstance(p, (complex, np.complexfloating)):
        return apply_broadcasting("pow", Pow, x, as_tensor_like(p, dt, get_array_module(x._data)))
    if dt.kind in "iu":
        return _no_grad_binary(x, as_tensor_like(p, dt, get_array_module(x._data)), np.power)
    return PowScalar.apply(x, p)


def _integer_power(x, y):
    """x ** y for integers, negative exponents included: 1 and −1 keep their powers, every other base
    gives 0 (as PyTorch; NumPy refuses)."""
    negative = y < 0
    if not negative.any():
        return np.power(x, y)
    result = np.power(x, np.where(negative, 0, y))
    unit = np.where(x == -1, np.where(y % 2 == 0, 1, -1), np.where(x == 1, 1, 0)).astype(result.dtype)
    return np.where(negative, unit, result)


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


def logaddexp(input, other):
    """y = log(eᵃ + eᵇ) = m + log(e^(a − m) + e^(b − m)) with m = max(a, b) held constant: no overflow, and
    the derivatives are exact everywhere, ties a = b included, since m cancels (m = 0 where it is ±∞)."""
    a, b = promote_float(input, other)
    xp = get_array_module(a._data)
    m = xp.maximum(a._data, b._data)
    shift = Tensor._make(xp.where(xp.isfinite(m), m, 0).astype(m.dtype))
    return add(log(add(exp(sub(a, shift)), exp(sub(b, shift)))), shift)


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
    safe = where(zero, Tensor._make(scalar_like(1, x._data)), x)
    pix = mul(safe, float(np.pi))
    return where(zero, Tensor._make(scalar_like(1, x._data)), div(sin(pix), pix))


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
    """|input| with the sign of ``other`` (elementwise); the gradient ±1 flows to ``input``, 0 where
    input = 0 (the kink of |input|: PyTorch's convention)."""
    a, b = promote_float(input, other)
    flip = Tensor._make(np.signbit(a._data) != np.signbit(b._data))
    signed = where(flip, neg(a), a)
    return where(Tensor._make(a._data == 0), signed.detach(), signed)


__all__ = [
    "atan2",
    "arctan2",
    "hypot",
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
    "logaddexp",
    "logaddexp2",
    "deg2rad",
    "rad2deg",
    "sinc",
    "float_power",
    "heaviside",
    "copysign",
]
