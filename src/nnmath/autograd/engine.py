"""Reverse-mode differentiation: the chain rule applied over the recorded graph.

For an output ``L`` and every recorded op ``y = f(x₁, …, xₙ)``, the gradient of ``L`` with respect to
each input is the vector-Jacobian product ``x̄ᵢ = ȳ · ∂y/∂xᵢ`` given by the op's ``backward``. A node
may be used by several later ops; its ``ȳ`` is the *sum* of what each of them sends back
(the multivariable chain rule), so a node runs only once all its consumers have run. The engine:

1. walks the graph from the outputs once (iteratively: a 100,000-op chain needs no recursion) and
   counts, for every node, how many edges lead into it;
2. runs nodes whose count reached zero, sums the gradients they return into their inputs' buffers,
   after summing each back to its input's shape (broadcasting's derivative, in this one place);
3. accumulates into ``.grad`` at leaves, calls hooks, and frees saved tensors unless the graph is
   retained. With ``create_graph=True`` the backward ops are themselves recorded.

A leaf's post-accumulate-grad hooks run once per pass, when the last edge into it has delivered (its
``.grad`` is then complete); callbacks queued with :func:`queue_callback` run when the pass ends.
DistributedDataParallel uses both: the first to start a bucket's all-reduce, the second to wait for them.
"""
from __future__ import annotations

import weakref

import numpy as np

from nnmath.autograd.anomaly_mode import creation_site
from nnmath.autograd.fit import cast, sum_to
from nnmath.autograd.grad_mode import set_grad_enabled, state
from nnmath.backend import get_array_module, writeable
from nnmath.parallel import adapt_threads
from nnmath.tensor import Tensor


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        return tuple(x)
    return (x,)


def _make_root_grads(outputs, grad_outputs, caller):
    grads = []
    grad_outputs = grad_outputs if grad_outputs is not None else (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"{caller}: got {len(grad_outputs)} gradients for {len(outputs)} outputs")
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{caller}: outputs must be Tensors, got {type(t).__name__} at position {i}")
        if not t.requires_grad:
            raise RuntimeError(f"{caller}: element {i} of tensors does not require grad and does not have "
                               f"a grad_fn (was it computed under no_grad, or from tensors with "
                               f"requires_grad=False?)")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(f"{caller}: grad can be implicitly created only for scalar outputs; "
                                   f"output {i} has shape {tuple(t.shape)}: pass gradient= of that shape")
            g = Tensor._make(np.ones_like(t._data))
        elif not isinstance(g, Tensor):
            g = Tensor._make(np.asarray(g, dtype=t._data.dtype))
        if tuple(g.shape) != tuple(t.shape):
            raise RuntimeError(f"{caller}: gradient of shape {tuple(g.shape)} does not match output "
                               f"{i} of shape {tuple(t.shape)}")
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate ∂(Σ ⟨grad_tensors, tensors⟩)/∂leaf into every leaf's ``.grad``."""
    adapt_threads()  # once per training step: BLAS threads within this process's share of the cores
    tensors = _as_tuple(tensors)
    grads = _make_root_grads(tensors, _as_tuple(grad_tensors), "backward")
    if retain_graph is None:
        retain_graph = create_graph
    only = None
    if inputs is not None:
        only = {_capture_key(t): None for t in _as_tuple(inputs)}
    _run(list(zip(tensors, grads)), retain_graph, create_graph, capture=None, only=only)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """Return ∂(Σ ⟨grad_outputs, outputs⟩)/∂input for each input, without touching ``.grad``."""
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("grad: the `inputs` argument to grad() cannot be empty: name the tensors to "
                           "differentiate with respect to")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs must be Tensors, got {type(t).__name__} at position {i}")
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {tuple(t.shape)}) does not require grad")
    grads = _make_root_grads(outputs, _as_tuple(grad_outputs), "grad")
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    capture = {_capture_key(t): None for t in inputs}
    _run(list(zip(outputs, grads)), retain_graph, create_graph, capture=capture, only=None)
    result = []
    for i, t in enumerate(inputs):
        g = capture[_capture_key(t)]
        if g is None:
            if materialize_grads:
                g = Tensor._make(np.zeros_like(t._data))
            elif not allow_unused:
                raise RuntimeError(f"grad: input {i} (shape {tuple(t.shape)}) was not used in the graph "
                                   f"of the outputs; pass allow_unused=True if that is intended")
        result.append(g)
    return tuple(result)


