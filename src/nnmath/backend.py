"""Which array module computes on an array, and moving arrays between devices.

Ops never import NumPy's functions by name for new data; they ask the array which module it belongs
to, as CuPy's ``get_array_module`` does, so a GPU array module runs the same op code. NumPy's own
functions already dispatch to the arrays' module (``np.exp(cupy_array)`` runs on the GPU, through
``__array_ufunc__`` / ``__array_function__``); what cannot dispatch is making a *new* array from a
shape (``np.zeros(shape)``), so ops create arrays through the module this returns.

Two devices: ``cpu`` (NumPy) and ``cuda`` (CuPy, imported on first use: it is an optional extra,
``pip install 'nnmath[cuda]'``). The ``cuda`` module can be replaced by a stand-in with
:func:`use_cuda_module`: the tests install a strict NumPy wrapper there (``tests/strict_xp.py``) that
refuses what CuPy refuses, so every op is checked for GPU-safety on a machine without a GPU.
"""
from __future__ import annotations

import contextlib
import functools

import numpy as np

from nnmath.device import CPU, device

_cuda = None  # the module behind device 'cuda' once loaded: CuPy, or the stand-in use_cuda_module installed
_CUDA0 = device("cuda", 0)
_default = CPU  # where creation functions put tensors when not told (PyTorch's set_default_device)


def get_array_module(*arrays):
    """``numpy`` for NumPy arrays (and Python or NumPy scalars); the GPU module when any argument is
    one of its arrays; for another array type that names its module (``__array_namespace__``, as the
    compiler's traced arrays do), that module."""
    for a in arrays:
        if type(a) is np.ndarray or issubclass(type(a), np.generic):
            continue
        if _cuda is not None and isinstance(a, _cuda.ndarray):
            return _cuda
        if type(a).__module__.startswith("cupy"):
            return cuda_module()
        namespace = getattr(type(a), "__array_namespace__", None)
        if namespace is not None:
            return namespace(a)
    return np


def run_kernel(fn, *args, out, **kwargs):
    """``fn(*args, out=out, **kwargs)``: a kernel, a function of arrays and plain values that writes its
    results into the arrays of ``out`` (a tuple; None for a result not wanted) and returns ``out``.

    When an argument is of an array type that takes a kernel call whole (``__array_kernel__``, as the
    compiler's traced arrays do: they record it as one call, which each replay makes again on its own
    arrays), the call is handed to it. A kernel may therefore split its work over threads, or loop over
    blocks, while a trace sees one call. It reads only its arguments (no arrays from a closure) and may
    read what it writes (the outputs may accumulate)."""
    for a in (*args, *out, *kwargs.values()):
        if type(a) is not np.ndarray and a is not None:
            hook = getattr(type(a), "__array_kernel__", None)
            if hook is not None:
                return hook(a, fn, args, out, kwargs)
    return fn(*args, out=out, **kwargs)


def device_of(array) -> device:
    """The device an array lives on: ``cpu`` for NumPy, ``cuda:0`` for the GPU module's arrays."""
    if type(array) is np.ndarray:
        return CPU
    return _CUDA0 if get_array_module(array) is _cuda else CPU   # NumPy, or the tracer's NumPy namespace


def writeable(array) -> bool:
    """Whether ``array`` may be written in place: NumPy's flag (its broadcast and window views are
    read-only); a CuPy array has no such flag and is always writeable."""
    return type(array) is not np.ndarray or array.flags.writeable


def as_strided(array, shape, strides, writeable=True):
    """A view of ``array``'s memory with ``shape`` and byte ``strides`` (NumPy's ``as_strided``; CuPy's
    has no ``writeable``: its arrays are always writeable)."""
    if type(array) is np.ndarray:
        return np.lib.stride_tricks.as_strided(array, shape, strides, writeable=writeable)
    return get_array_module(array).lib.stride_tricks.as_strided(array, shape, strides)


def address(array) -> int:
    """The address of an array's first element (host memory for NumPy, device memory for CuPy)."""
    if type(array) is np.ndarray:
        return array.__array_interface__["data"][0]
    if get_array_module(array) is _cuda:
        return array.data.ptr
    return array.address   # another array type (the compiler's traced arrays) says where it starts


