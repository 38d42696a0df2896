"""Which array module computes on an array.

Ops never import NumPy's functions by name for their data; they ask the array which module it
belongs to, as CuPy's ``get_array_module`` does, so a GPU array module can run the same op code.
"""
import numpy as np


def get_array_module(*arrays):
    """``numpy`` for NumPy arrays; ``cupy`` when any argument is a CuPy array."""
    for a in arrays:
        mod = type(a).__module__
        if mod.startswith("cupy"):
            import cupy
            return cupy
    return np
