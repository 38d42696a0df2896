"""``GradScaler``: dynamic loss scaling, PyTorch's algorithm and state.

In float16 training small gradients underflow to zero. Scaling the loss by s before ``backward()``
scales every gradient by s (the chain rule is linear in the output's gradient), so they stay
representable; the optimizer must then see g = (s·g) / s. s is chosen dynamically:

    found_inf = any gradient of s·L is inf or NaN
    found_inf:      skip optimizer.step();  s ← s · backoff_factor;  tracker ← 0
    otherwise:      optimizer.step();       tracker ← tracker + 1;
                    if tracker == growth_interval:  s ← s · growth_factor (if finite);  tracker ← 0

s is a float32 scalar tensor, as in PyTorch, and 1/s is rounded to float32 before the gradients are
multiplied by it, so the unscaled gradients are bit-identical to PyTorch's.

``GradScaler('cuda')`` (the default) without CUDA warns and disables itself, as PyTorch does: ``scale``
returns its input and ``step`` calls ``optimizer.step()``. ``GradScaler('cpu')`` is enabled: it scales,
checks and skips exactly as on a GPU (useful for testing a float16 training loop on the CPU).
"""
from __future__ import annotations

import collections
import collections.abc
import enum
import warnings

import numpy as np

from nnmath.autograd.grad_mode import no_grad
from nnmath.backend import cuda_device_count
from nnmath.creation import full
from nnmath.device import CPU
from nnmath.dtypes import float16, float32, int32
from nnmath.tensor import Tensor


class OptState(enum.Enum):
    """Where an optimizer is in the current iteration: gradients scaled, unscaled, or stepped."""
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _fresh_optimizer_state() -> dict:
    return {"stage": OptState.READY, "found_inf_per_device": {}}


