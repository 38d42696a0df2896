"""The ``cuda`` array module the device tests run on: the strict CuPy stand-in (``tests/strict_xp.py``),
or real CuPy on a GPU machine with ``NNMATH_TEST_CUDA=cupy`` (the same tests with CuPy's kernels; the
tolerances then allow for the GPU's different rounding)."""
from __future__ import annotations

import contextlib
import os

import strict_xp
from nnmath.backend import cuda_module, use_cuda_module

REAL_GPU = os.environ.get("NNMATH_TEST_CUDA") == "cupy"
#: Relative tolerance between the device run and the CPU run: the stand-in runs the same NumPy code
#: (only a difference in what the ops did can show); a GPU rounds differently (other kernels, orders).
RTOL64, RTOL32 = (1e-9, 1e-4) if REAL_GPU else (1e-12, 1e-6)


@contextlib.contextmanager
def device_module():
    """Device ``cuda`` backed by the stand-in (or, with NNMATH_TEST_CUDA=cupy, by CuPy itself)."""
    if REAL_GPU:
        yield cuda_module()
        return
    with use_cuda_module(strict_xp.xp) as module:
        yield module


def device_array_type():
    return cuda_module().ndarray
