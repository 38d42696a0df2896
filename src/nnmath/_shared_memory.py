"""Tensors in shared memory: ``Tensor.share_memory_()`` / ``is_shared()`` and their pickling between processes.

``share_memory_()`` copies a tensor's array into an anonymous shared file (``memfd_create`` on Linux)
mapped into the process, and points the tensor at the mapping. Then

- a child made by ``fork`` inherits the mapping: its writes are the parent's, and the parent's its;
- a tensor sent to another process through :mod:`multiprocessing` (a ``spawn`` child's arguments, a
  ``Queue``, a ``Pipe``) travels as a duplicate of the file's descriptor (multiprocessing's ``DupFd``)
  plus the array's place in the file; the receiver maps the same file, so both see the same numbers.
  As in PyTorch, a tensor not yet in shared memory is moved there when it is sent (the sender's tensor
  too), so what the receiver writes, the sender sees. ``pickle`` and ``nnmath.save`` always write values.

The operating system frees the memory when the last process unmaps it: no names to clean up, nothing
left behind by a process that crashed. Each mapping is one uint8 array (its *root*) over the whole file;
every array on it is a view of the root, so NumPy keeps the root alive while any view lives, and the
file's descriptors are closed when the root dies. A process holds two descriptors per shared file it maps
(nnmath's, to send it on, and the one Python's ``mmap`` keeps).
"""
from __future__ import annotations

import mmap
import os
import tempfile
import weakref
from multiprocessing.reduction import DupFd, ForkingPickler

import numpy as np

from nnmath.tensor import Tensor

_descriptors: dict[int, int] = {}  # id(root array) -> the descriptor of its file
_roots: dict[tuple[int, int], weakref.ref] = {}  # (device, inode) of a file -> its root array here


def _root_of(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _descriptor(array: np.ndarray) -> int | None:
    """The descriptor of the shared file ``array`` lives in, or None when it is not in shared memory."""
    return _descriptors.get(id(_root_of(array)))


def _anonymous_file(size: int) -> int:
    if hasattr(os, "memfd_create"):
        descriptor = os.memfd_create("nnmath-tensor", os.MFD_CLOEXEC)
    else:  # macOS and other POSIX systems: a file unlinked at once, which lives while it is open or mapped
        with tempfile.TemporaryFile() as file:
            descriptor = os.dup(file.fileno())
    os.ftruncate(descriptor, size)
    return descriptor


def _forget(root_id: int, key: tuple[int, int], descriptor: int) -> None:
    _descriptors.pop(root_id, None)
    _roots.pop(key, None)
    os.close(descriptor)


def _map(descriptor: int) -> np.ndarray:
    """The root array over the whole file behind ``descriptor`` (which it owns from now on)."""
    status = os.fstat(descriptor)
    key = (status.st_dev, status.st_ino)
    root = _roots[key]() if key in _roots else None
    if root is not None:  # this process maps the file already: share that mapping, so views alias
        os.close(descriptor)
        return root
    root = np.frombuffer(mmap.mmap(descriptor, status.st_size), np.uint8)
    _descriptors[id(root)] = descriptor
    _roots[key] = weakref.ref(root)
    weakref.finalize(root, _forget, id(root), key, descriptor)
    return root


def share(array: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``array`` in a new shared file."""
    root = _map(_anonymous_file(max(array.nbytes, 1)))
    shared = root[:array.nbytes].view(array.dtype).reshape(array.shape)
    shared[...] = array
    return shared


def share_memory_(self: Tensor) -> Tensor:
    """Move the tensor's data into shared memory (a no-op if it is there already); returns ``self``.

    Child processes then see the same numbers: forked ones through the inherited mapping, others when
    the tensor is passed to them through :mod:`nnmath.multiprocessing` (or :mod:`multiprocessing`).
    Views taken of the tensor before the move keep the old memory, so share first, then take views."""
    if _descriptor(self._data) is None:
        self._data = share(self._data)
    return self


def is_shared(self: Tensor) -> bool:
    """Whether the tensor's data lives in shared memory."""
    return _descriptor(self._data) is not None


def reduce_tensor(tensor: Tensor):
    """How :mod:`multiprocessing` pickles a tensor: its file's descriptor (moved to shared memory first,
    as PyTorch does), the byte offset from the file's start, the shape, the strides and the dtype."""
    if tensor.requires_grad and not tensor.is_leaf:
        raise RuntimeError(f"cannot send a non-leaf tensor that requires grad (made by "
                           f"{type(tensor.grad_fn).__name__}) to another process: autograd graphs do not cross "
                           f"process boundaries; send tensor.detach() to transfer the data")
    share_memory_(tensor)
    array = tensor._data
    offset = array.__array_interface__["data"][0] - _root_of(array).__array_interface__["data"][0]
    place = (DupFd(_descriptor(array)), offset, array.shape, array.strides, array.dtype.str)
    return _rebuild_shared, (type(tensor), place, tensor._requires_grad)


def _rebuild_shared(cls, place: tuple, requires_grad: bool) -> Tensor:
    file, offset, shape, strides, dtype = place
    root = _map(file.detach())
    tensor = cls.__new__(cls)
    tensor._init(np.ndarray(shape, np.dtype(dtype), buffer=root, offset=offset, strides=strides), requires_grad,
                 None, 0)
    return tensor


ForkingPickler.register(Tensor, reduce_tensor)
