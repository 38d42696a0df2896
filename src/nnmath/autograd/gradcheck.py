"""Numerical verification of derivatives: ``gradcheck`` and ``gradgradcheck``.

For f: ℝⁿ → ℝᵐ, the analytical Jacobian J (row i = the VJP of the i-th unit output vector) is
compared with central differences  J[:, j] ≈ (f(x + ε eⱼ) − f(x − ε eⱼ)) / 2ε, whose error is O(ε²).
In float64 with ε = 1e-6 that is ~1e-12 truncation plus ~1e-10 rounding, hence PyTorch's defaults
atol = 1e-5, rtol = 1e-3.
"""
from __future__ import annotations

import numpy as np

from nnmath.autograd.engine import grad as _grad
from nnmath.autograd.grad_mode import no_grad
from nnmath.random import rng
from nnmath.tensor import Tensor


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def get_numerical_jacobian(func, inputs, eps=1e-6):
    """Central-difference Jacobians: one (numel(output) × numel(input)) matrix per (input, output)."""
    inputs = _as_tuple(inputs)
    with no_grad():
        outputs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]
    jac = []
    for x in inputs:
        if not (isinstance(x, Tensor) and x.requires_grad):
            jac.append(None)
            continue
        flat = x._data.reshape(-1)
        if not np.shares_memory(flat, x._data) and flat.size:
            raise GradcheckError("gradcheck: inputs must be contiguous to perturb them in place")
        cols = [np.zeros((o._data.size, flat.size)) for o in outputs]
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            with no_grad():
                plus = [o._data.copy() for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]
            flat[j] = orig - eps
            with no_grad():
                minus = [o._data.copy() for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]
            flat[j] = orig
            for k, (p, m) in enumerate(zip(plus, minus)):
                cols[k][:, j] = ((p - m) / (2 * eps)).reshape(-1)
        jac.append(cols)
    return jac


def get_analytical_jacobian(func, inputs):
    inputs = _as_tuple(inputs)
    outputs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    jac = [[np.zeros((o._data.size, x._data.size)) for o in outputs] for x in diff_inputs]
    for k, o in enumerate(outputs):
        if not o.requires_grad:
            continue
        for i in range(o._data.size):
            seed = np.zeros(o._data.size, dtype=o._data.dtype)
            seed[i] = 1
            grads = _grad([o], diff_inputs, [Tensor._make(seed.reshape(o._data.shape))],
                          retain_graph=True, allow_unused=True)
            for xi, g in enumerate(grads):
                if g is not None:
                    jac[xi][k][i, :] = g._data.reshape(-1)
    return jac, outputs


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, fast_mode=False, **_ignored) -> bool:
    """Check the VJPs of ``func`` at ``inputs`` against central finite differences.

    ``inputs`` that require grad should be float64 (float32's rounding swamps ε = 1e-6).
    Returns True, or raises :class:`GradcheckError` naming the input, output and worst entry.
    """
    inputs = _as_tuple(inputs)
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x._data.dtype != np.float64:
            import warnings
            warnings.warn(f"gradcheck: input {i} is {x.dtype}, not float64: expect false failures", stacklevel=2)
    analytical, outputs = get_analytical_jacobian(func, inputs)
    numerical = [n for n in get_numerical_jacobian(func, inputs, eps) if n is not None]
    for xi, (a_cols, n_cols) in enumerate(zip(analytical, numerical)):
        for k, (a, n) in enumerate(zip(a_cols, n_cols)):
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                err = np.abs(a - n)
                idx = np.unravel_index(np.argmax(err), err.shape)
                msg = (f"gradcheck: Jacobian mismatch for output {k} with respect to input {xi}:\n"
                       f"  worst entry {idx}: analytical {a[idx]:.10g}, numerical {n[idx]:.10g}\n"
                       f"  analytical:\n{a}\n  numerical:\n{n}")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, **_ignored) -> bool:
    """Check second derivatives: gradcheck of the map (inputs, v) ↦ VJP(v) built with create_graph."""
    inputs = _as_tuple(inputs)
    with no_grad():
        outputs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o._data.dtype.kind == "f"]
    if grad_outputs is None:
        g = rng(None)
        grad_outputs = [Tensor._make(g.standard_normal(o._data.shape).astype(o._data.dtype)).requires_grad_()
                        for o in outputs]
    grad_outputs = list(_as_tuple(grad_outputs))
    n_in = len(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def vjp_fn(*args):
        xs, vs = args[:n_in], args[n_in:]
        outs = [o for o in _as_tuple(func(*xs)) if isinstance(o, Tensor) and o.requires_grad]
        diff = [xs[i] for i in diff_idx]
        grads = _grad(outs, diff, list(vs)[:len(outs)], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(vjp_fn, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
