"""RAdam: Adam with the variance of its adaptive learning rate rectified."""
from __future__ import annotations

import math

import numpy as np

from nnmath.optim.optimizer import (Optimizer, _adam_moments_, _check_at_least_zero, _check_betas, _check_lr,
                                    _new_buffer, _new_step)


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2020), as PyTorch computes it.

    With learning rate γ, betas (β₁, β₂), ε and weight decay λ:

    .. math::
        g_t &= \nabla_\theta f_t(\theta_{t-1}) + \lambda\theta_{t-1}
              \quad(\text{negated first when } maximize;\ \text{decoupled: }
              \theta_{t-1} \leftarrow (1-\gamma\lambda)\theta_{t-1}) \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        \hat m_t &= m_t / (1-\beta_1^t), \qquad
        \rho_\infty = \frac{2}{1-\beta_2} - 1, \qquad
        \rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t} \\
        \theta_t &= \begin{cases}
            \theta_{t-1} - \gamma\,\hat m_t\,\frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon}\,r_t,
              \quad r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}
              & \rho_t > 5 \\
            \theta_{t-1} - \gamma\,\hat m_t & \text{otherwise}
        \end{cases}

    Args:
        params: tensors or parameter groups to optimize.
        lr: γ (default 1e-3). betas: (β₁, β₂) (default (0.9, 0.999)). eps: ε (default 1e-8).
        weight_decay: λ (default 0). decoupled_weight_decay: AdamW-style decay (default False).
        maximize: maximize the objective (default False).
        foreach, capturable, differentiable: accepted for PyTorch compatibility.

    State: ``step``, ``exp_avg`` (m_t), ``exp_avg_sq`` (v_t).

    Example::

        >>> w = nnmath.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = nnmath.optim.RAdam([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False):
        _check_lr(lr)
        _check_at_least_zero("epsilon value", eps)
        _check_betas(betas)
        _check_at_least_zero("weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _new_step(), "exp_avg": _new_buffer(param), "exp_avg_sq": _new_buffer(param)}

    def _update(self, param, grad, state, group):
        t = _adam_moments_(param, grad, state, group)
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        corrected = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2 ** t) / bias_correction2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = bias_correction2 ** 0.5 / (np.sqrt(exp_avg_sq) + group["eps"])
            param -= corrected * lr * adaptive * rect
        else:
            param -= corrected * lr
