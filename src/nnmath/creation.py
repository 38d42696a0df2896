"""Creating tensors: from data, filled, ranges, and random (from the global generator by default)."""
from __future__ import annotations

import functools
import numbers

import numpy as np

from nnmath import dtypes
from nnmath.backend import (array_module, check_available, creation_device, get_array_module, module_device,
                            to_device)
from nnmath.device import CPU
from nnmath.ops._util import size_args, write_out
from nnmath.random import rng
from nnmath.tensor import Tensor, to_array


def _finish(arr, requires_grad, device=None) -> Tensor:
    """A tensor of ``arr`` (copied to ``device`` when it is elsewhere)."""
    dev = creation_device(device)
    if dev is not None:
        arr = to_device(arr, dev)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, NumPy arrays or tensors)."""
    return _finish(to_array(data, dtype, copy=True), requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """A tensor sharing memory with ``data`` when it is already a tensor or array of that dtype."""
    if isinstance(data, Tensor) and (dtype is None or dtypes.as_dtype(dtype).np == data._data.dtype):
        return data if device is None else data.to(device)
    if isinstance(data, np.ndarray) and (dtype is None or dtypes.as_dtype(dtype).np == data.dtype):
        return _finish(data, False, device)
    return _finish(to_array(data, dtype, copy=False), False, device)


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (same dtype)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(ndarray).__name__})")
    dtypes.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def _creates_out(fn):
    """PyTorch's ``out=`` for a creation function: the values are made in out's dtype (or in ``dtype``,
    which must then be out's) and written into ``out``, which is returned."""
    @functools.wraps(fn)
    def with_out(*args, **kwargs):
        out = kwargs.pop("out", None)
        if out is None:
            return fn(*args, **kwargs)
        dtype = kwargs.get("dtype")
        if dtype is None:
            kwargs["dtype"] = out.dtype
        elif dtypes.as_dtype(dtype) is not out.dtype:
            raise RuntimeError(f"{fn.__name__}: dtype {dtypes.as_dtype(dtype)} does not match the dtype of the out= "
                               f"tensor ({out.dtype})")
        return write_out(fn.__name__, fn(*args, **kwargs), out)
    return with_out


def _float_or(dtype):
    return dtypes.as_dtype(dtype).np if dtype is not None else dtypes.get_default_dtype().np


def _new_shape(size, op) -> tuple:
    """The shape of a new tensor from ``size`` (``f(2, 3)`` or ``f((2, 3))``); a negative size is a
    RuntimeError naming the op and the shape, as PyTorch's "Trying to create tensor with negative
    dimension"."""
    shape = size_args(size, op)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{op}: trying to create a tensor with negative dimension: {shape}")
    return shape


def _filled(fill, size, dtype, requires_grad, device, op):
    shape = _new_shape(size, op)
    dev = creation_device(device)
    xp = np if dev is None else array_module(dev)
    return _finish(xp.full(shape, fill, dtype=_float_or(dtype)), requires_grad)


@_creates_out
def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros of the given shape (default float dtype)."""
    return _filled(0, size, dtype, requires_grad, device, "zeros")


@_creates_out
def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones of the given shape (default float dtype)."""
    return _filled(1, size, dtype, requires_grad, device, "ones")


@_creates_out
def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    """An uninitialised tensor (nnmath fills it with zeros: reading it is then deterministic)."""
    return _filled(0, size, dtype, requires_grad, device, "empty")


@_creates_out
def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value (bool, int64 or default float)."""
    if not isinstance(fill_value, (numbers.Number, np.generic, Tensor)):
        raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__} {fill_value!r:.40}")
    if dtype is None:
        if isinstance(fill_value, (bool, np.bool_)):
            dtype = dtypes.bool_
        elif isinstance(fill_value, numbers.Integral):
            dtype = dtypes.int64
    return _filled(fill_value, (size,) if not isinstance(size, (tuple, list)) else (tuple(size),),
                   dtype, requires_grad, device, "full")


def _like(x, dtype):
    return dtypes.as_dtype(dtype).np if dtype is not None else x._data.dtype


def _module_like(x, device):
    """The array module of ``device``, or of ``x``'s device when ``device`` is None (PyTorch's ``*_like``)."""
    return get_array_module(x._data) if device is None else array_module(check_available(device))


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return _finish(_module_like(input, device).zeros(input.shape, _like(input, dtype)), requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return _finish(_module_like(input, device).ones(input.shape, _like(input, dtype)), requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return _finish(_module_like(input, device).full(input.shape, fill_value, _like(input, dtype)), requires_grad)


@_creates_out
def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` by ``step``: int64 for integer arguments."""
    if end is None:
        start, end = 0, start
    if not all(np.isfinite(float(a)) for a in (start, end, step)):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end} with step {step} (start, end and step must "
                           f"be finite)")
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    args = [float(a) if isinstance(a, Tensor) and a.is_floating_point() else
            (a.item() if isinstance(a, Tensor) else a) for a in (start, end, step)]
    if dtype is None:
        dtype = dtypes.int64 if all(isinstance(a, numbers.Integral) for a in args) else dtypes.get_default_dtype()
    dt = dtypes.as_dtype(dtype).np
    n = int(np.ceil((args[1] - args[0]) / args[2]))
    arr = (args[0] + args[2] * np.arange(max(n, 0), dtype=np.float64)).astype(dt) if dt.kind == "f" \
        else np.arange(args[0], args[1], args[2]).astype(dt)
    return _finish(arr, requires_grad, device)


