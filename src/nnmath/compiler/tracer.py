"""Recording a function's NumPy work: the traced array and the trace it writes into.

nnmath computes with NumPy calls on arrays held by tensors (``Tensor._data``): ``Function.forward``
(arrays), ``Function.backward`` (Tensor ops, some raw NumPy), the engine, the optimizers (NumPy on
parameter arrays). A :class:`Traced` array stands in for such an array during one run: it holds the
real array (every operation is really computed, so the traced run *is* an eager run) and records
each NumPy operation that touches it into a :class:`Trace`:

- ufuncs and their methods (``np.add``, ``np.add.reduce``, ``np.maximum.at``) through
  ``__array_ufunc__``; NumPy's other functions (``np.where``, ``np.concatenate``, ``np.copyto``)
  through ``__array_function__``; array methods (``x.sum()``, ``x.reshape()``, ``x[key]``,
  ``x[key] = v``, ``x += y``) by the methods of this class, each recorded as NumPy's own method;
- in-place writes (``out=``, ``copyto``, ``x[...] = v``, ``fill``): recorded as writes into the
  written value's storage, so the replay keeps their order;
- arrays created from nothing (``xp.zeros(shape)`` through :func:`nnmath.backend.get_array_module`)
  and random draws (through a recording stand-in for the bit generator of nnmath's generators);
- Python values read from data (``bool(x)``, ``float(x)``, ``x.item()``, ``np.count_nonzero(x)``):
  *guards*, the value seen; a replay checks it and gives up (the caller falls back) when it differs.

What cannot be recorded (``np.asarray(x)`` handing the raw memory to code that is not traced, a
random Python number, pickling) marks the trace as failed with the reason; from then on traced arrays
just compute (the run finishes as an ordinary eager run) and the caller runs the function eagerly.

A Traced is not an ``np.ndarray`` (so nothing can read its memory behind the tracer's back) but
says it is one to ``isinstance`` (its ``__class__``), as the library checks arrays that way.
"""
from __future__ import annotations

import operator
import traceback

import numpy as np


class Ref:
    """A value of the trace inside the arguments of a recorded call."""
    __slots__ = ("vid",)

    def __init__(self, vid):
        self.vid = vid

    def __repr__(self):
        return f"v{self.vid}"


class Storage:
    """Memory that values live in. ``kind``: 'input' (an argument's array), 'external' (an array a
    tensor held before the run: parameters, gradients, optimizer state), 'const' (any other array
    that existed outside the trace: read only), 'new' (made by a recorded op), 'create' (made from a
    shape)."""
    __slots__ = ("sid", "kind", "root", "array")

    def __init__(self, sid, kind, root, array=None):
        self.sid = sid
        self.kind = kind
        self.root = root
        self.array = array


class Value:
    """One array (or NumPy scalar) of the trace: its layout and the storage it lives in."""
    __slots__ = ("vid", "shape", "dtype", "strides", "sid", "node", "is_scalar", "dynamic_shape", "random")

    def __init__(self, vid, real, sid, node):
        self.vid = vid
        self.shape = real.shape
        self.dtype = real.dtype
        self.strides = getattr(real, "strides", ())
        self.sid = sid
        self.node = node
        self.is_scalar = not isinstance(real, np.ndarray)
        self.dynamic_shape = False      # the shape depends on the data (nonzero, unique, a boolean mask)
        self.random = False             # computed from a random draw (a Python number read from it changes)


class Node:
    """One recorded call: ``fn(*args, **kwargs)`` with :class:`Ref` in place of values.

    ``outs``: the result as a template (Refs for values); ``writes``: vids written in place; ``reads``:
    vids read; ``kind``: 'op', 'view' (results share an input's memory), 'create', 'random',
    'guard' (``expected`` holds the Python value seen)."""
    __slots__ = ("index", "fn", "args", "kwargs", "outs", "writes", "reads", "kind", "expected", "label")

    def __init__(self, index, fn, args, kwargs, kind, label):
        self.index = index
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.kind = kind
        self.label = label
        self.outs = None
        self.writes = ()
        self.reads = ()
        self.expected = None

    def __repr__(self):
        return f"<{self.index}: {self.label} {self.kind} reads={self.reads} writes={self.writes} outs={self.outs}>"


