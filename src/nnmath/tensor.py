"""``nnmath.Tensor``: an n-dimensional array (NumPy underneath) that can record how it was computed.

A tensor with ``requires_grad=True`` is a leaf of the autograd graph; every op applied to it makes a
new tensor whose ``grad_fn`` is the op's node (:mod:`nnmath.autograd.function`). ``backward()`` then
applies the chain rule over that graph (:mod:`nnmath.autograd.engine`).
"""
from __future__ import annotations

import sys
import warnings

import numpy as np

from nnmath import dtypes
from nnmath.backend import device_of, get_array_module, to_device
from nnmath.device import CPU
from nnmath.hooks import RemovableHandle


def _infer_np_dtype(arr: np.ndarray, data):
    """PyTorch's inference: Python floats -> default float, ints -> int64, bools -> bool;
    NumPy arrays keep their dtype."""
    if isinstance(data, (np.ndarray, np.generic)):
        return arr.dtype
    kind = arr.dtype.kind
    if kind == "f":
        return dtypes.get_default_dtype().np
    if kind in "iu":
        return np.dtype(np.int64)
    if kind == "c":
        return dtypes.complex64.np if dtypes.get_default_dtype() is dtypes.float32 else dtypes.complex128.np
    return arr.dtype


def _unwrap(data):
    """Nested sequences that may contain Tensors, as nested sequences of numbers or arrays."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_unwrap(d) for d in data]
    return data


def to_array(data, dtype=None, copy=True) -> np.ndarray:
    """``data`` (numbers, nested sequences, arrays, Tensors) as an array of ``dtype``, or of the dtype
    PyTorch infers; a copy unless ``copy=False`` allows sharing."""
    if isinstance(data, Tensor) or _is_device_array(data):
        arr = data._data if isinstance(data, Tensor) else data
        src = arr
        if type(arr) is not np.ndarray:  # on a GPU: convert there (the dtype rules are the same)
            return arr.astype(dtypes.as_dtype(dtype, "tensor").np if dtype is not None else arr.dtype, copy=copy)
    else:
        src = data
        raw = _unwrap(data)
        try:
            arr = np.asarray(raw)
        except ValueError:
            raise ValueError(f"tensor: {_ragged(raw) or 'the data is not rectangular'}; nested lists must be "
                             f"rectangular") from None
        if arr.dtype.kind in "OUSV":
            _refuse_elements(data, arr)
    target = dtypes.as_dtype(dtype, "tensor").np if dtype is not None else (
        arr.dtype if isinstance(data, Tensor) else _infer_np_dtype(arr, src))
    if arr.dtype == target and not copy:
        return arr
    return np.array(arr, dtype=target, copy=True) if copy else arr.astype(target, copy=False)


def _ragged(data, dim=0) -> str | None:
    """Where nested sequences stop being rectangular (PyTorch's "expected sequence of length 2 at dim 1
    (got 1)"), or None."""
    if not isinstance(data, (list, tuple)):
        return None
    lengths = [len(d) if isinstance(d, (list, tuple, np.ndarray)) else None for d in data]
    for n in lengths[1:]:
        if n != lengths[0]:
            got = "a number" if n is None else n
            expected = "a number" if lengths[0] is None else f"sequence of length {lengths[0]}"
            return f"expected {expected} at dim {dim + 1} (got {got})"
    return next(filter(None, (_ragged(d, dim + 1) for d in data)), None)


def _refuse_elements(data, arr) -> None:
    """The error for data that are not all numbers: strings and integers beyond 64 bits are ValueErrors
    (as PyTorch's), other objects TypeErrors."""
    shown = f"{type(data).__name__} {data!r:.80}"
    if arr.dtype.kind in "US":
        raise ValueError(f"tensor: could not infer a numeric dtype from {shown} (strings are not numbers)")
    flat = arr.reshape(-1)
    if flat.size and all(isinstance(x, int) for x in flat):  # NumPy keeps ints beyond int64 as objects
        big = next(x for x in flat if not -2 ** 63 <= x < 2 ** 63)
        raise ValueError(f"tensor: {big} overflows int64 (in {shown})")
    raise TypeError(f"tensor: could not infer a numeric dtype from {shown} (the elements are not all numbers)")


def _is_device_array(data) -> bool:
    """A GPU array (CuPy's): data that must not be converted through the host."""
    return type(data).__module__ != "numpy" and get_array_module(data) is not np


class _VersionCounter:
    """Shared by a tensor and all its views (one counter per memory). ``value`` counts in-place
    changes to the data: a node that saved a tensor at one version refuses to use it at another.
    ``graph`` counts in-place changes that autograd recorded (the base's history changed), so a view
    knows when its ``grad_fn`` must be rebuilt from its base's. ``saved`` is set when a node saves a
    tensor counted here."""
    __slots__ = ("value", "graph", "saved")

    def __init__(self):
        self.value = 0
        self.graph = 0
        self.saved = False


class Tensor:
    """A multi-dimensional array with PyTorch's semantics and reverse-mode autodiff.

    Create one with :func:`nnmath.tensor`, :func:`nnmath.zeros`, ... rather than this constructor.
    As PyTorch's legacy constructor, ``Tensor(data)`` holds ``data`` (anything :func:`nnmath.tensor`
    accepts) in the default float dtype (a tensor keeps its dtype), and ``Tensor(2, 3)`` is a float
    tensor of shape (2, 3).
    """

    __module__ = "nnmath"  # type(x) prints as <class 'nnmath.Tensor'>, where PyTorch's is <class 'torch.Tensor'>
    __slots__ = ("_data", "_requires_grad", "_grad_fn", "_output_nr", "_vc", "__weakref__", "__dict__")

    # Rarely set, so class-level defaults rather than per-tensor stores: creating a tensor is the
    # per-op overhead of every op.
    _grad = None
    _base = None          # a view's base: the tensor that owns the memory (never itself a view)
    _view_graph = 0       # the base's ``_vc.graph`` when this view's grad_fn was made
    _multi_view = False   # one of several views returned by one op (split, chunk, unbind)
    _view_no_grad = False  # a view of a tensor requiring grad, made with grad mode off
    _hooks = None
    _post_accumulate_grad_hooks = None
    _retains_grad = False

    def __init__(self, data=None, *sizes, dtype=None, requires_grad=False):
        if isinstance(data, int) and not isinstance(data, bool) and all(
                isinstance(s, int) and not isinstance(s, bool) for s in sizes):
            # PyTorch's legacy constructor: Tensor(2, 3) is a float tensor of that shape
            arr = np.zeros((data,) + sizes, dtypes.get_default_dtype().np)
        elif sizes:
            raise TypeError(f"Tensor(): expected sizes (ints) or one sequence of data, got {(data,) + sizes!r:.80}")
        else:
            # Tensor(data) is PyTorch's FloatTensor(data): the default float dtype, unless data is a tensor
            if dtype is None and not isinstance(data, Tensor):
                dtype = dtypes.get_default_dtype()
            arr = to_array([] if data is None else data, dtype)
        self._init(arr, requires_grad, None, 0)

    def _init(self, data, requires_grad, grad_fn, output_nr):
        self._data = data
        self._requires_grad = requires_grad
        self._grad_fn = grad_fn
        self._output_nr = output_nr
        self._vc = _VersionCounter()

    @classmethod
    def _make(cls, data, requires_grad=False, grad_fn=None, output_nr=0):
        """Wrap an array without copying (internal fast path)."""
        if type(data) is not np.ndarray and isinstance(data, np.generic):
            data = get_array_module(data).asarray(data)   # a NumPy scalar (or the compiler's traced one)
        t = cls.__new__(cls)
        t._data = data
        t._requires_grad = requires_grad
        t._grad_fn = grad_fn
        t._output_nr = output_nr
        t._vc = _VersionCounter()
        return t

    # --- metadata ------------------------------------------------------------------------------
    @property
    def data(self) -> "Tensor":
        """The same storage, detached from the graph; changes to it are not tracked."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        value = value._data if isinstance(value, Tensor) else np.asarray(value)
        self._data = value

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy_dtype(self._data.dtype)

    @property
    def shape(self) -> "Size":
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or the size of one dimension."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[wrap_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim: int | None = None):
        """Strides in elements (PyTorch's convention), not bytes."""
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[wrap_dim(dim, self._data.ndim, "stride")]

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    @property
    def device(self):
        """Where the data lives: ``device('cpu')`` (a NumPy array) or ``device('cuda', 0)`` (a CuPy array)."""
        return CPU if type(self._data) is np.ndarray else device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def get_device(self) -> int:
        """The GPU index of a CUDA tensor; -1 for a CPU tensor (as PyTorch)."""
        return -1 if type(self._data) is np.ndarray else self.device.index

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad_fn(self):
        """The node that computed this tensor (None for a leaf). A view whose base was changed in place
        by a recorded op gets a node that reads it from the base's new history (PyTorch's rule)."""
        if self._base is not None and self._view_graph != self._vc.graph:
            self._regenerate_grad_fn()
        return self._grad_fn

    @grad_fn.setter
    def grad_fn(self, node):
        self._grad_fn = node

    def _regenerate_grad_fn(self):
        raise NotImplementedError("bound by nnmath._methods")

    @property
    def grad(self):
        """The gradient accumulated by ``backward()`` (None until then); assigning checks its shape
        and dtype, as PyTorch does. Reading it on a non-leaf that does not retain its gradient warns, as
        PyTorch does: backward never fills it."""
        if self._grad is None and self._grad_fn is not None and not self._retains_grad:
            warnings.warn("The .grad attribute of a Tensor that is not a leaf Tensor is being accessed: backward() "
                          "does not populate it (it stays None). Call .retain_grad() on the non-leaf Tensor "
                          "before backward() if you want its gradient, or read the .grad of the leaf Tensor "
                          "instead.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"attempting to assign a gradient of size {list(value._data.shape)} to a "
                                   f"tensor of size {list(self._data.shape)}; the gradient and the tensor "
                                   f"must be the same size")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype {value.dtype} to a tensor of "
                                   f"dtype {self.dtype}; the gradient must have the tensor's dtype")
        self._grad = value

    @property
    def requires_grad(self) -> bool:
        if self._base is not None and self._view_graph != self._vc.graph:
            self._regenerate_grad_fn()
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Start (or stop) recording operations on this leaf tensor."""
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError("requires_grad_: you can only change requires_grad of leaf tensors; "
                                   "use .detach() to get a tensor that does not require grad")
            return self
        if requires_grad and not (dtypes.is_floating_np(self._data.dtype) or self._data.dtype.kind == "c"):
            raise RuntimeError(f"requires_grad_: only tensors of floating point dtype can require "
                               f"gradients; this tensor is {self.dtype}. Convert with .float() first")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def _version(self) -> int:
        return self._vc.value

    def is_floating_point(self) -> bool:
        return dtypes.is_floating_np(self._data.dtype)

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    # --- autograd (backward, retain_grad and the op-backed methods are bound in nnmath._methods) ---
    def detach(self) -> "Tensor":
        """The same data (shared, with a shared version counter), cut from the graph."""
        t = Tensor._make(self._data)
        t._vc = self._vc
        return t

    def detach_(self) -> "Tensor":
        """Cut this tensor from the graph, in place (not allowed for views: use detach())."""
        if self._base is not None:
            raise RuntimeError("detach_: can't detach views in-place; use detach() instead")
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it.
        Returns a handle whose ``remove()`` unregisters the hook."""
        if not self._requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = {}
            return RemovableHandle(self._hooks, hook)
        return self.grad_fn.register_prehook(self._output_nr, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` once per backward pass, after this leaf's ``.grad`` holds everything the
        pass accumulated into it (not for ``autograd.grad``, which accumulates nothing). The hook must
        return None. Returns a handle whose ``remove()`` unregisters it."""
        if not self._requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook: cannot register a hook on a tensor that "
                               "doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("register_post_accumulate_grad_hook: post accumulate grad hooks cannot be "
                               f"registered on non-leaf tensors (this one comes from {self.grad_fn.name()})")
        if self._post_accumulate_grad_hooks is None:
            self._post_accumulate_grad_hooks = {}
        return RemovableHandle(self._post_accumulate_grad_hooks, hook)

    # --- conversion ----------------------------------------------------------------------------
    def numpy(self, force: bool = False) -> np.ndarray:
        """The NumPy array (shared memory). Raises for a tensor that requires grad, as PyTorch does."""
        if self._requires_grad and not force:
            raise RuntimeError("numpy: can't call numpy() on a Tensor that requires grad; "
                               "use tensor.detach().numpy()")
        return self._host("numpy") if not force else to_device(self._data, CPU)

    def __array__(self, dtype=None, copy=None):
        data = self._host("__array__")
        return data if dtype is None else data.astype(dtype)

    def _host(self, caller: str) -> np.ndarray:
        """The NumPy array of a CPU tensor; for a GPU tensor the error PyTorch raises (copy explicitly)."""
        if type(self._data) is not np.ndarray:
            raise TypeError(f"{caller}: can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() "
                            f"to copy the tensor to host memory first.")
        return self._data

    def item(self):
        """The single value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"item: a Tensor with {self._data.size} elements cannot be converted to "
                               f"a Python scalar (shape {tuple(self.shape)})")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    # --- Python protocol -----------------------------------------------------------------------
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} elements is ambiguous "
                               f"(shape {tuple(self.shape)}); use .any() or .all()")
        return bool(self._data.reshape(()))

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def _scalar(self, op):
        """The single value, for float() and int(): PyTorch raises ValueError for other sizes."""
        if self._data.size != 1:
            raise ValueError(f"{op}(): only one element tensors can be converted to Python scalars; this one has "
                             f"{self._data.size} elements (shape {tuple(self.shape)})")
        return self._data.reshape(()).item()

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self._scalar("complex"))

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return _format(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return repr(self)

    def __reduce_ex__(self, proto):
        return (_rebuild, (self._data.copy(), self._requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol; use .detach().clone()")
        new = type(self).__new__(type(self))
        new._init(self._data.copy(), self._requires_grad, None, 0)
        if self.grad is not None:
            new.grad = self.grad.__deepcopy__(memo)
        new.__dict__.update({k: v for k, v in self.__dict__.items() if k not in _NOT_DEEPCOPIED})
        memo[id(self)] = new
        return new


# A deep copy owns new memory (so it is no view) and gets its own copy of the gradient.
_NOT_DEEPCOPIED = {"_grad", "_base", "_view_graph", "_multi_view", "_view_no_grad"}


def _rebuild(data, requires_grad):
    t = Tensor._make(data)
    t._requires_grad = requires_grad
    return t


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``nnmath.Size([2, 3])``."""

    def __repr__(self):
        return f"nnmath.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


def wrap_dim(dim, ndim: int, op: str) -> int:
    """A dimension index in [-ndim, ndim) made non-negative; otherwise a clear IndexError naming ``op``.
    A 0-d tensor accepts 0 and -1, as PyTorch."""
    n = max(ndim, 1)
    dim = int(dim)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


_PRINT_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}
_PRINT_PROFILES = {"default": {}, "short": {"precision": 2, "edgeitems": 2}, "full": {"threshold": sys.maxsize}}
print_options = dict(_PRINT_DEFAULTS)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """How tensors print (PyTorch's options): digits after the point, the element count above which a
    tensor is summarised with ``edgeitems`` at each end, the line width, a ``profile`` ('default',
    'short', 'full') and ``sci_mode`` (True: always scientific, False: never, None: automatic)."""
    if profile is not None:
        if profile not in _PRINT_PROFILES:
            raise ValueError(f"set_printoptions: profile must be 'default', 'short' or 'full', got {profile!r}")
        print_options.update(_PRINT_DEFAULTS, **_PRINT_PROFILES[profile])
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems, "linewidth": linewidth}
    print_options.update({k: v for k, v in given.items() if v is not None})
    print_options["sci_mode"] = sci_mode


def _float_formatter(a: np.ndarray, digits: int, sci_mode):
    """PyTorch's float formatter (``torch._tensor_str._Formatter``): the style and the width come from the
    nonzero finite values alone: scientific when max/min > 1000, max > 1e8 or min < 1e-4 (``sci_mode``, when
    not None, decides instead), else ``3.`` when all are integers, else ``precision`` decimals; every value is
    right-aligned to the widest nonzero finite one."""
    values = a[np.isfinite(a) & (a != 0)].astype(np.float64)
    int_mode, scientific, width = True, False, 1
    if values.size:
        low, high = np.abs(values).min(), np.abs(values).max()
        int_mode = bool(np.all(values == np.ceil(values)))
        scientific = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4 if sci_mode is None else sci_mode
        style = f".{digits}e" if scientific else ".0f" if int_mode else f".{digits}f"
        width = max(len(format(v, style)) for v in values.tolist()) + (int_mode and not scientific)

    def fmt(x):
        x = float(x)
        if scientific:
            text = f"{x:.{digits}e}"
        elif int_mode:
            text = f"{x:.0f}" + ("" if np.isinf(x) or np.isnan(x) else ".")
        else:
            text = f"{x:.{digits}f}"
        return text.rjust(width)
    return fmt


def _summarized(a: np.ndarray, edge: int) -> np.ndarray:
    """The values a summarized print shows: the first and last ``edge`` entries along each long axis."""
    for axis, n in enumerate(a.shape):
        if n > 2 * edge:
            a = np.take(a, list(range(edge)) + list(range(n - edge, n)), axis=axis)
    return a


def _format(t: Tensor) -> str:
    a = to_device(t._data, CPU)
    stored = a.dtype
    if dtypes.BFLOAT16_NP is not None and a.dtype == dtypes.BFLOAT16_NP:
        a = a.astype(np.float32)  # printed as the floats they are (the dtype is named below)
    opts = print_options
    kwargs = {"separator": ", ", "prefix": "tensor(", "threshold": min(opts["threshold"], sys.maxsize),
              "edgeitems": opts["edgeitems"], "max_line_width": opts["linewidth"]}
    digits = opts["precision"]
    if a.dtype.kind == "f":
        shown = _summarized(a, opts["edgeitems"]) if a.size > opts["threshold"] else a
        body = np.array2string(a, formatter={"float_kind": _float_formatter(shown, digits, opts["sci_mode"])},
                               **kwargs)
    elif a.dtype == np.bool_:  # PyTorch pads to the widest word present: "True" alone needs no pad
        width = 5 if (~a).any() else 4
        body = np.array2string(a, formatter={"bool": lambda v: str(bool(v)).rjust(width)}, **kwargs)
    else:
        body = np.array2string(a, **kwargs)
    extras = []
    if a.size == 0 and a.shape != (0,):
        extras.append(f"size={tuple(a.shape)}")
    if type(t._data) is not np.ndarray:
        extras.append(f"device='{t.device}'")
    if stored not in (dtypes.get_default_dtype().np, np.int64, np.bool_):
        extras.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    text = "tensor(" + body
    last_line = len(text) - text.rfind("\n") + 1    # PyTorch's count: a suffix that would pass the line
    for extra in extras:                             # width goes on a line of its own
        if last_line + len(extra) + 2 > opts["linewidth"]:
            text += ",\n" + " " * len("tensor(") + extra
            last_line = len("tensor(") + len(extra)
        else:
            text += ", " + extra
            last_line += len(extra) + 2
    return text + ")"

