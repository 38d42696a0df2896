"""ASGD: SGD with a decaying step size and a running (Polyak) average of the iterates."""
from __future__ import annotations

import numpy as np

from nnmath.optim.optimizer import Optimizer, _advance, _check_at_least_zero, _check_lr, _new_buffer, _new_step
from nnmath.tensor import Tensor


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent (Polyak & Juditsky, 1992), as PyTorch computes it.

    With learning rate γ, decay λ, power α, averaging start t₀ and weight decay w:

    .. math::
        g_t &= \nabla_\theta f_t(\theta_{t-1}) + w\,\theta_{t-1} \quad(\text{negated first when } maximize) \\
        \theta_t &= (1 - \lambda\eta_{t-1})\,\theta_{t-1} - \eta_{t-1} g_t \\
        \bar\theta_t &= \begin{cases}\theta_t & \mu_{t-1} = 1\\
                        \bar\theta_{t-1} + \mu_{t-1}(\theta_t - \bar\theta_{t-1}) & \text{otherwise}\end{cases} \\
        \eta_t &= \gamma / (1 + \lambda\gamma t)^\alpha, \qquad \mu_t = 1 / \max(1, t - t_0)

    (η₀ = γ, μ₀ = 1; η and μ are stored as float32 scalars, as PyTorch's.)

    Args:
        params: tensors or parameter groups to optimize.
        lr: γ (default 1e-2). lambd: λ (default 1e-4). alpha: α (default 0.75). t0: t₀ (default 1e6).
        weight_decay: w (default 0). maximize: maximize the objective (default False).
        foreach, capturable, differentiable: accepted for PyTorch compatibility.

    State: ``step``, ``eta`` (η), ``mu`` (μ), ``ax`` (the average θ̄).

    Example::

        >>> w = nnmath.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = nnmath.optim.ASGD([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6,
                 weight_decay: float = 0, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False):
        _check_lr(lr)
        _check_at_least_zero("weight_decay value", weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _new_step(), "eta": Tensor._make(np.asarray(float(group["lr"]), np.float32)),
                "mu": Tensor._make(np.ones((), np.float32)), "ax": _new_buffer(param)}

    def _update(self, param, grad, state, group):
        t = _advance(state["step"])
        lambd, lr = group["lambd"], float(group["lr"])
        eta, mu, ax = state["eta"]._data, state["mu"]._data, state["ax"]._data
        eta_value = float(eta)
        param *= 1 - lambd * eta_value
        param -= eta_value * grad
        if float(mu) != 1:
            ax += (param - ax) * float(mu)
        else:
            ax[...] = param
        eta[...] = lr / ((1 + lambd * lr * t) ** group["alpha"])
        mu[...] = 1 / max(1, t - group["t0"])