class Trace:
    """The recorded run: values, storages and nodes in the order they ran."""

    def __init__(self):
        self.values: list[Value] = []
        self.storages: list[Storage] = []
        self.nodes: list[Node] = []
        self.plain: dict = {}       # id(array) -> vid, for arrays not made in the trace
        self.arrays: dict = {}      # vid -> such an array (kept alive: ids stay unique during the run)
        self.made: dict = {}        # sid -> creation node of arrays that tensors made during the run hold
        self.failure = None         # why the trace cannot be replayed (None while it can)
        self.recording = True

    # --- values ----------------------------------------------------------------------------------
    def _new_storage(self, kind, array=None):
        storage = Storage(len(self.storages), kind, None, array)
        self.storages.append(storage)
        return storage

    def _new_value(self, real, sid, node):
        value = Value(len(self.values), real, sid, node)
        self.values.append(value)
        if self.storages[sid].root is None:
            self.storages[sid].root = value.vid
        return value.vid

    def bind_plain(self, array, kind):
        """The value of an array that was not made by the trace (bound by identity at replay). A view
        of another such array shares its storage (the memory it aliases)."""
        vid = self.plain.get(id(array))
        if vid is not None:
            return vid
        root = _root(array)
        if root is array:
            sid = self._new_storage(kind, array).sid
        else:
            sid = self.values[self.bind_plain(root, kind)].sid
        vid = self._new_value(array, sid, None)
        self.plain[id(array)] = vid
        self.arrays[vid] = array
        return vid

    def wrap_plain(self, array, kind):
        return Traced(array, self.bind_plain(array, kind), self)

    def wrap_made(self, array):
        """The value of an array that a tensor made during the run holds (``nnmath.zeros`` is NumPy's
        ``np.zeros``): a creation, recorded where the run first reads it. Until a traced value is
        written into it, it is bound as it is; after, each replay restores its content then."""
        vid = self.plain.get(id(array))
        if vid is None:
            node = Node(len(self.nodes), made_in_run, (), {}, "create", "made")
            node.expected = array
            self.nodes.append(node)
            storage = self._new_storage("const", array)
            vid = self._new_value(array, storage.sid, node.index)
            node.outs = Ref(vid)
            self.plain[id(array)] = vid
            self.made[storage.sid] = node
        return Traced(array, vid, self)

    def fail(self, reason):
        """Stop recording: the trace cannot be replayed; traced arrays compute from now on."""
        if self.failure is None:
            self.failure = f"{reason}, at {_caller()}"
        self.recording = False

    # --- recording ---------------------------------------------------------------------------------
    def template(self, obj, seen):
        """(``obj`` with values replaced by Refs, ``obj`` with real arrays); appends (vid, real) of every
        value met to ``seen``."""
        t = type(obj)
        if t is Traced:
            if obj._trace is not self:
                self.fail("an array of another (finished) trace was used")
            seen.append((obj._vid, obj._value))
            return Ref(obj._vid), obj._value
        if t is np.ndarray:
            vid = self.bind_plain(obj, "const")
            seen.append((vid, obj))
            return Ref(vid), obj
        if t is tuple or t is list:
            pairs = [self.template(o, seen) for o in obj]
            return t(p[0] for p in pairs), t(p[1] for p in pairs)
        if t is dict:
            pairs = {k: self.template(v, seen) for k, v in obj.items()}
            return {k: p[0] for k, p in pairs.items()}, {k: p[1] for k, p in pairs.items()}
        return obj, obj

    def _check_writes(self, writes):
        """A traced value may be written only into traced memory or a tensor's array: an array made
        outside the trace (``np.zeros`` in a kernel) would then be read by NumPy code that no traced
        array takes part in, which the trace cannot see."""
        for vid in writes:
            storage = self.storages[self.values[vid].sid]
            made = self.made.get(storage.sid)
            if made is not None and storage.kind == "const":
                storage.kind = "create"               # written: a creation whose content each replay restores
                made.expected = np.array(storage.array, copy=True)
            elif storage.kind == "const":
                self.fail("a traced value was written into an array made outside the trace (allocate it "
                          "from the data's array module: get_array_module(x).zeros(...))")

    def record(self, fn, args, kwargs, label, kind="op", write_first=False, reads_out=False):
        """Run ``fn(*args, **kwargs)`` on the real arrays and record it; returns the result with traced
        arrays in place of the arrays it made. ``write_first``: the call writes into its first argument;
        ``reads_out``: it reads what it writes into (``out=``) as well."""
        if not self.recording:
            return _call_plain(fn, args, kwargs)
        seen_in, seen_out = [], []
        given = kwargs
        kwargs = dict(kwargs)
        out = kwargs.pop("out", None)
        targs, rargs = self.template(args, seen_in)
        tkw, rkw = self.template(kwargs, seen_in)
        if out is not None:
            tkw["out"], rkw["out"] = self.template(out, seen_out)
        node = Node(len(self.nodes), fn, targs, tkw, kind, label)
        writes = [vid for vid, _ in seen_out]
        if write_first and isinstance(targs[0], Ref):
            writes.insert(0, targs[0].vid)
        node.reads = tuple(dict.fromkeys([vid for vid, _ in seen_in] + (writes if reads_out else [])))
        node.writes = tuple(dict.fromkeys(writes))
        self._check_writes(node.writes)
        if not self.recording:
            return _call_plain(fn, args, given)
        result = fn(*rargs, **rkw)
        if not self.recording:       # the call itself handed memory to untraced code
            return result
        self.nodes.append(node)
        if out is not None and _same_object(result, rkw["out"]):
            node.outs = tkw["out"]
            return out if not (isinstance(out, tuple) and not isinstance(result, tuple)) else out[0]
        arrays = [(vid, real) for vid, real in seen_in + seen_out if isinstance(real, np.ndarray)]
        if isinstance(result, (tuple, list)):
            pairs = [self._wrap_one(r, node, arrays, args) for r in result]
            node.outs = tuple(p[0] for p in pairs) if isinstance(result, tuple) else [p[0] for p in pairs]
            wrapped = _rebuild(type(result), [p[1] for p in pairs])
        else:
            node.outs, wrapped = self._wrap_one(result, node, arrays, args)
        if node.kind == "op" and not node.writes and self._only_views(node):
            node.kind = "view"
        if node.kind == "random" or any(self.values[vid].random for vid in node.reads):
            for ref in _flat(node.outs):
                if isinstance(ref, Ref) and self.values[ref.vid].node == node.index:
                    self.values[ref.vid].random = True
        if _data_shaped(fn, args) or any(self.values[vid].dynamic_shape for vid in node.reads):
            for ref in _flat(node.outs):
                if isinstance(ref, Ref) and self.values[ref.vid].node == node.index:
                    self.values[ref.vid].dynamic_shape = True
        return wrapped

    def _only_views(self, node):
        """Whether every array the node returned lives in memory that existed before it ran."""
        refs = [r for r in _flat(node.outs) if isinstance(r, Ref)]
        return bool(refs) and all(self.storages[self.values[r.vid].sid].root != r.vid for r in refs)

    def _wrap_one(self, r, node, arrays, args):
        if isinstance(r, (np.ndarray, np.generic)):
            for a in _flat(args):
                if type(a) is Traced and a._value is r:
                    return Ref(a._vid), a            # the call returned its input itself
            sid = None
            if isinstance(r, np.ndarray):
                for vid, real in arrays:
                    if np.may_share_memory(r, real):
                        sid = self.values[vid].sid
                        break
            if sid is None:
                sid = self._new_storage("create" if node.kind == "create" else "new").sid
            vid = self._new_value(r, sid, node.index)
            if node.kind == "create":      # the initial content, which the replay restores (none if empty)
                node.expected = None if node.fn in (np.empty, np.empty_like) else np.array(r, copy=True)
            return Ref(vid), Traced(r, vid, self)
        if r is None:
            return None, None
        # a Python value computed from the data: checked again at every replay
        node.kind = "guard"
        node.expected = r
        return None, r

    def guard(self, fn, traced, label):
        """``fn(x)`` for a Python value read from the data of ``traced`` (bool, float, item, ...)."""
        value = fn(traced._value)
        if self.recording and self.values[traced._vid].random:
            self.fail(f"a Python number was read from a random draw ({label}), which a replay would repeat")
        if self.recording:
            node = Node(len(self.nodes), fn, (Ref(traced._vid),), {}, "guard", label)
            node.reads = (traced._vid,)
            node.expected = value
            self.nodes.append(node)
        return value


