"""Numerical verification of derivatives: ``gradcheck`` and ``gradgradcheck``.

For f: ℝⁿ → ℝᵐ, the analytical Jacobian J (row i = the VJP of the i-th unit output vector) is
compared with central differences  J[:, j] ≈ (f(x + ε eⱼ) − f(x − ε eⱼ)) / 2ε, whose error is O(ε²).
In float64 with ε = 1e-6 that is ~1e-12 truncation plus ~1e-10 rounding, hence PyTorch's defaults
atol = 1e-5, rtol = 1e-3.

Every floating output of ``func`` is compared with every input that requires grad, one pair at a
time; an output that does not require grad has the analytical Jacobian 0, which the differences must
confirm. ``func`` must return the same number of floating outputs, of the same shapes, at every
perturbed point, or the check fails. ``fast_mode`` compares the scalars vᵀ J u for random u, v
(one VJP and one directional difference per pair) instead of whole Jacobians, as PyTorch does.

``gradgradcheck`` applies ``gradcheck`` to the map (x, v) ↦ VJP_f(x)(v) built with
``create_graph=True``; its finite differences evaluate that map with grad mode on (a VJP needs a graph).
"""
from __future__ import annotations

import warnings

import numpy as np

from nnmath.autograd.engine import grad as _grad
from nnmath.random import rng
from nnmath.tensor import Tensor


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _float_outputs(result):
    """The floating-point Tensors among ``func``'s outputs, in order."""
    return [o for o in _as_tuple(result) if isinstance(o, Tensor) and o._data.dtype.kind in "fc"]


def _differentiable(inputs):
    return [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]


def _flat_view(x):
    """A 1-D view of ``x``'s array, so that perturbing it perturbs the input."""
    flat = np.ravel(x._data, order="K")
    if flat.size and not np.shares_memory(flat, x._data):
        raise GradcheckError("gradcheck: inputs must be contiguous (C or Fortran order) to perturb them in place")
    return flat


def _values(func, inputs, shapes):
    """``func``'s floating outputs at ``inputs`` as array copies, checked against the unperturbed shapes."""
    outs = [o._data.copy() for o in _float_outputs(func(*inputs))]
    got = [o.shape for o in outs]
    if got != shapes:
        raise GradcheckError(f"gradcheck: the function returned floating outputs of shapes {got} at a perturbed "
                             f"input but {shapes} at the input itself; it must return the same outputs everywhere")
    return outs


def _central_difference(func, inputs, x, direction, eps, shapes):
    """(f(x + ε d) − f(x − ε d)) / 2ε for every floating output, perturbing input ``x`` along ``direction``."""
    flat = _flat_view(x)
    orig = flat.copy()
    flat += eps * direction
    plus = _values(func, inputs, shapes)
    flat[:] = orig - eps * direction
    minus = _values(func, inputs, shapes)
    flat[:] = orig
    return [((p - m) / (2 * eps)).reshape(-1) for p, m in zip(plus, minus)]


def get_numerical_jacobian(func, inputs, eps=1e-6):
    """Central-difference Jacobians: for each input that requires grad (None for the others), one
    (numel(output) × numel(input)) matrix per floating output."""
    inputs = _as_tuple(inputs)
    shapes = [o._data.shape for o in _float_outputs(func(*inputs))]
    jac = []
    for x in inputs:
        if not (isinstance(x, Tensor) and x.requires_grad):
            jac.append(None)
            continue
        n = x._data.size
        cols = [np.zeros((int(np.prod(s)), n)) for s in shapes]
        for j in range(n):
            e = np.zeros(n, dtype=x._data.dtype)
            e[j] = 1
            for k, d in enumerate(_central_difference(func, inputs, x, e, eps, shapes)):
                cols[k][:, j] = d
        jac.append(cols)
    return jac


def _vjp(output, diff_inputs, seed):
    """The gradients of ⟨seed, output⟩ with respect to ``diff_inputs`` (zeros where unused)."""
    if not output.requires_grad:
        return [np.zeros(x._data.size) for x in diff_inputs]
    grads = _grad([output], diff_inputs, [Tensor._make(seed)], retain_graph=True, allow_unused=True)
    return [np.zeros(x._data.size) if g is None else g._data.reshape(-1) for g, x in zip(grads, diff_inputs)]


def get_analytical_jacobian(func, inputs):
    """Jacobians from the VJPs: ``jac[input][output]`` is (numel(output) × numel(input)), for the inputs
    that require grad; also returns the floating outputs."""
    inputs = _as_tuple(inputs)
    outputs = _float_outputs(func(*inputs))
    diff_inputs = [inputs[i] for i in _differentiable(inputs)]
    jac = [[np.zeros((o._data.size, x._data.size)) for o in outputs] for x in diff_inputs]
    for k, o in enumerate(outputs):
        for i in range(o._data.size):
            seed = np.zeros(o._data.size, dtype=o._data.dtype)
            seed[i] = 1
            for xi, g in enumerate(_vjp(o, diff_inputs, seed.reshape(o._data.shape))):
                jac[xi][k][i, :] = g
    return jac, outputs


def _fail(msg, raise_exception):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def _check_inputs(inputs):
    idx = _differentiable(inputs)
    if not idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them do")
    for i in idx:
        if inputs[i]._data.dtype != np.float64:
            warnings.warn(f"gradcheck: input {i} is {inputs[i].dtype}, not float64: expect false failures",
                          stacklevel=3)
    return idx


