"""Tensor methods and operators, bound to :class:`~nnmath.tensor.Tensor` once the ops exist.

``x.exp()`` is ``nnmath.exp(x)``; operators map to the arithmetic ops; ``op_`` methods change a
tensor in place (see :func:`_inplace` for how that stays correct under autograd).
"""
from __future__ import annotations

import warnings

import numpy as np

from nnmath import _shared_memory, creation, dtypes, ops, special
from nnmath.autograd import engine
from nnmath.autograd.fit import cast
from nnmath.autograd.grad_mode import enable_grad, state
from nnmath.backend import check_available, device_of, get_array_module, on_device_of, writeable
from nnmath.autograd.function import ToDevice
from nnmath.ops._util import size_args
from nnmath.ops import strided
from nnmath.ops.indexing import assign, basic_view_key, index_array, normalize_key
from nnmath.random import rng
from nnmath.tensor import Tensor

_SAME_NAME = """
abs absolute acos arccos add addmm all allclose amax amin any arctan2 argmax argmin argsort atan atan2 bitwise_and
bitwise_not bitwise_or bitwise_xor bmm broadcast_to ceil chunk clamp clamp_max clamp_min clip clone
cos conj count_nonzero cumprod cumsum div divide dot eq equal exp exp2 expand_as expm1 fix flatten
fliplr flipud floor floor_divide fmod frac gather ge greater greater_equal gt index_select inner
hypot isclose isfinite isinf isnan isneginf isposinf kthvalue le lerp less less_equal log log10 log1p log2
logical_and logical_not logical_or logical_xor logsumexp lt masked_fill masked_select matmul max maximum
median
mean min minimum mm moveaxis movedim mul multiply mv nan_to_num nansum narrow ne neg negative nonzero
norm not_equal outer pow prod reciprocal remainder repeat_interleave reshape_as roll round rsqrt
scatter scatter_add select sgn sigmoid sign sin softmax log_softmax sort split sqrt square squeeze std sub
subtract sum swapaxes swapdims t take take_along_dim tan tanh tensor_split tile topk tril triu true_divide
trunc unbind unflatten unique unsqueeze var view_as where relu
""".split()

for _name in _SAME_NAME:
    setattr(Tensor, _name, getattr(ops, _name))  # every listed name exists: a missing op fails here
Tensor.erf = special.erf
Tensor.erfc = special.erfc


def _to_device(t: Tensor, dev) -> Tensor:
    """``t`` itself when it is on ``dev``, else its copy there."""
    return t if device_of(t._data) == dev else ToDevice.apply(t, dev)