def _same_object(result, out_r):
    if isinstance(out_r, tuple):
        if isinstance(result, tuple):
            return all(a is b for a, b in zip(result, out_r))
        return len(out_r) == 1 and result is out_r[0]
    return result is out_r


def made_in_run(*args):
    raise AssertionError("a creation of an array made during the run is replayed from its content")


def _rebuild(kind, items):
    """A tuple, list or named tuple of ``items``."""
    return kind(*items) if hasattr(kind, "_fields") else kind(items)


def _flat(obj):
    if isinstance(obj, (tuple, list)):
        for o in obj:
            yield from _flat(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _flat(o)
    else:
        yield obj


#: Functions whose result's shape depends on the data of their arguments.
_DATA_SHAPED = {np.nonzero, np.flatnonzero, np.argwhere, np.unique, np.compress, np.extract, np.bincount,
                np.union1d, np.intersect1d, np.setdiff1d, np.setxor1d, np.trim_zeros, np.delete, np.insert,
                np.repeat, np.ndarray.nonzero, np.ndarray.compress, np.ndarray.repeat}


def _data_shaped(fn, args):
    """Whether a call's result has a shape that depends on the data (indexing by a traced mask too)."""
    if fn in _DATA_SHAPED:
        return True
    if fn is operator.getitem:
        key = args[1] if isinstance(args[1], tuple) else (args[1],)
        return any(type(k) is Traced and k._value.dtype == np.bool_ for k in key)
    return False


def _root(array):
    """The array owning the memory of a view (through NumPy's ``base`` chain, and the array interface
    objects that ``as_strided`` leaves in it)."""
    while True:
        base = array.base
        if isinstance(base, np.ndarray):
            array = base
        elif base is not None and isinstance(getattr(base, "base", None), np.ndarray):
            array = base.base
        else:
            return array


def _caller():
    """The innermost line of the traced program outside the compiler and NumPy."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if "/nnmath/compiler/" not in frame.filename and "/numpy/" not in frame.filename:
            return f"{frame.filename}:{frame.lineno} ({frame.line})"
    return "an unknown place"


def unwrap(obj):
    """``obj`` with traced arrays replaced by their real arrays (nested tuples, lists, dicts)."""
    t = type(obj)
    if t is Traced:
        return obj._value
    if t is tuple or t is list:
        return t(unwrap(o) for o in obj)
    if t is dict:
        return {k: unwrap(v) for k, v in obj.items()}
    return obj


def _call_plain(fn, args, kwargs):
    return fn(*unwrap(args), **unwrap(kwargs))


def _find_trace(objs):
    for o in _flat(objs):
        if type(o) is Traced:
            return o._trace
    return None


# --- the traced array -------------------------------------------------------------------------------

#: NumPy functions whose result depends only on shapes, dtypes or memory layout: computed, not recorded.
_STATIC_FUNCTIONS = {np.shape, np.ndim, np.size, np.result_type, np.may_share_memory, np.shares_memory,
                     np.iscomplexobj, np.isrealobj, np.min_scalar_type, np.broadcast_shapes}
#: NumPy functions that make an array from another's shape and dtype only.
_CREATE_LIKE = {np.zeros_like, np.ones_like, np.empty_like, np.full_like}
#: NumPy functions that write into their first argument.
_WRITE_FIRST = {np.copyto, np.put_along_axis, np.put, np.place, np.putmask, np.fill_diagonal}


class Traced:
    """A stand-in for an ndarray during a traced run: the real array plus its value in the trace."""

    __slots__ = ("_value", "_vid", "_trace", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, value, vid, trace):
        self._value = value
        self._vid = vid
        self._trace = trace

    @property
    def __class__(self):
        """The class of the value stood for: ``np.ndarray``, or a NumPy scalar type (``isinstance`` then
        answers as it would for that value)."""
        value = self._value
        return np.ndarray if isinstance(value, np.ndarray) else type(value)

    # --- NumPy's protocols --------------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        fn = ufunc if method == "__call__" else getattr(ufunc, method)
        label = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
        out = kwargs.get("out")
        if isinstance(out, tuple) and len(out) == 1:
            kwargs["out"] = out[0] if ufunc.nout == 1 else out
        return self._trace.record(fn, inputs, kwargs, label, write_first=(method == "at"))

    def __array_function__(self, func, types, args, kwargs):
        if func in _STATIC_FUNCTIONS:
            return func(*unwrap(args), **unwrap(kwargs))
        kind = "create" if func in _CREATE_LIKE else "op"
        return self._trace.record(func, args, kwargs, func.__name__, kind=kind, write_first=func in _WRITE_FIRST)

    def __array__(self, dtype=None, copy=None):
        trace = self._trace
        if trace.recording:
            trace.fail(_HANDED)
        value = np.asarray(self._value)
        return value if dtype is None else value.astype(dtype)

    def __array_namespace__(self, api_version=None):
        return _Namespace(self._trace)

    def __array_kernel__(self, fn, args, out, kwargs):
        """A kernel (:func:`nnmath.backend.run_kernel`) recorded as one call, reading its outputs too."""
        return self._trace.record(fn, args, {**kwargs, "out": out}, fn.__name__, reads_out=True)

    def __getattr__(self, name):
        """An attribute the tracer does not record (the memory address, ``ctypes``, ``tobytes``):
        the trace stops, and the real array answers."""
        value = object.__getattribute__(self, "_value")
        trace = object.__getattribute__(self, "_trace")
        if trace.recording:
            memory = name in ("__array_struct__", "__array_interface__")   # how np.asarray takes the memory
            trace.fail(_HANDED if memory else f"the array's {name!r} was read (not recorded by the tracer)")
        return getattr(value, name)

    # --- attributes ---------------------------------------------------------------------------------
    def _layout(self):
        """The real array, for a question about its shape: a guard when the shape depends on the data."""
        trace = self._trace
        if trace.recording and trace.values[self._vid].dynamic_shape:
            trace.guard(np.shape, self, "shape")
        return self._value

    shape = property(lambda self: self._layout().shape)
    dtype = property(lambda self: self._value.dtype)
    ndim = property(lambda self: self._value.ndim)
    size = property(lambda self: self._layout().size)
    itemsize = property(lambda self: self._value.itemsize)
    nbytes = property(lambda self: self._layout().nbytes)
    strides = property(lambda self: self._layout().strides)
    flags = property(lambda self: self._value.flags)

    @property
    def address(self):
        """The real array's first-element address (:func:`nnmath.backend.address`): what a view's offset
        in its base is computed from. Only such differences within one storage are used, and a replay
        repeats the traced views, so they hold there too."""
        return self._value.__array_interface__["data"][0]

    @property
    def base(self):
        """Whether this array is a view (the layout is part of the trace, the memory is not given out)."""
        value = self._value
        return None if not isinstance(value, np.ndarray) or value.base is None else _VIEW_BASE

    @property
    def T(self):
        return self._method("transpose")

    @property
    def mT(self):
        return self._record_method(lambda a: a.mT, "mT")

    @property
    def real(self):
        return self._record_method(lambda a: a.real, "real")

    @property
    def imag(self):
        return self._record_method(lambda a: a.imag, "imag")

    def _method(self, name, *args, **kwargs):
        return self._trace.record(getattr(type(self._value), name), (self,) + args, kwargs, name)

    def _record_method(self, fn, name):
        return self._trace.record(fn, (self,), {}, name)

    # --- indexing and writes ------------------------------------------------------------------------
    def __getitem__(self, key):
        return self._trace.record(operator.getitem, (self, key), {}, "getitem")

    def __setitem__(self, key, value):
        self._trace.record(operator.setitem, (self, key, value), {}, "setitem", write_first=True)

    def __len__(self):
        return len(self._layout())

    def __iter__(self):
        for i in range(len(self._layout())):
            yield self[i]

    def fill(self, value):
        self._trace.record(np.ndarray.fill, (self, value), {}, "fill", write_first=True)

    def sort(self, *args, **kwargs):
        self._trace.record(type(self._value).sort, (self,) + args, kwargs, "sort", write_first=True)

    # --- Python values read from the data: guards -----------------------------------------------------
    def _guard(self, fn, label):
        if not self._trace.recording:
            return fn(self._value)
        return self._trace.guard(fn, self, label)

    def __bool__(self):
        return self._guard(bool, "bool")

    def __float__(self):
        return self._guard(float, "float")

    def __int__(self):
        return self._guard(int, "int")

    def __index__(self):
        return self._guard(operator.index, "index")

    def __complex__(self):
        return self._guard(complex, "complex")

    def item(self, *args):
        return self._guard(lambda a: a.item(*args), "item")

    def tolist(self):
        return self._guard(lambda a: a.tolist(), "tolist")

    def __repr__(self):
        return repr(self._value)

    def __str__(self):
        return str(self._value)

    def __format__(self, spec):
        return format(self._value, spec)

    def __reduce__(self):
        self._trace.fail("a traced array was pickled")
        return self._value.__reduce__()

    def __copy__(self):
        return self._method("copy")

    def __deepcopy__(self, memo):
        return self._method("copy")

    __hash__ = None


_HANDED = "the array's memory was handed to code that is not traced (np.asarray, np.array or a C extension)"
_VIEW_BASE = object()  # what ``.base`` of a traced view returns: not None, and no memory

# Methods recorded as NumPy's own method applied to the traced array.
for _name in ("reshape", "transpose", "swapaxes", "astype", "copy", "view", "ravel", "flatten", "squeeze",
              "sum", "prod", "mean", "std", "var", "max", "min", "any", "all", "argmax", "argmin", "cumsum",
              "cumprod", "clip", "round", "dot", "take", "repeat", "nonzero", "conj", "conjugate", "diagonal",
              "trace", "argsort", "searchsorted", "partition", "argpartition", "compress", "choose", "ptp",
              "byteswap", "getfield", "__abs__", "__neg__", "__pos__", "__invert__"):
    if hasattr(np.ndarray, _name):
        setattr(Traced, _name, (lambda name: lambda self, *a, **k: self._method(name, *a, **k))(_name))



def _inplace(ufunc, x, other):
    """``x op= other``: into x's memory for an array; a NumPy scalar has none (``s += 1`` rebinds s)."""
    return ufunc(x, other, out=x) if isinstance(x._value, np.ndarray) else ufunc(x, other)


# Operators as ufuncs, so that they dispatch like NumPy's own.
_BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
           "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power, "matmul": np.matmul,
           "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor, "lshift": np.left_shift,
           "rshift": np.right_shift}
