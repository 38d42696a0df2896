"""Shape: ops that move elements without changing them (reshape, permute, broadcast, cat, ...).

Each is a linear map that only rearranges, so its VJP is the inverse rearrangement: reshape back,
permute back, sum over what was broadcast (``sum_to`` and ``broadcast_to`` are each other's
derivative), split what was concatenated.
"""
from __future__ import annotations

import numpy as np

from nnmath import dtypes
from nnmath.autograd.fit import broadcast_to, cast, sum_to
from nnmath.autograd.function import Function
from nnmath.ops._util import size_args, wrap_dim
from nnmath.tensor import Size, Tensor


class Reshape(Function):
    """Forward:  y = x with shape s (the same elements in row-major order)
    VJP:      x̄ = ȳ reshaped to x's shape"""
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, gy):
        return reshape(gy, ctx.shape)


class ViewDtype(Function):
    """Forward:  y = the bytes of x read as another dtype
    VJP:      none (reinterpreting bits is not differentiable)"""
    is_view = True

    @staticmethod
    def forward(ctx, x, viewed):
        ctx.mark_non_differentiable(viewed)
        return viewed

    @staticmethod
    def backward(ctx, gy):
        return None, None


class Permute(Function):
    """Forward:  y = x with dimensions reordered by π (y[i_π(0), …] = x[i_0, …])
    VJP:      x̄ = ȳ permuted by π⁻¹"""
    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, gy):
        return permute(gy, tuple(np.argsort(ctx.dims)))


class Cat(Function):
    """Forward:  y = [x₁; x₂; …] joined along ``dim``
    VJP:      x̄ₖ = the k-th block of ȳ along ``dim``"""

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, gy):
        return (None,) + tuple(split(gy, ctx.sizes, ctx.dim))


class Split(Function):
    """Forward:  (y₁, …, yₙ) = consecutive blocks of x along ``dim``   (views of x)
    VJP:      x̄ = [ȳ₁; …; ȳₙ] joined along ``dim`` (zeros for blocks that got no gradient)"""
    is_view = True

    @staticmethod
    def forward(ctx, x, sizes, dim):
        ctx.dim = dim
        bounds = np.cumsum(sizes)[:-1].tolist()
        return tuple(np.split(x, bounds, axis=dim))

    @staticmethod
    def backward(ctx, *gys):
        return cat(gys, ctx.dim)


class Flip(Function):
    """Forward:  y = x reversed along ``dims``
    VJP:      x̄ = ȳ reversed along ``dims``"""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.flip(x, dims).copy()

    @staticmethod
    def backward(ctx, gy):
        return flip(gy, ctx.dims)


class Roll(Function):
    """Forward:  y = x shifted cyclically by ``shifts`` along ``dims``
    VJP:      x̄ = ȳ shifted back by −shifts"""

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return np.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, gy):
        return roll(gy, tuple(-s for s in ctx.shifts), ctx.dims)


class Triangle(Function):
    """Forward:  y = the lower (tril) or upper (triu) triangle of the last two dims, the rest zeroed
    VJP:      x̄ = the same triangle of ȳ"""

    @staticmethod
    def forward(ctx, x, diagonal, lower):
        ctx.diagonal, ctx.lower = diagonal, lower
        return np.tril(x, diagonal) if lower else np.triu(x, diagonal)

    @staticmethod
    def backward(ctx, gy):
        return (tril if ctx.lower else triu)(gy, ctx.diagonal)


class Clone(Function):
    """Forward:  y = a copy of x (C-contiguous)
    VJP:      x̄ = ȳ"""

    @staticmethod
    def forward(ctx, x):
        return x.copy(order="C")

    @staticmethod
    def backward(ctx, gy):
        return gy


def _check_shape(shape, numel, op):
    """PyTorch's checks on a target shape: sizes ≥ −1, one −1 at most, the same number of elements."""
    for i, n in enumerate(shape):
        if n < -1:
            raise RuntimeError(f"{op}: invalid shape dimension {n} at index {i} of shape {list(shape)}")
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred, got shape {list(shape)}")
    known = int(np.prod([n for n in shape if n != -1]))
    if -1 in shape:
        if known == 0:
            raise RuntimeError(f"{op}: cannot reshape a tensor of {numel} elements into shape {list(shape)} "
                               f"because the unspecified dimension size -1 can be any value and is ambiguous")
        if numel % known == 0:
            return
    elif known == numel:
        return
    raise RuntimeError(f"{op}: shape {list(shape)} is invalid for input of size {numel}")


def reshape(input, *shape):
    """The same elements in a new shape; one size may be −1 (inferred). A view when the memory allows,
    a copy otherwise."""
    shape = size_args(shape, "reshape")
    if tuple(input.shape) == shape:
        return input
    _check_shape(shape, input.numel(), "reshape")
    return Reshape.apply(input, shape)