class _EngineAndOpMethods:
    """Tensor methods that need the engine, the ops or the creation functions, which sit above
    ``nnmath.tensor``; written as a class body for reading, copied onto Tensor below."""

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor with respect to every leaf into their ``.grad``.

        For a non-scalar tensor pass ``gradient`` (the vector of the vector-Jacobian product).
        """
        engine.backward(self, gradient, retain_graph, create_graph, inputs)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: can't retain_grad on a tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self.grad_fn.register_prehook(self._output_nr, engine.retain_grad_hook(self))
        self._retains_grad = True

    def contiguous(self, memory_format=None) -> "Tensor":
        """Itself when C-contiguous, else a contiguous copy (differentiable)."""
        if self._data.flags.c_contiguous:
            return self
        return ops.contiguous(self)

    def to(self, *args, **kwargs) -> "Tensor":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
        dtype = kwargs.pop("dtype", None)
        dev = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (dtypes.dtype, type)):
                dtype = a
            else:
                dev = a  # a string is a device, as in PyTorch: to("float32") is refused as one
        if dev is not None:
            try:
                dev = check_available(dev)
            except RuntimeError as e:
                raise RuntimeError(f"to: {e}") from None
        moved = self if dev is None else _to_device(self, dev)
        dtype = None if dtype is None else dtypes.as_dtype(dtype, "to")
        if dtype is None or dtype.np == self._data.dtype:
            return self.clone() if copy and moved is self else moved
        return cast(moved, dtype)

    def type(self, dtype=None):
        if dtype is None:
            return f"nnmath.{self.dtype.name.capitalize()}Tensor"
        return self.to(dtype)

    def cpu(self, memory_format=None) -> "Tensor":
        """This tensor on the CPU: itself if it is there, else a copy (differentiable)."""
        return _to_device(self, check_available("cpu"))

    def cuda(self, device=None, non_blocking=False, memory_format=None) -> "Tensor":
        """This tensor on the GPU (``cuda:0``): itself if it is there, else a copy (differentiable)."""
        return _to_device(self, check_available("cuda" if device is None else
                                                device if not isinstance(device, int) else f"cuda:{device}"))

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

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return creation.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                               requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return creation.zeros(*size, dtype=dtype or self.dtype, device=device or self.device,
                              requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return creation.ones(*size, dtype=dtype or self.dtype, device=device or self.device,
                             requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return creation.full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                             requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)



for _name, _member in vars(_EngineAndOpMethods).items():
    if not _name.startswith("__"):
        setattr(Tensor, _name, _member)


def _sizes_method(fn):
    def method(self, *sizes):
        return fn(self, size_args(sizes, fn.__name__))
    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


Tensor.reshape = _sizes_method(ops.reshape)
Tensor.expand = _sizes_method(ops.expand)
Tensor.repeat = _sizes_method(ops.repeat)
Tensor.permute = _sizes_method(ops.permute)


def _flip(self, *dims, **kwargs):
    """``x.flip(1, 0)``, ``x.flip((1, 0))`` or ``x.flip(dims=(1, 0))``: reverse the order along those dims."""
    return ops.flip(self, kwargs["dims"] if "dims" in kwargs else size_args(dims, "flip"))


Tensor.flip = _flip
Tensor.view = lambda self, *shape: ops.view(self, *shape)
Tensor.view.__doc__ = ops.view.__doc__
Tensor.transpose = ops.transpose
Tensor.diagonal = ops.diagonal
Tensor.as_strided = ops.as_strided
Tensor.unfold = strided.unfold
Tensor.storage_offset = strided.offset_in_storage
Tensor.argmax = ops.argmax
def _matrix_dims(self, attribute, least=2, exactly=None):
    if (exactly is not None and self.ndim != exactly) or self.ndim < least:
        wanted = f"matrices ({exactly}-D tensors)" if exactly else f"tensors of at least {least} dimensions"
        raise RuntimeError(f"tensor.{attribute} is only supported on {wanted}; got a {self.ndim}-D tensor"
                           + ("; for batches of matrices use .mH" if attribute == "H" else ""))


def _H(self):
    """The conjugate transpose of a matrix."""
    _matrix_dims(self, "H", exactly=2)
    return ops.conj(ops.transpose(self, 0, 1))


def _mT(self):
    """The transpose of the last two dimensions (batches of matrices)."""
    _matrix_dims(self, "mT")
    return ops.transpose(self, -2, -1)


def _mH(self):
    """The conjugate transpose of the last two dimensions."""
    _matrix_dims(self, "mH")
    return ops.conj(ops.transpose(self, -2, -1))


Tensor.T = property(lambda self: ops.permute(self, tuple(range(self.ndim))[::-1]))
Tensor.mT = property(_mT)
Tensor.H = property(_H)
Tensor.mH = property(_mH)


def _expand_as(self, other):
    return ops.broadcast_to(self, tuple(other.shape))


Tensor.expand_as = _expand_as


# --- operators -----------------------------------------------------------------------------------

def _reflected(fn):
    return lambda self, other: fn(other, self)


Tensor.__add__ = ops.add
Tensor.__radd__ = _reflected(ops.add)
Tensor.__sub__ = ops.sub
Tensor.__rsub__ = _reflected(ops.sub)
Tensor.__mul__ = ops.mul
Tensor.__rmul__ = _reflected(ops.mul)
Tensor.__truediv__ = ops.div
Tensor.__rtruediv__ = _reflected(ops.div)
Tensor.__floordiv__ = ops.floor_divide
Tensor.__rfloordiv__ = _reflected(ops.floor_divide)
Tensor.__mod__ = ops.remainder
Tensor.__rmod__ = _reflected(ops.remainder)
Tensor.__pow__ = ops.pow
Tensor.__rpow__ = _reflected(ops.pow)
Tensor.__matmul__ = ops.matmul
Tensor.__rmatmul__ = _reflected(ops.matmul)
Tensor.__neg__ = ops.neg
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = ops.abs
Tensor.__and__ = ops.bitwise_and
Tensor.__rand__ = _reflected(ops.bitwise_and)
Tensor.__or__ = ops.bitwise_or
Tensor.__ror__ = _reflected(ops.bitwise_or)
Tensor.__xor__ = ops.bitwise_xor
Tensor.__rxor__ = _reflected(ops.bitwise_xor)


def _invert(self):
    """``~x``: bitwise NOT of integers, logical NOT of bools; floats are a TypeError, as in PyTorch."""
    if self._data.dtype.kind not in "iub":
        raise TypeError(f"~ (bitwise_not): only integer and bool tensors can be inverted, got {self.dtype}")
    return ops.bitwise_not(self)


Tensor.__invert__ = _invert
Tensor.__lt__ = ops.lt
Tensor.__le__ = ops.le
Tensor.__gt__ = ops.gt
Tensor.__ge__ = ops.ge


def _eq(self, other):
    if other is None or not isinstance(other, (Tensor, int, float, bool, complex, np.ndarray, np.generic)):
        return False
    return ops.eq(self, other)


def _ne(self, other):
    if other is None or not isinstance(other, (Tensor, int, float, bool, complex, np.ndarray, np.generic)):
        return True
    return ops.ne(self, other)


Tensor.__eq__ = _eq
Tensor.__ne__ = _ne
Tensor.__getitem__ = ops.getitem


# --- in place ------------------------------------------------------------------------------------
#
# PyTorch's model: a tensor and its views share memory and one version counter. An in-place op writes
# into that memory. While autograd records, the op is computed out of place on a stand-in for the old
# value, and the written tensor's history moves on to the op's node; a write through a view is
# recorded on the base as the base with the viewed elements replaced (CopySlices), and every view of
# that base then reads its grad_fn from the base's new history (Tensor.grad_fn rebuilds it).
# A node that saved a value checks its version when backward reads it: changed means an error, never
# a silently wrong gradient. The in-place op's own node reads the old value (b.mul_(c) needs b for
# c's gradient): when it saved it, it keeps a copy, as PyTorch's original_self.


def _internal_overlap(a: np.ndarray) -> bool:
    """PyTorch's test: a dimension of stride 0 and size > 1 (an expanded tensor)."""
    return any(s == 0 and n > 1 for s, n in zip(a.strides, a.shape))