for _name, _uf in _BINARY.items():
    setattr(Traced, f"__{_name}__", (lambda uf: lambda self, other: uf(self, other))(_uf))
    setattr(Traced, f"__r{_name}__", (lambda uf: lambda self, other: uf(other, self))(_uf))
    setattr(Traced, f"__i{_name}__", (lambda uf: lambda self, other: _inplace(uf, self, other))(_uf))
for _name, _uf in {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
                   "gt": np.greater, "ge": np.greater_equal}.items():
    setattr(Traced, f"__{_name}__", (lambda uf: lambda self, other: uf(self, other))(_uf))
Traced.__divmod__ = lambda self, other: np.divmod(self, other)


# --- arrays made from a shape: the array module a traced array names ------------------------------------

def _creator(name):
    fn = getattr(np, name)

    def create(self, *args, **kwargs):
        return self._trace.record(fn, args, kwargs, name, kind="create")
    return create


class _Namespace:
    """The array module of traced arrays (what ``get_array_module`` returns for them): NumPy, with
    the functions that make arrays from a shape recorded as creations."""

    def __init__(self, trace):
        self._trace = trace

    def __getattr__(self, name):
        return getattr(np, name)


for _name in ("zeros", "ones", "empty", "full", "arange", "eye", "identity", "linspace", "tri"):
    setattr(_Namespace, _name, _creator(_name))


