"""``Optimizer``: parameter groups, per-parameter state, ``state_dict`` and the shared update loop.

Every first-order optimizer in :mod:`nnmath.optim` is the same loop: for each parameter with a gradient,
form the effective gradient (negated when ``maximize``, plus ``weight_decay * θ`` when the decay is
coupled), create the state on first use, then apply the optimizer's rule to the NumPy arrays in place.
A subclass only writes ``_init_state`` and ``_update``. The updates touch ``p._data`` directly, so they
are never recorded by autograd and cost no graph bookkeeping; ``p._vc`` is bumped so that autograd still
notices a parameter that a saved graph needed was changed.
"""
from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from itertools import chain

import numpy as np

from nnmath.autograd.grad_mode import enable_grad
from nnmath.tensor import Tensor


class _RequiredParameter:
    """Marks a hyperparameter that every parameter group must give (e.g. a custom optimizer's lr)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter groups,
            each with a ``"params"`` entry and optional per-group hyperparameters).
        defaults: the hyperparameters a group gets when it does not set them.
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        if defaults.get("differentiable"):
            raise NotImplementedError("differentiable=True (recording the optimizer step for autograd) "
                                      "is not supported by nnmath")
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or "
                            f"dicts, but got {type(params).__name__}")
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # --- parameter groups ----------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (with its own hyperparameters), e.g. layers unfrozen mid-training."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the "
                            "ordering of tensors in sets will change between runs. Please use a list instead.")
        params = list(params)
        if params and isinstance(params[0], tuple):
            param_group["param_names"] = [name for name, _ in params]
            params = [param for _, param in params]
        param_group["params"] = params
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(param).__module__}.{type(param).__name__}")
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization "
                                 f"parameter {name}")
            param_group.setdefault(name, default)
        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, "
                          "this will cause an error", stacklevel=3)
        existing = set(chain.from_iterable(group["params"] for group in self.param_groups))
        if not existing.isdisjoint(params):
            raise ValueError(f"{type(self).__name__}.add_param_group: some parameters appear in more than one "
                             f"parameter group")
        self.param_groups.append(param_group)

    # --- the update ----------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set ``.grad`` to None (default), or fill it with zeros."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                    continue
                if param.grad.grad_fn is not None:
                    param.grad = param.grad.detach()
                else:
                    param.grad.requires_grad_(False)
                param.grad._data.fill(0)
                param.grad._vc.value += 1

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` (re-evaluating the loss with grad
        enabled) is called first when given, and its loss returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state.get(param)
                if state is None:
                    state = self._init_state(param._data, group)
                    if state:  # an optimizer without state (SGD without momentum) stores none, as PyTorch
                        self.state[param] = state
                if param.grad._data.shape != param._data.shape:
                    raise RuntimeError(f"{type(self).__name__}.step: the gradient of shape {tuple(param.grad.shape)} "
                                       f"does not match its parameter of shape {tuple(param.shape)}")
                grad = _effective_grad(param._data, param.grad._data, group)
                self._update(param._data, grad, state, group)
                param._vc.value += 1
        return loss

    def _init_state(self, param: np.ndarray, group: dict) -> dict:
        """The state of ``param`` before its first update."""
        return {}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        """Apply the rule to ``param`` in place; ``grad`` already includes maximize and coupled decay."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # --- saving and resuming -------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``, PyTorch's format:
        parameters are numbered in order over the groups, and the state refers to them by number."""
        index_of: dict[int, int] = {}
        param_groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for param in group["params"]:
                index_of.setdefault(id(param), len(index_of))
            packed["params"] = [index_of[id(param)] for param in group["params"]]
            param_groups.append(packed)
        state = {(index_of[id(key)] if isinstance(key, Tensor) else key): value
                 for key, value in self.state.items()}
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Resume from :meth:`state_dict`: the state is copied (floating-point buffers cast to their
        parameter's dtype, ``step`` kept as saved) and the hyperparameters replaced by the saved ones."""
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(self.param_groups) != len(saved_groups):
            raise ValueError(f"{type(self).__name__}.load_state_dict: loaded state dict has a different number of "
                             f"parameter groups ({len(saved_groups)}) than the optimizer "
                             f"({len(self.param_groups)})")
        if any(len(group["params"]) != len(saved["params"])
               for group, saved in zip(self.param_groups, saved_groups)):
            raise ValueError(f"{type(self).__name__}.load_state_dict: loaded state dict contains a parameter group "
                             f"that doesn't match the size of optimizer's group (sizes "
                             f"{[len(saved['params']) for saved in saved_groups]} saved, "
                             f"{[len(group['params']) for group in self.param_groups]} here)")
        param_of = dict(zip(chain.from_iterable(saved["params"] for saved in saved_groups),
                            chain.from_iterable(group["params"] for group in self.param_groups)))
        state = defaultdict(dict)
        for index, value in state_dict["state"].items():
            if index in param_of:
                param = param_of[index]
                state[param] = _copy_to_param(param, value)
            else:
                state[index] = copy.deepcopy(value)
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.state = state
        self.param_groups = saved_groups
        for group in self.param_groups:
            for name, default in self.defaults.items():
                group.setdefault(name, default)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        return "\n".join(lines) + "\n)"