@_creates_out
def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    return _finish(np.linspace(float(start), float(end), int(steps)).astype(_float_or(dtype)), requires_grad, device)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.logspace(float(start), float(end), int(steps), base=base).astype(_float_or(dtype)),
                   requires_grad, device)


@_creates_out
def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """The n×m identity matrix."""
    return _finish(np.eye(n, n if m is None else m, dtype=_float_or(dtype)), requires_grad, device)


# --- random -------------------------------------------------------------------------------------

@_creates_out
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples on [0, 1)."""
    shape = _new_shape(size, "rand")
    dt = _float_or(dtype)
    return _finish(rng(generator).random(shape, dtype=dt if dt in (np.float32, np.float64) else np.float64)
                   .astype(dt, copy=False), requires_grad, device)


@_creates_out
def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples N(0, 1)."""
    shape = _new_shape(size, "randn")
    dt = _float_or(dtype)
    return _finish(rng(generator).standard_normal(shape, dtype=dt if dt in (np.float32, np.float64) else np.float64)
                   .astype(dt, copy=False), requires_grad, device)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Integers uniform on [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint: missing the size argument")
    if high is None:
        raise TypeError("randint: missing the high argument")
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    dt = dtypes.as_dtype(dtype).np if dtype is not None else np.dtype(np.int64)
    return _finish(rng(generator).integers(low, high, size=_new_shape(tuple(size), "randint")).astype(dt), requires_grad, device)


def rand_like(input, *, dtype=None, generator=None, requires_grad=False, device=None) -> Tensor:
    return rand(tuple(input.shape), generator=generator, dtype=dtype or input.dtype, requires_grad=requires_grad,
                device=device or input.device)


def randn_like(input, *, dtype=None, generator=None, requires_grad=False, device=None) -> Tensor:
    return randn(tuple(input.shape), generator=generator, dtype=dtype or input.dtype, requires_grad=requires_grad,
                 device=device or input.device)


def randint_like(input, low=0, high=None, *, dtype=None, generator=None, requires_grad=False, device=None) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), generator=generator, dtype=dtype or input.dtype,
                   device=device or input.device)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of 0 … n−1."""
    (n,) = _new_shape((n,), "randperm")
    dt = dtypes.as_dtype(dtype).np if dtype is not None else np.dtype(np.int64)
    return _finish(rng(generator).permutation(n).astype(dt), requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Samples of N(mean, std²); mean and std may be tensors (broadcast) or numbers with ``size``."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if not np.all(np.asarray(s) >= 0):
        which = "all elements of std" if isinstance(std, Tensor) else f"std, but found std {std}"
        raise RuntimeError(f"normal: expects {which} >= 0.0")
    shape = tuple(size) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    dt = (mean._data.dtype if isinstance(mean, Tensor) else std._data.dtype if isinstance(std, Tensor)
          else _float_or(dtype))
    noise = _on_device_of(rng(generator).standard_normal(shape), m, s)
    return _finish((m + s * noise).astype(dt), requires_grad, device)


def _on_device_of(host, *arrays):
    """Random numbers drawn on the host (the same stream on every device), moved to the arrays' device."""
    return to_device(host, module_device(get_array_module(*arrays)))


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """1 with probability ``input`` (elementwise), else 0; the result has input's dtype."""
    probs = input._data if p is None else get_array_module(input._data).full(input.shape, p)
    if ((probs < 0) | (probs > 1)).any():
        raise RuntimeError("bernoulli: expected all probabilities in [0, 1]")
    draws = _on_device_of(rng(generator).random(input.shape), input._data)
    return Tensor._make((draws < probs).astype(input._data.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """Indices sampled from the rows of ``input`` (non-negative weights, normalised per row)."""
    w = to_device(input._data, CPU).astype(np.float64)  # drawn on the host; the indices go back to input's device
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {w.shape}")
    if (w < 0).any() or not np.isfinite(w).all():
        raise RuntimeError("multinomial: probability tensor contains either inf, nan or element < 0")
    rows = w.reshape(-1, w.shape[-1])
    sums = rows.sum(1)
    if (sums <= 0).any():
        raise RuntimeError("multinomial: invalid distribution: the sum of probabilities is <= 0")
    if not replacement and num_samples > w.shape[-1]:
        raise RuntimeError(f"multinomial: cannot sample {num_samples} > {w.shape[-1]} categories without replacement")
    g = rng(generator)
    out = np.stack([g.choice(rows.shape[1], size=num_samples, replace=replacement, p=r / s)
                    for r, s in zip(rows, sums)])
    return Tensor._make(to_device(out.reshape(w.shape[:-1] + (num_samples,)).astype(np.int64), input.device))


def poisson(input, generator=None) -> Tensor:
    draws = rng(generator).poisson(to_device(input._data, CPU))
    return Tensor._make(to_device(draws.astype(input._data.dtype), input.device))