def _converter(name):
    fn = getattr(np, name)

    def convert(self, a, *args, **kwargs):
        if type(a) is not Traced:
            return fn(a, *args, **kwargs)
        return self._trace.record(fn, (a,) + args, kwargs, name)
    return convert


# NumPy's conversions take the memory of their argument (no __array_function__ dispatch): recorded here.
for _name in ("asarray", "asanyarray", "ascontiguousarray", "asfortranarray", "array"):
    setattr(_Namespace, _name, _converter(_name))


def _as_strided(x, shape=None, strides=None, subok=False, writeable=True):
    return np.lib.stride_tricks.as_strided(x, shape, strides, subok, writeable)


class _StrideTricks:
    """``xp.lib.stride_tricks`` of traced arrays: ``as_strided`` is recorded (NumPy's would take the
    memory through ``np.array``)."""

    def __init__(self, trace):
        self._trace = trace

    def as_strided(self, x, shape=None, strides=None, subok=False, writeable=True):
        return self._trace.record(_as_strided, (x, shape, strides, subok, writeable), {}, "as_strided")

    def __getattr__(self, name):
        return getattr(np.lib.stride_tricks, name)


class _Lib:
    def __init__(self, trace):
        self.stride_tricks = _StrideTricks(trace)

    def __getattr__(self, name):
        return getattr(np.lib, name)


