"""RMSprop: gradients divided by a running root-mean-square, optionally centered and with momentum."""
from __future__ import annotations

import numpy as np

from nnmath.optim.optimizer import (Optimizer, _advance, _check_at_least_zero, _check_lr, _lerp_, _new_buffer,
                                    _new_step)


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, lecture 6e), with PyTorch's centered and momentum variants.

    With learning rate γ, smoothing α, ε, weight decay λ and momentum μ:

    .. math::
        g_t &= \nabla_\theta f_t(\theta_{t-1}) + \lambda\theta_{t-1}
              \quad(\text{negated first when } maximize) \\
        v_t &= \alpha v_{t-1} + (1-\alpha) g_t^2 \\
        \tilde v_t &= v_t - \bar g_t^2,\quad \bar g_t = \alpha \bar g_{t-1} + (1-\alpha) g_t
              \quad(\text{centered; otherwise } \tilde v_t = v_t) \\
        b_t &= \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon),
              \qquad \theta_t = \theta_{t-1} - \gamma b_t \quad(\mu > 0) \\
        \theta_t &= \theta_{t-1} - \gamma\, g_t / (\sqrt{\tilde v_t} + \epsilon) \quad(\mu = 0)

    Args:
        params: tensors or parameter groups to optimize.
        lr: γ (default 1e-2). alpha: α (default 0.99). eps: ε (default 1e-8).
        weight_decay: λ (default 0). momentum: μ (default 0).
        centered: normalise by an estimate of the gradient's variance (default False).
        maximize: maximize the objective (default False).
        capturable, foreach, differentiable: accepted for PyTorch compatibility.

    State: ``step``, ``square_avg`` (v_t), ``momentum_buffer`` (μ > 0), ``grad_avg`` (centered).
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False):
        _check_lr(lr)
        _check_at_least_zero("epsilon value", eps)
        _check_at_least_zero("momentum value", momentum)
        _check_at_least_zero("weight_decay value", weight_decay)
        _check_at_least_zero("alpha value", alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        state = {"step": _new_step(), "square_avg": _new_buffer(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = _new_buffer(param)
        if group["centered"]:
            state["grad_avg"] = _new_buffer(param)
        return state

    def _update(self, param, grad, state, group):
        _advance(state["step"])
        alpha, lr = group["alpha"], float(group["lr"])
        square_avg = state["square_avg"]._data
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]._data
            _lerp_(grad_avg, grad, 1 - alpha)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += group["eps"]
        step = np.divide(grad, avg, out=avg)
        if group["momentum"] > 0:
            momentum_buf = state["momentum_buffer"]._data
            momentum_buf *= group["momentum"]
            momentum_buf += step
            step = momentum_buf * lr
        else:
            step *= lr
        param -= step
