"""Helpers shared by the ops: operand promotion, dimension arguments, clear shape errors."""
from __future__ import annotations

import functools
import warnings
from collections import namedtuple

import numpy as np

from nnmath import dtypes
from nnmath.autograd.fit import cast
from nnmath.autograd.grad_mode import state
from nnmath.backend import get_array_module, on_device_of
from nnmath.tensor import Tensor, wrap_dim


class return_types:  # noqa: N801  (PyTorch's torch.return_types; the named tuples below are its attributes)
    """PyTorch's named result tuples (``torch.return_types.max``, ...), made by :func:`return_type`."""


def _return_type_repr(self) -> str:
    fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
    return f"nnmath.return_types.{type(self).__name__}(\n{fields})"


@functools.cache
def return_type(name: str, fields: tuple):
    """The named tuple PyTorch returns from op ``name`` (``values``/``indices`` of ``max(x, dim)``, ...),
    printed as PyTorch prints it; kept as ``return_types.<name>`` so that it pickles."""
    cls = type(name, (namedtuple(name, fields),), {"__slots__": (), "__repr__": _return_type_repr,
                                                  "__module__": __name__,
                                                  "__qualname__": f"return_types.{name}"})
    setattr(return_types, name, cls)
    return cls


def values_indices(op: str, values, indices):
    """What ``max(x, dim)``, ``sort``, ``topk``, ``kthvalue``, ``median(x, dim)`` return: (values, indices)."""
    return return_type(op, ("values", "indices"))(values, indices)


def scalar_like(value, like):
    """A 0-d array of ``value`` in ``like``'s dtype, on ``like``'s device (``like`` is an array). On the CPU
    it is a NumPy array even while the compiler traces (a constant of the trace, not a traced creation):
    ops may then inspect it, as ``where(c, a, 0.0)`` does to take its branch-free path."""
    return on_device_of(np.asarray(value, like.dtype), like)


def as_tensor_like(value, np_dtype, xp=np) -> Tensor:
    """A constant Tensor of ``np_dtype`` from a Python scalar or array-like, made by array module ``xp``.
    An integer that does not fit wraps around, as PyTorch converts it (``int8 tensor + 300`` adds 44)."""
    try:
        return Tensor._make(xp.asarray(value, dtype=np_dtype))
    except OverflowError:
        pass
    try:
        wide = np.asarray(value, dtype=np.int64)
    except OverflowError:
        raise OverflowError(f"the Python integer {value} is too big to convert to any nnmath dtype "
                            f"(int64 holds at most {np.iinfo(np.int64).max})") from None
    return Tensor._make(xp.asarray(wide.astype(np_dtype)))


_PLAIN_NUMBERS = (int, float)  # never widen a floating tensor (bool is excluded: type(True) is bool)


def promote(x, y, keep_numbers=False):
    """Both operands as Tensors of PyTorch's promoted dtype (a Python scalar never widens a tensor).

    With ``keep_numbers`` a Python int or float beside a floating tensor stays a number: NumPy
    computes with it in the tensor's dtype (a weak scalar, NEP 50), which is PyTorch's rule, so the
    op needs no 0-d array for it (the arithmetic ops, whose forwards take such numbers)."""
    if isinstance(x, Tensor):
        if isinstance(y, Tensor):
            if x._data.dtype == y._data.dtype:
                return x, y
        elif type(y) in _PLAIN_NUMBERS and dtypes.is_inexact_np(x._data.dtype):
            return x, (y if keep_numbers else Tensor._make(scalar_like(y, x._data)))
    elif type(x) in _PLAIN_NUMBERS and isinstance(y, Tensor) and dtypes.is_inexact_np(y._data.dtype):
        return (x if keep_numbers else Tensor._make(scalar_like(x, y._data))), y
    dt = dtypes.result_type_np(x, y)
    xp = get_array_module(*(v._data for v in (x, y) if isinstance(v, Tensor)))
    return _to(x, dt, xp), _to(y, dt, xp)


class IntegerDivisionByZero(RuntimeError, ZeroDivisionError):
    """Integer division, remainder or fmod by zero: a RuntimeError as in PyTorch, and a
    ZeroDivisionError as in Python."""


