"""``nnmath.cuda``: PyTorch's CUDA API, answering truthfully for a machine where nnmath has no GPU.

Programs ask ``torch.cuda.is_available()`` / ``device_count()`` before choosing a device, seed the GPU's
generator, print its name or its memory; a book's utility library does so at import. nnmath computes
on the CPU with NumPy, so here:

- the questions are answered (``is_available()`` False, ``device_count()`` 0, ``memory_allocated()`` 0,
  ``is_bf16_supported()`` False), as PyTorch answers them when built without CUDA;
- the requests that are harmless without a GPU do nothing (``manual_seed``, ``seed``, ``empty_cache``,
  ``set_device(-1)``), as PyTorch's do;
- what needs a GPU (``current_device()``, ``synchronize()``, ``get_device_name()``, ``Stream()``, entering
  ``device(0)``) raises :class:`CudaUnavailableError`, a RuntimeError that is also an AssertionError,
  the two types PyTorch raises there, with a message saying why.

The count comes from CuPy when it is installed (:func:`nnmath.backend.cuda_device_count`), so these
answers turn true on a machine with a GPU once nnmath has a CuPy backend.
"""
from __future__ import annotations

import collections
import contextlib

from nnmath.accelerator import unavailable_message
from nnmath.backend import cuda_device_count
from nnmath.cuda import amp  # noqa: F401  (nnmath.cuda.amp, as torch.cuda.amp, is there after the import)
from nnmath.device import device as _device
from nnmath.tensor_types import CUDA_TYPES


class CudaUnavailableError(RuntimeError, AssertionError):
    """Raised by a ``nnmath.cuda`` function that needs a CUDA GPU nnmath can use.

    PyTorch built without CUDA raises ``AssertionError("Torch not compiled with CUDA enabled")`` from
    most of them and RuntimeError from a few; this error is both, so either ``except`` catches it.
    """


def _unavailable(name: str) -> CudaUnavailableError:
    return CudaUnavailableError(unavailable_message(f"nnmath.cuda.{name}"))


# --- what is there -------------------------------------------------------------------------------

def is_available() -> bool:
    """True when a CUDA GPU is usable (CuPy sees one); False on a machine without."""
    return device_count() > 0


def device_count() -> int:
    """The number of CUDA GPUs (0 without CuPy or a GPU)."""
    return cuda_device_count()


def is_initialized() -> bool:
    """Whether the CUDA state has been initialised: never, as nnmath runs nothing on a GPU."""
    return False


def init() -> None:
    """Initialise CUDA; raises :class:`CudaUnavailableError` without a usable GPU (as PyTorch)."""
    raise _unavailable("init")


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Whether the GPU computes in bfloat16: False (no usable GPU, and nnmath has no bfloat16)."""
    return False


def is_tf32_supported() -> bool:
    """Whether the GPU has TensorFloat-32 matrix units: False without a usable GPU."""
    return False


def get_arch_list() -> list[str]:
    """The CUDA architectures this build supports: none."""
    return []


def get_gencode_flags() -> str:
    return ""


# --- the current device --------------------------------------------------------------------------

def _device_index(dev, optional: bool = False) -> int | None:
    """A CUDA device index from an int, a string or a ``device``: PyTorch's ``_get_device_index``.

    A non-CUDA device is a ValueError; ``'cuda'`` without an index means the current device (None).
    """
    if isinstance(dev, int) and not isinstance(dev, bool):
        return dev
    if dev is None:
        if optional:
            return None
        raise ValueError("nnmath.cuda: expected a CUDA device index (an int, 'cuda:N' or device('cuda', N)), "
                         "got None")
    dev = _device(dev)
    if dev.type != "cuda":
        raise ValueError(f"nnmath.cuda: expected a cuda device, but got: {dev}")
    return dev.index


def current_device() -> int:
    """The index of the current CUDA device; raises :class:`CudaUnavailableError` without one."""
    raise _unavailable("current_device")


def set_device(device) -> None:
    """Make ``device`` current. ``-1`` (or any negative index) is a no-op, as in PyTorch; selecting a
    GPU raises :class:`CudaUnavailableError` without one."""
    index = _device_index(device)
    if index is None or index >= 0:
        raise _unavailable(f"set_device({device!r})")


def synchronize(device=None) -> None:
    """Wait for the GPU's queued work; raises :class:`CudaUnavailableError` without a GPU."""
    raise _unavailable("synchronize")


def get_device_name(device=None) -> str:
    raise _unavailable("get_device_name")


def get_device_properties(device=None):
    raise _unavailable("get_device_properties")


def get_device_capability(device=None) -> tuple[int, int]:
    raise _unavailable("get_device_capability")


def mem_get_info(device=None) -> tuple[int, int]:
    raise _unavailable("mem_get_info")


