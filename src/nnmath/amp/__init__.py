"""``nnmath.amp``: PyTorch's automatic-mixed-precision API (``torch.amp``).

:class:`GradScaler` is PyTorch's dynamic loss scaling, exactly; :class:`autocast` is accepted and
disabled, since nnmath computes every op in its input dtypes (see :mod:`nnmath.amp.autocast_mode`).
"""
from nnmath.amp.autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from nnmath.amp.grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd", "is_autocast_available"]
