"""``nnmath.compile``: trace a function once per input signature, then replay its NumPy work.

A call of a compiled function goes one of three ways:

1. **eager**: the first call for a new signature (a warm-up: optimizers create their state and modules
   their caches on first use, which a replay must not repeat), and every call of a signature that
   cannot be compiled;
2. **trace**: the second call runs eagerly with every array traced (:mod:`nnmath.compiler.capture`)
   and builds the replay (:mod:`nnmath.compiler.schedule`);
3. **replay**: later calls run the generated schedule of NumPy calls on preallocated buffers.

The signature (the cache key) is what the trace's Python decisions may have depended on: each tensor
argument's shape, dtype, strides and ``requires_grad``; the other arguments; grad mode; the default
dtype; and the Python state of the modules, optimizers and tensors the function reaches through its
closure, globals and arguments (``training`` flags, optimizer hyperparameters such as a scheduler's
learning rate, whether a parameter's ``.grad`` is None). A changed signature traces again (up to
``cache_size_limit`` signatures per function). Values read from the data (``bool(x)``, ``x.item()``)
are guards checked during the replay: when one differs, the call is run eagerly and traced again,
and after ``max_guard_failures`` such failures the signature stays eager.
"""
from __future__ import annotations

import functools
import types
import warnings
import weakref

from nnmath import dtypes
from nnmath.autograd.grad_mode import state
from nnmath.compiler import capture as capture_module
from nnmath.compiler.capture import Capture, tensors_in
from nnmath.compiler.schedule import GuardFailed, Schedule
from nnmath.nn.modules.module import Module
from nnmath.optim.optimizer import Optimizer
from nnmath.tensor import Tensor

cache_size_limit = 8          # signatures traced per function before the others run eagerly
max_guard_failures = 4        # failed guards of one signature before it runs eagerly for good
_compiled = weakref.WeakSet()

_BACKENDS = (None, "nnmath", "inductor", "eager", "aot_eager")
_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def compile(model=None, *, fullgraph=False, dynamic=None, backend=None, mode=None, options=None, disable=False):
    """Compile a function (or a Module's forward) for repeated calls: PyTorch's ``torch.compile``.

    The first call with new input shapes runs eagerly, the second runs eagerly while recording every
    NumPy operation (forward, loss, backward, optimizer step: whatever the function does), and later
    calls replay that record as a flat schedule of NumPy calls on preallocated buffers, with no
    Tensor objects, no graph building and no Python dispatch per op. Results equal eager mode's, bit
    for bit (the same NumPy calls in the same order, on arrays of the same layout); random ops draw
    fresh numbers from nnmath's generator in eager order.

    Args:
        model: a function or an ``nn.Module``; without it, returns a decorator.
        fullgraph: raise instead of running eagerly when the function cannot be traced.
        dynamic: accepted for PyTorch compatibility; shapes are always specialised (a new shape traces
            again).
        backend: None, ``"nnmath"`` or ``"inductor"`` (all the replay); ``"eager"`` and ``"aot_eager"``
            run the function eagerly (as PyTorch's debugging backends).
        mode, options: accepted for PyTorch compatibility and ignored.
        disable: return the function unchanged (a no-op, as PyTorch).

    Returns:
        a callable with the same arguments (an ``OptimizedModule`` for a Module).

    What is replayed is the NumPy work: Python side effects of the function (printing, appending to
    a list, counters) happen only in eager and traced calls. Arrays returned are fresh on every call;
    a tensor the function leaves outside (a parameter's ``.grad``) holds a buffer of the replay that
    the next call overwrites, as a gradient zeroed in place would be.

    Example::

        >>> step = nnmath.compile(lambda x, y: train_step(model, opt, x, y))
        >>> for x, y in loader:
        ...     loss = step(x, y)
    """
    if model is None:
        return lambda fn: compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                  options=options, disable=disable)
    if backend not in _BACKENDS:
        raise ValueError(f"compile: unknown backend {backend!r}; expected one of {_BACKENDS}")
    if mode not in _MODES:
        raise ValueError(f"compile: unknown mode {mode!r}; expected one of {_MODES}")
    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model, fullgraph=fullgraph, eager=backend in ("eager", "aot_eager"))
    if not callable(model):
        raise TypeError(f"compile: expected a function or an nn.Module, got {type(model).__name__}")
    return CompiledFunction(model, fullgraph=fullgraph, eager=backend in ("eager", "aot_eager"))


def reset():
    """Forget every compiled function's traces (``torch.compiler.reset``)."""
    for fn in list(_compiled):
        fn.reset()


def is_compiling() -> bool:
    """Whether the calling code runs inside a trace (``torch.compiler.is_compiling``)."""
    return capture_module.active() is not None


class _Entry:
    """One signature of a compiled function: its calls so far, its replay, or why it has none."""
    __slots__ = ("calls", "schedule", "failure", "guard_failures")

    def __init__(self):
        self.calls = 0
        self.schedule = None
        self.failure = None
        self.guard_failures = 0


