"""``DataLoader``: iterate over a dataset in (shuffled) batches, collated into tensors, in this process
or in ``num_workers`` worker processes.

With workers, the main process hands out batches of indices round-robin, keeping ``prefetch_factor``
batches per worker in flight, and yields the results in the order of the indices, so the batches are
the ones ``num_workers=0`` yields. Worker w seeds ``random``, nnmath and NumPy from ``base_seed + w``,
where ``base_seed`` is drawn from the loader's ``generator`` (or the global one) each epoch, as in
PyTorch; random transforms in workers are therefore reproducible under ``nnmath.manual_seed``. An
exception in a worker is raised again in the main process with the worker's traceback; a worker that
dies makes the iteration raise RuntimeError instead of waiting for it.
"""
from __future__ import annotations

import collections.abc
import itertools
import multiprocessing
import os
import queue
import signal

import numpy as np

from nnmath import dtypes
from nnmath.creation import tensor as _tensor
from nnmath.ops.shape import stack
from nnmath.random import rng
from nnmath.tensor import Tensor
from nnmath.utils.data import _worker
from nnmath.utils.data._worker import ExceptionWrapper, IterableDatasetStopIteration, ResumeIteration
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
    if len(batch) == 0:
        raise IndexError("default_collate: the batch is empty (0 samples); there is nothing to collate")
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
    for i, sample in enumerate(batch):
        if not isinstance(sample, Tensor):
            raise TypeError(f"default_collate: expected Tensor as element {i} of the batch, but got "
                            f"{type(sample).__name__} (the first element is a Tensor)")
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


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Args:
        dataset: a map-style :class:`Dataset` (indexable, with ``len``) or an :class:`IterableDataset`.
        batch_size: samples per batch (default 1); None yields samples one at a time, uncollated.
        shuffle: visit the samples in a new random order each epoch (from ``generator``, or from a
            seed drawn from the global generator, so ``nnmath.manual_seed`` makes the order reproducible).
        sampler: the order of indices (excludes ``shuffle``).
        batch_sampler: yields lists of indices (excludes batch_size, shuffle, sampler and drop_last).
        num_workers: worker processes that load the batches (0: load in this process).
        collate_fn: merges a list of samples into a batch (default :func:`default_collate`).
        pin_memory: page-locked memory for GPU copies; there is no GPU, so it changes nothing.
        drop_last: drop the last, incomplete batch.
        timeout: with workers, seconds to wait for a batch before raising RuntimeError (0: no limit).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker, after seeding.
        multiprocessing_context: the start method ('fork', 'spawn', 'forkserver') or a context from
            ``multiprocessing.get_context``; default: multiprocessing's default.
        generator: the :class:`nnmath.Generator` for shuffling and for the workers' base seed.
        prefetch_factor: batches in flight per worker (default 2 with workers).
        persistent_workers: keep the workers (and their state) from one epoch to the next.
        in_order: with workers, yield the batches in index order (default); False yields each as it is ready.

    A dataset with ``__getitems__(indices)`` (as :class:`TensorDataset` and :class:`Subset` have) gives
    a whole batch per call, so a ``TensorDataset`` batch costs one fancy index per tensor. With
    workers, the dataset, ``collate_fn`` and ``worker_init_fn`` are pickled to each worker under the
    'spawn' and 'forkserver' start methods (so they must be defined at a module's top level); under
    'fork' they are inherited.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True):
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = 2 if num_workers > 0 and prefetch_factor is None else prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = _check_context(multiprocessing_context, num_workers)
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.generator = generator
        self._is_iterable = isinstance(dataset, IterableDataset)
        self._iterator = None

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
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable (a function from a list of samples to a "
                            f"batch), got {type(collate_fn).__name__} {collate_fn!r}")
        self.collate_fn = collate_fn or (default_collate if self._auto_collation else default_convert)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._is_iterable and self.batch_size is not None)

    @property
    def _index_sampler(self):
        """What each fetch is given: a batch of indices, an index, or (for an IterableDataset, which picks
        its own samples) a batch of placeholders or a placeholder, endlessly."""
        if self._is_iterable:
            placeholder = [None] * self.batch_size if self.batch_size is not None else None
            return itertools.repeat(placeholder)
        return self.batch_sampler if self._auto_collation else self.sampler

    @property
    def _fetcher_class(self):
        return _worker.IterableFetcher if self._is_iterable else _worker.MapFetcher

    def _new_fetcher(self):
        return self._fetcher_class(self.dataset, self._auto_collation, self.collate_fn, self.drop_last)

    def __iter__(self):
        if self.num_workers == 0:
            return _single_process_batches(self)
        if not self.persistent_workers:
            return _MultiProcessIterator(self)
        if self._iterator is None:
            self._iterator = _MultiProcessIterator(self)
        else:
            self._iterator.reset()
        return self._iterator

    def __len__(self) -> int:
        if self._is_iterable:
            length = len(self.dataset)
            if self.batch_size is None:
                return length
            if self.drop_last:
                return length // self.batch_size
            return (length + self.batch_size - 1) // self.batch_size
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)


