"""The one mechanism that defines an op: a :class:`Function` with its forward and its derivative.

A subclass states the mathematics of one primitive in one place::

    class Tanh(Function):
        '''Forward:  y = tanh(x)
           VJP:      x̄ = ȳ ⊙ (1 − y²)'''
        @staticmethod
        def forward(ctx, x):                 # NumPy arrays in, arrays out
            y = np.tanh(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, gy):               # Tensors in, Tensors out: itself differentiable
            y, = ctx.saved_tensors
            return gy * (1 - y * y)

``Tanh.apply(x)`` runs the forward on ``x``'s array and, when ``x`` requires grad and grad mode is on,
makes the instance the node of the autograd graph (the output's ``grad_fn``). Because ``backward``
is written with Tensor ops, running it with ``create_graph=True`` records a graph of the derivative:
grad-of-grad and Hessians need nothing more. Broadcasting is not the op's concern: the engine sums
each gradient back to its input's shape and dtype (:mod:`nnmath.autograd.fit`).

Differences from ``torch.autograd.Function``: ``forward`` receives arrays (the tensors' data) rather
than Tensors, and returns arrays; ``save_for_backward`` takes those arrays and ``ctx.saved_tensors``
gives them back as Tensors connected to the graph.

The rule for saved values: what ``backward`` reads is an input, an output, or recomputed from them
with ops. A floating array that is neither (an intermediate of forward) would come back detached from
the graph, and the second derivative through it would be silently wrong; saving one raises, naming the
op, unless ``backward`` is decorated with :class:`once_differentiable` (whose gradients then refuse to
be differentiated again). Integer and boolean arrays (indices, masks) carry no derivative and may be
saved freely.
"""
from __future__ import annotations

import inspect
import traceback

import numpy as np

from nnmath import dtypes
from nnmath.autograd.grad_mode import no_grad, state
from nnmath.backend import device_of, get_array_module, to_device
from nnmath.device import CPU
from nnmath.hooks import RemovableHandle
from nnmath.tensor import Tensor

#: Every Function subclass defined inside nnmath: the op table's meta-test checks each has an entry.
registry: list = []

#: Set only while :func:`nnmath.onnx.export` traces a model: called as ``tracer(cls, args, results)``
#: after every op, so the exporter sees each op with its non-tensor arguments (dims, shapes, modes).
tracer = None

_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors "
          "after they have already been freed). Saved intermediate values of the graph are freed when "
          "you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
          "through the graph a second time or if you need to access saved tensors after calling backward.")


# bfloat16's scalar type (ml_dtypes), when installed: compared by identity in every apply
_BFLOAT16_TYPE = None if dtypes.BFLOAT16_NP is None else dtypes.BFLOAT16_NP.type