class GradScaler:
    """Scales the loss, unscales the gradients, skips steps with inf/NaN gradients, adapts the scale.

    Args:
        device: 'cuda' (default) or 'cpu'; with 'cuda' and no CUDA the scaler warns and disables itself.
        init_scale: the first scale s (default 2¹⁶).
        growth_factor: s is multiplied by it after ``growth_interval`` steps without inf/NaN (> 1; default 2).
        backoff_factor: s is multiplied by it after a step with inf/NaN (< 1; default 0.5).
        growth_interval: consecutive finite steps before s grows (default 2000).
        enabled: False makes every method a no-op and ``step`` call ``optimizer.step()``.

    Example::

        >>> scaler = nnmath.amp.GradScaler("cpu")
        >>> for x, y in loader:
        ...     optimizer.zero_grad()
        ...     loss = loss_fn(model(x), y)
        ...     scaler.scale(loss).backward()   # gradients of s·L
        ...     scaler.unscale_(optimizer)      # optional: gradients of L, e.g. to clip them
        ...     scaler.step(optimizer)          # skipped if a gradient is inf/NaN
        ...     scaler.update()                 # adapt s
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True):
        self._device = device
        self._enabled = enabled
        if device == "cuda" and enabled and cuda_device_count() == 0:
            warnings.warn("nnmath.amp.GradScaler('cuda') is enabled, but CUDA is not available "
                          "(nnmath.cuda.is_available() is False).  Disabling.", stacklevel=2)
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError(f"GradScaler: the growth factor must be > 1.0, got {growth_factor}")
            if backoff_factor >= 1.0:
                raise AssertionError(f"GradScaler: the backoff factor must be < 1.0, got {backoff_factor}")
            self._init_scale = init_scale
            self._scale = None
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker = None
            self._per_optimizer_states = collections.defaultdict(_fresh_optimizer_state)

    # --- scaling -------------------------------------------------------------------------------------

    def scale(self, outputs):
        """``outputs`` (a tensor, or a list/tuple/iterable of them, nested) times the scale s.

        Disabled, ``outputs`` is returned as it is."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale_tensor()
        if isinstance(outputs, collections.abc.Iterable):
            scaled = map(self.scale, outputs)
            return type(outputs)(scaled) if isinstance(outputs, (list, tuple)) else scaled
        raise ValueError(f"GradScaler.scale: outputs must be a Tensor or an iterable of Tensors, "
                         f"got {type(outputs).__name__}")

    def _scale_tensor(self) -> Tensor:
        if self._scale is None:
            self._scale = full((), self._init_scale, dtype=float32)
            self._growth_tracker = full((), self._init_growth_tracker, dtype=int32)
        return self._scale

    def _check_scale_growth_tracker(self, funcname: str) -> tuple[Tensor, Tensor]:
        if self._scale is None:
            raise AssertionError(f"GradScaler.{funcname}: the scale was never set; call scaler.scale(loss) "
                                 f"(and backward on it) earlier in the iteration")
        return self._scale, self._growth_tracker

    # --- unscaling and stepping ----------------------------------------------------------------------

    def _unscale_grads_(self, optimizer, inv_scale: float, allow_fp16: bool) -> dict:
        """Multiply every gradient of ``optimizer`` by ``inv_scale`` in place; {device: found_inf (0. or 1.)}."""
        found_inf = full((), 0.0, dtype=float32)
        with no_grad():
            for group in optimizer.param_groups:
                for param in group["params"]:
                    if param.grad is None:
                        continue
                    if not allow_fp16 and param.grad.dtype == float16:
                        raise ValueError("GradScaler: attempting to unscale FP16 gradients; keep the parameters "
                                         "(and so their gradients) in float32 and run the forward in float16")
                    if not np.isfinite(param.grad._data).all():
                        found_inf.fill_(1.0)
                    if inv_scale != 1.0:
                        param.grad.mul_(inv_scale)
        return {CPU: found_inf}

    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by the scale (multiply by float32(1/s)) and record whether any
        is inf/NaN. Optional: ``step`` does it when it was not called; at most once per ``update``."""
        if not self._enabled:
            return
        scale, _ = self._check_scale_growth_tracker("unscale_")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError("GradScaler.unscale_() has already been called on this optimizer since the last "
                               "update().")
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("GradScaler.unscale_() is being called after step(); call it before step().")
        inv_scale = float(np.float32(1.0 / float(scale.item())))
        state["found_inf_per_device"] = self._unscale_grads_(optimizer, inv_scale, allow_fp16=False)
        state["stage"] = OptState.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscale (unless ``unscale_`` was called) and run ``optimizer.step(*args, **kwargs)`` unless a
        gradient was inf/NaN; returns what ``optimizer.step`` returned (None when skipped)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("GradScaler.step: closure use is not supported when the GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("GradScaler.step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if not state["found_inf_per_device"]:
            raise AssertionError("GradScaler.step: no inf checks were recorded for this optimizer.")
        retval = None
        if not sum(found.item() for found in state["found_inf_per_device"].values()):
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    # --- adapting the scale ----------------------------------------------------------------------------

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Adapt the scale from this iteration's inf/NaN checks (see the module's docstring), or set it to
        ``new_scale``; then start a new iteration."""
        if not self._enabled:
            return
        scale, growth_tracker = self._check_scale_growth_tracker("update")
        if new_scale is not None:
            self._set_scale(scale, new_scale)
        else:
            found_infs = [found for state in self._per_optimizer_states.values()
                          for found in state["found_inf_per_device"].values()]
            if not found_infs:
                raise AssertionError("GradScaler.update: no inf checks were recorded prior to update(); call "
                                     "scaler.step(optimizer) (or scaler.unscale_(optimizer)) first.")
            self._update_scale(scale, growth_tracker, sum(found.item() for found in found_infs) > 0)
        self._per_optimizer_states = collections.defaultdict(_fresh_optimizer_state)

    def _set_scale(self, scale: Tensor, new_scale) -> None:
        if isinstance(new_scale, float):
            scale.fill_(new_scale)
            return
        if not (isinstance(new_scale, Tensor) and new_scale.numel() == 1 and not new_scale.requires_grad):
            raise AssertionError("GradScaler.update: new_scale should be a float or a 1-element tensor with "
                                 f"requires_grad=False, got {new_scale!r}")
        scale.copy_(new_scale.reshape(()))

    def _update_scale(self, scale: Tensor, growth_tracker: Tensor, found_inf: bool) -> None:
        """PyTorch's ``_amp_update_scale_``: the products are taken in double, then stored in float32."""
        if found_inf:
            scale.fill_(float(np.float32(scale.item() * self._backoff_factor)))
            growth_tracker.fill_(0)
            return
        successful = int(growth_tracker.item()) + 1
        if successful == self._growth_interval:
            grown = np.float32(scale.item() * self._growth_factor)
            if np.isfinite(grown):
                scale.fill_(float(grown))
            growth_tracker.fill_(0)
        else:
            growth_tracker.fill_(successful)

    # --- accessors and state ----------------------------------------------------------------------------

    def get_scale(self) -> float:
        """The current scale as a Python float (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale.item())

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        return self._init_growth_tracker if self._growth_tracker is None else int(self._growth_tracker.item())

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        """``scale``, ``growth_factor``, ``backoff_factor``, ``growth_interval``, ``_growth_tracker`` (PyTorch's
        keys); empty when disabled."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what :meth:`state_dict` returned (a no-op when disabled)."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("GradScaler.load_state_dict: the source state dict is empty, possibly because it "
                               "was saved from a disabled instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
            self._growth_tracker.fill_(state_dict["_growth_tracker"])

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        if self._enabled:
            if len(self._per_optimizer_states) != 0:
                raise AssertionError("A GradScaler may only be pickled at the beginning of an iteration, or at "
                                     "the end after scaler.update().")
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
