"""``nnmath.accelerator``: PyTorch's accelerator API. nnmath has no accelerator backend yet."""
from nnmath.device import CPU


def is_available() -> bool:
    """True when an accelerator backend is usable; nnmath computes on the CPU, so False."""
    return False


def device_count() -> int:
    return 0


def current_accelerator():
    """The accelerator device, or None when there is none (as PyTorch returns)."""
    return None


__all__ = ["is_available", "device_count", "current_accelerator", "CPU"]
