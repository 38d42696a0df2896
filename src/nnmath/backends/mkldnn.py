"""``nnmath.backends.mkldnn``: oneDNN's switches, kept as set; nnmath does not use oneDNN."""
import sys

from nnmath.backends._flags import temporarily

enabled = True
deterministic = False
allow_tf32 = True
fp32_precision = "none"


def is_available() -> bool:
    """Whether oneDNN (MKL-DNN) is used: False (PyTorch answers True; nnmath's kernels are NumPy's)."""
    return False


def flags(enabled=False, deterministic=False, allow_tf32=True, fp32_precision="none"):
    """Context manager setting the switches for a block (PyTorch's defaults for the arguments)."""
    return temporarily(sys.modules[__name__], enabled=enabled, deterministic=deterministic, allow_tf32=allow_tf32,
                       fp32_precision=fp32_precision)
