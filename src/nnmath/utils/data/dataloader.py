"""``DataLoader``: iterate over a dataset in (shuffled) batches, collated into tensors.

Loading happens in the calling process. ``num_workers`` is accepted for compatibility; the samples are
NumPy slices, so worker processes would mostly add pickling cost (and this machine shares few cores).
"""
from __future__ import annotations

import collections.abc
import itertools

import numpy as np

from nnmath import dtypes
from nnmath.creation import tensor as _tensor
from nnmath.ops.shape import stack
from nnmath.tensor import Tensor
from nnmath.utils.data.dataset import IterableDataset, StackedSamples
from nnmath.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler

_COLLATE_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def default_collate(batch):
    """Merge a list of samples into a batch, recursively by the samples' structure:

    tensors and NumPy arrays are stacked along a new first dimension; Python ints become an int64
    tensor, floats a float64 tensor, bools a bool tensor; NumPy scalars a tensor of their dtype;
    strings and bytes stay as they are (a list, or a tuple inside a collated
    tuple, as in PyTorch); dicts, namedtuples and sequences are collated field by field
    (a tuple of fields gives a list, as in PyTorch).
    """
    if isinstance(batch, StackedSamples):
        return list(batch.fields)
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray):
        _check_numeric(elem.dtype)
        _check_equal_shapes([sample.shape for sample in batch])
        return Tensor._make(np.stack(batch))
    if isinstance(elem, (np.number, np.bool_)):
        return Tensor._make(np.array(batch))
    if isinstance(elem, float):
        return _tensor(batch, dtype=dtypes.float64)
    if isinstance(elem, int):
        return _tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _same_type(elem, {key: default_collate([sample[key] for sample in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(field) for field in zip(*batch)]
        return fields if isinstance(elem, tuple) else _same_type(elem, fields)
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def default_convert(data):
    """Without batching (``batch_size=None``): NumPy arrays and scalars become tensors, recursively
    inside dicts, namedtuples and sequences; everything else is returned as it is."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "SUaO":
        return Tensor._make(data)
    if isinstance(data, (np.number, np.bool_)):
        return Tensor._make(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _same_type(data, {key: default_convert(value) for key, value in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(field) for field in data))
    if isinstance(data, tuple):
        return [default_convert(field) for field in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _same_type(data, [default_convert(field) for field in data])
    return data


def _check_equal_shapes(shapes) -> None:
    for i, shape in enumerate(shapes):
        if tuple(shape) != tuple(shapes[0]):
            raise RuntimeError(f"default_collate: stack expects each sample to be equal size, but got "
                               f"{list(shapes[0])} at entry 0 and {list(shape)} at entry {i} of the batch (pad the "
                               f"samples, or pass a collate_fn that handles different sizes)")


def _stack_tensors(batch) -> Tensor:
    _check_equal_shapes([sample.shape for sample in batch])
    if any(sample.requires_grad for sample in batch):
        return stack(batch)
    return Tensor._make(np.stack([sample._data for sample in batch]))


def _check_numeric(dtype: np.dtype) -> None:
    if dtype.kind in "SUaO":
        raise TypeError(_COLLATE_ERROR.format(dtype))


def _same_type(template, contents):
    """``contents`` as ``template``'s container type when that type can be built from it, else as is."""
    try:
        return type(template)(contents)
    except TypeError:
        return contents


def get_worker_info():
    """Information about the current loader worker: None, as loading runs in the main process."""
    return None


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Args:
        dataset: a map-style :class:`Dataset` (indexable, with ``len``) or an :class:`IterableDataset`.
        batch_size: samples per batch (default 1); None yields samples one at a time, uncollated.
        shuffle: visit the samples in a new random order each epoch (from ``generator``, or from a
            seed drawn from the global generator, so ``nnmath.manual_seed`` makes the order reproducible).
        sampler: the order of indices (excludes ``shuffle``).
        batch_sampler: yields lists of indices (excludes batch_size, shuffle, sampler and drop_last).
        num_workers: accepted; loading happens in this process.
        collate_fn: merges a list of samples into a batch (default :func:`default_collate`).
        drop_last: drop the last, incomplete batch.
        generator: the :class:`nnmath.Generator` used for shuffling.

    A dataset with ``__getitems__(indices)`` (as :class:`TensorDataset` and :class:`Subset` have) gives
    a whole batch per call, so a ``TensorDataset`` batch costs one fancy index per tensor.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True):
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.generator = generator
        self._is_iterable = isinstance(dataset, IterableDataset)

        if self._is_iterable:
            _check_iterable_options(shuffle, sampler, batch_sampler)
        elif shuffle not in (False, None) and sampler is not None:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        if sampler is None and not self._is_iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._is_iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn or (default_collate if self._auto_collation else default_convert)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._is_iterable and self.batch_size is not None)

    def __iter__(self):
        if self._is_iterable:
            return self._iterate_stream()
        if self.batch_sampler is not None:
            return (self.collate_fn(self._fetch(indices)) for indices in self.batch_sampler)
        return (self.collate_fn(self.dataset[index]) for index in self.sampler)

    def _fetch(self, indices: list[int]):
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(indices)
        return [self.dataset[index] for index in indices]

    def _iterate_stream(self):
        stream = iter(self.dataset)
        if self.batch_size is None:
            yield from (self.collate_fn(sample) for sample in stream)
            return
        while batch := list(itertools.islice(stream, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        if self._is_iterable:
            length = len(self.dataset)
            if self.batch_size is None:
                return length
            if self.drop_last:
                return length // self.batch_size
            return (length + self.batch_size - 1) // self.batch_size
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers) -> None:
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                         "multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                         "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


def _check_iterable_options(shuffle, sampler, batch_sampler) -> None:
    if shuffle not in (False, None):
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                         f"shuffle={shuffle}")
    if sampler is not None:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                         f"sampler={sampler}")
    if batch_sampler is not None:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, but got "
                         f"batch_sampler={batch_sampler}")
