"""NAdam: Adam with Nesterov momentum and a momentum schedule."""
from __future__ import annotations

import numpy as np

from nnmath.optim.optimizer import (Optimizer, _advance, _check_at_least_zero, _check_betas, _check_lr, _factor,
                                    _lerp_, _new_buffer, _new_step)
from nnmath.tensor import Tensor


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), in PyTorch's formulation with the momentum schedule μ_t.

    With learning rate γ, betas (β₁, β₂), ε, weight decay λ and momentum decay ψ:

    .. math::
        g_t &= \nabla_\theta f_t(\theta_{t-1}) + \lambda\theta_{t-1}
              \quad(\text{negated first when } maximize;\ \text{decoupled: }
              \theta_{t-1} \leftarrow (1-\gamma\lambda)\theta_{t-1}) \\
        \mu_t &= \beta_1\left(1 - \tfrac12\, 0.96^{t\psi}\right), \qquad
        \mu_{t+1} = \beta_1\left(1 - \tfrac12\, 0.96^{(t+1)\psi}\right) \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        \hat v_t &= v_t / (1-\beta_2^t) \\
        \theta_t &= \theta_{t-1}
            - \gamma\,\frac{1-\mu_t}{1-\prod_{i=1}^{t}\mu_i}\,\frac{g_t}{\sqrt{\hat v_t}+\epsilon}
            - \gamma\,\frac{\mu_{t+1}}{1-\prod_{i=1}^{t+1}\mu_i}\,\frac{m_t}{\sqrt{\hat v_t}+\epsilon}

    Args:
        params: tensors or parameter groups to optimize.
        lr: γ (default 2e-3). betas: (β₁, β₂) (default (0.9, 0.999)). eps: ε (default 1e-8).
        weight_decay: λ (default 0). momentum_decay: ψ (default 4e-3).
        decoupled_weight_decay: NAdamW-style decay (default False).
        maximize: maximize the objective (default False).
        foreach, capturable, differentiable: accepted for PyTorch compatibility.

    State: ``step``, ``mu_product`` (∏ μ_i, a float32 scalar as in PyTorch), ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False,
                 *, foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):
        _check_lr(lr)
        _check_at_least_zero("epsilon value", eps)
        _check_betas(betas)
        _check_at_least_zero("weight_decay value", weight_decay)
        _check_at_least_zero("momentum_decay value", momentum_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _new_step(), "mu_product": Tensor._make(np.ones((), np.float32)),
                "exp_avg": _new_buffer(param), "exp_avg_sq": _new_buffer(param)}

    def _update(self, param, grad, state, group):
        t = _advance(state["step"])
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        momentum_decay = group["momentum_decay"]
        if group["decoupled_weight_decay"] and group["weight_decay"] != 0:
            param *= 1 - lr * group["weight_decay"]
        mu = beta1 * (1.0 - 0.5 * np.power(0.96, t * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * np.power(0.96, (t + 1) * momentum_decay))
        mu_product = state["mu_product"]._data
        mu_product *= _factor(mu, mu_product)
        mu_product_now = mu_product.astype(np.float64)
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        denom = np.sqrt(exp_avg_sq / _factor(1 - beta2 ** t, exp_avg_sq))
        denom += group["eps"]
        param -= _factor(lr * (1.0 - mu) / (1.0 - mu_product_now), grad) * grad / denom
        param -= _factor(lr * mu_next / (1.0 - mu_product_now * mu_next), exp_avg) * exp_avg / denom