def _check_overlap(a: np.ndarray, op):
    if _internal_overlap(a):
        raise RuntimeError(f"{op}: unsupported operation: more than one element of the written-to tensor "
                           f"refers to a single memory location (an expanded view of shape {a.shape} with "
                           f"byte strides {a.strides}); clone() the tensor before writing to it")


def check_writable(self, op):
    """PyTorch's refusals before any in-place write."""
    _check_overlap(self._data, op)
    if not state.enabled:
        return
    base = self._base
    view_of_leaf = base is not None and base.requires_grad and base.grad_fn is None and self.requires_grad
    if view_of_leaf or (self.requires_grad and self.grad_fn is None):
        what = "a view of a leaf Variable" if view_of_leaf else "a leaf Variable"
        raise RuntimeError(f"{op}: {what} that requires grad is being used in an in-place operation; wrap "
                           f"the update in nnmath.no_grad() (as optimizers do) or use an out-of-place op")
    if base is not None and (base.requires_grad or self.requires_grad):
        if self._multi_view:
            raise RuntimeError(f"{op}: this tensor is one of several views returned by one op (split, chunk, "
                               f"unbind), which PyTorch does not allow to be changed in place while autograd "
                               f"records; use an out-of-place op, or clone() the output first")
        if self._view_no_grad:
            raise RuntimeError(f"{op}: a view was created in no_grad mode and is being modified in place with "
                               f"grad mode enabled; this is ambiguous and forbidden (as in PyTorch): make the "
                               f"view with grad mode enabled, or change it under no_grad")


