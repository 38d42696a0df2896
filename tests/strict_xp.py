"""A strict stand-in for CuPy: NumPy arrays wrapped so that code which would fail on a GPU fails here.

nnmath's ops reach their array module through :func:`nnmath.backend.get_array_module`; installed as
the ``cuda`` module (``nnmath.backend.use_cuda_module(strict_xp)``), this module lets a CPU machine run
every op on "device" arrays and catch what would break on CuPy. It models CuPy's rules, and only
those, so that passing here predicts passing there:

- ``strict_xp.asarray(numpy_array)`` copies host to "device"; ``numpy.asarray(device_array)`` raises
  TypeError (CuPy's ``__array__`` does): use ``.get()`` or ``strict_xp.asnumpy``;
- a NumPy ufunc called on a device array dispatches here (``__array_ufunc__``) only if CuPy has that
  ufunc and that method (``reduce``, ``at``, ... from ``cupy_surface.UFUNCS``); a plain
  ``numpy.ndarray`` among its operands raises (CuPy refuses implicit host-to-device copies), Python
  and NumPy scalars are fine;
- a NumPy function called on a device array dispatches (``__array_function__``) only if CuPy
  implements it (``cupy_surface.FUNCTIONS``), and plain ``numpy.ndarray`` arguments raise; NumPy
  functions that do not dispatch (``np.zeros``, ``np.lib.stride_tricks.as_strided``,
  ``np.ascontiguousarray``) convert their argument with ``__array__`` and so raise as on CuPy;
- the module itself has only the names CuPy has (``strict_xp.zeros``, ``strict_xp.add.at``, ...);
- arrays have only the attributes CuPy's have (no ``ctypes``, ``flags.writeable``, ``resize``,
  ``__index__``); reductions and scalar indexing give 0-d arrays, as CuPy does; ``item()``, ``float()``,
  ``int()``, ``bool()``, ``tolist()`` and ``len()`` work.

Where CuPy accepts something silently that this refuses (a NumPy index array, a NumPy array assigned
into a slice, a 0-d NumPy array in a comparison), the stand-in is stricter: the fix it asks for (create
the array with the device's module) is also what runs fast on a GPU.

The tables come from a real CuPy (``tools/cupy_surface.py`` writes ``tests/cupy_surface.py``).
"""
from __future__ import annotations

import types

import numpy as np
import numpy.lib.mixins

import cupy_surface

#: Functions that copy host data to the device when given NumPy arrays (CuPy's ``asarray`` and ``array``).
_FROM_HOST = frozenset({"asarray", "array", "asanyarray"})


class MixedArraysError(TypeError):
    """A plain NumPy array met a device array: on CuPy this raises (no implicit host-to-device copy)."""


def _refuse_host(call: str, value) -> MixedArraysError:
    return MixedArraysError(
        f"strict_xp (CuPy stand-in): {call} got a numpy.ndarray of shape {value.shape} and dtype {value.dtype} "
        f"mixed with device arrays; CuPy refuses implicit host-to-device copies. Create the array with the "
        f"operands' module (backend.get_array_module(x).zeros(...)), or move it with xp.asarray(...)")


def _unwrap(value, call: str):
    """``value`` with device arrays replaced by their NumPy arrays (through lists, tuples, dicts and
    slices); a plain NumPy array raises."""
    kind = type(value)
    if kind is ndarray:
        return value._a
    if kind is np.ndarray:
        raise _refuse_host(call, value)
    if kind in (list, tuple):
        return kind(_unwrap(v, call) for v in value)
    if kind is dict:
        return {k: _unwrap(v, call) for k, v in value.items()}
    if kind is slice:
        return slice(_unwrap(value.start, call), _unwrap(value.stop, call), _unwrap(value.step, call))
    return value


def _wrap(value):
    """NumPy results as device arrays (NumPy scalars as 0-d arrays, as CuPy returns them)."""
    if isinstance(value, np.ndarray):
        return ndarray(value)
    if isinstance(value, np.generic):
        return ndarray(np.asarray(value))
    if isinstance(value, tuple):
        wrapped = [_wrap(v) for v in value]
        return type(value)(*wrapped) if hasattr(value, "_fields") else tuple(wrapped)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _check_dtype(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind in "OUSVMm" or a.dtype.itemsize > 16 or (a.dtype.kind in "fc" and a.dtype == np.longdouble
                                                             and np.longdouble != np.float64):
        raise TypeError(f"strict_xp (CuPy stand-in): dtype {a.dtype} is not supported on the GPU")
    return a


class _Flags:
    """``cupy.ndarray.flags``: only ``c_contiguous``, ``f_contiguous`` and ``owndata``."""
    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, a: np.ndarray):
        self.c_contiguous = a.flags.c_contiguous
        self.f_contiguous = a.flags.f_contiguous
        self.owndata = a.base is None

    def __getitem__(self, name):
        return getattr(self, {"C_CONTIGUOUS": "c_contiguous", "F_CONTIGUOUS": "f_contiguous",
                              "OWNDATA": "owndata"}[name])


