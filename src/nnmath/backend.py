"""Which array module computes on an array.

Ops never import NumPy's functions by name for their data; they ask the array which module it
belongs to, as CuPy's ``get_array_module`` does, so a GPU array module can run the same op code.
"""
import functools

import numpy as np


def get_array_module(*arrays):
    """``numpy`` for NumPy arrays; ``cupy`` when any argument is a CuPy array; for another array type
    that names its module (``__array_namespace__``, as the compiler's traced arrays do), that module.

    NumPy's own functions already dispatch to the arrays' module (``np.exp(cupy_array)`` runs on
    the GPU, through ``__array_ufunc__`` / ``__array_function__``); what cannot dispatch is making a
    *new* array from a shape, or a view by strides, so ops do those through the module this returns."""
    for a in arrays:
        if type(a) is np.ndarray or isinstance(a, np.generic):
            continue
        mod = type(a).__module__
        if mod.startswith("cupy"):
            import cupy
            return cupy
        namespace = getattr(type(a), "__array_namespace__", None)
        if namespace is not None:
            return namespace(a)
    return np


@functools.cache
def cuda_device_count() -> int:
    """The number of CUDA GPUs visible through CuPy: 0 when CuPy is not installed or finds no GPU.

    ``nnmath.cuda.device_count()``, ``nnmath.cuda.is_available()`` and ``nnmath.accelerator`` all
    answer from here, so they agree; the count is cached, as PyTorch caches its own.
    """
    try:
        import cupy  # deferred: CuPy is optional, and importing it initialises the CUDA driver (seconds)
    except ImportError:
        return 0
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # a CuPy without a working driver or device raises its own error types: no usable GPU
        return 0
