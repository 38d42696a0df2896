"""``nnmath.accelerator``: PyTorch's device-agnostic accelerator API.

The only accelerator nnmath can know of is a CUDA GPU seen through CuPy (:func:`nnmath.backend.cuda_device_count`),
the same source :mod:`nnmath.cuda` answers from; without one every answer says "none".
"""
from nnmath.backend import cuda_device_count
from nnmath.device import CPU, device


def is_available() -> bool:
    """True when an accelerator is present (a CUDA GPU that CuPy sees)."""
    return cuda_device_count() > 0


def device_count() -> int:
    """The number of accelerator devices (0 without one)."""
    return cuda_device_count()


def current_accelerator():
    """The accelerator's device type, ``device('cuda')``, or None when there is none (as PyTorch returns)."""
    return device("cuda") if is_available() else None


def current_device_index() -> int:
    """The index of the current accelerator device; raises RuntimeError without one (as PyTorch)."""
    raise RuntimeError(unavailable_message("nnmath.accelerator.current_device_index"))


def synchronize(device=None) -> None:
    """Wait for the accelerator's queued work; raises RuntimeError without one (as PyTorch)."""
    raise RuntimeError(unavailable_message("nnmath.accelerator.synchronize"))


def unavailable_message(api: str) -> str:
    """Why ``api`` (a function that needs a GPU) cannot run here: no GPU, or a GPU nnmath cannot use yet."""
    if is_available():
        return (f"{api}: CuPy sees {device_count()} CUDA GPU(s) and nnmath's tensors run on cuda:0 through it, "
                f"but this call (streams, device selection, device queries) is not implemented")
    return (f"{api}: no CUDA GPU is available (nnmath computes on the CPU with NumPy, and CuPy is not "
            f"installed or sees no device); check is_available() first, or use device 'cpu'")


__all__ = ["is_available", "device_count", "current_accelerator", "current_device_index", "synchronize",
           "unavailable_message", "CPU"]
