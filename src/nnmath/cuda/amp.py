"""``nnmath.cuda.amp``: PyTorch's legacy ``torch.cuda.amp.autocast`` / ``GradScaler`` / ``custom_fwd``;
deprecated (a FutureWarning, as PyTorch) in favour of :mod:`nnmath.amp` with ``'cuda'``."""
from __future__ import annotations

import functools

from nnmath.amp import custom_bwd as _custom_bwd, custom_fwd as _custom_fwd
from nnmath.amp._legacy import LegacyAutocast, LegacyGradScaler, warn_deprecated


class autocast(LegacyAutocast):
    """``nnmath.amp.autocast('cuda', ...)`` under its legacy name."""
    device_type = "cuda"


class GradScaler(LegacyGradScaler):
    """``nnmath.amp.GradScaler('cuda', ...)`` under its legacy name."""
    device_type = "cuda"


def custom_fwd(fwd=None, *, cast_inputs=None):
    """``nnmath.amp.custom_fwd(device_type='cuda')`` under its legacy name."""
    warn_deprecated("cuda", "custom_fwd", "custom_fwd(args..., device_type='cuda')")
    if fwd is None:
        return functools.partial(_custom_fwd, device_type="cuda", cast_inputs=cast_inputs)
    return _custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd=None):
    """``nnmath.amp.custom_bwd(device_type='cuda')`` under its legacy name."""
    warn_deprecated("cuda", "custom_bwd", "custom_bwd(args..., device_type='cuda')")
    return _custom_bwd(bwd, device_type="cuda")


__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd"]
