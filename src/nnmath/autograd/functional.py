"""Jacobian-vector machinery of a function f: vjp, jvp, jacobian, hessian, hvp.

- vjp(f, x, v)   = (f(x), vᵀ J)                   one backward pass
- jvp(f, x, u)   = (f(x), J u)                    by the double-VJP trick: J u = ∂/∂v ⟨vᵀJ, u⟩
- jacobian(f, x) = J                              one VJP per output element
- hessian(f, x)  = ∇²f                            the Jacobian of the gradient
- hvp(f, x, v)   = (f(x), ∇²f v)                  gradient of ⟨∇f, v⟩
"""
from __future__ import annotations

import numpy as np

from nnmath.autograd.engine import grad
from nnmath.autograd.grad_mode import enable_grad
from nnmath.ops.shape import reshape, stack
from nnmath.tensor import Tensor


def _tuple(x):
    return (tuple(x), True) if isinstance(x, (tuple, list)) else ((x,), False)


def _outputs(out, op):
    """``func``'s outputs as a tuple (and whether they were one): Tensors only, as PyTorch requires."""
    outs, is_tuple = _tuple(out)
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"{op}: the outputs of the user-provided function must be a Tensor or a tuple of "
                            f"Tensors, but the function returned a {type(o).__name__}")
    return outs, is_tuple


def _prepare(inputs):
    xs, is_tuple = _tuple(inputs)
    return tuple(Tensor._make(x._data.copy()).requires_grad_() for x in xs), is_tuple


def _fill_unused(grads, like, create_graph):
    return tuple(Tensor._make(np.zeros_like(x._data)) if g is None else (g if create_graph else g.detach())
                 for g, x in zip(grads, like))


def _untuple(x, is_tuple):
    return x if is_tuple else x[0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(f(x), vᵀ·∂f/∂x)."""
    xs, in_tuple = _prepare(inputs)
    with enable_grad():
        out = func(*xs)
        outs, out_tuple = _outputs(out, "vjp")
        vs = _tuple(v)[0] if v is not None else None
        gs = grad(outs, xs, vs, create_graph=create_graph, allow_unused=True) \
            if any(o.requires_grad for o in outs) else (None,) * len(xs)
    outs_d = tuple(o if create_graph else o.detach() for o in outs)
    return _untuple(outs_d, out_tuple), _untuple(_fill_unused(gs, xs, create_graph), in_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(f(x), ∂f/∂x · v), computed as the derivative of a VJP with respect to its vector."""
    xs, in_tuple = _prepare(inputs)
    vs = _tuple(v)[0] if v is not None else tuple(Tensor._make(np.ones_like(x._data)) for x in xs)
    with enable_grad():
        outs, out_tuple = _outputs(func(*xs), "jvp")
        dummies = tuple(Tensor._make(np.zeros_like(o._data)).requires_grad_() for o in outs)
        gs = grad(outs, xs, dummies, create_graph=True, allow_unused=True)
        pairs = [(g, u) for g, u in zip(gs, vs) if g is not None]
        if pairs:
            total = sum(((g * u).sum() for g, u in pairs), start=pairs[0][0].sum() * 0)
            jv = grad([total], list(dummies), create_graph=create_graph, allow_unused=True)
        else:
            jv = (None,) * len(dummies)
    outs_d = tuple(o if create_graph else o.detach() for o in outs)
    return _untuple(outs_d, out_tuple), _untuple(_fill_unused(jv, outs, create_graph), out_tuple)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """∂f/∂x with shape output.shape + input.shape (nested tuples for tuple inputs / outputs)."""
    xs, in_tuple = _prepare(inputs)
    with enable_grad():
        outs, out_tuple = _outputs(func(*xs), "jacobian")
        result = []
        for o in outs:
            rows = [[] for _ in xs]
            flat = reshape(o, (-1,))
            for i in range(flat.shape[0]):
                if o.requires_grad:
                    gs = grad([flat[i]], xs, retain_graph=True, create_graph=create_graph, allow_unused=True)
                else:
                    gs = (None,) * len(xs)
                for r, g, x in zip(rows, gs, xs):
                    r.append(Tensor._make(np.zeros_like(x._data)) if g is None else (g if create_graph else g.detach()))
            per_input = tuple(
                reshape(stack(r), tuple(o.shape) + tuple(x.shape)) if r else
                Tensor._make(np.zeros(tuple(o.shape) + tuple(x.shape), x._data.dtype))
                for r, x in zip(rows, xs))
            result.append(_untuple(per_input, in_tuple))
    return _untuple(tuple(result), out_tuple)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """∇²f for a scalar function f: the Jacobian of its gradient."""
    xs, in_tuple = _tuple(inputs)

    def gradient(*args):
        with enable_grad():
            out = func(*args)
            gs = grad([out], list(args), create_graph=True, allow_unused=True)
        return _untuple(_fill_unused(gs, args, True), in_tuple)
    return jacobian(gradient, inputs, create_graph=create_graph)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(f(x), ∇²f(x) · v) for a scalar function f, without forming the Hessian."""
    xs, in_tuple = _prepare(inputs)
    vs = _tuple(v)[0]
    with enable_grad():
        out = func(*xs)
        gs = grad([out], xs, create_graph=True, allow_unused=True)
        pairs = [(g, u) for g, u in zip(gs, vs) if g is not None]
        total = sum(((g * u).sum() for g, u in pairs[1:]), start=(pairs[0][0] * pairs[0][1]).sum())
        hv = grad([total], xs, create_graph=create_graph, allow_unused=True)
    return (out if create_graph else out.detach()), _untuple(_fill_unused(hv, xs, create_graph), in_tuple)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """vᵀ ∇²f (the Hessian is symmetric, so this equals hvp)."""
    return hvp(func, inputs, v, create_graph, strict)
