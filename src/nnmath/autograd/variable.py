"""``Variable``: PyTorch's pre-0.4 wrapper around a tensor, kept (as in PyTorch) for old programs.

Since PyTorch 0.4 every tensor records its history, and ``Variable(t, requires_grad=r)`` only gives
a tensor sharing ``t``'s data, cut from ``t``'s graph, whose ``requires_grad`` is ``r``; every tensor
is an instance of ``Variable``. ``volatile=True`` (once the way to turn recording off) has no effect
and warns, as in PyTorch: use ``with nnmath.no_grad():``.
"""
from __future__ import annotations

import warnings

from nnmath.tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False, volatile=False)``: ``data`` (a tensor) detached from its
    graph, sharing its storage, with ``requires_grad`` set; ``isinstance(t, Variable)`` holds for
    every tensor."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with nnmath.no_grad():` instead.",
                          UserWarning, stacklevel=2)
        if data is None:
            data = Tensor()
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = Tensor._make(data._data)
        out._vc = data._vc
        return out.requires_grad_(requires_grad)