_Namespace.lib = property(lambda self: _Lib(self._trace))


# --- random draws --------------------------------------------------------------------------------------

class RecordingRng:
    """Stands for the MT19937 bit generator of an nnmath :class:`~nnmath.random.Generator` during a
    trace: each draw (``random_raw``) is made for real and recorded, so the replay draws fresh numbers
    from the same stream, in the same order (compiled and eager runs then agree to the bit)."""

    def __init__(self, trace, owner, rng):
        object.__setattr__(self, "_trace", trace)
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "_rng", rng)

    def __setattr__(self, name, value):
        # Re-seeding inside the function (``state = ...``) changes the stream a replay would not reset.
        self._trace.fail(f"the random generator's {name} was set inside the function")
        setattr(self._rng, name, value)

    def __getattr__(self, name):
        attr = getattr(self._rng, name)
        if not callable(attr) or name.startswith("_") or name in ("bit_generator", "spawn"):
            return attr
        draw = Draw(self._owner, name)
        trace = self._trace

        def method(*args, **kwargs):
            if not trace.recording:
                return attr(*unwrap(args), **unwrap(kwargs))
            result = trace.record(draw, args, kwargs, f"rng.{name}", kind="random")
            if not isinstance(result, Traced) and result is not None and trace.recording:
                trace.fail(f"a random Python number was drawn (Generator.{name} without a size)")
            return result
        return method


class Draw:
    """A draw from an nnmath generator's bit generator, looked up at each call."""
    __slots__ = ("owner", "name")

    def __init__(self, owner, name):
        self.owner = owner
        self.name = name

    def __call__(self, *args, **kwargs):
        return getattr(vars(self.owner)["_bits"], self.name)(*args, **kwargs)

    def __repr__(self):
        return f"rng.{self.name}"