def apply_inplace(self, op, compute):
    """self ← compute(self), written into self's memory (shared with its views); recorded by autograd
    when a gradient can flow through the old value or the new one."""
    check_writable(self, op)
    if not state.enabled:
        _write(self, compute(self)._data, op)
        return self
    old = Tensor._make(self._data, self.requires_grad, self._grad_fn, self._output_nr)
    result = compute(old)
    if old._vc.saved:
        old._data = old._data.copy()  # the op's node reads the value from before the write
    if not result.requires_grad:
        if not self._requires_grad:
            _write(self, result._data, op)
            return self
        # The old value no longer contributes: record that (gradient zero) rather than keep its graph.
        result = ops.where(Tensor._make(np.ones((), bool)), result, old)
    _check_result(self, result._data, op)
    result = cast(result, self._data.dtype)
    self._vc.graph += 1  # the history of this memory changes: views rebuild their grad_fn
    if self._base is None:
        _write(self, result._data, op)
        self._grad_fn, self._output_nr, self._requires_grad = result._grad_fn, result._output_nr, True
    else:
        _record_through_view(self, result)
    return self


def _record_through_view(view, result):
    """The write of ``result`` into ``view``, recorded on the base's history (PyTorch's CopySlices); the
    view's own node is then read from the base's."""
    base = view._base
    base_old = Tensor._make(base._data, base.requires_grad, base._grad_fn, base._output_nr)
    new_base = strided.CopySlices.apply(base_old, result, strided.Geometry.of(base._data, view._data))
    view._vc.value += 1
    base._grad_fn, base._output_nr, base._requires_grad = new_base._grad_fn, 0, True
    _rebuild_view_node(view)


def _rebuild_view_node(view):
    """A view's grad_fn read from its base's current history (PyTorch's AsStridedBackward)."""
    base = view._base
    view._view_graph = view._vc.graph
    if not base._requires_grad or not np.may_share_memory(base._data, view._data):
        return  # nothing to read from (or the base's memory was replaced: no longer a view)
    stand_in = Tensor._make(base._data, True, base._grad_fn, base._output_nr)
    with enable_grad():
        rebuilt = strided.AsStrided.apply(stand_in, strided.Geometry.of(base._data, view._data))
    view._grad_fn, view._output_nr, view._requires_grad = rebuilt._grad_fn, 0, True


Tensor._regenerate_grad_fn = _rebuild_view_node


def _check_result(self, values, op):
    if values.shape != self._data.shape:
        raise RuntimeError(f"{op}: the result of shape {values.shape} doesn't match the in-place target "
                           f"of shape {tuple(self.shape)} (in-place ops cannot broadcast the target)")
    if values.dtype != self._data.dtype and not dtypes.can_cast(dtypes.from_numpy_dtype(values.dtype), self.dtype):
        raise RuntimeError(f"{op}: result type {dtypes.from_numpy_dtype(values.dtype)} can't be cast to the "
                           f"desired output type {self.dtype}")


def _write(self, values, op):
    _check_result(self, values, op)
    _own_memory(self)
    _writable(self, self._data, op)[...] = values
    self._vc.value += 1


def _own_memory(self):
    """A tensor over a read-only NumPy array (not a view of another tensor) gets its own copy before a
    write (PyTorch would write into memory NumPy declared read-only)."""
    if self._base is None and not writeable(self._data) and not _internal_overlap(self._data):
        self._data = self._data.copy()


def _writable(self, region, op):
    """``region`` (an array over self's memory) ready to be written: NumPy marks an expanded array
    read-only though the memory under it is not, so such a region is written through an alias."""
    if writeable(region):
        return region
    owner = self if self._base is None else self._base
    if not writeable(owner._data):
        raise RuntimeError(f"{op}: the tensor's memory is read-only (it views a read-only NumPy array)")
    return strided.writable_alias(region)


def _make_inplace(name, fn):
    def method(self, *args, **kwargs):
        return apply_inplace(self, name, lambda x: fn(x, *args, **kwargs))
    method.__name__ = name
    method.__doc__ = f"In-place version of :meth:`{name[:-1]}`."
    return method