class ndarray(numpy.lib.mixins.NDArrayOperatorsMixin):
    """A device array of the stand-in: a NumPy array that refuses to meet plain NumPy arrays."""

    __slots__ = ("_a",)
    __hash__ = None

    def __init__(self, a: np.ndarray):
        self._a = _check_dtype(a)

    # --- the protocols CuPy implements -----------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct "
                        "a NumPy array explicitly. (strict_xp, the CuPy stand-in)")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        call = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        for x in (inputs[:1] + inputs[2:] if method == "at" else inputs):  # ufunc.at(a, index, b)
            if not (type(x) in (ndarray, np.ndarray) or isinstance(x, (int, float, complex, np.generic))):
                return NotImplemented
        return _call_ufunc(ufunc, method, inputs, kwargs, call)

    def __array_function__(self, func, types_, args, kwargs):
        name = f"{func.__module__}.{func.__name__}"
        if name not in cupy_surface.FUNCTIONS:
            raise TypeError(f"strict_xp (CuPy stand-in): {name} has no CuPy implementation, so it cannot run "
                            f"on device arrays (NumPy finds no implementation for cupy.ndarray)")
        return _wrap(func(*_unwrap(args, name), **_unwrap(kwargs, name)))

    # --- what CuPy arrays do --------------------------------------------------------------------
    def get(self, stream=None, order="C", out=None) -> np.ndarray:
        """A host copy (``cupy.ndarray.get``)."""
        return np.array(self._a, order=order)

    def set(self, arr, stream=None):
        if type(arr) is not np.ndarray or arr.shape != self._a.shape or arr.dtype != self._a.dtype:
            raise TypeError("strict_xp: set() takes a numpy.ndarray of the same shape and dtype")
        self._a[...] = arr

    @property
    def shape(self):
        return self._a.shape

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    @property
    def dtype(self):
        return self._a.dtype

    @property
    def ndim(self):
        return self._a.ndim

    @property
    def size(self):
        return self._a.size

    @property
    def strides(self):
        return self._a.strides

    @property
    def itemsize(self):
        return self._a.itemsize

    @property
    def nbytes(self):
        return self._a.nbytes

    @property
    def flags(self):
        return _Flags(self._a)

    @property
    def T(self):
        return ndarray(self._a.T)

    @property
    def mT(self):
        return ndarray(self._a.mT)

    @property
    def real(self):
        return ndarray(self._a.real)

    @real.setter
    def real(self, value):
        self._a.real = _unwrap(value, "ndarray.real")

    @property
    def imag(self):
        return ndarray(self._a.imag)

    @imag.setter
    def imag(self, value):
        self._a.imag = _unwrap(value, "ndarray.imag")

    @property
    def base(self):
        return None if self._a.base is None else ndarray(self._a.base)

    @property
    def data(self):
        """CuPy's ``MemoryPointer``: only its ``ptr``, the address of the first element."""
        return types.SimpleNamespace(ptr=self._a.__array_interface__["data"][0])

    def __getattr__(self, name):
        if name not in cupy_surface.ARRAY_ATTRIBUTES or name.startswith("__"):
            raise AttributeError(f"strict_xp (CuPy stand-in): cupy.ndarray has no attribute {name!r}")
        method = getattr(self._a, name)
        call = f"ndarray.{name}"
        return lambda *args, **kwargs: _wrap(method(*_unwrap(args, call), **_unwrap(kwargs, call)))

    def item(self):
        if self._a.size != 1:
            raise ValueError("can only convert an array of size 1 to a Python scalar")
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (ndarray(np.asarray(row)) for row in self._a)

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __complex__(self):
        return complex(self._a)

    def __getitem__(self, key):
        return _wrap(self._a[_index_key(key)])

    def __setitem__(self, key, value):
        self._a[_index_key(key)] = _unwrap(value, "ndarray.__setitem__")

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a, spec)

    def __copy__(self):
        return ndarray(self._a.copy())

    def __deepcopy__(self, memo):
        return ndarray(self._a.copy())

    def __reduce__(self):
        return ndarray, (self._a,)


def _index_key(key):
    """An index with device arrays unwrapped; lists of Python ints pass (CuPy copies them over); a
    NumPy array is refused (stricter than CuPy: an index built on the host costs a copy per call)."""
    return _unwrap(key, "ndarray.__getitem__/__setitem__")


