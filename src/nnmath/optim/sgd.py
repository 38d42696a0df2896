"""Stochastic gradient descent, with optional (Nesterov) momentum."""
from __future__ import annotations

from nnmath.optim.optimizer import Optimizer, _check_at_least_zero, _check_lr
from nnmath.tensor import Tensor


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum).

    With learning rate γ, momentum μ, dampening τ and weight decay λ, at step t:

    .. math::
        g_t &= \nabla_\theta f_t(\theta_{t-1}) + \lambda\theta_{t-1}
              \quad(\text{negated first when } maximize) \\
        b_t &= \begin{cases} g_t & t = 1 \\ \mu b_{t-1} + (1-\tau) g_t & t > 1 \end{cases} \\
        g_t &\leftarrow \begin{cases} g_t + \mu b_t & nesterov \\ b_t & \text{otherwise}
              \end{cases} \quad(\text{when } \mu \ne 0) \\
        \theta_t &= \theta_{t-1} - \gamma g_t

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate γ (default 1e-3).
        momentum: momentum factor μ (default 0).
        dampening: dampening τ of the momentum (default 0).
        weight_decay: L2 penalty λ (default 0).
        nesterov: use Nesterov momentum (default False).
        maximize: maximize the objective instead of minimizing it (default False).
        foreach, differentiable, fused: accepted for PyTorch compatibility; the NumPy update is one
            in-place pass per parameter, and a differentiable step is not supported.

    State: ``momentum_buffer`` (b_t) per parameter when μ ≠ 0.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None):
        _check_lr(lr)
        _check_at_least_zero("momentum value", momentum)
        _check_at_least_zero("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"SGD: Nesterov momentum requires a momentum and zero dampening, got momentum={momentum}, "
                             f"dampening={dampening}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        # the buffer starts as a copy of the first gradient, so it is created in the first update
        return {"momentum_buffer": None} if group["momentum"] != 0 else {}

    def _update(self, param, grad, state, group):
        momentum = group["momentum"]
        if momentum != 0:
            buffer = state["momentum_buffer"]
            if buffer is None:
                state["momentum_buffer"] = Tensor._make(grad.copy())
                momentum_buf = state["momentum_buffer"]._data
            else:
                momentum_buf = buffer._data
                momentum_buf *= momentum
                dampening = group["dampening"]
                momentum_buf += grad if dampening == 0 else (1 - dampening) * grad
            grad = grad + momentum * momentum_buf if group["nesterov"] else momentum_buf
        param -= float(group["lr"]) * grad
