"""``nnmath.multiprocessing``: the standard library's :mod:`multiprocessing`, as ``torch.multiprocessing`` is.

Everything of :mod:`multiprocessing` is here (``Process``, ``Queue``, ``Pool``, ``get_context``,
``set_start_method``, ...), plus PyTorch's additions: :func:`spawn` / :func:`start_processes` (run
``fn(i, *args)`` in ``nprocs`` processes and re-raise a child's error in the parent) and the sharing
strategy. Tensors sent through any of these travel in shared memory (see :mod:`nnmath._shared_memory`):
``import nnmath`` registers that with multiprocessing's pickler, as ``import torch`` does.

Sharing strategy: PyTorch on Linux offers ``'file_descriptor'`` (the default) and ``'file_system'``
(named files, chosen to avoid running out of descriptors). nnmath has one mechanism, descriptors of
anonymous files, which a receiver holds only while it maps the tensor; both names select it, and
:func:`get_sharing_strategy` reports the one set.
"""
import multiprocessing
from multiprocessing import *  # noqa: F401,F403

from nnmath.multiprocessing.spawn import (ProcessContext, ProcessExitedException, ProcessRaisedException, spawn,
                                          start_processes)

_all_sharing_strategies = {"file_descriptor", "file_system"}
_sharing_strategy = "file_descriptor"


def set_sharing_strategy(new_strategy: str) -> None:
    """Choose how tensors are shared between processes: ``'file_descriptor'`` or ``'file_system'``
    (in nnmath both select the one mechanism described in the module's docstring)."""
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"set_sharing_strategy: invalid sharing strategy {new_strategy!r}, expected one of "
                             f"{sorted(_all_sharing_strategies)}")
    _sharing_strategy = new_strategy


def get_sharing_strategy() -> str:
    return _sharing_strategy


def get_all_sharing_strategies() -> set:
    return set(_all_sharing_strategies)


__all__ = multiprocessing.__all__ + ["ProcessContext", "ProcessExitedException", "ProcessRaisedException",
                                     "get_all_sharing_strategies", "get_sharing_strategy", "set_sharing_strategy",
                                     "spawn", "start_processes"]