class CompiledFunction:
    """A function with its traces. ``stats`` counts eager calls, traces and replays; ``schedules()``
    gives the replays built so far (``.source`` is the generated code)."""

    warmup = 1    # eager calls of a new signature before it is traced

    def __init__(self, fn, fullgraph=False, eager=False):
        functools.update_wrapper(self, fn, updated=())
        self._fn = fn
        self._fullgraph = fullgraph
        self._eager = eager
        self._cache = {}
        self._state = _PythonState(fn)
        self.stats = {"eager": 0, "traces": 0, "replays": 0, "guard_failures": 0}
        _compiled.add(self)

    def reset(self):
        self._cache.clear()

    def schedules(self):
        return [e.schedule for e in self._cache.values() if e.schedule is not None]

    def __get__(self, obj, objtype=None):
        """As a method: bound to its instance (``@nnmath.compile`` on a method)."""
        return self if obj is None else types.MethodType(self, obj)

    def __call__(self, *args, **kwargs):
        if self._eager or capture_module.active() is not None:
            return self._fn(*args, **kwargs)     # nested in another trace: recorded by it
        tensors = []
        key = (_signature(args, tensors), _signature(kwargs, tensors), _aliasing(tensors), state.enabled,
               state.anomaly, dtypes.get_default_dtype(), self._state.key(args, kwargs))
        entry = self._cache.get(key)
        if entry is None:
            if len(self._cache) >= cache_size_limit:
                return self._eager_call(args, kwargs, f"more than cache_size_limit={cache_size_limit} signatures")
            entry = self._cache[key] = _Entry()
        if entry.failure is not None:
            self.stats["eager"] += 1
            return self._fn(*args, **kwargs)
        if entry.schedule is None:
            if entry.calls < self.warmup:
                entry.calls += 1
                self.stats["eager"] += 1
                return self._fn(*args, **kwargs)
            return self._trace(entry, args, kwargs, tensors)
        try:
            arrays = entry.schedule.run(*_unique_arrays(tensors))
        except GuardFailed as e:
            self.stats["guard_failures"] += 1
            entry.guard_failures += 1
            entry.schedule = None
            if entry.guard_failures >= max_guard_failures:
                self._give_up(entry, f"a value read from the data changed {entry.guard_failures} times ({e.what})")
                self.stats["eager"] += 1
                return self._fn(*args, **kwargs)
            return self._trace(entry, args, kwargs, tensors)
        self.stats["replays"] += 1
        return _build(entry.schedule.capture.output, iter(arrays))

    def _eager_call(self, args, kwargs, reason):
        self._warn(reason)
        self.stats["eager"] += 1
        return self._fn(*args, **kwargs)

    def _trace(self, entry, args, kwargs, tensors):
        capture = Capture()
        result = capture.run(self._fn, args, kwargs, tensors)
        self.stats["traces"] += 1
        failure = capture.trace.failure or _unsupported_output(capture, result)
        if failure is None:
            try:
                entry.schedule = Schedule(capture)
            except Exception as e:  # a trace the planner cannot replay: the function stays eager
                failure = f"the replay could not be built ({type(e).__name__}: {e})"
        if failure is not None:
            self._give_up(entry, failure)
        return result

    def _give_up(self, entry, reason):
        entry.failure = reason
        if self._fullgraph:
            raise RuntimeError(f"compile(fullgraph=True): {_name(self._fn)} cannot be compiled: {reason}")
        self._warn(reason)

    def _warn(self, reason):
        warnings.warn(f"nnmath.compile: {_name(self._fn)} runs eagerly: {reason}", RuntimeWarning, stacklevel=4)


class OptimizedModule(Module):
    """A Module whose calls go through :func:`compile` (PyTorch's ``OptimizedModule``): the original
    is ``_orig_mod`` (so ``state_dict`` keys start with ``_orig_mod.``, as PyTorch's do); its
    attributes are reachable through the wrapper."""

    def __init__(self, mod, fullgraph=False, eager=False):
        super().__init__()
        self._orig_mod = mod
        object.__setattr__(self, "_compiled_call", CompiledFunction(mod.__call__, fullgraph, eager))

    def forward(self, *args, **kwargs):
        return self._compiled_call(*args, **kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["_orig_mod"], name)


# --- the signature --------------------------------------------------------------------------------------

def _signature(obj, tensors):
    """A hashable description of an argument: tensors by layout (collected into ``tensors``)."""
    if isinstance(obj, Tensor):
        tensors.append(obj)
        data = obj._data
        return (Tensor, data.shape, data.dtype, data.strides, obj.requires_grad, obj.grad_fn is None)
    if isinstance(obj, (tuple, list)):
        return (type(obj),) + tuple(_signature(o, tensors) for o in obj)
    if isinstance(obj, dict):
        return (dict,) + tuple((k, _signature(v, tensors)) for k, v in obj.items())
    try:
        hash(obj)
    except TypeError:
        return (type(obj), id(obj))
    return obj


def _aliasing(tensors):
    """Which tensor arguments share their array (the trace binds one input per array)."""
    first = {}
    return tuple(first.setdefault(id(t._data), i) for i, t in enumerate(tensors))