def ipc_collect() -> None:
    raise _unavailable("ipc_collect")


class device:
    """Context manager that makes a CUDA device current: ``with nnmath.cuda.device(1): ...``.

    ``device(-1)`` does nothing, as in PyTorch; entering a real GPU index raises
    :class:`CudaUnavailableError` without one. A non-CUDA device is a ValueError at construction.
    """

    def __init__(self, device):
        self.idx = _device_index(device, optional=True)

    def __enter__(self):
        if self.idx is None or self.idx >= 0:
            raise _unavailable(f"device({self.idx})")

    def __exit__(self, *exc) -> bool:
        return False


def device_of(obj) -> device:
    """The CUDA device of a tensor as a context manager: a no-op for a tensor on the CPU (as PyTorch)."""
    return device(-1)


# --- random numbers --------------------------------------------------------------------------------
# PyTorch queues these until CUDA initialises, so without a GPU they do nothing; so do nnmath's.

def manual_seed(seed: int) -> None:
    """Seed the current GPU's generator: nothing to seed without a GPU (``nnmath.manual_seed`` seeds the CPU)."""


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's generator: nothing to seed without a GPU."""


def seed() -> None:
    """Seed the current GPU's generator from entropy: nothing to seed without a GPU."""


def seed_all() -> None:
    """Seed every GPU's generator from entropy: nothing to seed without a GPU."""


def initial_seed() -> int:
    raise _unavailable("initial_seed")


def get_rng_state(device="cuda"):
    raise _unavailable("get_rng_state")


def get_rng_state_all() -> list:
    """Every GPU's generator state: an empty list without GPUs."""
    return []


def set_rng_state(new_state, device="cuda") -> None:
    """Set the GPU generator's state: nothing to set without a GPU."""


def set_rng_state_all(new_states) -> None:
    """Set every GPU generator's state: nothing to set without GPUs."""


# --- memory: nnmath allocates nothing on a GPU --------------------------------------------------------

def memory_allocated(device=None) -> int:
    """Bytes of GPU memory held by tensors: 0."""
    return 0


def max_memory_allocated(device=None) -> int:
    """Peak bytes of GPU memory held by tensors: 0."""
    return 0


def memory_reserved(device=None) -> int:
    """Bytes of GPU memory held by the caching allocator: 0."""
    return 0


def max_memory_reserved(device=None) -> int:
    """Peak bytes of GPU memory held by the caching allocator: 0."""
    return 0


def memory_stats(device=None) -> collections.OrderedDict:
    """The caching allocator's statistics: empty, as PyTorch's before CUDA initialises."""
    return collections.OrderedDict()


def empty_cache() -> None:
    """Release the caching allocator's unused GPU memory: there is none."""


def reset_peak_memory_stats(device=None) -> None:
    """Reset the peak-memory counters; raises :class:`CudaUnavailableError` without a GPU (as PyTorch)."""
    raise _unavailable("reset_peak_memory_stats")


# --- streams and events: they exist only on a GPU -----------------------------------------------------

class Stream:
    """A CUDA stream; constructing one raises :class:`CudaUnavailableError` without a GPU (as PyTorch)."""

    def __init__(self, device=None, priority: int = 0, **kwargs):
        raise _unavailable("Stream")


class Event:
    """A CUDA event; constructing one raises :class:`CudaUnavailableError` without a GPU (as PyTorch)."""

    def __init__(self, enable_timing: bool = False, blocking: bool = False, interprocess: bool = False):
        raise _unavailable("Event")


def current_stream(device=None) -> Stream:
    raise _unavailable("current_stream")


def default_stream(device=None) -> Stream:
    raise _unavailable("default_stream")


def stream(stream) -> contextlib.AbstractContextManager:
    """Run a block on ``stream``; ``stream(None)`` is a no-op context, as in PyTorch."""
    if stream is not None:
        raise _unavailable("stream")
    return contextlib.nullcontext()

__all__ = ["CudaUnavailableError", "Event", "Stream", "amp", "current_device", "current_stream", "default_stream",
           "device", "device_count", "device_of", "empty_cache", "get_arch_list", "get_device_capability",
           "get_device_name", "get_device_properties", "get_gencode_flags", "get_rng_state", "get_rng_state_all",
           "init", "initial_seed", "ipc_collect", "is_available", "is_bf16_supported", "is_initialized",
           "is_tf32_supported", "manual_seed", "manual_seed_all", "max_memory_allocated", "max_memory_reserved",
           "mem_get_info", "memory_allocated", "memory_reserved", "memory_stats", "reset_peak_memory_stats",
           "seed", "seed_all", "set_device", "set_rng_state", "set_rng_state_all", "stream", "synchronize"]


# The CUDA tensor types (``nnmath.cuda.FloatTensor``, ...): isinstance tests fail, construction raises.
globals().update(CUDA_TYPES)
