"""``nnmath.cpu.amp``: PyTorch's legacy ``torch.cpu.amp.autocast`` / ``GradScaler``; deprecated (a
FutureWarning, as PyTorch) in favour of :mod:`nnmath.amp` with ``'cpu'``."""
from nnmath.amp._legacy import LegacyAutocast, LegacyGradScaler


class autocast(LegacyAutocast):
    """``nnmath.amp.autocast('cpu', ...)`` under its legacy name."""
    device_type = "cpu"


class GradScaler(LegacyGradScaler):
    """``nnmath.amp.GradScaler('cpu', ...)`` under its legacy name."""
    device_type = "cpu"


__all__ = ["GradScaler", "autocast"]