class Function:
    """Base class of every differentiable op (and of user-defined ones).

    Subclasses define ``forward(ctx, *args)`` on arrays and ``backward(ctx, *grad_outputs)`` on
    Tensors, returning one gradient (or None) per argument of ``forward``. Call ``Cls.apply(*args)``.
    Class attribute ``is_view = True`` says outputs may share memory with the first input: those that
    do become its views (same memory, same version counter; see ``_link_views``).
    ``widens_bfloat16 = False`` gives ``forward`` bfloat16 arrays as they are, for an op whose output dtype
    is its argument (a cast); the others compute on them in float32 and round back (see ``apply``).
    """

    is_view = False
    widens_bfloat16 = True
    #: ``backward`` is arithmetic operators alone (+, −, ⊙, /) on ȳ and the saved values, which compute the
    #: same on arrays as on Tensors: without create_graph the engine runs it on the arrays (see
    #: :func:`nnmath.autograd.engine._call_backward`), sparing an op per operator.
    operators_only_backward = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("nnmath."):
            registry.append(cls)

    # --- what forward may call on ctx -----------------------------------------------------------
    def save_for_backward(self, *values):
        """Keep inputs or outputs of forward (arrays or Tensors) for ``backward``; a floating intermediate
        array raises unless ``backward`` is :class:`once_differentiable` (see the module docstring)."""
        self._to_save = values

    def mark_non_differentiable(self, *outputs):
        """Declare outputs (arrays returned by forward) that get no gradient, like indices."""
        self._non_diff = {id(o) for o in outputs}

    def set_materialize_grads(self, value: bool):
        """When True (the default) a missing output gradient reaches ``backward`` as zeros, not None."""
        self.materialize_grads = value

    materialize_grads = True
    _on_arrays = False  # set by the engine while an operators-only backward runs on arrays
    _to_save = ()
    _non_diff = ()
    _saved = None
    _freed = False
    _pre_hooks = None
    _stack = None

    # --- what backward may read ------------------------------------------------------------------
    @property
    def saved_tensors(self) -> tuple:
        """The values given to ``save_for_backward``, as Tensors. Raises if the graph was freed or a
        saved tensor was modified in place since it was saved."""
        if self._freed:
            raise RuntimeError(_FREED)
        if self._saved is None:
            saved = tuple(_as_saved(v) for v in self._to_save)
            return tuple(v._data if isinstance(v, Tensor) else v for v in saved) if self._on_arrays else saved
        return tuple(self._unpack(entry) for entry in self._saved)

    def _unpack(self, entry):
        if entry is None:
            return None
        kind, value, vc, version, output_nr = entry
        if vc is not None and vc.value != version:
            shape = tuple((value._data if kind == "in" else value).shape)
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: {self.name()} saved a tensor of shape {shape} at version {version}; it is "
                f"now at version {vc.value}. Use an out-of-place op (x = x + y instead of x += y), "
                f"or .clone() the tensor before changing it.")
        if self._on_arrays:  # an operators-only backward running on arrays (the engine's)
            return value._data if kind == "in" else value
        if kind == "in":
            return value
        if kind == "out":
            # Rebuilt rather than kept: holding the output Tensor here would make a reference cycle.
            return Tensor._make(value, True, self, output_nr)
        return _as_saved(value)

    # --- the graph -------------------------------------------------------------------------------
    @classmethod
    def apply(cls, *args):
        """Run the op on ``args`` (Tensors and plain Python values) and record it if needed."""
        ctx = cls()
        arrays = []
        needs = []
        record = bf16 = False
        bf16_type = _BFLOAT16_TYPE if cls.widens_bfloat16 else None
        for a in args:
            if isinstance(a, Tensor):
                data = a._data
                arrays.append(data)
                # A view's property may rebuild its node (its base changed in place): _record reads it.
                req = a._requires_grad if a._base is None else a.requires_grad
                needs.append(req)
                if req:
                    record = True
                if bf16_type is not None and data.dtype.type is bf16_type:
                    bf16 = True
            else:
                arrays.append(a)
                needs.append(False)
        record = record and state.enabled
        ctx.needs_input_grad = tuple(needs) if record else (False,) * len(args)
        wide = _widen_bfloat16(arrays) if bf16 else arrays
        try:
            out = cls.forward(ctx, *wide)
        except (TypeError, ValueError):
            moved = _on_one_device(cls, args)  # raises PyTorch's error when the tensors are on two devices
            if moved is None:
                raise
            return cls.apply(*moved)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        if bf16 and not any(type(a) is np.ndarray and a.dtype.kind == "f" for a in arrays):
            rounded = tuple(np.asarray(o).astype(dtypes.BFLOAT16_NP)
                            if isinstance(o, (np.ndarray, np.generic)) and o.dtype == np.float32 else o for o in outs)
            ctx._to_save = _saved_in_bfloat16(ctx._to_save, wide, arrays, outs, rounded)
            outs = rounded
            out = outs[0] if single else outs
        if record:
            results = ctx._record(args, outs)
        elif single:
            results = (Tensor._make(out),)
        else:
            results = tuple(Tensor._make(o) for o in outs)
        if cls.is_view:
            _link_views(args[0], results)
        if tracer is not None:
            tracer(cls, args, results)
        return results[0] if single else results

    def _record(self, args, outs):
        edges = []
        in_meta = []
        for a, need in zip(args, self.needs_input_grad):
            if need:
                node = a._grad_fn
                edges.append((node, a._output_nr) if node is not None else (a, None))
                data = a._data
                in_meta.append((data.shape, data.dtype))
            else:
                edges.append(None)
                in_meta.append(None)
        self._edges = edges
        self._in_meta = in_meta
        non_diff = self._non_diff
        results = []
        out_meta = []
        for i, raw in enumerate(outs):
            o = raw
            if type(raw) is not np.ndarray and isinstance(raw, np.generic):  # a NumPy (or traced) scalar
                o = get_array_module(raw).asarray(raw)
            dtype = o.dtype
            out_meta.append((o.shape, dtype))
            diff = (dtypes.is_floating_np(dtype) or dtype.kind == "c") and id(raw) not in non_diff
            results.append(Tensor._make(o, diff, self if diff else None, i))
        self._out_meta = tuple(out_meta)
        if self._to_save:
            self._saved = tuple(self._pack(i, v, args, outs, results) for i, v in enumerate(self._to_save))
            self._to_save = ()
        if state.anomaly:
            self._stack = traceback.extract_stack()[:-3]
        return tuple(results)

    def _pack(self, position, value, args, raw_outs, results):
        if value is None:
            return None
        if isinstance(value, Tensor):
            value._vc.saved = True
            return ("in", value, value._vc, value._vc.value, None)
        for a in args:
            if isinstance(a, Tensor) and a._data is value:
                a._vc.saved = True
                return ("in", a, a._vc, a._vc.value, None)
        for i, (raw, r) in enumerate(zip(raw_outs, results)):
            if raw is value or r._data is value:
                return ("out", r._data, r._vc, r._vc.value, i)
        floating = isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "fc"
        if floating and not self._once_differentiable():
            raise RuntimeError(
                f"{type(self).__name__}.forward: save_for_backward argument {position} (a {value.dtype} array of "
                f"shape {tuple(np.shape(value))}) is neither an input nor an output of forward. backward would "
                f"read it detached from the graph, so the derivative of the gradient (double backward) would be "
                f"silently wrong. Save the inputs or outputs it is computed from and recompute it in backward "
                f"with ops (e.g. save the output and reshape it there), or declare the op once-differentiable "
                f"by decorating backward with @once_differentiable.")
        return ("const", value, None, None, None)

    @classmethod
    def _once_differentiable(cls) -> bool:
        """True when ``backward`` is decorated with :class:`once_differentiable`."""
        backward = inspect.getattr_static(cls, "backward")
        return isinstance(getattr(backward, "__func__", backward), once_differentiable)

    def _free(self):
        if self._saved is not None:
            self._saved = None
            self._freed = True

    def name(self) -> str:
        return type(self).__name__ + "Backward"

    @property
    def next_functions(self) -> tuple:
        """``(node, output_nr)`` per input, PyTorch-style; a leaf appears as its AccumulateGrad."""
        return tuple(
            (None, 0) if e is None else
            ((AccumulateGrad(e[0]), 0) if e[1] is None else e)
            for e in getattr(self, "_edges", ()))

    def register_prehook(self, output_nr: int, hook) -> RemovableHandle:
        """Call ``hook(grad)`` on the gradient of output ``output_nr`` before this node's backward;
        a returned tensor replaces the gradient."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return RemovableHandle(self._pre_hooks.setdefault(output_nr, {}), hook)

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a Function subclass must define forward(ctx, *arrays)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward(ctx, *grad_outputs)")


_NUMBERS = (bool, int, float, complex)  # exactly: a NumPy scalar (np.float64 is a float) becomes a Tensor


def _as_saved(value):
    """A saved array as a Tensor; a Python number (an arithmetic op's weak scalar) stays a number."""
    if value is None or isinstance(value, Tensor) or type(value) in _NUMBERS:
        return value
    return Tensor._make(value)


def _link_views(src: Tensor, results) -> None:
    """Make the results of a view op views of ``src``'s base: they share its memory and its version
    counter. Advanced indexing and a reshape of a non-contiguous array copy instead: only a result
    that really shares the input's memory becomes a view. Several views from one op (split) are
    marked, as PyTorch forbids changing them in place while autograd records."""
    base = src if src._base is None else src._base
    for view in results:
        if not np.may_share_memory(view._data, src._data):
            continue
        view._vc = src._vc
        view._base = base
        view._view_graph = src._vc.graph
        if len(results) > 1 or src._multi_view:
            view._multi_view = True
        if not state.enabled and src._requires_grad:
            view._view_no_grad = True


def _on_one_device(cls, args):
    """After ``cls.forward`` failed: None when all tensor arguments are on one device (the failure is
    the op's own). Otherwise ``args`` with zero-dim CPU tensors moved to the GPU, as PyTorch lets them
    join a GPU op; when a CPU tensor with dimensions meets a GPU tensor, PyTorch's error."""
    devices = {}
    for a in args:
        if isinstance(a, Tensor):
            devices.setdefault(device_of(a._data), []).append(a)
    if len(devices) < 2:
        return None
    gpu = next(d for d in devices if d != CPU)
    if any(t._data.ndim for t in devices[CPU]):
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{gpu} and cpu! ({cls.__name__} got tensors on both)")
    return tuple(ToDevice.apply(a, gpu) if isinstance(a, Tensor) and device_of(a._data) == CPU else a for a in args)


class ToDevice(Function):
    """Forward:  y = x, its memory copied to another device (``x.to('cuda')``, ``x.cpu()``)
    VJP:      x̄ = ȳ copied back to x's device"""

    @staticmethod
    def forward(ctx, x, device):
        ctx.source = device_of(x)
        return to_device(x, device)

    @staticmethod
    def backward(ctx, gy):
        return ToDevice.apply(gy, ctx.source)


class AccumulateGrad:
    """How a leaf appears in ``next_functions``: the end of a path, where ``.grad`` accumulates."""

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self):
        return "<AccumulateGrad>"