def _capture_key(t):
    return ("leaf", id(t)) if t.grad_fn is None else (id(t.grad_fn), t._output_nr)


def count_dependencies(roots, leaves=None):
    """For every node reachable from ``roots``, how many edges lead into it (its consumers); and, into
    the dict ``leaves`` when given, how many into each leaf (keyed by its id: ``[leaf, edges, None, False]``)."""
    deps = {}
    stack = list(roots)
    seen = set(stack)
    while stack:
        node = stack.pop()
        for edge in node._edges:
            if edge is None:
                continue
            nxt = edge[0]
            if edge[1] is None:
                if leaves is not None:
                    _count_leaf_edge(nxt, leaves)
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps


def _count_leaf_edge(leaf, leaves):
    """One more edge into ``leaf``: its gradients are summed until the last one delivers."""
    entry = leaves.get(id(leaf))
    if entry is None:
        leaves[id(leaf)] = [leaf, 1, None, False]  # edges still to deliver, the sum so far, sum made here
    else:
        entry[1] += 1


def _run_post_accumulate_hooks(leaf):
    """After the last edge into ``leaf`` delivered in this pass: its post-accumulate-grad hooks."""
    for hook in list(leaf._post_accumulate_grad_hooks.values()):
        if hook(leaf) is not None:
            raise RuntimeError("post-accumulate-grad hook: Tensor post accumulate grad hooks should return "
                               f"None; {hook!r} returned a value (change leaf.grad in place instead)")


_callbacks = []  # one list per backward pass in progress (a hook may start another), innermost last


def queue_callback(callback):
    """Call ``callback()`` when the backward pass now running has finished: PyTorch's
    ``Variable._execution_engine.queue_callback``. Only from a hook, during backward."""
    if not _callbacks:
        raise RuntimeError("queue_callback: no backward pass is running; queue callbacks from a hook "
                           "called during backward")
    _callbacks[-1].append(callback)


def _run(roots, retain_graph, create_graph, capture, only):
    _callbacks.append([])
    try:
        _propagate(roots, retain_graph, create_graph, capture, only)
        queued = _callbacks[-1]
        while queued:
            queued.pop(0)()
    finally:
        _callbacks.pop()


def _propagate(roots, retain_graph, create_graph, capture, only):
    buffers = {}             # node -> the gradient of each of its outputs, summed so far
    leaves = {}              # id(leaf) -> [leaf, edges still to deliver, the gradient so far, made here]
    owned_elsewhere = set()  # ids of arrays a leaf must not take without copying
    with set_grad_enabled(create_graph):
        nodes = list(dict.fromkeys(t.grad_fn for t, _ in roots if t.grad_fn is not None))
        deps = count_dependencies(nodes, leaves)
        for t, _ in roots:
            if t.grad_fn is None:
                _count_leaf_edge(t, leaves)
        for t, g in roots:
            owned_elsewhere.add(id(g._data))
            if t.grad_fn is None:
                _send_to_leaf(leaves[id(t)], g, create_graph, capture, only, owned_elsewhere)
                continue
            buf = buffers.setdefault(t.grad_fn, [None] * len(t.grad_fn._out_meta))
            nr = t._output_nr
            buf[nr] = g if buf[nr] is None else _sum(buf[nr], g, create_graph)
        ready = [n for n in buffers if deps.get(n, 0) == 0]
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            if grads is not None:
                in_grads = _call_backward(node, grads, capture)
                if not retain_graph:
                    node._free()
            else:
                in_grads = (None,) * len(node._edges)
            for edge, meta, g in zip(node._edges, node._in_meta, in_grads):
                if edge is None:
                    continue
                target, nr = edge
                if g is not None and (type(g) is not Tensor or g._data.shape != meta[0]
                                      or g._data.dtype != meta[1]):
                    g = _fit(g, meta, node)
                if nr is None:
                    _send_to_leaf(leaves[id(target)], g, create_graph, capture, only, owned_elsewhere)
                    continue
                if g is not None:
                    buf = buffers.get(target)
                    if buf is None:
                        buf = buffers[target] = [None] * len(target._out_meta)
                    buf[nr] = g if buf[nr] is None else _sum(buf[nr], g, create_graph)
                    owned_elsewhere.add(id(g._data))
                deps[target] -= 1
                if deps[target] == 0:
                    ready.append(target)