def _slow_check(func, inputs, idx, eps, atol, rtol, raise_exception):
    analytical, outputs = get_analytical_jacobian(func, inputs)
    numerical = [n for n in get_numerical_jacobian(func, inputs, eps) if n is not None]
    if len(analytical) != len(idx) or len(numerical) != len(idx):
        return _fail(f"gradcheck: {len(analytical)} analytical and {len(numerical)} numerical Jacobians for "
                     f"{len(idx)} differentiable inputs", raise_exception)
    for j, (a_cols, n_cols) in zip(idx, zip(analytical, numerical)):
        if len(a_cols) != len(outputs) or len(n_cols) != len(outputs):
            return _fail(f"gradcheck: input {j}: {len(a_cols)} analytical and {len(n_cols)} numerical Jacobians "
                         f"for {len(outputs)} outputs", raise_exception)
        for k, (a, n) in enumerate(zip(a_cols, n_cols)):
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                err = np.abs(a - n)
                worst = np.unravel_index(np.argmax(err), err.shape)
                return _fail(f"gradcheck: Jacobian mismatch for output {k} with respect to input {j}:\n"
                             f"  worst entry {worst}: analytical {a[worst]:.10g}, numerical {n[worst]:.10g}\n"
                             f"  analytical:\n{a}\n  numerical:\n{n}", raise_exception)
    return True


def _fast_check(func, inputs, idx, eps, atol, rtol, raise_exception):
    """vᵀ J u for one random u per input and v per output: analytical by one VJP, numerical by one
    directional difference (PyTorch's fast mode)."""
    g = np.random.default_rng(0)
    outputs = _float_outputs(func(*inputs))
    shapes = [o._data.shape for o in outputs]
    diff_inputs = [inputs[i] for i in idx]
    us = [g.standard_normal(x._data.size) for x in diff_inputs]
    vs = [g.standard_normal(o._data.shape) for o in outputs]
    for k, (o, v) in enumerate(zip(outputs, vs)):
        vjps = _vjp(o, diff_inputs, v.astype(o._data.dtype))
        for j, x, u, vjp in zip(idx, diff_inputs, us, vjps):
            analytical = float(vjp @ u)
            numerical = float(_central_difference(func, inputs, x, u.astype(x._data.dtype), eps, shapes)[k]
                              @ v.reshape(-1))
            if abs(analytical - numerical) > atol + rtol * abs(numerical):
                return _fail(f"gradcheck (fast_mode): for output {k} and input {j}, vᵀJu is {analytical:.10g} "
                             f"analytically but {numerical:.10g} numerically (random directions u, v)",
                             raise_exception)
    return True


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None) -> bool:
    """Check the VJPs of ``func`` at ``inputs`` against central finite differences.

    Each floating output is compared with each input that requires grad (float64 expected: float32's
    rounding swamps ε = 1e-6). ``fast_mode`` compares vᵀJu along random directions instead of the
    whole Jacobians. Returns True, or raises :class:`GradcheckError` naming the output, the input and
    the worst entry (returns False instead when ``raise_exception=False``). Forward-mode and batched
    checks do not exist in nnmath: asking for them raises.
    """
    if check_forward_ad or check_batched_grad or check_batched_forward_grad or masked:
        raise NotImplementedError("gradcheck: nnmath has no forward-mode AD, batched gradients nor masked "
                                  "tensors; check_forward_ad, check_batched_grad, check_batched_forward_grad "
                                  "and masked must stay off")
    inputs = _as_tuple(inputs)
    idx = _check_inputs(inputs)
    if not check_backward_ad:
        return True
    check = _fast_check if fast_mode else _slow_check
    return check(func, inputs, idx, eps, atol, rtol, raise_exception)


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False) -> bool:
    """Check second derivatives: :func:`gradcheck` of the map (x, v) ↦ VJP_f(x)(v), whose gradients
    are built with ``create_graph=True``. ``grad_outputs`` v default to random normal tensors (one per
    output of ``func`` that requires grad); they are inputs of the checked map too, so the check covers
    ∂²f/∂x² v and the linearity in v. A backward that reads a value detached from the graph gives a
    VJP whose own derivative is wrong, and fails here."""
    if check_fwd_over_rev or check_batched_grad or masked:
        raise NotImplementedError("gradgradcheck: nnmath has no forward-mode AD, batched gradients nor masked "
                                  "tensors; check_fwd_over_rev, check_batched_grad and masked must stay off")
    inputs = _as_tuple(inputs)
    diff_idx = _check_inputs(inputs)
    outputs = [o for o in _float_outputs(func(*inputs)) if o.requires_grad]
    if not outputs:
        return _fail("gradgradcheck: no output of the function requires grad", raise_exception)
    if grad_outputs is None:
        g = rng(None)
        grad_outputs = [Tensor._make(_layout(g.standard_normal(o._data.shape).astype(o._data.dtype),
                                             gen_non_contig_grad_outputs)).requires_grad_() for o in outputs]
    grad_outputs = list(_as_tuple(grad_outputs))
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"gradgradcheck: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs that "
                         f"require grad")
    n_in = len(inputs)

    def vjp_fn(*args):
        xs, vs = args[:n_in], args[n_in:]
        outs = [o for o in _float_outputs(func(*xs)) if o.requires_grad]
        if len(outs) != len(vs):
            raise GradcheckError(f"gradgradcheck: the function returned {len(outs)} outputs that require grad at "
                                 f"a perturbed input, {len(vs)} at the input itself")
        diff = [xs[i] for i in diff_idx]
        grads = _grad(outs, diff, list(vs), create_graph=True, allow_unused=True)
        return tuple(Tensor._make(np.zeros_like(x._data)) if gx is None else gx for gx, x in zip(grads, diff))

    if not check_rev_over_rev:
        return True
    return gradcheck(vjp_fn, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, fast_mode=fast_mode)


def _layout(a, non_contiguous):
    """``a`` in Fortran order when asked for a non-contiguous (for C) gradient output."""
    return np.asfortranarray(a) if non_contiguous and a.ndim >= 2 else a