class DelayedError(Function):
    """Forward:  y = g   (a gradient computed by a ``once_differentiable`` backward)
    VJP:      none: differentiating y raises, naming the op whose backward is not differentiable.

    Under ``create_graph=True`` such gradients are still returned (first derivatives work); this node
    links them to the op's inputs so that only an attempt to go one order further fails, clearly."""

    @staticmethod
    def forward(ctx, g, op_name, *sources):
        ctx.op_name = op_name
        return g

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(f"{ctx.op_name}.backward is once_differentiable (written with NumPy): its gradient "
                           f"cannot be differentiated again, so this higher-order derivative is not available")


class once_differentiable:
    """Decorator for a ``backward`` written with NumPy: it runs on arrays and its result cannot be
    differentiated again (asking for that raises, naming the op)."""

    def __init__(self, fn):
        self.fn = fn

    def __get__(self, obj, cls):
        return self

    def __call__(self, ctx, *grads):
        sources = ()
        if state.enabled:  # create_graph=True: the engine is recording this backward
            sources = tuple(t for t in ctx.saved_tensors if t.requires_grad) + \
                tuple(g for g in grads if isinstance(g, Tensor) and g.requires_grad)
        with no_grad():
            outs = self.fn(ctx, *[g._data if isinstance(g, Tensor) else g for g in grads])
        single = not isinstance(outs, tuple)
        outs = (outs,) if single else outs
        wrapped = tuple(None if o is None else (o if isinstance(o, Tensor) else Tensor._make(o))
                        for o in outs)
        if sources:
            wrapped = tuple(None if w is None else DelayedError.apply(w, type(ctx).__name__, *sources)
                            for w in wrapped)
        return wrapped[0] if single else wrapped


def _widen_bfloat16(arrays: list) -> list:
    """bfloat16 inputs as float32, where the op computes (PyTorch's CPU kernels do the same)."""
    return [a.astype(np.float32) if type(a) is np.ndarray and a.dtype == dtypes.BFLOAT16_NP else a
            for a in arrays]


def _saved_in_bfloat16(saved: tuple, wide: list, arrays: list, outs: tuple, rounded: tuple) -> tuple:
    """What a bfloat16 op saved for backward, in bfloat16 as PyTorch keeps it: widened inputs as the
    inputs themselves, outputs as the rounded outputs, float32 intermediates rounded."""
    def original(value):
        for w, a in zip(wide, arrays):
            if value is w:
                return a
        for o, r in zip(outs, rounded):
            if value is o:
                return r
        if isinstance(value, np.ndarray) and value.dtype == np.float32:
            return value.astype(dtypes.BFLOAT16_NP)
        return value
    return tuple(original(v) for v in saved)
