"""``nnmath.backends.cudnn``: cuDNN's switches, kept as set; nnmath does not use cuDNN.

``enabled``, ``benchmark`` (autotune convolution algorithms), ``deterministic`` (only deterministic
algorithms) and ``allow_tf32`` start at PyTorch's defaults. nnmath's convolutions are NumPy GEMMs,
always deterministic, so none of them changes a result.
"""
import sys

from nnmath.backends._flags import temporarily

enabled = True
benchmark = False
benchmark_limit = None  # PyTorch leaves it None when cuDNN is absent
deterministic = False
allow_tf32 = True
fp32_precision = "none"


def is_available() -> bool:
    """Whether cuDNN can be used: False (nnmath computes on the CPU with NumPy)."""
    return False


def version():
    """cuDNN's version: None, as PyTorch returns without cuDNN."""
    return None


def is_acceptable(tensor) -> bool:
    """Whether cuDNN would take ``tensor``: never."""
    return False


def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True,
          fp32_precision="none"):
    """Context manager setting the switches for a block (PyTorch's defaults for the arguments)."""
    return temporarily(sys.modules[__name__], enabled=enabled, benchmark=benchmark, deterministic=deterministic,
                       allow_tf32=allow_tf32, fp32_precision=fp32_precision)
