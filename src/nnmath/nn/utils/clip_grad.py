"""Gradient clipping, applied between ``backward()`` and ``optimizer.step()``."""
from __future__ import annotations

import math

import numpy as np

from nnmath.tensor import Tensor


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    ‖g‖ = ‖(‖g₁‖_p, …, ‖gₖ‖_p)‖_p over the gradients of ``parameters`` (the norm of their
    concatenation); every gᵢ ← gᵢ · min(1, max_norm / (‖g‖ + 10⁻⁶)) in place.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped
        max_norm: the largest allowed norm
        norm_type: p (a float, or ``inf`` for the largest absolute value)
        error_if_nonfinite: raise if the total norm is nan or ±inf instead of scaling by it
        foreach: accepted for PyTorch compatibility (nnmath has one implementation)

    Returns:
        the total norm of the gradients before clipping (a scalar tensor)
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return Tensor._make(np.zeros((), np.float32))
    dtype = grads[0]._data.dtype
    # NumPy operations throughout, no Python number taken from the data: a compiled training step
    # (nnmath.compile) recomputes the norm and the coefficient at every call.
    if norm_type == math.inf:
        per_grad = [np.abs(g._data).max() if g._data.size else dtype.type(0) for g in grads]
        total = np.stack(per_grad).max().astype(dtype)
    else:
        per_grad = np.stack([np.linalg.norm(g._data.ravel(), norm_type) for g in grads]).astype(dtype)
        total = np.linalg.norm(per_grad, norm_type).astype(dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                           f"so it cannot be clipped. To disable this error and scale the gradients by the "
                           f"non-finite norm anyway, set `error_if_nonfinite=False`")
    coef = np.minimum(float(max_norm) / (total.astype(np.float64) + 1e-6), 1.0)
    for g in grads:
        g._data *= coef.astype(g._data.dtype)
        g._vc.value += 1
    return Tensor._make(total)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element to [−clip_value, clip_value] in place.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped
        clip_value: the largest allowed absolute value
        foreach: accepted for PyTorch compatibility
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        g._vc.value += 1
