"""``nnmath.backends``: PyTorch's backend switches (``torch.backends.cudnn.benchmark = True``, ...).

Programs set these before training: TF32 matmuls, cuDNN autotuning or determinism, which attention
kernels to allow. They choose between GPU kernels, and nnmath has one CPU path (NumPy), which is
deterministic; so each switch is kept, read back as set, and changes nothing. The questions about
what is present (``cudnn.is_available()``, ``mps.is_available()``, ``mkldnn.is_available()``,
``openmp.is_available()``) answer truthfully for nnmath: none of those libraries is used.
"""
from nnmath.backends import cuda, cudnn, mkldnn, mps, openmp  # noqa: F401

fp32_precision = "none"

__all__ = ["cuda", "cudnn", "mkldnn", "mps", "openmp", "fp32_precision"]