def _effective_grad(param: np.ndarray, grad: np.ndarray, group: dict) -> np.ndarray:
    """The gradient an update uses: −g when maximizing, plus λθ for coupled weight decay.

    ``param.grad`` itself is never modified, as in PyTorch.
    """
    if group.get("maximize", False):
        grad = np.negative(grad)
    weight_decay = group.get("weight_decay", 0)
    if weight_decay != 0 and not group.get("decoupled_weight_decay", False):
        grad = grad + weight_decay * param
    return grad


# Scalar counters keep their saved dtype. PyTorch exempts only ``step``; it also casts NAdam's float32
# ``mu_product`` and ASGD's ``eta`` and ``mu`` to the parameter's dtype, after which a resumed run no longer
# matches a straight one.
_SCALAR_STATE_KEYS = frozenset({"step", "mu_product", "eta", "mu"})


def _copy_to_param(param: Tensor, value, key=None):
    """A deep copy of a saved state value; buffers take ``param``'s float dtype, scalar counters do not."""
    if isinstance(value, Tensor):
        array = value._data
        if key not in _SCALAR_STATE_KEYS and param._data.dtype.kind == "f" and array.dtype.kind == "f":
            array = array.astype(param._data.dtype)
        return Tensor._make(array.copy())
    if isinstance(value, dict):
        return {k: _copy_to_param(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_to_param(param, v) for v in value)
    return copy.deepcopy(value)


# --- helpers shared by the optimizers ----------------------------------------------------------
def _new_buffer(param: np.ndarray, fill: float = 0.0) -> Tensor:
    """A state buffer shaped and typed like ``param`` (so float32 parameters keep float32 state)."""
    return Tensor._make(np.full_like(param, fill))


def _new_step() -> Tensor:
    """The step counter, a 0-d float32 tensor as PyTorch stores it."""
    return Tensor._make(np.zeros((), np.float32))


def _advance(step: Tensor) -> np.ndarray:
    """Increment the step counter in place and return t (starting at 1) as a 0-d float64 array.

    Factors that depend on t (bias corrections) are computed from this array with NumPy, never from a
    Python float, so that a compiled training step (``nnmath.compile``) computes them again at each
    call; :func:`_factor` then gives each one the dtype of the array it scales."""
    step._data += 1
    return step._data.astype(np.float64)


def _factor(value, like: np.ndarray):
    """A float64 factor in ``like``'s dtype: the value a Python float takes in an operation with
    ``like`` (NumPy rounds a Python float to the array's dtype), kept a NumPy scalar or array."""
    return value.astype(like.dtype)


def _lerp_(buffer: np.ndarray, target: np.ndarray, weight: float) -> None:
    """buffer ← buffer + w (target − buffer), in place: an exponential moving average."""
    buffer += weight * (target - buffer)


def _adam_moments_(param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> np.ndarray:
    """The first half of an Adam-family step, in place: t ← t + 1, decoupled weight decay
    θ ← (1 − γλ)θ when asked, m ← β₁m + (1 − β₁)g and v ← β₂v + (1 − β₂)g². Returns t."""
    t = _advance(state["step"])
    beta1, beta2 = group["betas"]
    if group["decoupled_weight_decay"] and group["weight_decay"] != 0:
        param *= 1 - float(group["lr"]) * group["weight_decay"]
    _lerp_(state["exp_avg"]._data, grad, 1 - beta1)
    exp_avg_sq = state["exp_avg_sq"]._data
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * grad * grad
    return t


def _check_at_least_zero(description: str, value) -> None:
    if not 0.0 <= value:
        raise ValueError(f"Invalid {description}: {value}")


def _check_lr(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    _check_at_least_zero("learning rate", lr)


def _check_betas(betas) -> None:
    for index, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")
