"""Adam: adaptive moment estimation, with AMSGrad and (optionally) decoupled weight decay."""
from __future__ import annotations

import numpy as np

from nnmath.optim.optimizer import (Optimizer, _adam_moments_, _check_at_least_zero, _check_betas, _check_lr,
                                    _factor, _new_buffer, _new_step)


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), with the AMSGrad variant.

    With learning rate γ, betas (β₁, β₂), ε and weight decay λ, at step t = 1, 2, ...:

    .. math::
        g_t &= \nabla_\theta f_t(\theta_{t-1}) + \lambda\theta_{t-1}
              \quad(\text{negated first when } maximize;\ \text{with decoupled decay instead }
              \theta_{t-1} \leftarrow (1-\gamma\lambda)\theta_{t-1}) \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t \\
        v_t &= \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \ \text{(amsgrad)}, \quad v_t \text{ otherwise} \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\,
                    \frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    m₀ = v₀ = 0; ε is added outside the square root.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate γ (default 1e-3).
        betas: (β₁, β₂), decay rates of the first and second moment averages (default (0.9, 0.999)).
        eps: ε, added to the denominator for numerical stability (default 1e-8).
        weight_decay: λ (default 0).
        amsgrad: use the running maximum of v_t (default False).
        maximize: maximize the objective (default False).
        decoupled_weight_decay: shrink θ directly instead of adding λθ to the gradient (AdamW).
        foreach, capturable, differentiable, fused: accepted for PyTorch compatibility.

    State: ``step`` (t), ``exp_avg`` (m_t), ``exp_avg_sq`` (v_t), ``max_exp_avg_sq`` (amsgrad).
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False):
        _check_lr(lr)
        _check_at_least_zero("epsilon value", eps)
        _check_betas(betas)
        _check_at_least_zero("weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        state = {"step": _new_step(), "exp_avg": _new_buffer(param), "exp_avg_sq": _new_buffer(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _new_buffer(param)
        return state

    def _update(self, param, grad, state, group):
        t = _adam_moments_(param, grad, state, group)
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        second_moment = exp_avg_sq
        if group["amsgrad"]:
            second_moment = state["max_exp_avg_sq"]._data
            np.maximum(second_moment, exp_avg_sq, out=second_moment)
        denom = np.sqrt(second_moment)
        denom /= _factor(np.sqrt(1 - beta2 ** t), denom)
        denom += group["eps"]
        step = np.divide(exp_avg, denom, out=denom)
        step *= _factor(lr / (1 - beta1 ** t), step)
        param -= step