def _call_ufunc(ufunc, method, inputs, kwargs, call):
    methods = cupy_surface.UFUNCS.get(ufunc.__name__)
    if methods is None:
        raise TypeError(f"strict_xp (CuPy stand-in): CuPy has no ufunc {ufunc.__name__!r} ({call})")
    if method != "__call__" and method not in methods:
        raise NotImplementedError(f"strict_xp (CuPy stand-in): `cupy.{ufunc.__name__}.{method}` is not supported "
                                  f"by CuPy ({call}); compute it another way")
    if ufunc.__name__ in _COMPARISONS:  # CuPy turns a 0-d NumPy operand of a comparison into a scalar
        inputs = tuple(x.item() if type(x) is np.ndarray and x.ndim == 0 else x for x in inputs)
    out = kwargs.get("out")
    if out is not None:
        kwargs = dict(kwargs, out=out if isinstance(out, tuple) else (out,))
    result = getattr(ufunc, method)(*_unwrap(inputs, call), **_unwrap(kwargs, call))
    if method == "at":
        return None
    if out is not None:
        return out if isinstance(out, tuple) and len(out) > 1 else (out[0] if isinstance(out, tuple) else out)
    return _wrap(result)


_COMPARISONS = frozenset({"greater", "greater_equal", "less", "less_equal", "equal", "not_equal"})


class _Ufunc:
    """``strict_xp.add`` and the like: a NumPy ufunc whose calls and methods follow CuPy's."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__
        self.nin, self.nout, self.nargs = ufunc.nin, ufunc.nout, ufunc.nargs

    def __call__(self, *inputs, **kwargs):
        return _call_ufunc(self._ufunc, "__call__", inputs, kwargs, f"strict_xp.{self.__name__}")

    def __getattr__(self, method):
        if method not in ("reduce", "accumulate", "reduceat", "outer", "at"):
            raise AttributeError(method)
        return lambda *inputs, **kwargs: _call_ufunc(self._ufunc, method, inputs, kwargs,
                                                     f"strict_xp.{self.__name__}.{method}")


def _function(func, name: str):
    """A NumPy function as CuPy's: device arrays in and out, host arrays refused (except by asarray)."""
    if name in _FROM_HOST:
        def from_host(obj, dtype=None, *args, **kwargs):
            if type(obj) is ndarray and name != "array" and (dtype is None or np.dtype(dtype) == obj.dtype):
                return obj
            copy = np.array if name == "array" else np.asarray
            return ndarray(copy(_host_data(obj), dtype, *args, **kwargs))
        return from_host

    def device_function(*args, **kwargs):
        return _wrap(func(*_unwrap(args, f"strict_xp.{name}"), **_unwrap(kwargs, f"strict_xp.{name}")))
    device_function.__name__ = name
    return device_function


def _host_data(obj):
    """What ``asarray`` may copy from the host: arrays, numbers and sequences of them or of device arrays."""
    if isinstance(obj, (list, tuple)):
        return [_host_data(o) for o in obj]
    if type(obj) is ndarray:
        return obj._a
    return obj


class _Namespace(types.ModuleType):
    """``strict_xp`` or one of its submodules: NumPy's names that CuPy has at the same path."""

    def __init__(self, path: str):
        super().__init__("strict_xp" + ("." + path if path else ""))
        self._path = path
        self._names = frozenset(cupy_surface.NAMESPACES.get(path, ()))
        self._numpy = np
        for part in filter(None, path.split(".")):
            self._numpy = getattr(self._numpy, part)

    def __getattr__(self, name):
        if name.startswith("__") or name not in self._names:
            raise AttributeError(f"strict_xp (CuPy stand-in): cupy{'.' + self._path if self._path else ''} has no "
                                 f"attribute {name!r}")
        value = getattr(self._numpy, name)
        if isinstance(value, np.ufunc):
            value = _Ufunc(value)
        elif callable(value) and not isinstance(value, type) and not _is_dtype_helper(value):
            value = _function(value, name)
        setattr(self, name, value)  # cached: looked up once
        return value


def _is_dtype_helper(value) -> bool:
    """Functions that take dtypes, not arrays (CuPy re-exports NumPy's own)."""
    return value in (np.promote_types, np.finfo, np.iinfo, np.dtype, np.issubdtype, np.isscalar,
                     np.broadcast_shapes)


class _Module(_Namespace):
    """The module object: ``strict_xp.zeros``, ``strict_xp.linalg.solve``, ``strict_xp.asnumpy``."""

    ndarray = ndarray

    def __init__(self):
        super().__init__("")
        self.linalg = _Namespace("linalg")
        self.fft = _Namespace("fft")
        self.lib = types.SimpleNamespace(stride_tricks=_Namespace("lib.stride_tricks"))

    @staticmethod
    def asnumpy(a, stream=None, order="C", out=None):
        """A host copy of a device array (``cupy.asnumpy``); host data passes through ``numpy.asarray``."""
        return a.get(order=order) if type(a) is ndarray else np.asarray(a, order=order)

    def get_array_module(self, *args):
        return self if any(type(a) is ndarray for a in args) else np


#: The stand-in module: install it with ``nnmath.backend.use_cuda_module(strict_xp.xp)``.
xp = _Module()
