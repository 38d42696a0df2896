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
