"""Strided views: tensors that read their elements from another tensor's memory.

A view (a slice, a transpose, an expand, a diagonal, ``as_strided``) holds no elements of its own:
element i of the view is element pᵢ of its base, for positions p fixed by the view's shape, strides
and offset. A :class:`Geometry` records those positions, which gives every view the same two linear
maps, transposes of each other:

- take:    y = x[p]                         (reading the view out of a base-shaped array)
- scatter: x̄ = 0, then x̄[pᵢ] += ȳᵢ           (a view's gradient, returned to its base)

With them the write through a view that autograd records (PyTorch's ``CopySlices``) is the base with
its viewed elements replaced: ``y = x`` except ``y[p] = s``, whose VJP is x̄ = ȳ outside p and
s̄ = ȳ[p].
"""
from __future__ import annotations

import numpy as np

from nnmath.autograd.function import Function
from nnmath.backend import address, get_array_module, on_device_of, view_at
from nnmath.ops._util import size_args, wrap_dim
from nnmath.tensor import Tensor


def _address(a) -> int:
    return address(a)


def _grid(shape, strides, offset) -> np.ndarray:
    """offset + Σₖ iₖ·strideₖ for every index (i₀, i₁, …) of ``shape``."""
    grid = np.asarray(offset, dtype=np.int64)
    for n, s in zip(shape, strides):
        grid = grid[..., None] + np.arange(n, dtype=np.int64) * s
    return grid


def _may_overlap(shape, strides) -> bool:
    """Whether two indices of a strided layout can address one element (an expand, or an as_strided
    whose strides are too short for the sizes inside them)."""
    used = sorted((abs(s), n) for n, s in zip(shape, strides) if n > 1)
    extent = 0
    for stride, n in used:
        if stride <= extent:
            return True
        extent += stride * (n - 1)
    return False


class _Strided:
    """An array interface over existing memory (NumPy's own trick in ``as_strided``)."""

    def __init__(self, owner: np.ndarray, address: int, shape, strides):
        self.owner = owner  # keeps the memory alive
        self.__array_interface__ = {"data": (address, not owner.flags.writeable), "shape": tuple(shape),
                                    "strides": tuple(strides), "typestr": owner.dtype.str, "version": 3}


def writable_alias(a: np.ndarray) -> np.ndarray:
    """The same memory as ``a``, writable (NumPy marks expanded arrays read-only even when the memory
    under them is not; a GPU array is always writable)."""
    if type(a) is not np.ndarray:
        return a
    alias = _Strided(a, _address(a), a.shape, a.strides)
    alias.__array_interface__["data"] = (_address(a), False)
    return np.asarray(alias)


