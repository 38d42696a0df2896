"""PyTorch's legacy tensor types: ``FloatTensor``, ``LongTensor``, ... (one per dtype).

Old programs build tensors with them and test types with them:

- ``FloatTensor([1, 2])`` holds the data as float32; ``LongTensor(3)`` and ``FloatTensor(2, 3)`` make
  tensors of that shape (PyTorch leaves them uninitialised; nnmath fills them with zeros);
  ``FloatTensor(t)`` accepts a tensor that already has the type's dtype, as PyTorch does;
- ``isinstance(t, FloatTensor)`` holds when ``t`` is a float32 tensor;
- ``t.type(FloatTensor)`` and ``t.type('torch.FloatTensor')`` convert, and ``t.type()`` names the type.

The CUDA variants (``nnmath.cuda.FloatTensor``, ...) hold tensors on the GPU: they construct there and
convert there (``t.type(torch.cuda.FloatTensor)``) when a GPU exists; without one, constructing or converting
raises TypeError, as PyTorch built without CUDA does, and no tensor is an instance of them.
"""
from __future__ import annotations

from nnmath import creation, dtypes
from nnmath.backend import cuda_device_count
from nnmath.tensor import Tensor


def _check_cuda(name: str) -> None:
    if cuda_device_count() == 0:
        raise TypeError(f"type nnmath.cuda.{name} not available: there is no CUDA device "
                        f"(nnmath.cuda.is_available() is False)")


class _TensorType(type):
    """The metaclass of the legacy types: instance checks and construction by dtype and device."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.np and obj.is_cuda == cls.is_cuda

    def __call__(cls, *args, device=None):
        if cls.is_cuda:
            _check_cuda(cls.__name__)
            device = "cuda"
        if not args:
            return creation.empty(0, dtype=cls.dtype, device=device)
        if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return creation.empty(*args, dtype=cls.dtype, device=device)
        if len(args) == 1 and isinstance(args[0], Tensor):
            if not isinstance(args[0], cls):
                where = "cuda" if cls.is_cuda else "cpu"
                raise TypeError(f"{cls.__name__}: expected a tensor of dtype {cls.dtype} on device {where}, got dtype "
                                f"{args[0].dtype} on {args[0].device}; convert with .to('{where}', {cls.dtype})")
            return args[0]
        if len(args) == 1:
            return creation.tensor(args[0], dtype=cls.dtype, device=device)
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

_BY_NAME = {f"{prefix}{cuda}.{name}": t for cuda, types in (("", CPU_TYPES), (".cuda", CUDA_TYPES))
            for name, t in types.items() for prefix in ("torch", "nnmath")}


def type_name(tensor: Tensor) -> str:
    """The legacy type's name of a tensor (``nnmath.FloatTensor`` for float32, ``nnmath.cuda.FloatTensor`` on
    the GPU)."""
    for name, t in (CUDA_TYPES if tensor.is_cuda else CPU_TYPES).items():
        if t.dtype == tensor.dtype:
            return f"{t.__module__}.{name}"
    return f"nnmath.{tensor.dtype.name}"


def legacy_type(spec):
    """The legacy type a ``Tensor.type(spec)`` argument names (the type, or its name such as
    ``'torch.LongTensor'``); None for a dtype."""
    if isinstance(spec, str):
        if spec not in _BY_NAME:
            raise ValueError(f"invalid type: {spec!r} (expected a name such as 'torch.FloatTensor')")
        spec = _BY_NAME[spec]
    return spec if isinstance(spec, _TensorType) else None


def dtype_of(spec) -> dtypes.dtype:
    """The dtype a legacy type, its name, or a dtype names."""
    legacy = legacy_type(spec)
    return dtypes.to_dtype(spec) if legacy is None else legacy.dtype


def tensor_type(self, dtype=None, non_blocking=False, **kwargs):
    """``t.type()``: the name of t's legacy type; ``t.type(T)``: t converted to the type T (a legacy
    type, its name such as ``'torch.cuda.LongTensor'``, or a dtype: then on t's device); t itself when it
    already is one."""
    if dtype is None:
        return type_name(self)
    legacy = legacy_type(dtype)
    if legacy is None:
        return self.to(dtypes.to_dtype(dtype))
    if legacy.is_cuda:
        _check_cuda(legacy.__name__)
    return self.to("cuda" if legacy.is_cuda else "cpu", legacy.dtype)


__all__ = list(CPU_TYPES)
