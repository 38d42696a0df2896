"""The legacy device-specific names ``torch.cuda.amp.*`` and ``torch.cpu.amp.*``: each warns, as PyTorch
does, that it is deprecated in favour of :mod:`nnmath.amp` with the device type, then behaves as that."""
from __future__ import annotations

import warnings

from nnmath.amp.autocast_mode import autocast
from nnmath.amp.grad_scaler import GradScaler


def warn_deprecated(device_type: str, old: str, new: str) -> None:
    warnings.warn(f"`nnmath.{device_type}.amp.{old}(args...)` is deprecated. Please use `nnmath.amp.{new}` "
                  f"instead.", FutureWarning, stacklevel=3)


class LegacyAutocast(autocast):
    """``nnmath.amp.autocast(device_type, ...)`` with the device type fixed by the subclass."""
    device_type: str

    def __init__(self, enabled: bool = True, dtype=None, cache_enabled: bool = True):
        warn_deprecated(self.device_type, "autocast", f"autocast('{self.device_type}', args...)")
        super().__init__(self.device_type, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class LegacyGradScaler(GradScaler):
    """``nnmath.amp.GradScaler(device_type, ...)`` with the device type fixed by the subclass."""
    device_type: str

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):
        warn_deprecated(self.device_type, "GradScaler", f"GradScaler('{self.device_type}', args...)")
        super().__init__(self.device_type, init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval, enabled=enabled)