def view(input, *shape):
    """The same memory seen with another shape (one size may be −1), or reinterpreted as another dtype
    (``view(nnmath.int32)``). Never copies: a shape the tensor's strides cannot give raises (use
    :func:`reshape`)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, np.integer, Tensor)):
        return _view_dtype(input, dtypes.as_dtype(shape[0], "view"))
    shape = size_args(shape, "view")
    _check_shape(shape, input.numel(), "view")
    if not input._data.flags.c_contiguous:
        try:
            np.reshape(input._data, shape, copy=False)
        except ValueError:
            raise RuntimeError(f"view: view size is not compatible with input tensor's size and stride (at "
                               f"least one dimension spans across two contiguous subspaces): shape "
                               f"{tuple(input.shape)} with strides {input.stride()} cannot be seen as "
                               f"{list(shape)}. Use .reshape(...) instead.") from None
    return Reshape.apply(input, shape)  # even to the same shape: a new view, as PyTorch's


def _view_dtype(input, dtype):
    """The same bytes read as ``dtype``: not differentiable, as in PyTorch."""
    a = input._data
    if dtype.np.itemsize != a.itemsize and a.ndim == 0:
        raise RuntimeError(f"view: a zero-dimensional tensor cannot be viewed as {dtype} of another element "
                           f"size ({a.dtype} has {a.itemsize} bytes, {dtype} {dtype.np.itemsize})")
    try:
        viewed = a.view(dtype.np)
    except ValueError as e:
        raise RuntimeError(f"view: a {input.dtype} tensor of shape {tuple(input.shape)} and strides "
                           f"{input.stride()} cannot be viewed as {dtype} ({e})") from None
    return ViewDtype.apply(input, viewed)


def view_as(input, other):
    return view(input, tuple(other.shape))


def reshape_as(input, other):
    return reshape(input, tuple(other.shape))


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim`` … ``end_dim`` into one."""
    if input.ndim == 0:
        return reshape(input, (1,))
    s = wrap_dim(start_dim, input.ndim, "flatten")
    e = wrap_dim(end_dim, input.ndim, "flatten")
    if s > e:
        raise RuntimeError(f"flatten: start_dim {start_dim} cannot come after end_dim {end_dim}")
    shape = tuple(input.shape)
    return reshape(input, shape[:s] + (-1 if 0 not in shape[s:e + 1] else 0,) + shape[e + 1:])


def unflatten(input, dim, sizes):
    """Split dimension ``dim`` into ``sizes``."""
    d = wrap_dim(dim, input.ndim, "unflatten")
    shape = tuple(input.shape)
    sizes = tuple(sizes)
    known = int(np.prod([s for s in sizes if s != -1]))
    if (-1 not in sizes and known != shape[d]) or (-1 in sizes and (known == 0 or shape[d] % known)):
        raise RuntimeError(f"unflatten: sizes {sizes} do not multiply to dimension {dim}'s size {shape[d]}")
    return reshape(input, shape[:d] + sizes + shape[d + 1:])


