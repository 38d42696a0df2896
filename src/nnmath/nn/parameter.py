"""``Parameter``: a tensor that a :class:`~nnmath.nn.Module` learns.

Assigning a Parameter as a module attribute registers it, so it appears in ``parameters()`` and in
the ``state_dict``; a plain Tensor attribute does not.
"""
from __future__ import annotations

from multiprocessing.reduction import ForkingPickler

import numpy as np

from nnmath import dtypes
from nnmath._shared_memory import reduce_tensor
from nnmath.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and registers itself on the module it is set on.

    Args:
        data: the initial value; a Tensor's storage is shared, not copied (default: an empty float tensor)
        requires_grad: whether the optimizer updates it (default: True)

    Example::

        >>> w = nn.Parameter(nnmath.zeros(3))
        >>> w.requires_grad, isinstance(w, nnmath.Tensor)
        (True, True)
    """

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            array = np.empty((0,), dtypes.get_default_dtype().np)
        elif isinstance(data, Tensor):
            array = data._data
        else:  # PyTorch fails on data.detach(): refused here with words
            raise TypeError(f"Parameter: data must be a Tensor, got {type(data).__name__} {data!r:.40}; make it one "
                            f"with nnmath.tensor(...)")
        self._init(array, False, None, 0)
        if isinstance(data, Tensor):
            self._vc = data._vc  # shares the storage, so in-place changes are seen by both
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self._data.copy(), self._requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(Tensor._make(data), requires_grad)


ForkingPickler.register(Parameter, reduce_tensor)  # sent to another process through shared memory, as a Tensor


class UninitializedTensorMixin:
    """A parameter or buffer whose shape is not known yet (a lazy layer's, before its first input).
    ``materialize(shape)`` gives it storage of that shape (uninitialised values) and turns it into
    the ordinary class (``cls_to_become``) in place, so references held elsewhere, an optimizer's
    included, stay valid."""

    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None) -> None:
        shape = (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)
        np_dtype = self._data.dtype if dtype is None else dtypes.to_dtype(dtype).np
        self._data = np.empty(shape, np_dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually "
                           "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
                           "initialized one. Call `forward` to initialize the parameters before accessing their "
                           "attributes.")

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
                           "initialize the parameters before calling `module.share_memory()`.")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, proto):
        return (type(self), (self.requires_grad,))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A :class:`Parameter` of a lazy layer before its first forward (see :class:`UninitializedTensorMixin`).

    Example::

        >>> p = nn.parameter.UninitializedParameter()
        >>> p.materialize((2, 3)); type(p).__name__, tuple(p.shape)
        ('Parameter', (2, 3))
    """

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        array = np.empty((0,), (dtypes.get_default_dtype() if dtype is None else dtypes.to_dtype(dtype)).np)
        super().__init__(Tensor._make(array), requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer of a lazy layer before its first forward (a running statistic of a lazy batch norm)."""

    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None):
        array = np.empty((0,), (dtypes.get_default_dtype() if dtype is None else dtypes.to_dtype(dtype)).np)
        self._init(array, False, None, 0)
        self.requires_grad_(requires_grad)


def is_lazy(param) -> bool:
    """Whether ``param`` is an uninitialized parameter or buffer."""
    return isinstance(param, UninitializedTensorMixin)