def _sum(a, b, create_graph):
    """Two gradients of one tensor, summed: recorded under ``create_graph``, else straight on the arrays."""
    if create_graph:
        return a + b
    return Tensor._make(a._data + b._data)


def _send_to_leaf(entry, g, create_graph, capture, only, owned_elsewhere):
    """One edge into a leaf delivers ``g`` (None: nothing); once every edge has, the sum goes to the
    leaf (its hooks see the total, as in PyTorch), then its post-accumulate-grad hooks run."""
    if g is not None:
        total = entry[2]
        if total is None:
            entry[2] = g
        elif entry[3]:
            total._data += g._data  # a sum made here: no one else holds it
        else:
            entry[2] = _sum(total, g, create_graph)
            entry[3] = not create_graph
    entry[1] -= 1
    if entry[1] or entry[2] is None:
        return
    leaf = entry[0]
    accumulated = _deliver_to_leaf(leaf, entry[2], create_graph, capture, only, owned_elsewhere)
    entry[2] = None
    if accumulated and leaf._post_accumulate_grad_hooks:
        _run_post_accumulate_hooks(leaf)


def _call_backward(node, grads, capture):
    if not (node._pre_hooks or capture or state.anomaly) and None not in grads:
        if type(node).operators_only_backward and not state.enabled:
            in_grads = _backward_on_arrays(node, grads)
            if in_grads is not None:
                return in_grads
        in_grads = type(node).backward(node, *grads)
        if type(in_grads) is tuple and len(in_grads) == len(node._edges):
            return in_grads
        return _check_count(node, in_grads)
    if node._pre_hooks:
        for nr, hooks in node._pre_hooks.items():
            for hook in list(hooks.values()):
                if grads[nr] is not None:
                    grads[nr] = _hooked(hook, grads[nr])
    if capture:
        for nr, g in enumerate(grads):
            key = (id(node), nr)
            if key in capture and g is not None:
                capture[key] = g if capture[key] is None else capture[key] + g
    if node.materialize_grads and None in grads:
        xp = get_array_module(*[g._data for g in grads if g is not None])
        for i, g in enumerate(grads):
            if g is None:
                shape, dtype = node._out_meta[i]
                grads[i] = Tensor._make(xp.zeros(shape, dtype))
    in_grads = _check_count(node, type(node).backward(node, *grads))
    if state.anomaly:
        _check_finite(node, in_grads)
    return in_grads


#: dtypes whose arithmetic NumPy computes as the ops do (bfloat16 and float16 ops compute in float32)
_ARRAY_BACKWARD_DTYPES = frozenset(map(np.dtype, ("float32", "float64", "complex64", "complex128")))


def _backward_on_arrays(node, grads):
    """An operators-only backward (``Function.operators_only_backward``) run on the arrays of ȳ and of the
    saved values: the same NumPy operations the ops would make, without a Tensor and an apply for each.
    None when a gradient's dtype is not one whose arithmetic NumPy computes as the ops do."""
    arrays = []
    for g in grads:
        a = g._data
        if a.dtype not in _ARRAY_BACKWARD_DTYPES:
            return None
        arrays.append(a)
    node._on_arrays = True
    try:
        in_grads = type(node).backward(node, *arrays)
    finally:
        node._on_arrays = False
    if type(in_grads) is not tuple or len(in_grads) != len(node._edges):
        in_grads = _check_count(node, in_grads)
    return tuple([None if g is None else Tensor._make(g) for g in in_grads])


