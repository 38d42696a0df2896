"""Tensor methods and operators, bound to :class:`~nnmath.tensor.Tensor` once the ops exist.

``x.exp()`` is ``nnmath.exp(x)``; operators map to the arithmetic ops; ``op_`` methods change a
tensor in place (see :func:`_inplace` for how that stays correct under autograd).
"""
from __future__ import annotations

import numpy as np

from nnmath import _shared_memory, creation, dtypes, ops, special
from nnmath.autograd import engine
from nnmath.autograd.fit import cast
from nnmath.autograd.grad_mode import no_grad, state
from nnmath.device import check_available
from nnmath.ops._util import size_args
from nnmath.ops.indexing import normalize_key
from nnmath.random import rng
from nnmath.tensor import Tensor

_SAME_NAME = """
abs absolute acos add addmm all allclose amax amin any argmax argmin argsort atan bitwise_and
bitwise_not bitwise_or bitwise_xor bmm broadcast_to ceil chunk clamp clamp_max clamp_min clip clone
cos count_nonzero cumprod cumsum div divide dot eq equal erf erfc exp exp2 expand_as expm1 fix flatten
flip fliplr flipud floor floor_divide fmod frac gather ge greater greater_equal gt index_select inner
isclose isfinite isinf isnan isneginf isposinf kthvalue le lerp less less_equal log log10 log1p log2
logical_and logical_not logical_or logical_xor logsumexp lt masked_fill masked_select matmul max maximum
mean min minimum mm moveaxis movedim mul multiply mv nan_to_num nansum narrow ne neg negative nonzero
norm not_equal outer pow prod reciprocal remainder repeat_interleave reshape_as roll round rsqrt
scatter scatter_add select sgn sigmoid sign sin softmax log_softmax sort split sqrt square squeeze std sub
subtract sum swapaxes swapdims t take take_along_dim tan tanh tensor_split tile topk tril triu true_divide
trunc unbind unflatten unique unsqueeze var view_as where relu
""".split()

for _name in _SAME_NAME:
    if hasattr(ops, _name):
        setattr(Tensor, _name, getattr(ops, _name))
Tensor.erf = special.erf
Tensor.erfc = special.erfc


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
            elif isinstance(a, (dtypes.dtype, np.dtype, type)) or (isinstance(a, str) and a in dtypes._NAMES):
                dtype = a
            else:
                dev = a
        if dev is not None:
            check_available(dev)
        if dtype is None or dtypes.to_dtype(dtype).np == self._data.dtype:
            return self.clone() if copy else self
        return cast(self, dtype)

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
        return creation.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        return creation.zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        return creation.ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False):
        return creation.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad=False):
        return self.new_zeros(*size, dtype=dtype, requires_grad=requires_grad)



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
Tensor.view = lambda self, *shape: ops.view(self, *shape)
Tensor.view.__doc__ = ops.view.__doc__
Tensor.transpose = ops.transpose
Tensor.argmax = ops.argmax
Tensor.T = property(lambda self: ops.permute(self, tuple(range(self.ndim))[::-1]))
Tensor.mT = property(lambda self: ops.transpose(self, -2, -1))
Tensor.H = Tensor.T
Tensor.mH = Tensor.mT


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
Tensor.__invert__ = ops.bitwise_not
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

def _check_inplace(self, op):
    if self.grad_fn is None and self.requires_grad and state.enabled:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place "
                           f"operation; wrap the update in nnmath.no_grad() (as optimizers do) or use "
                           f"an out-of-place op")
    base = self._base
    if base is not None and state.enabled and (base.requires_grad or self.requires_grad):
        raise RuntimeError(f"{op}: in-place change of a view of a tensor that requires grad is not "
                           f"supported (the base tensor's graph would not see it); use out-of-place ops "
                           f"or index the base tensor directly")


