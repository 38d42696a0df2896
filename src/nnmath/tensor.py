"""``nnmath.Tensor``: an n-dimensional array (NumPy underneath) that can record how it was computed.

A tensor with ``requires_grad=True`` is a leaf of the autograd graph; every op applied to it makes a
new tensor whose ``grad_fn`` is the op's node (:mod:`nnmath.autograd.function`). ``backward()`` then
applies the chain rule over that graph (:mod:`nnmath.autograd.engine`).
"""
from __future__ import annotations

import numpy as np

from nnmath import dtypes
from nnmath.autograd import function as _function
from nnmath.device import CPU, check_available


class _VersionCounter:
    """Counts in-place changes to a tensor's data; shared by a tensor and its views."""
    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Tensor:
    """A multi-dimensional array with PyTorch's semantics and reverse-mode autodiff.

    Create one with :func:`nnmath.tensor`, :func:`nnmath.zeros`, ... rather than this constructor.
    ``Tensor(data)`` accepts anything :func:`nnmath.tensor` does.
    """

    __slots__ = ("_data", "_requires_grad", "grad_fn", "_output_nr", "_vc", "__weakref__", "__dict__")

    # Rarely set, so class-level defaults rather than per-tensor stores: creating a tensor is the
    # per-op overhead of every op.
    grad = None
    _base = None
    _hooks = None
    _post_accumulate_grad_hooks = None
    _retains_grad = False

    def __init__(self, data=None, dtype=None, requires_grad=False):
        from nnmath.creation import _to_array
        arr = _to_array([] if data is None else data, dtype)
        self._init(arr, requires_grad, None, 0)

    def _init(self, data, requires_grad, grad_fn, output_nr):
        self._data = data
        self._requires_grad = requires_grad
        self.grad_fn = grad_fn
        self._output_nr = output_nr
        self._vc = _VersionCounter()

    @classmethod
    def _make(cls, data, requires_grad=False, grad_fn=None, output_nr=0):
        """Wrap an array without copying (internal fast path)."""
        if type(data) is not np.ndarray and isinstance(data, np.generic):
            data = np.asarray(data)
        t = cls.__new__(cls)
        t._data = data
        t._requires_grad = requires_grad
        t.grad_fn = grad_fn
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
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

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
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim, "stride")]

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def contiguous(self, memory_format=None) -> "Tensor":
        if self._data.flags.c_contiguous:
            return self
        from nnmath.ops.shape import contiguous
        return contiguous(self)

    @property
    def device(self):
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
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
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(f"requires_grad_: only tensors of floating point dtype can require "
                               f"gradients; this tensor is {self.dtype}. Convert with .float() first")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def _version(self) -> int:
        return self._vc.value

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    # --- autograd ------------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor with respect to every leaf into their ``.grad``.

        For a non-scalar tensor pass ``gradient`` (the vector of the vector-Jacobian product).
        """
        from nnmath.autograd.engine import backward
        backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self) -> "Tensor":
        """The same data (shared, with a shared version counter), cut from the graph."""
        t = Tensor._make(self._data)
        t._vc = self._vc
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: can't retain_grad on a tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        from nnmath.autograd.engine import retain_grad_hook
        self.grad_fn.register_prehook(self._output_nr, retain_grad_hook(self))
        self._retains_grad = True

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
            return _HookHandle(self._hooks, hook)
        node = self.grad_fn
        if node._pre_hooks is None:
            node._pre_hooks = {}
        hooks = node._pre_hooks.setdefault(self._output_nr, [])
        return _HookHandle(hooks, hook)

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
        return _HookHandle(self._post_accumulate_grad_hooks, hook)

    # --- conversion ----------------------------------------------------------------------------
    def numpy(self, force: bool = False) -> np.ndarray:
        """The NumPy array (shared memory). Raises for a tensor that requires grad, as PyTorch does."""
        if self._requires_grad and not force:
            raise RuntimeError("numpy: can't call numpy() on a Tensor that requires grad; "
                               "use tensor.detach().numpy()")
        return self._data

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self):
        """The single value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"item: a Tensor with {self._data.size} elements cannot be converted to "
                               f"a Python scalar (shape {tuple(self.shape)})")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def to(self, *args, **kwargs) -> "Tensor":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
        dtype = kwargs.pop("dtype", None)
        dev = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (dtypes.dtype, np.dtype, type)) or (isinstance(a, str) and a in dtypes._NAMES):
                dtype = a
            else:
                dev = a
        if dev is not None:
            check_available(dev)
        if dtype is None or dtypes.to_dtype(dtype).np == self._data.dtype:
            return self.clone() if copy else self
        from nnmath.ops.elementwise import cast
        return cast(self, dtypes.to_dtype(dtype))

    def type(self, dtype=None):
        if dtype is None:
            return f"nnmath.{self.dtype.name.capitalize()}Tensor"
        return self.to(dtype)

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, device=None) -> "Tensor":
        check_available("cuda")
        return self

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def half(self):
        return self.to(dtypes.float16)

    def long(self):
        return self.to(dtypes.int64)

    def int(self):
        return self.to(dtypes.int32)

    def bool(self):
        return self.to(dtypes.bool_)

    def byte(self):
        return self.to(dtypes.uint8)

    def new_tensor(self, data, dtype=None, requires_grad=False):
        from nnmath.creation import tensor
        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        from nnmath.creation import zeros
        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        from nnmath.creation import ones
        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False):
        from nnmath.creation import full
        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad=False):
        return self.new_zeros(*size, dtype=dtype, requires_grad=requires_grad)

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
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

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
        new.__dict__.update({k: v for k, v in self.__dict__.items()})
        memo[id(self)] = new
        return new


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


class _HookHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""
    _next_id = 0

    def __init__(self, container, hook):
        self._container = container
        self._hook = hook
        if isinstance(container, dict):
            _HookHandle._next_id += 1
            self._key = _HookHandle._next_id
            container[self._key] = hook
        else:
            container.append(hook)

    def remove(self):
        if isinstance(self._container, dict):
            self._container.pop(self._key, None)
        elif self._hook in self._container:
            self._container.remove(self._hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    """A dimension index in [-ndim, ndim) made non-negative; otherwise a clear IndexError."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def _format(t: Tensor) -> str:
    a = t._data
    kwargs = {"separator": ", ", "prefix": "tensor(", "threshold": 1000, "edgeitems": 3,
              "max_line_width": 80}
    if a.dtype.kind == "f":
        finite = a[np.isfinite(a)]
        if finite.size and np.all(finite == np.round(finite)) and np.abs(finite).max() < 1e8:
            body = np.array2string(a, floatmode="unique", **kwargs)
        else:
            body = np.array2string(a, precision=4, floatmode="fixed", **kwargs)
    else:
        body = np.array2string(a, **kwargs)
    extras = []
    if a.size == 0 and a.shape != (0,):
        extras.append(f"size={tuple(a.shape)}")
    if a.dtype not in (dtypes.get_default_dtype().np, np.int64, np.bool_):
        extras.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"


_function.Tensor = Tensor
