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
        return self.np.kind == "f"

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

ALL = (float16, float32, float64, complex64, complex128, uint8, int8, int16, int32, int64, bool_)
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
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating-point types can be the default, got {d}")
    _default_float = d


def from_numpy_dtype(np_dtype) -> dtype:
    try:
        return _FROM_NUMPY[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(f"nnmath has no dtype for NumPy's {np.dtype(np_dtype)}") from None


def to_dtype(d) -> dtype:
    """Accept an nnmath dtype, a NumPy dtype, a Python type (float, int, bool) or a name."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return _default_float
    if d is int:
        return int64
    if d is bool:
        return bool_
    if isinstance(d, str) and d in _NAMES:
        return _NAMES[d]
    if isinstance(d, str) and d in ALIASES:
        return ALIASES[d]
    if hasattr(d, "np") and isinstance(getattr(d, "np"), np.dtype):
        return from_numpy_dtype(d.np)
    try:
        return from_numpy_dtype(d)
    except TypeError:
        raise TypeError(f"not a dtype: {d!r}") from None


def _category(np_dtype) -> int:
    """0 bool, 1 integer, 2 floating, 3 complex: PyTorch's promotion categories."""
    return {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}[np_dtype.kind]


def _scalar_np_dtype(value) -> np.dtype:
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, (int, np.integer)):
        return np.dtype(np.int64)
    if isinstance(value, complex):
        return complex64.np if _default_float is float32 else complex128.np
    return _default_float.np


def result_type_np(*operands) -> np.dtype:
    """PyTorch's type promotion over tensors (anything with ``_data``) and Python scalars.

    Dimensioned tensors decide the type unless a zero-dim tensor or a scalar is of a higher category
    (bool < int < float < complex); a Python float never turns float32 into float64, and an integer
    tensor with a Python float gives the default float dtype.
    """
    groups = [None, None, None]  # dimensioned tensors, zero-dim tensors, Python scalars
    for x in operands:
        data = getattr(x, "_data", None)
        if data is not None:
            g, dt = (0 if data.ndim else 1), data.dtype
        else:
            g, dt = 2, _scalar_np_dtype(x)
        groups[g] = dt if groups[g] is None else np.promote_types(groups[g], dt)
    result = None
    for dt in groups:
        if dt is None:
            continue
        if result is None or _category(dt) > _category(result):
            result = dt
    return result
