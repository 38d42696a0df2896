"""Rprop: steps of a per-element size, grown while the gradient keeps its sign and shrunk when it flips."""
from __future__ import annotations

import numpy as np

from nnmath.optim.optimizer import Optimizer, _advance, _check_lr, _new_buffer, _new_step


class Rprop(Optimizer):
    r"""Resilient backpropagation (Riedmiller & Braun, 1993), as PyTorch computes it.

    With etas (η⁻, η⁺) and step-size bounds (Γ_min, Γ_max), elementwise:

    .. math::
        s &= \operatorname{sign}(g_t\,g_{t-1}), \qquad
        \eta_t = \eta_{t-1}\cdot\begin{cases}\eta^+ & s > 0\\ \eta^- & s < 0\\ 1 & s = 0\end{cases}
        \ \text{clamped to } [\Gamma_{min}, \Gamma_{max}] \\
        g_t &\leftarrow 0 \ \text{where } s < 0, \qquad
        \theta_t = \theta_{t-1} - \eta_t\,\operatorname{sign}(g_t), \qquad g_{t-1} \leftarrow g_t

    (g negated first when ``maximize``; η₀ = lr.)

    Args:
        params: tensors or parameter groups to optimize.
        lr: the initial step size η₀ (default 1e-2). etas: (η⁻, η⁺) (default (0.5, 1.2)).
        step_sizes: (Γ_min, Γ_max) (default (1e-6, 50)). maximize: maximize the objective (default False).
        foreach, capturable, differentiable: accepted for PyTorch compatibility.

    State: ``step``, ``prev`` (g_{t-1}), ``step_size`` (η_t).

    Example::

        >>> w = nnmath.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = nnmath.optim.Rprop([w])
        >>> (w ** 2).sum().backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False):
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _new_step(), "prev": _new_buffer(param), "step_size": _new_buffer(param, float(group["lr"]))}

    def _update(self, param, grad, state, group):
        _advance(state["step"])
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        prev, step_size = state["prev"]._data, state["step_size"]._data
        sign = np.sign(grad * prev)
        factor = np.where(sign > 0, etaplus, np.where(sign < 0, etaminus, 1.0)).astype(param.dtype)
        step_size *= factor
        np.clip(step_size, step_size_min, step_size_max, out=step_size)
        grad = np.where(sign < 0, 0, grad).astype(param.dtype)
        param -= np.sign(grad) * step_size
        prev[...] = grad
