"""``autocast``: PyTorch's mixed-precision region, which nnmath accepts and disables.

Under ``torch.autocast``, PyTorch runs selected ops (matmul, convolutions, linear) in a lower precision
(float16 on a GPU, bfloat16 on the CPU). nnmath has no reduced-precision kernels (NumPy has no bfloat16,
and float16 matmuls on the CPU are slower, not faster), so an enabled ``autocast`` warns that it is
disabled, as PyTorch does when it cannot autocast (CUDA absent, an unsupported dtype); every op then keeps
its input dtypes, as it would with ``enabled=False``. Programs that wrap their forward pass in
``autocast`` therefore run, in float32, and say so.
"""
from __future__ import annotations

import functools
import warnings

from nnmath.backend import cuda_device_count
from nnmath.device import device as _device

_AUTOCAST_DEVICE_TYPES = ("cpu", "cuda", "mps")


def is_autocast_available(device_type: str) -> bool:
    """Whether ``autocast(device_type)`` may be requested: for 'cpu', 'cuda' and 'mps', as in PyTorch.

    A device type nnmath does not know is a RuntimeError (from :class:`nnmath.device`)."""
    return _device(device_type).type in _AUTOCAST_DEVICE_TYPES


def _why_disabled(device_type: str) -> str:
    if device_type == "cuda" and cuda_device_count() == 0:
        return ("nnmath.autocast('cuda'): CUDA is not available (nnmath.cuda.is_available() is False). "
                "Disabling autocast.")
    return (f"nnmath.autocast({device_type!r}): nnmath does not compute in reduced precision, so ops keep their "
            f"input dtypes (float32 stays float32). Disabling autocast.")


def _check_device_type(device_type) -> str:
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if not is_autocast_available(device_type):
        raise RuntimeError(f"nnmath.autocast: unsupported device_type {device_type!r}; expected one of "
                           f"{', '.join(_AUTOCAST_DEVICE_TYPES)}")
    return device_type


class autocast:
    """A region (``with``) or a function (decorator) where PyTorch would compute in reduced precision.

    nnmath computes every op in its input dtypes; an enabled region warns that it is disabled.

    Args:
        device_type: 'cpu' or 'cuda' ('mps' is accepted too), as :attr:`Tensor.device.type`.
        dtype: the reduced-precision dtype PyTorch would use (default float16 on CUDA, bfloat16 on the CPU).
        enabled: whether the region asks for autocasting (default True); False is silent.
        cache_enabled: PyTorch's weight-cast cache; accepted and ignored.

    Example::

        >>> with nnmath.autocast("cpu", enabled=False):
        ...     y = model(x)          # float32, as without the region
        >>> @nnmath.autocast("cpu", enabled=False)
        ... def forward(x): ...
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled: bool | None = None):
        self.device = _check_device_type(device_type)
        self.fast_dtype = dtype
        self._cache_enabled = cache_enabled
        if enabled:
            warnings.warn(_why_disabled(device_type), stacklevel=2)
        self._enabled = False

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> bool:
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return decorated


def custom_fwd(fwd=None, *, device_type: str, cast_inputs=None):
    """Decorator for a custom ``autograd.Function.forward`` that should run as autocast dictates.

    Autocast is never enabled in nnmath, so the forward runs with its inputs as given, as PyTorch's does
    outside an autocast region (``cast_inputs`` is applied only inside one)."""
    _check_device_type(device_type)
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd=None, *, device_type: str):
    """Decorator for a custom ``autograd.Function.backward``: runs it with the forward's autocast state,
    which in nnmath is always disabled."""
    _check_device_type(device_type)
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd
