"""From a trace to a replay: a flat Python function of NumPy calls on preallocated buffers.

The recorded nodes run again in the order they ran, with

- **dead code removed**: a node is kept when a kept node reads what it made, when it writes into
  memory that outlives the call (parameters, optimizer state) or that a kept node reads later, when
  it draws random numbers (the generator's stream must advance as in eager mode) or is a guard;
- **buffers reused**: each array a kept node makes gets a buffer allocated once, with the layout the
  traced run gave it (so every later call runs the same NumPy loops on the same strides: the same
  bits); the op writes into it (``out=``) and a buffer whose last reader has run is given to a later
  array of the same shape, dtype and strides;
- **views and constants hoisted**: a view (reshape, transpose, slice, broadcast, as_strided) of a
  buffer or of a parameter is made once, when the replay is built; so is an array made from a shape
  that nothing writes into.

Arrays returned to the caller are fresh on every call; arrays that tensors outliving the call hold
(a parameter's ``.grad``) are buffers of the replay, rebound to their tensors after each call.
The generated source is kept (``Schedule.source``) for reading.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from nnmath.compiler.tracer import Ref, made_in_run


class GuardFailed(Exception):
    """A value the trace depended on (a Python number read from the data, a tensor's array) differs
    at replay: the replay stopped before changing anything that outlives it."""

    def __init__(self, what):
        super().__init__(what)
        self.what = what


# --- how an op writes into a buffer --------------------------------------------------------------------

#: ndarray methods with ``out=``: how many positional arguments (after self) may come before it.
_METHOD_OUT = {"sum": 2, "prod": 2, "mean": 2, "std": 2, "var": 2, "max": 1, "min": 1, "any": 1, "all": 1,
               "cumsum": 2, "cumprod": 2, "argmax": 1, "argmin": 1, "clip": 2, "round": 1, "take": 2,
               "dot": 1, "trace": 4}
#: NumPy functions with ``out=``: how many positional arguments may come before it.
_FUNCTION_OUT = {np.dot: 2, np.concatenate: 2, np.stack: 2, np.sum: 3, np.mean: 3, np.prod: 3, np.max: 2,
                 np.min: 2, np.amax: 2, np.amin: 2, np.clip: 3, np.cumsum: 3, np.take: 3, np.any: 2, np.all: 2,
                 np.outer: 2, np.einsum: 10 ** 6, np.around: 2, np.round: 2, np.trace: 5}
#: ufunc methods with ``out=``: how many positional arguments may come before it.
_UFUNC_METHOD_OUT = {"reduce": 3, "accumulate": 3, "reduceat": 4, "outer": 10 ** 6}
_COPIES = {np.ndarray.copy, np.copy, np.ascontiguousarray}
_RESHAPES = {np.ndarray.reshape, np.ndarray.ravel, np.ndarray.flatten, np.reshape, np.ravel}


class _Out:
    """Placeholder for the buffer in an adapted call."""


def out_form(node, value):
    """``(fn, args, kwargs)`` computing ``node``'s one new array into a buffer (``_Out`` marks it), or
    None when the op has no such form (its result is then made by the call itself)."""
    fn, args, kwargs = node.fn, node.args, node.kwargs
    if "out" in kwargs or value.is_scalar:      # a NumPy scalar stays one (the replay makes the same types)
        return None
    if isinstance(fn, np.ufunc):
        if fn.nout != 1 or len(args) != fn.nin:
            return None
        if fn in (np.maximum, np.minimum):      # NumPy deprecates their positional out
            return fn, args, {**kwargs, "out": _Out}
        return fn, tuple(args) + (_Out,), kwargs
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, np.ufunc):
        limit = _UFUNC_METHOD_OUT.get(fn.__name__)
        return (fn, args, {**kwargs, "out": _Out}) if limit is not None and len(args) <= limit else None
    if getattr(fn, "__objclass__", None) is np.ndarray:
        limit = _METHOD_OUT.get(fn.__name__)
        if limit is not None and len(args) - 1 <= limit:
            return fn, args, {**kwargs, "out": _Out}
    if fn in _FUNCTION_OUT and len(args) <= _FUNCTION_OUT[fn]:
        return fn, args, {**kwargs, "out": _Out}
    if fn is np.ndarray.astype and len(args) == 2 and set(kwargs) <= {"copy"}:
        return np.copyto, (_Out, args[0]), {"casting": "unsafe"}
    if fn in _COPIES and len(args) == 1 and (not kwargs or kwargs == {"order": "C"} and _is_c(value)):
        return np.copyto, (_Out, args[0]), {}
    if fn in _RESHAPES and _is_c(value) and (
            not kwargs or kwargs == {"order": "C"}):
        return _copy_reshaped, (_Out, args[0]), {}
    return None


def _is_c(value):
    return value.strides == _c_strides(value.shape, value.dtype.itemsize)


def _copy_reshaped(out, x):
    np.copyto(out.reshape(x.shape), x)


def _c_strides(shape, itemsize):
    strides, step = [], itemsize
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def allocate(value):
    """An empty array with the traced value's shape, dtype and strides (a dense layout in any axis
    order); a C-ordered one for a layout with gaps."""
    shape, dtype, strides = value.shape, value.dtype, value.strides
    if value.is_scalar:
        return np.empty((), dtype)
    order = sorted(range(len(shape)), key=lambda d: -strides[d])
    base = np.empty(tuple(shape[d] for d in order), dtype)
    array = base.transpose(np.argsort(order))
    if array.strides != tuple(strides) and all(n > 1 for n in shape):
        return np.empty(shape, dtype)
    return array


def same(seen, expected):
    """Whether a guard's value equals the traced one (NaN equals NaN)."""
    if seen == expected:
        return True
    return isinstance(expected, float) and isinstance(seen, float) and math.isnan(seen) and math.isnan(expected)


# --- the plan --------------------------------------------------------------------------------------------

class Schedule:
    """The replay of one capture: ``run(*input_arrays)`` returns the arrays of the outputs (in the
    order of ``output_vids``), or raises :class:`GuardFailed`."""

    def __init__(self, capture):
        self.capture = capture
        trace = capture.trace
        self.trace = trace
        self.output_vids = _output_vids(capture.output)
        self.live = self._dead_code(trace)
        self.kept = [n for n in trace.nodes if n.index in self.live]
        self.bound = {}           # name -> object bound in the generated function
        self.names = {}           # vid -> name
        self.lines = []
        self._plan_storages()
        self._emit()
        self.run = self._compile()

    # --- which nodes run -----------------------------------------------------------------------------
    def _dead_code(self, trace):
        values, storages = trace.values, trace.storages
        needed_values = set(self.output_vids) | {vid for _, vid in self.capture.escapes}
        needed_storages = {values[v].sid for v in needed_values}
        live = set()
        for node in reversed(trace.nodes):
            keep = node.kind in ("guard", "random")
            for w in node.writes:
                sid = values[w].sid
                keep = keep or storages[sid].kind in ("external", "input", "const") or sid in needed_storages
            for ref in _refs(node.outs):
                value = values[ref.vid]
                if value.node == node.index:
                    root = storages[value.sid].root == ref.vid
                    keep = keep or ref.vid in needed_values or (root and value.sid in needed_storages)
            if not keep:
                continue
            live.add(node.index)
            for vid in node.reads + node.writes:
                needed_values.add(vid)
                needed_storages.add(values[vid].sid)
        return live

    # --- where each array lives ----------------------------------------------------------------------
    def _plan_storages(self):
        trace, values, storages = self.trace, self.trace.values, self.trace.storages
        self.dynamic = set()       # storages made by the call itself on every run
        for sid in {values[v].sid for v in self.output_vids}:
            if storages[sid].kind in ("new", "create") or sid in trace.made:
                self.dynamic.add(sid)
        self.forms = {}
        written = {values[w].sid for n in self.kept for w in n.writes}
        for node in self.kept:
            for ref in _refs(node.outs):
                value = values[ref.vid]
                if value.node != node.index or storages[value.sid].root != ref.vid:
                    continue
                if value.sid in self.dynamic or len(_refs(node.outs)) != 1 or value.dynamic_shape:
                    self.dynamic.add(value.sid)
                elif node.kind == "create":
                    self.forms[node.index] = "fill" if value.sid in written else "hoist"
                else:
                    form = out_form(node, value)
                    if form is None:
                        self.dynamic.add(value.sid)
                    else:
                        self.forms[node.index] = form
        self._assign_buffers()

    def _assign_buffers(self):
        """One buffer per static array, reused once everything reading the previous array has run."""
        values, storages = self.trace.values, self.trace.storages
        last_use = {}
        for node in self.kept:
            for vid in node.reads + node.writes + tuple(r.vid for r in _refs(node.outs)):
                last_use[values[vid].sid] = node.index
        pinned = {values[vid].sid for _, vid in self.capture.escapes}
        self.buffers = {}          # sid -> array
        free = {}
        release = {}
        for node in self.kept:
            form = self.forms.get(node.index)
            if form is not None and form != "hoist":
                ref = _refs(node.outs)[0]
                value = values[ref.vid]
                key = (value.shape, value.dtype, value.strides, value.is_scalar)
                pool = free.get(key)
                self.buffers[value.sid] = pool.pop() if pool else allocate(value)
                if value.sid not in pinned:
                    release.setdefault(last_use.get(value.sid, node.index), []).append((key, value.sid))
            for key, sid in release.pop(node.index, ()):
                free.setdefault(key, []).append(self.buffers[sid])

    # --- the generated code ---------------------------------------------------------------------------
    def _bind(self, obj, prefix="k"):
        name = f"{prefix}{len(self.bound)}"
        self.bound[name] = obj
        return name

    def _literal(self, obj):
        """Source text for a constant argument."""
        t = type(obj)
        if obj is None or t is bool or t is int or t is str:
            return repr(obj)
        if t is float and math.isfinite(obj):
            return repr(obj)
        if obj is Ellipsis:
            return "..."
        if t is tuple:
            return "(" + "".join(self._arg(o) + ", " for o in obj) + ")"
        if t is list:
            return "[" + ", ".join(self._arg(o) for o in obj) + "]"
        if t is dict:
            return "{" + ", ".join(f"{k!r}: {self._arg(v)}" for k, v in obj.items()) + "}"
        if t is slice:
            return f"slice({self._arg(obj.start)}, {self._arg(obj.stop)}, {self._arg(obj.step)})"
        return self._bind(obj)

    def _arg(self, obj):
        if isinstance(obj, Ref):
            return self.names[obj.vid]
        if obj is _Out:
            return "OUT"
        return self._literal(obj)

    def _call(self, fn, args, kwargs):
        parts = [self._arg(a) for a in args] + [f"{k}={self._arg(v)}" for k, v in kwargs.items()]
        return f"{self._bind(fn, 'f')}({', '.join(parts)})"

    def _value_of(self, obj):
        """The real object of a template whose values are all bound (for hoisting)."""
        if isinstance(obj, Ref):
            return self.bound[self.names[obj.vid]]
        if isinstance(obj, (tuple, list)):
            return type(obj)(self._value_of(o) for o in obj)
        if isinstance(obj, dict):
            return {k: self._value_of(v) for k, v in obj.items()}
        return obj

    def _all_bound(self, node):
        return all(self.names.get(v, "").startswith(("b", "e")) for v in node.reads)

    def _emit(self):
        capture, trace = self.capture, self.trace
        values, storages = trace.values, trace.storages
        self.input_names = []
        for k, vid in enumerate(capture.inputs):
            self.names[vid] = f"i{k}"
            self.input_names.append(f"i{k}")
        for vid, array in trace.arrays.items():
            if vid not in self.names:
                self.names[vid] = self._bind(array, "e")
        for tensor, array, vid in capture.externals:
            t, a = self._bind(tensor, "t"), self.names[vid]
            self.lines.append(f"if {t}._data is not {a}: raise GuardFailed('the array of a tensor was replaced')")
        self._emit_guard_protection()
        for node in self.kept:
            self._emit_node(node)
        self._emit_epilogue()
        outs = ", ".join(self.names[v] for v in self.output_vids)
        self.lines.append(f"return ({outs}{',' if len(self.output_vids) == 1 else ''})")

    def _emit_guard_protection(self):
        """Before a guard that may fail, remember what the replay changes that outlives it."""
        values, storages = self.trace.values, self.trace.storages
        guards = [n.index for n in self.kept if n.kind == "guard"]
        self.protect = []
        if not guards:
            return
        last = guards[-1]
        changed = []
        generators = []
        for node in self.kept:
            if node.index >= last:
                break
            for w in node.writes:
                storage = storages[values[w].sid]
                if storage.kind in ("external", "input") and storage.sid not in changed:
                    changed.append(storage.sid)
            if node.kind == "random" and node.fn.owner not in generators:
                generators.append(node.fn.owner)
        saved = [self.names[storages[sid].root] for sid in changed]
        gens = [self._bind(g, "g") for g in generators]
        self.lines.append(f"SAVED = ([{', '.join(f'{a}.copy()' for a in saved)}], "
                          f"[{', '.join(f'vars({g})[{chr(39)}_bits{chr(39)}].state' for g in gens)}])")
        self.protect = (saved, gens)

    def _fail(self, what):
        saved, gens = self.protect
        lines = [f"{self._bind(np.copyto, 'f')}({a}, SAVED[0][{i}])" for i, a in enumerate(saved)]
        lines += [f"vars({g})['_bits'].state = SAVED[1][{i}]" for i, g in enumerate(gens)]
        return lines + [f"raise GuardFailed({what!r})"]

    def _emit_node(self, node):
        values, storages = self.trace.values, self.trace.storages
        if node.kind == "guard":
            call = self._call(node.fn, node.args, node.kwargs)
            self.lines.append(f"if not same({call}, {self._literal(node.expected)}):")
            self.lines.extend("    " + line for line in self._fail(f"{node.label} changed (was {node.expected!r})"))
            return
        form = self.forms.get(node.index)
        if node.kind == "view" and self._all_bound(node) and not node.writes:
            self._hoist(node)
            return
        if form == "hoist":
            self._bind_results(node.outs, node.expected if node.expected is not None else allocate(
                self.trace.values[_refs(node.outs)[0].vid]))
            return
        if form is not None:
            ref = _refs(node.outs)[0]
            value = values[ref.vid]
            buffer = self.buffers[value.sid]
            name = self._bind(buffer, "b")
            self.names[ref.vid] = name
            if form == "fill":
                if not self._overwritten_before_read(node, value):
                    self._emit_fill(name, node.expected)
            else:
                fn, args, kwargs = form
                self.lines.append(self._call(fn, args, kwargs).replace("OUT", name))
            return
        target = self._target(node.outs)
        if node.fn is made_in_run:                  # a fresh copy of what the run's own array held
            self.lines.append(f"{target} = {self._bind(np.array, 'f')}({self._bind(node.expected, 'e')}, copy=True)")
            return
        call = self._call(node.fn, node.args, node.kwargs)
        self.lines.append(f"{target} = {call}" if target else call)

    def _overwritten_before_read(self, created, value):
        """Whether the kept nodes after ``created`` write every element of its array before anything
        reads it (then its initial content needs no restoring). The writes are replayed on a marker
        array of the same layout, through the same view ops, until a read or an op not understood."""
        marks = {value.vid: np.zeros_like(allocate(value))}
        root = marks[value.vid]
        values = self.trace.values
        for node in self.kept[self.kept.index(created) + 1:]:
            used = node.reads + node.writes + tuple(r.vid for r in _refs(node.outs))
            touched = {vid for vid in used if values[vid].sid == value.sid}
            if not touched:
                continue
            if not touched <= set(marks) | {r.vid for r in _refs(node.outs)} or (
                    node.kind != "view" and any(r.vid not in marks for r in _refs(node.outs)
                                                if values[r.vid].sid == value.sid)):
                return False                                  # an alias this analysis does not follow
            if node.kind == "view" and not node.writes:
                result = _substitute_call(node, marks)
                if result is None:
                    return False
                for ref, mark in zip(_refs(node.outs), result if isinstance(node.outs, (tuple, list)) else [result]):
                    marks[ref.vid] = mark
                continue
            if set(node.reads) & set(marks) - _setitem_target(node):
                return False                                  # read before fully written
            if not _mark_write(node, marks):
                return False
            if root.all():
                return True
        return False

    def _emit_fill(self, name, initial):
        """Give a created buffer that the replay writes into its initial content again."""
        if initial is None:                      # np.empty: nothing to restore
            return
        first = initial.reshape(-1)[:1]
        if first.size and (initial == first[0]).all():
            self.lines.append(f"{self._bind(np.ndarray.fill, 'f')}({name}, {self._literal(first[0])})")
        else:
            self.lines.append(f"{self._bind(np.copyto, 'f')}({name}, {self._bind(initial, 'e')})")

    def _hoist(self, node):
        """Run a view or a creation now, on the bound arrays, and bind its results."""
        result = node.fn(*self._value_of(node.args), **self._value_of(node.kwargs))
        self._bind_results(node.outs, result)

    def _bind_results(self, template, result):
        if isinstance(template, Ref):
            if template.vid not in self.names:
                self.names[template.vid] = self._bind(result, "b")
        elif isinstance(template, (tuple, list)):
            for t, r in zip(template, result):
                self._bind_results(t, r)

    def _target(self, template):
        """An assignment target for a call's result, naming its new values (None: discard it)."""
        if isinstance(template, Ref):
            if template.vid in self.names:
                return None
            name = f"v{template.vid}"
            self.names[template.vid] = name
            return name
        if isinstance(template, (tuple, list)):
            parts = [self._target(t) or "_" for t in template]
            return "(" + "".join(p + ", " for p in parts) + ")" if parts else None
        return None

    def _emit_epilogue(self):
        capture, values, storages = self.capture, self.trace.values, self.trace.storages
        for tensor, vid in capture.escapes:
            if storages[values[vid].sid].kind in ("new", "create") or vid != storages[values[vid].sid].root:
                self.lines.append(f"{self._bind(tensor, 't')}._data = {self.names[vid]}")
        for tensor, grad in capture.grad_links:
            self.lines.append(f"{self._bind(tensor, 't')}._grad = {self._bind(grad, 't')}")
        written = set()
        for node in self.kept:
            written.update(values[w].sid for w in node.writes)
        for tensor, array, vid in capture.externals:
            if values[vid].sid in written:
                self.lines.append(f"{self._bind(tensor, 't')}._vc.value += 1")

    def _compile(self):
        body = "\n".join("    " + line for line in self.lines)
        header = f"def replay({', '.join(self.input_names)}):"
        self.source = header + "\n" + body + "\n"
        namespace = dict(self.bound, GuardFailed=GuardFailed, same=same)
        exec(compile(self.source, "<nnmath.compile replay>", "exec"), namespace)
        return namespace["replay"]


def _substitute(template, marks):
    """A template with marker arrays for the Refs in ``marks``; None if another value is needed."""
    if isinstance(template, Ref):
        if template.vid not in marks:
            raise KeyError(template.vid)
        return marks[template.vid]
    if isinstance(template, (tuple, list)):
        return type(template)(_substitute(t, marks) for t in template)
    if isinstance(template, dict):
        return {k: _substitute(v, marks) for k, v in template.items()}
    return template


def _substitute_call(node, marks):
    try:
        return node.fn(*_substitute(node.args, marks), **_substitute(node.kwargs, marks))
    except (KeyError, ValueError, TypeError, IndexError):
        return None


def _setitem_target(node):
    """The vid that ``x[key] = v`` writes (it is in the node's reads as the call's first argument)."""
    if node.fn is operator.setitem and isinstance(node.args[0], Ref):
        return {node.args[0].vid}
    return set()


def _mark_write(node, marks):
    """Mark what a write node writes in full: ``x[key] = v`` with a constant key, or an ``out=`` that the
    op does not read. False for any other write."""
    if node.fn is operator.setitem:
        target, key = node.args[0], node.args[1]
        if not isinstance(target, Ref) or any(isinstance(k, Ref) for k in _flat_key(key)):
            return False
        marks[target.vid][key] = 1
        return True
    out = node.kwargs.get("out")
    outs = out if isinstance(out, tuple) else (out,)
    if out is None or any(not isinstance(o, Ref) for o in outs):
        return False
    for o in outs:
        marks[o.vid][...] = 1
    return True


def _flat_key(key):
    return key if isinstance(key, tuple) else (key,)


def _refs(template):
    if isinstance(template, Ref):
        return [template]
    if isinstance(template, (tuple, list)):
        return [r for t in template for r in _refs(t)]
    return []


def _output_vids(template):
    kind = template[0]
    if kind in ("tensor", "array"):
        return [template[1]]
    if kind in (tuple, list):
        return [v for t in template[1] for v in _output_vids(t)]
    if kind is dict:
        return [v for t in template[1].values() for v in _output_vids(t)]
    return []