for _name in """add sub mul div pow neg abs exp log sqrt sigmoid tanh relu clamp clamp_min clamp_max clip
                masked_fill floor ceil round trunc sign sin cos remainder fmod reciprocal square rsqrt
                log1p expm1 lerp scatter scatter_add maximum minimum""".split():
    setattr(Tensor, _name + "_", _make_inplace(_name + "_", getattr(ops, _name)))
Tensor.true_divide_ = Tensor.div_
Tensor.subtract_ = Tensor.sub_
Tensor.multiply_ = Tensor.mul_


def _index_add(self, dim, index, source, *, alpha=1):
    d = dim % max(self.ndim, 1)
    n = self.shape[d] if self.ndim else 1
    bad = (index._data >= n) | (index._data < 0)
    if bad.any():
        raise RuntimeError(f"index_add: index {int(index._data[bad].flat[0])} is out of bounds for dimension {d} "
                           f"with size {n}")
    idx = ops.broadcast_to(
        index.reshape(tuple(-1 if i == d else 1 for i in range(self.ndim))), tuple(source.shape))
    return ops.scatter_add(self, d, idx.contiguous(), source * alpha if alpha != 1 else source)


Tensor.index_add = _index_add
Tensor.index_add_ = _make_inplace("index_add_", _index_add)


for _op, _method in (("__iadd__", "add_"), ("__isub__", "sub_"), ("__imul__", "mul_"),
                     ("__itruediv__", "div_"), ("__ipow__", "pow_")):
    setattr(Tensor, _op, getattr(Tensor, _method))


def _fill_(self, value):
    """Set every element to ``value``."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"fill_: only supports a 0-dimensional value tensor, but got a tensor with "
                               f"{value.ndim} dimensions")
        return apply_inplace(self, "fill_", lambda x: _replaced(x, value))
    return apply_inplace(self, "fill_", lambda x: Tensor._make(np.full(x._data.shape, value, x._data.dtype)))


def _zero_(self):
    """Set every element to zero."""
    return _fill_(self, 0)


def _copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast to self's shape, converted to self's dtype) into self; differentiable with
    respect to ``src``."""
    if not isinstance(src, Tensor):
        src = Tensor._make(get_array_module(self._data).asarray(src))
    src = _to_device(src, device_of(self._data))  # copy_ crosses devices, as PyTorch's
    try:
        np.broadcast_shapes(src._data.shape, self._data.shape)
        if src.ndim > self.ndim:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"copy_: the source of shape {tuple(src.shape)} cannot be broadcast to the "
                           f"destination's shape {tuple(self.shape)}") from None
    return apply_inplace(self, "copy_", lambda x: _replaced(x, src))


def _replaced(x, value):
    """``value`` in x's shape and dtype, still linked to x (with gradient zero), as PyTorch's copy_ and
    fill_ keep the overwritten tensor in the graph."""
    return ops.where(Tensor._make(get_array_module(x._data).ones((), bool)), ops.broadcast_to(value.to(x.dtype), tuple(x.shape)), x)


def _setitem(self, key, value):
    """``x[key] = value``, written into x's memory. As PyTorch: the value loses its leading dimensions of
    size 1 and broadcasts to the indexed shape; a basic index (ints, slices) writes through a view, an
    advanced one (tensors, masks) is ``index_put_``."""
    nkey = normalize_key(key, self.shape)
    value = _setitem_value(self, value)
    view_key = basic_view_key(nkey)
    if state.enabled and (self.requires_grad or value.requires_grad):
        if view_key is not None:
            _copy_(ops.getitem(self, nkey), value)
        else:
            apply_inplace(self, "index_put_", lambda x: ops.index_put(x, nkey, value))
        return
    _own_memory(self)
    if view_key is not None:  # a basic index: the written region is a view, which must not overlap
        region = index_array(self._data, view_key, "index_put_")
        _check_overlap(region, "copy_")
        assign(_writable(self, region, "copy_"), Ellipsis, value._data)
    else:
        if _internal_overlap(self._data):
            warnings.warn("index_put_: writing into an expanded tensor is deprecated (as in PyTorch); clone() "
                          "it first", UserWarning, stacklevel=2)
        assign(_writable(self, self._data, "index_put_"), nkey, value._data)
    self._vc.value += 1