def _unique_arrays(tensors):
    seen = set()
    arrays = []
    for t in tensors:
        data = t._data
        if id(data) not in seen:
            seen.add(id(data))
            arrays.append(data)
    return arrays


class _PythonState:
    """The Python state a function's trace may depend on, found through its closure, the globals it
    names, its defaults and its bound instance: modules (``training``), optimizers (hyperparameters)
    and tensors (whether ``.grad`` is None)."""

    def __init__(self, fn):
        self.fn = fn
        self._roots = None
        self.modules, self.optimizers, self.tensors = [], [], []

    def key(self, args, kwargs):
        roots = _roots(self.fn)
        if roots != self._roots:
            self._roots = roots
            self._find(roots)
        return (tuple(m.training for m in self.modules),
                tuple(_hyperparameters(o) for o in self.optimizers),
                tuple(t._grad is None for t in self.tensors),
                _args_state(args, kwargs))

    def _find(self, roots):
        modules, optimizers, tensors = {}, {}, {}
        seen = set()

        def visit(obj, depth):
            if id(obj) in seen or depth > 4:
                return
            seen.add(id(obj))
            if isinstance(obj, Module):
                for m in obj.modules():
                    modules[id(m)] = m
                for p in obj.parameters():
                    tensors[id(p)] = p
            elif isinstance(obj, Optimizer):
                optimizers[id(obj)] = obj
                for group in obj.param_groups:
                    for p in group["params"]:
                        tensors[id(p)] = p
            elif isinstance(obj, Tensor):
                if obj.requires_grad and obj.grad_fn is None:
                    tensors[id(obj)] = obj
            elif isinstance(obj, (list, tuple, set, frozenset)):
                for o in obj:
                    visit(o, depth + 1)
            elif isinstance(obj, dict):
                for o in obj.values():
                    visit(o, depth + 1)
            elif isinstance(obj, (types.FunctionType, types.MethodType)) or hasattr(obj, "optimizer"):
                for o in _roots(obj):
                    visit(o, depth + 1)
        for root in roots:
            visit(root, 0)
        self.modules, self.optimizers, self.tensors = list(modules.values()), list(optimizers.values()), \
            list(tensors.values())


def _roots(fn):
    """The objects a function refers to: its instance, closure cells, defaults and named globals."""
    if isinstance(fn, types.MethodType):
        return (fn.__self__,) + _roots(fn.__func__)
    if isinstance(fn, functools.partial):
        return tuple(fn.args) + tuple(fn.keywords.values()) + _roots(fn.func)
    if not isinstance(fn, types.FunctionType):
        optimizer = getattr(fn, "optimizer", None)       # an LR scheduler
        return (fn,) if optimizer is None else (fn, optimizer)
    found = list(fn.__defaults__ or ()) + [c.cell_contents for c in fn.__closure__ or () if _filled(c)]
    for name in _global_names(fn.__code__):
        if name in fn.__globals__:
            obj = fn.__globals__[name]
            if not isinstance(obj, types.ModuleType):
                found.append(obj)
    return tuple(found)


def _filled(cell):
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _global_names(code):
    names = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names += _global_names(const)
    return names


def _hyperparameters(optimizer):
    return tuple(tuple((k, v) for k, v in group.items() if k not in ("params", "param_names") and _hashable(v))
                 for group in optimizer.param_groups)


def _args_state(args, kwargs):
    """Modules and optimizers passed as arguments: their Python state."""
    found = []
    for obj in list(args) + list(kwargs.values()):
        if isinstance(obj, Module):
            found.append(tuple(m.training for m in obj.modules()))
        elif isinstance(obj, Optimizer):
            found.append(_hyperparameters(obj))
    return tuple(found)


def _hashable(v):
    try:
        hash(v)
    except TypeError:
        return False
    return True


# --- outputs ----------------------------------------------------------------------------------------------

def _build(template, arrays):
    """The result of a replay from the output template and the returned arrays."""
    kind = template[0]
    if kind == "tensor":
        array = next(arrays)
        return template[2] if template[2] is not None else Tensor._make(array)
    if kind == "array":
        return next(arrays)
    if kind in ("same", "const"):
        return template[1]
    if kind is dict:
        return {k: _build(t, arrays) for k, t in template[1].items()}
    return kind(_build(t, arrays) for t in template[1])


def _unsupported_output(capture, result):
    """Why a traced result cannot be replayed (None when it can). A returned tensor whose graph a
    backward pass inside the function went through is returned detached; one whose graph is still
    to be differentiated would need the replay to record a graph."""
    for t in tensors_in(result):
        if t.grad_fn is not None and not capture.gave_gradients(t.grad_fn):
            return ("it returns a tensor that requires grad whose graph is differentiated outside the compiled "
                    "function; compile the whole training step (forward, backward, optimizer step), or call "
                    "it under no_grad")
    return None


def _name(fn):
    return getattr(fn, "__qualname__", None) or type(fn).__name__