def _draw_base_seed(generator) -> int:
    """One draw from the loader's generator per iterator, with or without workers, as PyTorch's."""
    return int(rng(generator).integers(0, 2 ** 63 - 1))


def _single_process_batches(loader: DataLoader):
    _draw_base_seed(loader.generator)  # the workers' seed: drawn anyway, so the generator advances as with workers
    return _batches_in_this_process(loader, iter(loader._index_sampler), loader._new_fetcher())


def _batches_in_this_process(loader, indices, fetcher):
    for index in indices:
        try:
            batch = fetcher.fetch(index)
        except StopIteration:
            if loader._is_iterable:
                return
            raise
        yield batch


class _MultiProcessIterator:
    """The batches of one epoch (or of every epoch, with persistent workers) loaded by worker processes.

    Task i (a batch of indices) goes to the next live worker in round-robin order; ``task_info[i]`` holds
    ``(worker_id,)`` until its result arrives out of order, then ``(worker_id, data)``. Results are yielded
    in task order, and each yielded one lets a new task be sent, keeping prefetch_factor × num_workers in
    flight.
    """

    def __init__(self, loader: DataLoader):
        self._index_sampler = loader._index_sampler  # not the loader: a persistent loader holds its iterator
        self._in_order = loader.in_order
        self._num_workers = loader.num_workers
        self._in_flight = loader.prefetch_factor * loader.num_workers
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        context = loader.multiprocessing_context or multiprocessing.get_context()
        self._result_queue = context.Queue()
        self._done_event = context.Event()
        self._index_queues, self._workers = [], []
        self._owner_pid = os.getpid()  # a forked child inherits this object; only the parent may end the workers
        self._shutdown = False
        base_seed = _draw_base_seed(loader.generator)
        try:
            for worker_id in range(self._num_workers):
                self._start_worker(context, loader, worker_id, base_seed)
        except BaseException:  # e.g. a dataset that 'spawn' cannot pickle: end the workers already started
            self._shutdown_workers()
            raise
        self._start_epoch()

    def _start_worker(self, context, loader: DataLoader, worker_id: int, base_seed: int) -> None:
        index_queue = context.Queue()
        index_queue.cancel_join_thread()  # at shutdown, do not wait to flush tasks nobody will take
        self._index_queues.append(index_queue)
        worker = context.Process(
            target=_worker.worker_loop, daemon=True,
            args=(loader._fetcher_class, loader.dataset, index_queue, self._result_queue, self._done_event,
                  loader._auto_collation, loader.collate_fn, loader.drop_last, base_seed, loader.worker_init_fn,
                  worker_id, self._num_workers, os.getpid()))
        worker.start()
        self._workers.append(worker)

    def _start_epoch(self) -> None:
        self._indices = iter(self._index_sampler)
        self._send_idx = self._rcvd_idx = self._tasks_outstanding = 0
        self._task_info = {}
        self._workers_status = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        for _ in range(self._in_flight):
            self._try_put_index()

    def reset(self) -> None:
        """A new epoch on the persistent workers: each restarts its fetcher (a fresh stream of an
        IterableDataset) and acknowledges, results of the previous epoch still in the queue are dropped."""
        for index_queue in self._index_queues:
            index_queue.put(ResumeIteration())
        pending = self._num_workers
        while pending:
            task_index, _ = self._get_data()
            pending -= isinstance(task_index, ResumeIteration)
        self._start_epoch()

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._index_sampler)

    def _try_put_index(self) -> None:
        if self._tasks_outstanding >= self._in_flight:
            return
        try:
            index = next(self._indices)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return  # every worker's stream has ended
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def __next__(self):
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._workers_status[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)  # consumed out of order, or its worker's stream ended
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                data = self._task_info.pop(self._rcvd_idx)[1]
                self._rcvd_idx += 1
                return self._process(data)
            task_index, data = self._get_data()
            self._tasks_outstanding -= 1
            if isinstance(data, IterableDatasetStopIteration):
                self._workers_status[data.worker_id] = False
                self._try_put_index()
                continue
            if task_index != self._rcvd_idx and self._in_order:
                self._task_info[task_index] += (data,)  # early: kept until its turn
                continue
            del self._task_info[task_index]
            if task_index == self._rcvd_idx:
                self._rcvd_idx += 1
            return self._process(data)

    def _process(self, data):
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _get_data(self):
        """The next ``(task_index, data)`` from any worker: waits at most ``timeout`` seconds when it is set;
        without, waits as long as the workers live."""
        if self._timeout > 0:
            try:
                return self._result_queue.get(timeout=self._timeout)
            except queue.Empty:
                self._check_workers()
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds waiting for a batch from "
                                   f"its {self._num_workers} workers") from None
        while True:
            try:
                return self._result_queue.get(timeout=_worker.STATUS_CHECK_INTERVAL)
            except queue.Empty:
                self._check_workers()

    def _check_workers(self) -> None:
        dead = [worker for worker in self._workers if not worker.is_alive()]
        if dead:
            self._shutdown_workers()
            raise RuntimeError(f"DataLoader worker ({', '.join(_exit_status(worker) for worker in dead)}) exited "
                               f"unexpectedly; if it ran out of memory or was killed, try fewer workers or a "
                               f"smaller batch_size / prefetch_factor")

    def _shutdown_workers(self) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        self._done_event.set()
        for index_queue in self._index_queues:
            index_queue.put(None)
        for worker in self._workers:
            worker.join(timeout=5 * _worker.STATUS_CHECK_INTERVAL)
            if worker.is_alive():
                worker.terminate()
                worker.join()
        for index_queue in self._index_queues:
            index_queue.close()
        self._result_queue.cancel_join_thread()
        self._result_queue.close()

    def __del__(self):
        if getattr(self, "_owner_pid", None) == os.getpid():
            self._shutdown_workers()


def _exit_status(worker) -> str:
    if worker.exitcode is not None and worker.exitcode < 0:
        return f"pid {worker.pid}, killed by signal {signal.Signals(-worker.exitcode).name}"
    return f"pid {worker.pid}, exit code {worker.exitcode}"


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers) -> None:
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                         "multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                         "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


def _check_context(context, num_workers: int):
    """``multiprocessing_context`` as a context object (None for the default), checked as PyTorch does."""
    if context is None:
        return None
    if num_workers == 0:
        raise ValueError(f"multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                         f"but got num_workers={num_workers}")
    if isinstance(context, str):
        if context not in multiprocessing.get_all_start_methods():
            raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                             f"{multiprocessing.get_all_start_methods()!r}, but got "
                             f"multiprocessing_context={context!r}")
        return multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError(f"multiprocessing_context option should be a valid context object or a string specifying "
                        f"the start method, but got multiprocessing_context={context}")
    return context


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