class Geometry:
    """Where a view's elements sit in its base: ``positions[i]`` is the row-major index, in the base,
    of the view's element i. Made from a base array and a view array that share memory
    (:meth:`of`), or from the base's layout and the view's sizes, strides and offset in bytes."""

    __slots__ = ("base_shape", "base_strides", "shape", "strides", "offset", "itemsize", "_positions")

    def __init__(self, base: np.ndarray, shape, strides, offset: int):
        self.base_shape, self.base_strides, self.itemsize = base.shape, base.strides, base.itemsize
        self.shape, self.strides, self.offset = tuple(shape), tuple(strides), offset  # strides, offset: bytes
        self._positions = None

    @classmethod
    def of(cls, base: np.ndarray, view: np.ndarray) -> "Geometry":
        return cls(base, view.shape, view.strides, _address(view) - _address(base))

    @property
    def overlapping(self) -> bool:
        return _may_overlap(self.shape, self.strides)

    @property
    def positions(self) -> np.ndarray:
        if self._positions is None:
            self._positions = self._compute_positions()
        return self._positions

    def _compute_positions(self):
        item = self.itemsize
        if _is_row_major(self.base_shape, self.base_strides, item):
            return _grid(self.shape, [s // item for s in self.strides], self.offset // item)
        # Any other base layout: find each viewed address among the base's addresses.
        base_addresses = _grid(self.base_shape, self.base_strides, 0).reshape(-1)
        order = np.argsort(base_addresses, kind="stable")
        found = np.searchsorted(base_addresses[order], _grid(self.shape, self.strides, self.offset))
        return order[found]

    def view_of(self, x: np.ndarray) -> np.ndarray:
        """The view itself over ``x``'s memory (``x`` laid out as the base), or a copy of its elements
        when ``x`` has another layout (a gradient)."""
        if x.shape == self.base_shape and x.strides == self.base_strides:
            if type(x) is not np.ndarray:
                return view_at(x, self.offset, self.shape, self.strides)
            return np.asarray(_Strided(x, _address(x) + self.offset, self.shape, self.strides))
        return self.take(x)

    def take(self, x: np.ndarray) -> np.ndarray:
        return get_array_module(x).ascontiguousarray(x).reshape(-1)[on_device_of(self.positions, x)]

    def scatter(self, g: np.ndarray) -> np.ndarray:
        out = get_array_module(g).zeros(self.base_shape, dtype=g.dtype)
        flat = out.reshape(-1)
        if self.overlapping:
            np.add.at(flat, on_device_of(self.positions, g), g)
        else:
            flat[on_device_of(self.positions, g)] = g
        return out


def _is_row_major(shape, strides, item) -> bool:
    step = item
    for n, s in zip(reversed(shape), reversed(strides)):
        if n > 1 and s != step:
            return False
        step *= n
    return True


class AsStrided(Function):
    """Forward:  y = the view of x given by a geometry: yᵢ = x.flat[pᵢ]   (shares x's memory)
    VJP:      x̄ = zeros like x, with ȳᵢ added at pᵢ (positions read twice accumulate)"""
    is_view = True

    @staticmethod
    def forward(ctx, x, geometry):
        ctx.geometry = geometry
        return geometry.view_of(x)

    @staticmethod
    def backward(ctx, gy):
        return AsStridedScatter.apply(gy, ctx.geometry), None

    def name(self):
        return "AsStridedBackward"


class AsStridedScatter(Function):
    """Forward:  y = zeros(base shape), then y.flat[pᵢ] += gᵢ   (the transpose of a view)
    VJP:      ḡ = ȳ.flat[p]"""

    @staticmethod
    def forward(ctx, g, geometry):
        ctx.geometry = geometry
        return geometry.scatter(g)

    @staticmethod
    def backward(ctx, gy):
        return AsStrided.apply(gy, ctx.geometry), None


class CopySlices(Function):
    """Forward:  y = x with its viewed elements replaced by s: y.flat[p] = s   (written into x's memory:
              this is the in-place write through a view, recorded on the view's base)
    VJP:      x̄ = ȳ with zeros at p,  s̄ = ȳ.flat[p]"""

    @staticmethod
    def forward(ctx, x, s, geometry):
        ctx.geometry = geometry
        geometry.view_of(x)[...] = s
        return x

    @staticmethod
    def backward(ctx, gy):
        g_view = AsStrided.apply(gy, ctx.geometry)
        gx = gy - AsStridedScatter.apply(g_view, ctx.geometry) if ctx.needs_input_grad[0] else None
        return gx, (g_view if ctx.needs_input_grad[1] else None), None

    def name(self):
        return "CopySlices"


def view_from(base: Tensor, view_data: np.ndarray) -> Tensor:
    """A view of ``base`` (recorded by autograd) whose elements are those of ``view_data``, an array
    over ``base``'s memory."""
    return AsStrided.apply(base, Geometry.of(base._data, view_data))


def _root(input: Tensor) -> Tensor:
    return input if input._base is None else input._base


def offset_in_storage(input: Tensor) -> int:
    """How many elements into its base's memory (its "storage") the tensor starts."""
    base = _root(input)._data
    return (_address(input._data) - _address(base)) // max(base.itemsize, 1)


def as_strided(input, size, stride, storage_offset=None):
    """The view of ``size`` whose element (i₀, i₁, …) is element ``storage_offset + Σ iₖ·strideₖ`` of the
    tensor's storage (its base's memory, in row-major order). Writes through it reach the base."""
    size, stride = size_args((size,), "as_strided"), size_args((stride,), "as_strided")
    base = _root(input)
    if len(size) != len(stride):
        raise RuntimeError(f"as_strided: mismatch in length of strides ({len(stride)}) and shape ({len(size)})")
    if any(s < 0 for s in stride) or any(n < 0 for n in size):
        raise RuntimeError(f"as_strided: negative strides or sizes are not supported, got size {list(size)} "
                           f"and stride {list(stride)}")
    data = base._data
    if not data.flags.c_contiguous:
        raise NotImplementedError("as_strided: the tensor's storage is not contiguous (it was made from a "
                                  "non-contiguous NumPy array); call .contiguous() first")
    offset = offset_in_storage(input) if storage_offset is None else int(storage_offset)
    needed = offset + 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    if offset < 0 or needed > data.size:
        raise RuntimeError(f"as_strided: size {list(size)}, stride {list(stride)} and storage offset {offset} "
                           f"require a storage of {needed} elements, but the storage has {data.size}")
    item = data.itemsize
    geometry = Geometry(data, size, [s * item for s in stride], offset * item)
    return AsStrided.apply(base, geometry)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The ``offset``-th diagonal of the matrices in dimensions (dim1, dim2), as the last dimension
    (a view: writes reach the input)."""
    d1, d2 = wrap_dim(dim1, input.ndim, "diagonal"), wrap_dim(dim2, input.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal: dimensions cannot be identical {dim1}, {dim2}")
    return view_from(input, np.diagonal(input._data, offset, d1, d2))


def unfold(input, dimension, size, step):
    """All slices of length ``size`` along ``dimension``, ``step`` apart, in a new last dimension
    (a view: overlapping windows share elements)."""
    d = wrap_dim(dimension, input.ndim, "unfold")
    n = input.shape[d] if input.ndim else 1
    if size > n:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    a = input._data.reshape(1) if input.ndim == 0 else input._data
    count = (n - size) // step + 1
    shape = a.shape[:d] + (count,) + a.shape[d + 1:] + (size,)
    strides = a.strides[:d] + (a.strides[d] * step,) + a.strides[d + 1:] + (a.strides[d],)
    view = np.asarray(_Strided(a, _address(a), shape, strides)) if type(a) is np.ndarray else \
        view_at(a, 0, shape, strides)
    return view_from(input, view)


class ViewAsReal(Function):
    """Forward:  y[..., 0] = Re x,  y[..., 1] = Im x   (the same memory read as real numbers)
    VJP:      x̄ = ȳ[..., 0] + i ȳ[..., 1]"""
    is_view = True

    @staticmethod
    def forward(ctx, x):
        return x.reshape(x.shape + (1,)).view(x.real.dtype)

    @staticmethod
    def backward(ctx, gy):
        return view_as_complex(gy.contiguous())


class ViewAsComplex(Function):
    """Forward:  y = x[..., 0] + i x[..., 1]   (the same memory read as complex numbers)
    VJP:      x̄[..., 0] = Re ȳ,  x̄[..., 1] = Im ȳ"""
    is_view = True

    @staticmethod
    def forward(ctx, x):
        return x.view(np.result_type(x.dtype, np.complex64))[..., 0]

    @staticmethod
    def backward(ctx, gy):
        return view_as_real(gy)


def view_as_real(input):
    """A complex tensor's memory as real numbers, with a last dimension of 2 (real, imaginary)."""
    if input._data.dtype.kind != "c":
        raise RuntimeError(f"view_as_real: is only supported for complex tensors, got {input.dtype}")
    return ViewAsReal.apply(input.contiguous() if not input._data.flags.c_contiguous else input)


def view_as_complex(input):
    """A float tensor with a last dimension of 2 (real, imaginary), read as complex numbers."""
    a = input._data
    if a.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"view_as_complex: is only supported for float32 and float64 tensors, got {input.dtype}")
    if a.ndim == 0 or a.shape[-1] != 2:
        raise RuntimeError(f"view_as_complex: tensor must have a last dimension of size 2, got shape {a.shape}")
    if a.strides[-1] != a.itemsize or any(s % (2 * a.itemsize) for s in a.strides[:-1]):
        raise RuntimeError("view_as_complex: tensor must have a last dimension with stride 1 and other strides "
                           "divisible by 2; call .contiguous() first")
    return ViewAsComplex.apply(input)


__all__ = ["as_strided", "diagonal", "view_as_real", "view_as_complex"]
