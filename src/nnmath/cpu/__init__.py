"""``nnmath.cpu``: PyTorch's ``torch.cpu`` device module; the CPU is nnmath's one device."""
from nnmath.cpu import amp  # noqa: F401  (nnmath.cpu.amp, as torch.cpu.amp, is there after the import)


def is_available() -> bool:
    """The CPU is always available."""
    return True


def device_count() -> int:
    """One CPU device, as PyTorch counts it."""
    return 1


def current_device() -> str:
    """``'cpu'``, as PyTorch returns."""
    return "cpu"


def set_device(device) -> None:
    """Select the CPU device: there is only one, so nothing changes."""


def synchronize(device=None) -> None:
    """CPU work is synchronous: nothing to wait for."""


__all__ = ["amp", "current_device", "device_count", "is_available", "set_device", "synchronize"]
