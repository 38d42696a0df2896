"""Adamax: Adam with the infinity norm in place of the second moment."""
from __future__ import annotations

import numpy as np

from nnmath.optim.optimizer import (Optimizer, _advance, _check_at_least_zero, _check_betas, _check_lr, _factor,
                                    _lerp_, _new_buffer, _new_step)


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2015, section 7.1).

    With learning rate γ, betas (β₁, β₂), ε and weight decay λ:

    .. math::
        g_t &= \nabla_\theta f_t(\theta_{t-1}) + \lambda\theta_{t-1}
              \quad(\text{negated first when } maximize) \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t \\
        u_t &= \max(\beta_2 u_{t-1},\ |g_t| + \epsilon) \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\,\frac{m_t}{u_t}

    Args:
        params: tensors or parameter groups to optimize.
        lr: γ (default 2e-3). betas: (β₁, β₂) (default (0.9, 0.999)). eps: ε (default 1e-8).
        weight_decay: λ (default 0). maximize: maximize the objective (default False).
        foreach, differentiable, capturable: accepted for PyTorch compatibility.

    State: ``step``, ``exp_avg`` (m_t), ``exp_inf`` (u_t).
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False):
        _check_lr(lr)
        _check_at_least_zero("epsilon value", eps)
        _check_betas(betas)
        _check_at_least_zero("weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _new_step(), "exp_avg": _new_buffer(param), "exp_inf": _new_buffer(param)}

    def _update(self, param, grad, state, group):
        t = _advance(state["step"])
        beta1, beta2 = group["betas"]
        exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_inf *= beta2
        bounded_grad = np.abs(grad)
        bounded_grad += group["eps"]
        np.maximum(exp_inf, bounded_grad, out=exp_inf)
        step = np.divide(exp_avg, exp_inf, out=bounded_grad)
        step *= _factor(float(group["lr"]) / (1 - beta1 ** t), step)
        param -= step
