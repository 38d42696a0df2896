"""How many threads the BLAS behind NumPy uses: PyTorch's ``set_num_threads`` / ``get_num_threads``.

nnmath's heavy work is matrix products in NumPy's BLAS (OpenBLAS in NumPy's wheels). Two processes
that each run one BLAS thread per core oversubscribe the machine, and OpenBLAS then slows down by
several times; ``set_num_threads`` lets each process take its share (the test suite gives each
pytest-xdist worker ``cores // workers``). The library is found among the shared objects the process
has loaded, and its setter called; with a BLAS whose setter is unknown these functions do nothing
and ``get_num_threads`` returns ``os.cpu_count()``.
"""
from __future__ import annotations

import ctypes
import os

import numpy as np  # noqa: F401  (loads NumPy's BLAS, so that it is among the mapped libraries)

_SETTERS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads",
            "MKL_Set_Num_Threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads",
            "MKL_Get_Max_Threads")
_blas = None


def _loaded_blas():
    """(setter, getter) of the BLAS library NumPy loaded, or (None, None)."""
    global _blas
    if _blas is None:
        _blas = (None, None)
        try:
            with open("/proc/self/maps") as maps:
                paths = {line.split()[-1] for line in maps if ("blas" in line or "mkl" in line) and "/" in line}
        except OSError:
            paths = set()
        for path in sorted(paths):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            setter = next((getattr(lib, s) for s in _SETTERS if hasattr(lib, s)), None)
            getter = next((getattr(lib, g) for g in _GETTERS if hasattr(lib, g)), None)
            if setter is not None:
                _blas = (setter, getter)
                break
    return _blas


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for NumPy's BLAS (matrix products, convolutions' GEMMs)."""
    if int(n) < 1:
        raise ValueError(f"set_num_threads: the number of threads must be positive, got {n}")
    setter, _ = _loaded_blas()
    if setter is not None:
        setter(int(n))


def get_num_threads() -> int:
    """The number of threads NumPy's BLAS uses."""
    _, getter = _loaded_blas()
    return int(getter()) if getter is not None else (os.cpu_count() or 1)