def _check_count(node, in_grads):
    """One gradient per input of the node's forward: a lone gradient is a 1-tuple, missing trailing
    ones are None."""
    if not isinstance(in_grads, tuple):
        in_grads = (in_grads,)
    n = len(node._edges)
    if len(in_grads) != n and not type(node).__module__.startswith("nnmath."):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients (expected {n}, got "
                           f"{len(in_grads)}): backward returns one gradient (or None) per argument of forward")
    if len(in_grads) < n:
        in_grads = in_grads + (None,) * (n - len(in_grads))
    elif len(in_grads) > n:
        raise RuntimeError(f"{node.name()} returned {len(in_grads)} gradients but its forward took {n} "
                           f"arguments")
    return in_grads


def _hooked(hook, g):
    """``hook(g)``, or ``g`` when the hook returns None. A hook may replace the gradient, not change its
    shape or dtype (as in PyTorch)."""
    out = hook(g)
    if out is None:
        return g
    name = getattr(hook, "__name__", repr(hook))
    if not isinstance(out, Tensor):
        raise TypeError(f"hook {name!r} returned a {type(out).__name__}; expected a Tensor or None")
    if out._data.shape != g._data.shape:
        raise RuntimeError(f"hook {name!r} has changed the size of the gradient from {tuple(g.shape)} to "
                           f"{tuple(out.shape)}")
    if out._data.dtype != g._data.dtype:
        raise RuntimeError(f"hook {name!r} has changed the type of the gradient from {g.dtype} to {out.dtype}")
    return out


def _fit(g, meta, node):
    """Sum a gradient back to its input's shape (the derivative of broadcasting) and dtype."""
    if not isinstance(g, Tensor):
        raise TypeError(f"{node.name()} returned a {type(g).__name__} as a gradient; expected a Tensor")
    shape, dtype = meta
    if g._data.shape != shape:
        try:
            g = sum_to(g, shape)
        except ValueError:
            raise RuntimeError(f"{node.name()} returned a gradient of shape {tuple(g.shape)} for an "
                               f"input of shape {tuple(shape)}; it must broadcast to it") from None
    return cast(g, dtype)


def _deliver_to_leaf(leaf, g, create_graph, capture, only, owned_elsewhere):
    """Add ``g`` into ``leaf.grad`` (or into ``capture``); True when ``.grad`` was accumulated."""
    if leaf._hooks:
        for hook in list(leaf._hooks.values()):
            g = _hooked(hook, g)
    if capture is not None:
        key = ("leaf", id(leaf))
        if key in capture:
            capture[key] = g if capture[key] is None else capture[key] + g
        return False
    if only is not None and ("leaf", id(leaf)) not in only:
        return False
    # _fit gave g the leaf's shape and dtype: .grad is set directly, past its assignment checks.
    current = leaf._grad
    if current is None:
        if create_graph:
            leaf._grad = g
            return True
        arr = g._data
        if id(arr) in owned_elsewhere or arr.base is not None or not writeable(arr):
            arr = arr.copy()
        owned_elsewhere.add(id(arr))
        leaf._grad = Tensor._make(arr)
    elif create_graph or current.requires_grad:
        leaf._grad = current + g
    else:
        acc = current._data
        if acc.shape == g._data.shape and acc.dtype == g._data.dtype and writeable(acc):
            np.add(acc, g._data, out=acc)
            current._vc.value += 1
        else:
            leaf._grad = Tensor._make(acc + g._data)
    return True


def _check_finite(node, in_grads):
    for i, g in enumerate(in_grads):
        if g is not None and g._data.dtype.kind in "fc" and not np.isfinite(g._data).all():
            where = creation_site(node._stack) if node._stack else "(created before anomaly detection was on)"
            bad = "nan" if np.isnan(g._data).any() else "inf"
            raise RuntimeError(f"Function '{node.name()}' returned {bad} values in its {i}th output.\n"
                               f"The forward op was created at:\n  {where}")


def retain_grad_hook(tensor):
    """A hook that stores a non-leaf's gradient in its ``.grad`` (held weakly: no reference cycle)."""
    ref = weakref.ref(tensor)

    def hook(g):
        t = ref()
        if t is not None:
            t.grad = g if t.grad is None else t.grad + g
    return hook