def check_divisor(op: str, divisor: Tensor) -> None:
    """Integer division by zero has no value: raise (NumPy would return 0 with a warning)."""
    if divisor._data.dtype.kind in "iu" and not divisor._data.all():
        raise IntegerDivisionByZero(f"ZeroDivisionError: {op}: integer division by zero (the divisor of "
                                    f"shape {tuple(divisor.shape)} has a zero element)")


def reject_dtype_kinds(op: str, kinds: str, what: str, *operands) -> None:
    """Raise when an operand's dtype is of one of ``kinds`` (NumPy kind letters): ``what`` says which
    dtypes the op does not implement (PyTorch's "not implemented for 'ComplexFloat'")."""
    for x in operands:
        if isinstance(x, Tensor) and x._data.dtype.kind in kinds:
            raise RuntimeError(f"{op}: not implemented for {what} tensors (got {x.dtype})")


def require_floating(op: str, x: Tensor) -> None:
    """Ops defined only on real or complex numbers refuse integer and bool tensors, as PyTorch."""
    if x._data.dtype.kind != "c" and not dtypes.is_floating_np(x._data.dtype):
        raise RuntimeError(f"{op}: expected a floating point or complex tensor as input, got {x.dtype}; "
                           f"convert it first (x.float())")


def promote_float(x, y, keep_numbers=False):
    """Like :func:`promote`, then integers and bools become the default float dtype (true division)."""
    x, y = promote(x, y, keep_numbers)
    if not dtypes.is_inexact_np((x if isinstance(x, Tensor) else y)._data.dtype):
        dt = dtypes.get_default_dtype().np
        x, y = _to(x, dt), _to(y, dt)
    return x, y


def _to(v, np_dtype, xp=np):
    if isinstance(v, Tensor):
        if v._data.dtype == np_dtype:
            return v
        return cast(v, np_dtype)
    return as_tensor_like(v, np_dtype, xp)


def to_float(x: Tensor) -> Tensor:
    """Integer and bool tensors become the default float dtype, for ops defined on reals."""
    if dtypes.is_inexact_np(x._data.dtype):
        return x
    return _to(x, dtypes.get_default_dtype().np)


def reduction_dims(dim, ndim: int, op: str):
    """``dim`` (None, an int or a sequence of ints) as a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return tuple(range(ndim))
        dims = tuple(sorted(wrap_dim(d, ndim, op) for d in dim))
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"{op}: dim {tuple(dim)} appears multiple times in the list of dims")
    else:
        dims = (wrap_dim(dim, ndim, op),)
    # A 0-d tensor accepts dim 0 or -1 (as PyTorch), but NumPy has no axis to reduce: reduce none.
    return dims if ndim else ()


def kept_shape(shape, dims):
    """The shape a reduction over ``dims`` has with ``keepdim=True``."""
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


#: Rows of up to this many numbers are summed by ``einsum``'s unrolled loop: 2.5–3 times faster than NumPy's
#: pairwise sum over rows of 128–512 (measured: 17 against 42 µs on 768 × 128 float32). Its rounding error
#: grows with the length (relative 4·10⁻⁷ at 8,192 float32 numbers, 9·10⁻⁸ pairwise), so longer rows keep
#: the pairwise sum.
SHORT_ROW = 4096


def row_sum(a, k: int = 1, b=None):
    """Σ over the last ``k`` axes of a (of a ⊙ b when b is given), those axes kept with size 1. Each row's
    sum depends on that row alone (the same bits however the rows are split over threads)."""
    if int(np.prod(a.shape[a.ndim - k:])) > SHORT_ROW:
        return (a if b is None else a * b).sum(axis=tuple(range(a.ndim - k, a.ndim)), keepdims=True)
    row = "ijklmnop"[:k]
    total = np.einsum(f"...{row}->...", a) if b is None else np.einsum(f"...{row},...{row}->...", a, b)
    return total.reshape(total.shape + (1,) * k)


def broadcast_error(op: str, *shapes) -> RuntimeError | None:
    """The error for shapes that do not broadcast, or None when they do."""
    try:
        np.broadcast_shapes(*shapes)
        return None
    except ValueError:
        pass
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    for axis in range(ndim - 1, -1, -1):
        sizes = {p[axis] for p in padded} - {1}
        if len(sizes) > 1:
            listed = " and ".join(str(tuple(s)) for s in shapes)
            a, b = sorted(sizes)[:2]
            return RuntimeError(f"{op}: shapes {listed} do not broadcast: sizes {a} and {b} differ at "
                                f"dimension {axis - ndim} (each pair of sizes must be equal or one of "
                                f"them 1)")
    return RuntimeError(f"{op}: shapes {shapes} do not broadcast")


def apply_broadcasting(op: str, fn, *args):
    """``fn.apply(*args)`` with NumPy's broadcasting failure turned into an error naming ``op``."""
    try:
        return fn.apply(*args)
    except ValueError:
        err = broadcast_error(op, *[a._data.shape for a in args if isinstance(a, Tensor)])
        if err is None:
            raise
        raise err from None