def squeeze(input, dim=None):
    """Remove dimensions of size 1 (all, or those in ``dim``)."""
    shape = tuple(input.shape)
    if dim is None:
        dims = {i for i, s in enumerate(shape) if s == 1}
    else:
        dims = {wrap_dim(d, input.ndim, "squeeze") for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
        dims = {d for d in dims if input.ndim and shape[d] == 1}
    if not dims:
        return input
    return reshape(input, tuple(s for i, s in enumerate(shape) if i not in dims))


def unsqueeze(input, dim):
    """Insert a dimension of size 1 at ``dim``."""
    d = wrap_dim(dim, input.ndim + 1, "unsqueeze")
    shape = tuple(input.shape)
    return reshape(input, shape[:d] + (1,) + shape[d:])


def permute(input, *dims):
    """Reorder the dimensions: ``y.shape[i] = x.shape[dims[i]]``."""
    dims = size_args(dims, "permute")
    if len(dims) != input.ndim:
        raise RuntimeError(f"permute: number of dims {len(dims)} does not match the tensor's {input.ndim} "
                           f"(shape {tuple(input.shape)})")
    dims = tuple(wrap_dim(d, input.ndim, "permute") for d in dims)
    if sorted(dims) != list(range(input.ndim)):
        raise RuntimeError(f"permute: dims {dims} are not a permutation of 0..{input.ndim - 1}")
    if dims == tuple(range(input.ndim)):
        return input
    return Permute.apply(input, dims)


def transpose(input, dim0, dim1):
    """Swap two dimensions."""
    if input.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return input
    d0, d1 = wrap_dim(dim0, input.ndim, "transpose"), wrap_dim(dim1, input.ndim, "transpose")
    dims = list(range(input.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return permute(input, dims)


swapaxes = transpose
swapdims = transpose


def t(input):
    """Transpose of a matrix (0-D and 1-D tensors are returned as they are)."""
    if input.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, but got {input.ndim}-D; use transpose or mT")
    return transpose(input, 0, 1) if input.ndim == 2 else input


def movedim(input, source, destination):
    """Move dimension(s) ``source`` to position(s) ``destination``."""
    src = source if isinstance(source, (tuple, list)) else (source,)
    dst = destination if isinstance(destination, (tuple, list)) else (destination,)
    src = [wrap_dim(s, input.ndim, "movedim") for s in src]
    dst = [wrap_dim(d, input.ndim, "movedim") for d in dst]
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: invalid source or destination dims: source ({list(source)}) and destination "
                           f"({list(destination)}) have different numbers of elements")
    for name, dims in (("source", src), ("destination", dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({dims}) for a tensor of shape "
                               f"{tuple(input.shape)}")
    order = [i for i in range(input.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, order)


moveaxis = movedim


def expand(input, *sizes):
    """Broadcast to ``sizes`` without copying; −1 keeps a dimension's size."""
    sizes = size_args(sizes, "expand")
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}: {list(sizes)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({input.ndim}: "
                           f"{list(input.shape)})")
    shape = tuple(input.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    return _expand_to(input, shape, "expand")


def expand_as(input, other):
    return _expand_to(input, tuple(other.shape), "expand_as")


def _expand_to(input, shape, op):
    for i, (size, target) in enumerate(zip(input.shape[::-1], shape[::-1])):
        if size != target and size != 1:
            raise RuntimeError(f"{op}: the expanded size of the tensor ({target}) must match the existing size "
                               f"({size}) at non-singleton dimension {len(shape) - 1 - i}: target sizes "
                               f"{list(shape)}, tensor sizes {list(input.shape)}")
    return broadcast_to(input, shape)


def broadcast_tensors(*tensors):
    shapes = [tuple(t.shape) for t in tensors]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(f"broadcast_tensors: shapes {' and '.join(map(str, shapes))} do not broadcast (each pair "
                           f"of trailing sizes must be equal or one of them 1)") from None
    return tuple(broadcast_to(t, shape) for t in tensors)


def broadcast_shapes(*shapes):
    return Size(np.broadcast_shapes(*shapes))


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along dimension i (PyTorch's ``Tensor.repeat``).
    Composed as reshape → broadcast → reshape, so its gradient is a sum over the copies."""
    sizes = size_args(sizes, "repeat")
    if len(sizes) < input.ndim:
        raise RuntimeError(f"repeat: number of repeat dims ({len(sizes)}) can not be smaller than the "
                           f"number of dimensions of the tensor ({input.ndim})")
    shape = (1,) * (len(sizes) - input.ndim) + tuple(input.shape)
    interleaved = []
    for s in shape:
        interleaved += [1, s]
    target = []
    for r, s in zip(sizes, shape):
        target += [r, s]
    x = reshape(input, interleaved)
    x = broadcast_to(x, target)
    return reshape(x, tuple(r * s for r, s in zip(sizes, shape)))


def tile(input, dims):
    """``repeat`` with ``dims`` padded by leading 1s to the tensor's rank (an int is one dim)."""
    dims = size_args((dims,), "tile")
    if len(dims) < input.ndim:
        dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, dims)


def cat(tensors, dim=0):
    """Join tensors along an existing dimension ``dim``."""
    tensors = [t for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty list of Tensors")
    ref = tensors[0]
    if ref.ndim == 0:
        raise RuntimeError("cat: zero-dimensional tensor (at position 0) cannot be concatenated")
    # Legacy rule kept by PyTorch: 1-D empty tensors are skipped.
    tensors = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    ref = tensors[0]
    d = wrap_dim(dim, ref.ndim, "cat")
    for i, x in enumerate(tensors):
        if x.ndim != ref.ndim or any(a != b for j, (a, b) in enumerate(zip(x.shape, ref.shape)) if j != d):
            raise RuntimeError(f"cat: sizes of tensors must match except in dimension {dim}: tensor 0 has "
                               f"shape {tuple(ref.shape)}, tensor {i} has shape {tuple(x.shape)}")
    dt = ref._data.dtype
    if any(x._data.dtype != dt for x in tensors):
        dt = dtypes.result_type_np(*tensors)
        tensors = [cast(x, dt) for x in tensors]
    if len(tensors) == 1:
        return tensors[0]
    return Cat.apply(d, *tensors)


concat = cat
concatenate = cat


def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension ``dim``."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack: expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if tuple(x.shape) != tuple(tensors[0].shape):
            raise RuntimeError(f"stack: expects each tensor to be equal size, but got {tuple(tensors[0].shape)} "
                               f"at entry 0 and {tuple(x.shape)} at entry {i}")
    d = wrap_dim(dim, tensors[0].ndim + 1, "stack")
    return cat([unsqueeze(x, d) for x in tensors], d) if len(tensors) > 1 else unsqueeze(tensors[0], d)


def hstack(tensors):
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([x if x.ndim > 1 else unsqueeze(x, 0) for x in tensors], 0)


def split(tensor, split_size_or_sections, dim=0):
    """Blocks along ``dim``: of size ``split_size`` (the last may be smaller), or of the listed sizes."""
    d = wrap_dim(dim, tensor.ndim, "split")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0 and n:
            raise RuntimeError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise RuntimeError(f"split: sizes {sizes} sum to {sum(sizes)} but dimension {dim} has size {n}")
    if len(sizes) == 1:
        return (tensor,)
    return Split.apply(tensor, tuple(sizes), d)


def chunk(input, chunks, dim=0):
    """``chunks`` blocks of (nearly) equal size along ``dim``."""
    if chunks <= 0:
        raise RuntimeError(f"chunk: expects chunks to be greater than 0, got {chunks}")
    d = wrap_dim(dim, input.ndim, "chunk")
    n = input.shape[d]
    size = -(-n // chunks) if n else 1
    return split(input, size, d)


def tensor_split(input, indices_or_sections, dim=0):
    d = wrap_dim(dim, input.ndim, "tensor_split")
    n = input.shape[d]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        if k <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got {k}")
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    else:
        idx = [0] + list(indices_or_sections) + [n]
        sizes = [max(b - a, 0) for a, b in zip(idx[:-1], idx[1:])]
    return Split.apply(input, tuple(sizes), d) if len(sizes) > 1 else (input,)


def unbind(input, dim=0):
    """The slices along ``dim``, each without that dimension."""
    d = wrap_dim(dim, input.ndim, "unbind")
    return tuple(squeeze(p, d) for p in split(input, 1, d))


def _dims_tuple(dims, ndim, op):
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    return tuple(wrap_dim(d, ndim, op) for d in dims)


def flip(input, dims):
    """Reverse the order of elements along ``dims`` (a tuple or list of ints; the method ``x.flip(1, 0)``
    also takes them as separate arguments)."""
    if not isinstance(dims, (tuple, list)):
        raise TypeError(f"flip(): argument 'dims' must be a tuple or list of ints, not {type(dims).__name__} "
                        f"(write flip(x, ({dims!r},)) or x.flip({dims!r}))")
    return Flip.apply(input, _dims_tuple(dims, input.ndim, "flip"))


def fliplr(input):
    return flip(input, (1,))


def flipud(input):
    return flip(input, (0,))


def roll(input, shifts, dims=None):
    """Shift elements cyclically along ``dims`` (the flattened tensor when None)."""
    if dims is None:
        return reshape(roll(flatten(input), shifts, 0), tuple(input.shape))
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    dims = _dims_tuple(dims, input.ndim, "roll")
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    return Roll.apply(input, shifts, dims)


def tril(input, diagonal=0):
    """Lower triangle of the last two dimensions (on and below the ``diagonal``-th diagonal)."""
    if input.ndim < 2:
        raise RuntimeError(f"tril: input tensor must have at least 2 dimensions, got shape {tuple(input.shape)}")
    return Triangle.apply(input, diagonal, True)


def triu(input, diagonal=0):
    """Upper triangle of the last two dimensions (on and above the ``diagonal``-th diagonal)."""
    if input.ndim < 2:
        raise RuntimeError(f"triu: input tensor must have at least 2 dimensions, got shape {tuple(input.shape)}")
    return Triangle.apply(input, diagonal, False)


def contiguous(input):
    return Clone.apply(input)


def clone(input, *, memory_format=None):
    """A copy that is differentiable: its gradient is the identity."""
    return Clone.apply(input)


def atleast_1d(x):
    return reshape(x, (1,)) if x.ndim == 0 else x


def atleast_2d(x):
    return reshape(x, (1,) * (2 - x.ndim) + tuple(x.shape)) if x.ndim < 2 else x


__all__ = [
    "reshape",
    "view",
    "view_as",
    "reshape_as",
    "flatten",
    "unflatten",
    "squeeze",
    "unsqueeze",
    "permute",
    "transpose",
    "swapaxes",
    "swapdims",
    "t",
    "movedim",
    "moveaxis",
    "expand",
    "expand_as",
    "broadcast_to",
    "sum_to",
    "broadcast_tensors",
    "broadcast_shapes",
    "repeat",
    "tile",
    "cat",
    "concat",
    "concatenate",
    "stack",
    "hstack",
    "vstack",
    "split",
    "chunk",
    "tensor_split",
    "unbind",
    "flip",
    "fliplr",
    "flipud",
    "roll",
    "tril",
    "triu",
    "contiguous",
    "clone",
    "atleast_1d",
    "atleast_2d",
]
