"""Data types: PyTorch's names over NumPy's dtypes.

``nnmath.float32`` is a :class:`dtype`; ``Tensor.dtype`` returns one. Floats default to
:func:`get_default_dtype` (float32); a Python scalar never promotes a tensor (see :func:`result_type`).
"""
from __future__ import annotations

import numpy as np


class dtype:
    """A tensor element type: a name (``float32``) and the NumPy dtype that stores it."""

    __slots__ = ("name", "np")

    def __init__(self, name: str, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)

    @property
    def is_floating_point(self) -> bool:
        return is_floating_np(self.np)

    @property
    def is_complex(self) -> bool:
        return self.np.kind == "c"

    @property
    def is_signed(self) -> bool:
        return self.np.kind in "ifc"

    @property
    def itemsize(self) -> int:
        return self.np.itemsize

    def __repr__(self) -> str:
        return f"nnmath.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
complex64 = dtype("complex64", np.complex64)
complex128 = dtype("complex128", np.complex128)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
bool_ = dtype("bool", np.bool_)

# bfloat16 (8 exponent bits, as float32, and 8 significand bits) exists when the ml_dtypes package gives
# NumPy the type. nnmath stores tensors in it and computes on them in float32, rounding floating results
# back to bfloat16, as PyTorch's CPU kernels do (see autograd.Function.apply).
try:
    import ml_dtypes as _ml_dtypes  # optional: ml_dtypes gives NumPy a bfloat16
except ImportError:  # pragma: no cover - ml_dtypes comes with the 'export' and 'test' extras
    _ml_dtypes = None
BFLOAT16_NP = np.dtype(_ml_dtypes.bfloat16) if _ml_dtypes is not None else None


def is_floating_np(np_dtype) -> bool:
    """Whether a NumPy dtype holds real floating-point numbers (bfloat16 included, whose NumPy kind is
    'V')."""
    return np_dtype.kind == "f" or (BFLOAT16_NP is not None and np_dtype == BFLOAT16_NP)


def finfo_np(np_dtype):
    """NumPy's finfo for a floating dtype (ml_dtypes' for bfloat16, which NumPy's does not know)."""
    if BFLOAT16_NP is not None and np_dtype == BFLOAT16_NP:
        return _ml_dtypes.finfo(np_dtype)
    return np.finfo(np_dtype)


def is_inexact_np(np_dtype) -> bool:
    """Whether a NumPy dtype holds floating-point or complex numbers (bfloat16 included)."""
    return np_dtype.kind == "c" or is_floating_np(np_dtype)


ALL = (float16, float32, float64, complex64, complex128, uint8, int8, int16, int32, int64, bool_)
if BFLOAT16_NP is not None:
    bfloat16 = dtype("bfloat16", BFLOAT16_NP)
    ALL += (bfloat16,)
_FROM_NUMPY = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}
ALIASES = {"half": float16, "float": float32, "double": float64, "short": int16, "int": int32,
           "long": int64, "bool": bool_, "cfloat": complex64, "cdouble": complex128}


def _by_name(name: str) -> dtype:
    return _NAMES[name]


_default_float = float32


def get_default_dtype() -> dtype:
    """The dtype of floating-point tensors created from Python floats (float32 unless changed)."""
    return _default_float


def set_default_dtype(d: dtype) -> None:
    """Set the default floating-point dtype (float32 or float64)."""
    global _default_float
    d = as_dtype(d, "set_default_dtype")
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating-point types can be the default, got {d}")
    _default_float = d


def from_numpy_dtype(np_dtype) -> dtype:
    try:
        return _FROM_NUMPY[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(f"nnmath has no dtype for NumPy's {np.dtype(np_dtype)}") from None


_PYTHON_TYPES = {bool: bool_, int: int64, float: float64, complex: complex128}  # PyTorch's mapping


def as_dtype(d, op: str = "dtype") -> dtype:
    """A ``dtype=`` argument as PyTorch accepts it: an nnmath dtype, or the Python types bool, int,
    float and complex (int64, float64, complex128, as in PyTorch). Strings and NumPy dtypes are
    refused (PyTorch refuses them too), so ``dtype="float32"`` never silently means something else."""
    if isinstance(d, dtype):
        return d
    if d in _PYTHON_TYPES:
        return _PYTHON_TYPES[d]
    hint = f"; use nnmath.{d}" if isinstance(d, str) and d in _NAMES else ""
    raise TypeError(f"{op}(): argument 'dtype' must be an nnmath dtype such as nnmath.float32, not "
                    f"{type(d).__name__} {d!r}{hint}")


def to_dtype(d) -> dtype:
    """Inside nnmath: an nnmath dtype, a NumPy dtype or a Python type, as an nnmath dtype."""
    if isinstance(d, dtype):
        return d
    if d in _PYTHON_TYPES:
        return _PYTHON_TYPES[d]
    if hasattr(d, "np") and isinstance(getattr(d, "np"), np.dtype):
        return from_numpy_dtype(d.np)
    try:
        return from_numpy_dtype(d)
    except TypeError:
        raise TypeError(f"not a dtype: {d!r}") from None


def _category(np_dtype) -> int:
    """0 bool, 1 integer, 2 floating, 3 complex: PyTorch's promotion categories."""
    return _CATEGORY[np_dtype.kind]


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3, "V": 2}  # "V": bfloat16, nnmath's only void-kind dtype
_COMPLEX_OF = {np.dtype(np.float32): complex64.np, np.dtype(np.float64): complex128.np}


