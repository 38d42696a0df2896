"""Adadelta: step sizes from running averages of squared gradients and squared updates."""
from __future__ import annotations

import numpy as np

from nnmath.optim.optimizer import Optimizer, _advance, _check_at_least_zero, _check_lr, _new_buffer, _new_step


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012).

    With learning rate γ, decay ρ, ε and weight decay λ:

    .. math::
        g_t &= \nabla_\theta f_t(\theta_{t-1}) + \lambda\theta_{t-1}
              \quad(\text{negated first when } maximize) \\
        v_t &= \rho v_{t-1} + (1-\rho) g_t^2 \\
        \Delta x_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t \\
        u_t &= \rho u_{t-1} + (1-\rho) \Delta x_t^2 \\
        \theta_t &= \theta_{t-1} - \gamma \Delta x_t

    Args:
        params: tensors or parameter groups to optimize.
        lr: γ, scales Δx (default 1.0). rho: ρ (default 0.9). eps: ε (default 1e-6).
        weight_decay: λ (default 0). maximize: maximize the objective (default False).
        foreach, capturable, differentiable: accepted for PyTorch compatibility.

    State: ``step``, ``square_avg`` (v_t), ``acc_delta`` (u_t).
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0,
                 foreach: bool | None = None, *, capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_at_least_zero("epsilon value", eps)
        _check_at_least_zero("weight_decay value", weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _new_step(), "square_avg": _new_buffer(param), "acc_delta": _new_buffer(param)}

    def _update(self, param, grad, state, group):
        _advance(state["step"])
        rho, eps = group["rho"], group["eps"]
        square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        delta = np.sqrt(acc_delta + eps)
        delta /= np.sqrt(square_avg + eps)
        delta *= grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        delta *= float(group["lr"])
        param -= delta
