"""Adagrad: per-coordinate learning rates from the accumulated squared gradients."""
from __future__ import annotations

import numpy as np

from nnmath.optim.optimizer import (Optimizer, _advance, _check_at_least_zero, _check_lr, _factor, _new_buffer,
                                    _new_step)


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011).

    With learning rate γ, learning-rate decay η, weight decay λ, initial accumulator value s₀ and ε:

    .. math::
        g_t &= \nabla_\theta f_t(\theta_{t-1}) + \lambda\theta_{t-1}
              \quad(\text{negated first when } maximize) \\
        \tilde\gamma_t &= \gamma / (1 + (t-1)\eta) \\
        s_t &= s_{t-1} + g_t^2 \\
        \theta_t &= \theta_{t-1} - \tilde\gamma_t\, \frac{g_t}{\sqrt{s_t} + \epsilon}

    Args:
        params: tensors or parameter groups to optimize.
        lr: γ (default 1e-2). lr_decay: η (default 0). weight_decay: λ (default 0).
        initial_accumulator_value: s₀ (default 0). eps: ε (default 1e-10).
        maximize: maximize the objective (default False).
        foreach, differentiable, fused: accepted for PyTorch compatibility.

    State: ``step`` (t) and ``sum`` (s_t), created when the optimizer is, as in PyTorch.
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None):
        _check_lr(lr)
        _check_at_least_zero("lr_decay value", lr_decay)
        _check_at_least_zero("weight_decay value", weight_decay)
        _check_at_least_zero("initial_accumulator_value value", initial_accumulator_value)
        _check_at_least_zero("epsilon value", eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                self.state[param] = self._init_state(param._data, group)

    def _init_state(self, param, group):
        return {"step": _new_step(), "sum": _new_buffer(param, group["initial_accumulator_value"])}

    def _update(self, param, grad, state, group):
        t = _advance(state["step"])
        decayed_lr = float(group["lr"]) / (1 + (t - 1) * group["lr_decay"])
        accumulator = state["sum"]._data
        accumulator += grad * grad
        std = np.sqrt(accumulator)
        std += group["eps"]
        step = np.divide(grad, std, out=std)
        step *= _factor(decayed_lr, step)
        param -= step