def _promote_np(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's lattice: within a category NumPy's rule; across categories the higher category's
    type, except that a complex type takes the larger precision of a float (float64 + complex64 is
    complex128)."""
    if a == b:
        return a
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if {a, b} == {BFLOAT16_NP, np.dtype(np.float16)}:
        return np.dtype(np.float32)  # neither holds the other (PyTorch's rule); NumPy has no answer
    if ca == cb or {ca, cb} == {2, 3}:
        return np.promote_types(a, b)
    return a if ca > cb else b


def _complex_of(np_dtype) -> np.dtype:
    try:
        return _COMPLEX_OF[np_dtype]
    except KeyError:
        raise TypeError(f"type promotion: {np_dtype} with a complex operand gives complex32 in PyTorch, "
                        f"which nnmath does not have; convert to float32 first") from None


def _combine(higher, lower):
    """PyTorch's ``combine_categories``: the result of a higher-priority group (dimensioned tensors
    over zero-dim tensors over Python scalars) and a lower one."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    kh, kl = higher.kind, lower.kind
    if kh == "c":
        return higher
    if kl == "c":
        return _complex_of(higher) if kh == "f" else lower
    if kh == "f":
        return higher
    if kh == "b" or kl == "f":
        return _promote_np(higher, lower)
    return higher


def _scalar_np_dtype(value) -> np.dtype:
    """The dtype a Python (or NumPy) scalar takes part in promotion with: bool, int64, the default
    float or the default complex dtype."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, (int, np.integer)):
        return np.dtype(np.int64)
    if isinstance(value, (complex, np.complexfloating)):
        return _COMPLEX_OF[_default_float.np]
    if isinstance(value, (float, np.floating)):
        return _default_float.np
    raise TypeError(f"type promotion: expected a Tensor or a Python number, got {type(value).__name__}")


def result_type_np(*operands) -> np.dtype:
    """PyTorch's type promotion over tensors (anything with ``_data``) and Python scalars.

    Operands form three groups: dimensioned tensors, zero-dim tensors, Python scalars. Within a group
    types promote (:func:`promote_types`); a lower group decides only when it is of a higher category
    (bool < integer < floating < complex), so an int64 tensor never widens a float16 tensor and a
    Python float never turns float32 into float64.
    """
    groups = [None, None, None]  # dimensioned tensors, zero-dim tensors, Python scalars
    for x in operands:
        data = getattr(x, "_data", None)
        if data is not None:
            g, dt = (0 if data.ndim else 1), data.dtype
        else:
            g, dt = 2, _scalar_np_dtype(x)
        groups[g] = dt if groups[g] is None else _promote_np(groups[g], dt)
    return _combine(groups[0], _combine(groups[1], groups[2]))


def promote_types(type1, type2) -> dtype:
    """The smallest dtype to which both dtypes convert under PyTorch's rules (not NumPy's:
    ``promote_types(float16, int64)`` is float16)."""
    return from_numpy_dtype(_promote_np(_strict_dtype(type1, "promote_types").np,
                                        _strict_dtype(type2, "promote_types").np))


def result_type(tensor, other) -> dtype:
    """The dtype of an arithmetic op on ``tensor`` and ``other`` (Tensors or Python numbers)."""
    return from_numpy_dtype(result_type_np(tensor, other))


def can_cast(from_, to) -> bool:
    """Whether an in-place op may write a ``from_`` result into a ``to`` tensor: never down a category
    (complex to real, floating to integer, anything but bool to bool)."""
    return _CATEGORY[_strict_dtype(from_, "can_cast").np.kind] <= _CATEGORY[_strict_dtype(to, "can_cast").np.kind]


def _strict_dtype(d, op: str) -> dtype:
    if not isinstance(d, dtype):
        raise TypeError(f"{op}(): arguments must be nnmath dtypes (nnmath.float32, ...), not "
                        f"{type(d).__name__} {d!r}")
    return d
