"""PyTorch's legacy tensor types: ``FloatTensor``, ``LongTensor``, ... (one per dtype).

Old programs build tensors with them and test types with them:

- ``FloatTensor([1, 2])`` holds the data as float32; ``LongTensor(3)`` and ``FloatTensor(2, 3)`` make
  tensors of that shape (PyTorch leaves them uninitialised; nnmath fills them with zeros);
  ``FloatTensor(t)`` accepts a tensor that already has the type's dtype, as PyTorch does;
- ``isinstance(t, FloatTensor)`` holds when ``t`` is a float32 tensor;
- ``t.type(FloatTensor)`` and ``t.type('torch.FloatTensor')`` convert, and ``t.type()`` names the type.

The CUDA variants (``nnmath.cuda.FloatTensor``, ...) exist for ``isinstance`` tests, which they never
pass; constructing one raises, as PyTorch built without CUDA does.
"""
from __future__ import annotations

from nnmath import creation, dtypes
from nnmath.tensor import Tensor


class _TensorType(type):
    """The metaclass of the legacy types: instance checks and construction by dtype."""

    def __instancecheck__(cls, obj):
        return not cls.is_cuda and isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.np

    def __call__(cls, *args, device=None):
        if cls.is_cuda:
            raise TypeError(f"type nnmath.cuda.{cls.__name__} not available: nnmath has no CUDA device")
        if not args:
            return creation.empty(0, dtype=cls.dtype)
        if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return creation.empty(*args, dtype=cls.dtype)
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0]._data.dtype != cls.dtype.np:
                raise TypeError(f"{cls.__name__}: expected a tensor of dtype {cls.dtype}, got {args[0].dtype}; "
                                f"convert with .to({cls.dtype})")
            return args[0]
        if len(args) == 1:
            return creation.tensor(args[0], dtype=cls.dtype)
        raise TypeError(f"{cls.__name__}: expected sizes (ints) or one sequence of data, got {args!r:.80}")

    def __repr__(cls):
        return f"<class '{cls.__module__}.{cls.__name__}'>"


_NAMES = {"Float": dtypes.float32, "Double": dtypes.float64, "Half": dtypes.float16, "Long": dtypes.int64,
          "Int": dtypes.int32, "Short": dtypes.int16, "Char": dtypes.int8, "Byte": dtypes.uint8,
          "Bool": dtypes.bool_}
if dtypes.BFLOAT16_NP is not None:
    _NAMES["BFloat16"] = dtypes.bfloat16


def _make_types(is_cuda: bool) -> dict:
    module_name = "nnmath.cuda" if is_cuda else "nnmath"
    return {f"{stem}Tensor": _TensorType(f"{stem}Tensor", (), {"dtype": d, "is_cuda": is_cuda,
                                                               "__module__": module_name})
            for stem, d in _NAMES.items()}


CPU_TYPES = _make_types(False)
CUDA_TYPES = _make_types(True)
globals().update(CPU_TYPES)

_BY_NAME = {f"{prefix}.{name}": t for name, t in CPU_TYPES.items() for prefix in ("torch", "nnmath")}


def type_name(dtype: dtypes.dtype) -> str:
    """The legacy type's name for a dtype (``nnmath.FloatTensor`` for float32)."""
    for name, t in CPU_TYPES.items():
        if t.dtype == dtype:
            return f"nnmath.{name}"
    return f"nnmath.{dtype.name}"


def dtype_of(spec) -> dtypes.dtype:
    """The dtype a ``Tensor.type(spec)`` argument names: a legacy type, its name, or a dtype."""
    if isinstance(spec, str):
        if spec in _BY_NAME:
            return _BY_NAME[spec].dtype
        if ".cuda." in spec:
            raise TypeError(f"type {spec}: not available, nnmath has no CUDA device")
        raise ValueError(f"invalid type: {spec!r} (expected a name such as 'torch.FloatTensor')")
    if isinstance(spec, _TensorType):
        if spec.is_cuda:
            raise TypeError(f"type nnmath.cuda.{spec.__name__} not available: nnmath has no CUDA device")
        return spec.dtype
    return dtypes.to_dtype(spec)


def tensor_type(self, dtype=None, non_blocking=False, **kwargs):
    """``t.type()``: the name of t's legacy type; ``t.type(T)``: t converted to the type T (a legacy
    type, its name such as ``'torch.LongTensor'``, or a dtype); t itself when it already is one."""
    if dtype is None:
        return type_name(self.dtype)
    return self.to(dtype_of(dtype))


__all__ = list(CPU_TYPES)