def view_at(array, offset: int, shape, strides):
    """A view of ``shape`` and byte ``strides`` over ``array``'s memory, starting ``offset`` bytes after its
    first element (the memory must belong to the allocation ``array`` is part of)."""
    if offset:
        line = as_strided(array, (offset // array.itemsize + 1,), (array.itemsize,))
        array = line[offset // array.itemsize:]
    return as_strided(array, shape, strides)


def module_device(xp) -> device:
    """The device an array module computes on."""
    return CPU if xp is np else _CUDA0


def array_module(dev: device):
    """The array module of a device (from :func:`check_available`)."""
    return np if dev.type == "cpu" else cuda_module()


def to_device(array, dev: device):
    """``array`` on device ``dev``: itself when it is there already, else a copy (host to GPU with the
    GPU module's ``asarray``, GPU to host with its ``asnumpy``)."""
    if dev.type == "cpu":
        return array if device_of(array) == CPU else _cuda.asnumpy(array)
    xp = cuda_module()
    return array if isinstance(array, xp.ndarray) else xp.asarray(array)


def check_available(dev) -> device:
    """``dev`` as a device nnmath can place tensors on (``'cuda'`` means ``cuda:0``), else a clear error."""
    dev = device(dev)
    if dev.type == "cpu":
        return CPU
    if dev.type != "cuda":
        raise RuntimeError(f"device {str(dev)!r} is not available: nnmath computes on 'cpu' (NumPy) or 'cuda' "
                           f"(CuPy)")
    cuda_module()
    if dev.index not in (None, 0):
        raise RuntimeError(f"device {str(dev)!r} is not available: nnmath places tensors on one GPU, cuda:0 "
                           f"({cuda_device_count()} visible)")
    return _CUDA0


def on_device_of(host, array):
    """``host`` (a NumPy array: random draws, a table built on the CPU) on ``array``'s device."""
    return host if type(array) is np.ndarray else to_device(host, device_of(array))


def set_default_device(dev) -> None:
    """Make creation functions (``tensor``, ``zeros``, ``randn``, ...) put tensors on ``dev`` when no
    ``device=`` is given (``None`` means the CPU again), as ``torch.set_default_device``."""
    global _default
    _default = CPU if dev is None else check_available(dev)


def get_default_device() -> device:
    """The device creation functions use when no ``device=`` is given."""
    return _default


def creation_device(dev):
    """The device a creation function given ``device=dev`` puts its tensor on: ``dev`` when given, else
    the default device; None when that is the CPU (the array stays where it is made)."""
    if dev is not None:
        return check_available(dev)
    return None if _default is CPU else _default


def cuda_module():
    """The array module of device ``cuda``: CuPy (imported now if need be), or the installed stand-in.
    Raises a clear error when neither is there."""
    global _cuda
    if _cuda is None:
        if cuda_device_count() == 0:
            raise RuntimeError("device 'cuda' is not available: nnmath computes on CUDA GPUs through CuPy "
                               "(pip install 'nnmath[cuda]'), and CuPy is not installed or sees no GPU "
                               "(nnmath.cuda.is_available() is False); use device 'cpu'")
        import cupy  # deferred: CuPy is optional and its import initialises CUDA (seconds)
        _cuda = cupy
    return _cuda


@contextlib.contextmanager
def use_cuda_module(module):
    """Make ``module`` the array module of device ``cuda`` inside the ``with`` block (a test hook).

    ``module`` must offer CuPy's interface: NumPy's namespace, an ``ndarray`` type and ``asnumpy``.
    The tests pass ``strict_xp.xp``, which runs on the CPU but refuses what CuPy refuses; while it is
    installed, ``nnmath.cuda.is_available()`` is True and ``.to('cuda')`` makes its arrays."""
    global _cuda
    previous = _cuda
    _cuda = module
    try:
        yield module
    finally:
        _cuda = previous


def cuda_device_count() -> int:
    """The number of CUDA GPUs: 1 while a stand-in module is installed, else the GPUs CuPy sees (0 when
    CuPy is not installed or finds no GPU).

    ``nnmath.cuda.device_count()``, ``nnmath.cuda.is_available()`` and ``nnmath.accelerator`` all
    answer from here, so they agree; CuPy's count is cached, as PyTorch caches its own.
    """
    if _cuda is not None and _cuda.__name__ != "cupy":
        return 1
    return _cupy_device_count()


@functools.cache
def _cupy_device_count() -> int:
    try:
        import cupy  # deferred: CuPy is optional, and importing it initialises the CUDA driver (seconds)
    except ImportError:
        return 0
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # a CuPy without a working driver or device raises its own error types: no usable GPU
        return 0