def _setitem_value(self, value):
    if not isinstance(value, Tensor):
        try:
            value = Tensor._make(np.asarray(value, dtype=self._data.dtype))
        except (TypeError, ValueError, OverflowError) as e:
            raise TypeError(f"index_put_: can't assign {value!r:.60} to a {self.dtype} tensor ({e})") from None
    elif value._data.dtype != self._data.dtype:
        value = value.to(self.dtype)
    lead = 0
    while lead < value.ndim and value.shape[lead] == 1:
        lead += 1
    return ops.reshape(value, tuple(value.shape[lead:])) if lead else value


Tensor.fill_ = _fill_
Tensor.zero_ = _zero_
Tensor.copy_ = _copy_
Tensor.__setitem__ = _setitem


def _masked_fill_(self, mask, value):
    return apply_inplace(self, "masked_fill_", lambda x: ops.masked_fill(x, mask, value))


Tensor.masked_fill_ = _masked_fill_


def _random_fill(self, op, draw):
    """Overwrite with random values (no gradient flows to the old value)."""
    return apply_inplace(self, op, lambda x: Tensor._make(on_device_of(draw(x._data.shape), x._data)
                                                          .astype(x._data.dtype)))


def _uniform_(self, a=0.0, b=1.0, *, generator=None):
    """Fill with draws from U(a, b)."""
    if a > b:
        raise RuntimeError(f"uniform_: expects to return a [from, to) range, but found from={a} > to={b}")
    return _random_fill(self, "uniform_", lambda shape: rng(generator).uniform(a, b, shape))


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with draws from N(mean, std²)."""
    if std < 0:
        raise RuntimeError(f"normal_: expects std >= 0.0, but found std {std}")
    return _random_fill(self, "normal_", lambda shape: rng(generator).normal(mean, std, shape))


def _bernoulli_(self, p=0.5, *, generator=None):
    """Fill with draws from Bernoulli(p) (1 with probability p, else 0)."""
    probs = p._data if isinstance(p, Tensor) else p
    if bool(np.any((probs < 0) | (probs > 1))):
        raise RuntimeError(f"bernoulli_: expects 0 <= p <= 1, but got p={p}")
    return _random_fill(self, "bernoulli_", lambda shape: on_device_of(rng(generator).random(shape), self._data) < probs)


Tensor.uniform_ = _uniform_
Tensor.normal_ = _normal_
Tensor.bernoulli_ = _bernoulli_


def _unsqueeze_(self, dim):
    return _reshape_inplace(self, ops.unsqueeze(self.detach(), dim).shape)


def _squeeze_(self, dim=None):
    return _reshape_inplace(self, ops.squeeze(self.detach(), dim).shape)


def _reshape_inplace(self, shape):
    if self.requires_grad and state.enabled:
        raise RuntimeError("squeeze_/unsqueeze_ on a tensor that requires grad is not supported; "
                           "use squeeze/unsqueeze")
    self._data = self._data.reshape(tuple(shape))
    return self


Tensor.unsqueeze_ = _unsqueeze_
Tensor.squeeze_ = _squeeze_
Tensor.t_ = lambda self: _reshape_like_transpose(self)


def _reshape_like_transpose(self):
    if self.requires_grad and state.enabled:
        raise RuntimeError("t_ on a tensor that requires grad is not supported; use t()")
    self._data = self._data.T
    return self


def _tensor_max(self, dim=None, keepdim=False):
    return ops.max(self, dim, keepdim)


def _tensor_min(self, dim=None, keepdim=False):
    return ops.min(self, dim, keepdim)


Tensor.max = _tensor_max
Tensor.min = _tensor_min


def _apply_(self, fn):
    self._data[...] = np.vectorize(fn)(self._data)
    self._vc.value += 1
    return self


Tensor.apply_ = _apply_

Tensor.share_memory_ = _shared_memory.share_memory_
Tensor.is_shared = _shared_memory.is_shared