def _inplace(self, op, compute):
    """self ← compute(self) in place.

    Without autograd the new values are written into self's buffer. With autograd, the op is
    recorded out of place on a stand-in for self's *old* value, then self's buffer is overwritten
    and self is re-based onto the new node. Self's version counter moves on, so any node that saved
    the old value detects the change at backward time instead of silently using the new one.
    """
    _check_inplace(self, op)
    if not state.enabled:
        result = compute(self)
        _write(self, result._data, op)
        return self
    old = Tensor._make(self._data, self._requires_grad, self.grad_fn, self._output_nr)
    old._vc = self._vc
    result = compute(old)
    if self._requires_grad and not result.requires_grad:
        # The old value no longer contributes: record that (gradient zero) rather than keep its graph.
        result = ops.where(Tensor._make(np.ones((), bool)), result, old)
    _write(self, result._data, op)
    if result.requires_grad:
        self.grad_fn = result.grad_fn
        self._output_nr = result._output_nr
        self._requires_grad = True
    return self


def _write(self, values, op):
    if values.shape != self._data.shape:
        raise RuntimeError(f"{op}: the result of shape {values.shape} doesn't match the in-place target "
                           f"of shape {tuple(self.shape)} (in-place ops cannot broadcast the target)")
    if values.dtype != self._data.dtype and not np.can_cast(values.dtype, self._data.dtype, "same_kind"):
        raise RuntimeError(f"{op}: result type {values.dtype} can't be cast to the desired output type "
                           f"{self._data.dtype}")
    if not self._data.flags.writeable:
        self._data = self._data.copy()
    self._data[...] = values
    self._vc.value += 1


def _make_inplace(name, fn):
    def method(self, *args, **kwargs):
        return _inplace(self, name, lambda x: fn(x, *args, **kwargs))
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
    v = value.item() if isinstance(value, Tensor) else value
    if not (state.enabled and self.requires_grad):
        _check_inplace(self, "fill_")
        if not self._data.flags.writeable:
            self._data = self._data.copy()
        self._data.fill(v)
        self._vc.value += 1
        return self
    return _inplace(self, "fill_", lambda x: Tensor._make(np.full(x._data.shape, v, x._data.dtype)))


def _zero_(self):
    """Set every element to zero."""
    return _fill_(self, 0)


def _copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast to self's shape) into self; differentiable with respect to ``src``."""
    if not isinstance(src, Tensor):
        src = Tensor._make(np.asarray(src))
    try:
        np.broadcast_shapes(src._data.shape, self._data.shape)
    except ValueError:
        raise RuntimeError(f"copy_: source of shape {tuple(src.shape)} cannot be broadcast to "
                           f"{tuple(self.shape)}") from None
    return _inplace(self, "copy_", lambda x: ops.broadcast_to(src.to(x.dtype), tuple(x.shape)))


def _setitem(self, key, value):
    """``x[key] = value``: writes in place; records the write when autograd is involved."""
    if isinstance(value, Tensor) and value._data.dtype != self._data.dtype:
        value = value.to(self.dtype)
    recording = state.enabled and (self.requires_grad or (isinstance(value, Tensor) and value.requires_grad))
    if not recording:
        _check_inplace(self, "index_put_")
        nkey = normalize_key(key, self.shape)
        v = value._data if isinstance(value, Tensor) else value
        try:
            self._data[nkey] = v
        except IndexError as e:
            raise IndexError(f"index_put_: {e} (tensor of shape {tuple(self.shape)})") from None
        except ValueError:
            raise RuntimeError(f"index_put_: value of shape {np.shape(v)} cannot be broadcast to the indexed "
                               f"shape {self._data[nkey].shape}") from None
        self._vc.value += 1
        return
    _inplace(self, "index_put_", lambda x: ops.index_put(x, key, value))


Tensor.fill_ = _fill_
Tensor.zero_ = _zero_
Tensor.copy_ = _copy_
Tensor.__setitem__ = _setitem


def _masked_fill_(self, mask, value):
    return _inplace(self, "masked_fill_", lambda x: ops.masked_fill(x, mask, value))


Tensor.masked_fill_ = _masked_fill_


def _uniform_(self, a=0.0, b=1.0, *, generator=None):
    with no_grad():
        self._data[...] = rng(generator).uniform(a, b, self._data.shape)
    self._vc.value += 1
    return self


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    with no_grad():
        self._data[...] = rng(generator).normal(mean, std, self._data.shape)
    self._vc.value += 1
    return self


def _bernoulli_(self, p=0.5, *, generator=None):
    self._data[...] = rng(generator).random(self._data.shape) < p
    self._vc.value += 1
    return self


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