def size_args(size, op: str) -> tuple:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean the shape (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s.item())
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"{op}: sizes must be integers, got {s!r}")
        out.append(int(s))
    return tuple(out)


def check_same_dtype(name: str, *tensors) -> None:
    present = [t for t in tensors if t is not None]
    if any(t._data.dtype != present[0]._data.dtype for t in present):
        raise RuntimeError(f"{name}: expected all tensors to have the same dtype, got "
                           f"{[str(t.dtype) for t in present]} (convert with .float() or .double())")


def write_out(op: str, result, out):
    """PyTorch's ``out=``: ``result`` written into ``out`` (a tensor, or a tuple of them for an op with
    several results), which is returned. ``out`` takes the result's shape (it is resized, with
    PyTorch's warning when it had elements) and keeps its dtype, which the result's must cast to
    without going down a category (float into int is refused). Not differentiable, as in PyTorch."""
    if isinstance(out, (tuple, list)):
        results = tuple(result)
        if len(results) != len(out):
            raise RuntimeError(f"{op}: expected out= to hold {len(results)} tensors, got {len(out)}")
        written = tuple(write_out(op, r, o) for r, o in zip(results, out))
        return type(result)(*written) if hasattr(result, "_fields") else written
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be a Tensor, not {type(out).__name__}")
    if state.enabled and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation, "
                           f"but one of the arguments requires grad; call it without out= (or under no_grad)")
    if not dtypes.can_cast(result.dtype, out.dtype):
        raise RuntimeError(f"{op}: result type {result.dtype} can't be cast to the desired output type {out.dtype}")
    if out._data.shape != result._data.shape:
        _resize_out(op, out, result._data.shape)
    np.copyto(out._data, result._data, casting="unsafe")
    out._vc.value += 1
    return out


def _resize_out(op, out, shape):
    if out._base is not None:
        raise RuntimeError(f"{op}: out= of shape {tuple(out.shape)} is a view of another tensor and cannot be "
                           f"resized to the result's shape {shape}; pass a tensor of that shape")
    if out._data.size:
        warnings.warn(f"{op}: an output with one or more elements was resized since it had shape "
                      f"{list(out.shape)}, which does not match the required output shape {list(shape)} "
                      f"(deprecated in PyTorch: pass an out= of the right shape, or of zero elements)",
                      UserWarning, stacklevel=4)
    out._data = get_array_module(out._data).empty(shape, dtype=out._data.dtype)


def accepts_out(fn=None, *, exact_dtype=False):
    """Give ``fn`` (whose signature lists ``out=None``) PyTorch's ``out=`` (see :func:`write_out`);
    ``@accepts_out(exact_dtype=True)``: out must have the result's dtype (PyTorch's matrix products)."""
    if fn is None:
        return functools.partial(accepts_out, exact_dtype=exact_dtype)

    @functools.wraps(fn)
    def with_out(*args, **kwargs):
        out = kwargs.pop("out", None)
        result = fn(*args, **kwargs)
        if out is None:
            return result
        if exact_dtype and isinstance(out, Tensor) and out.dtype is not result.dtype:
            raise RuntimeError(f"{fn.__name__}: expected the out= tensor to have the result's dtype {result.dtype}, "
                               f"but got {out.dtype}")
        return write_out(fn.__name__, result, out)
    return with_out
