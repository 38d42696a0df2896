"""What runs inside a DataLoader worker process, and what the worker and the main process exchange.

A worker seeds itself as PyTorch's do (``random``, nnmath's global generator and NumPy's legacy global
state, from ``base_seed + worker_id``), calls ``worker_init_fn(worker_id)``, then loops: take
``(task_index, indices)`` from its index queue, fetch and collate, put ``(task_index, batch)`` on the
shared result queue. An exception becomes an :class:`ExceptionWrapper` carrying the worker's traceback,
re-raised by the main process. A worker stops on ``None`` or when the main process sets ``done_event``
(which still works when the queues are already being torn down), and by itself when its parent has died.
"""
from __future__ import annotations

import itertools
import os
import queue
import random
import sys
import traceback

import numpy as np

from nnmath.parallel import set_num_threads
from nnmath.random import manual_seed

# How often (seconds) a blocked worker checks that its parent lives, and the main process that its workers do.
STATUS_CHECK_INTERVAL = 0.2

_worker_info = None


class WorkerInfo:
    """What :func:`get_worker_info` returns in a worker: ``id``, ``num_workers``, ``seed`` and ``dataset``
    (the worker's copy). Read-only, as PyTorch's."""

    __initialized = False

    def __init__(self, **kwargs):
        for name, value in kwargs.items():
            setattr(self, name, value)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, name, value):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        super().__setattr__(name, value)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)}" for name in self.__keys)
        return f"{type(self).__name__}({fields})"


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker: its :class:`WorkerInfo` (e.g. to give each worker its own shard of an
    :class:`IterableDataset`); in the main process: None."""
    return _worker_info


class KeyErrorMessage(str):
    """A KeyError's message printed as it is (KeyError prints its argument's repr otherwise)."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception caught in a worker, with its traceback as text, to re-raise in the main process."""

    def __init__(self, exc_info=None, where: str = "in background"):
        exc_type, exc_value, exc_traceback = exc_info or sys.exc_info()
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc_value, exc_traceback))
        self.where = where

    def reraise(self):
        """Raise the same exception type, its message holding the worker's traceback (RuntimeError when the
        type cannot be built from a message)."""
        message = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            message = KeyErrorMessage(message)
        try:
            exception = self.exc_type(message)
        except Exception:
            raise RuntimeError(message) from None
        raise exception


class IterableDatasetStopIteration:
    """A worker's signal that its copy of an IterableDataset is exhausted."""

    def __init__(self, worker_id: int):
        self.worker_id = worker_id


class ResumeIteration:
    """The main process's signal to a persistent worker that a new epoch starts."""


# --- fetching -------------------------------------------------------------------------------------

class MapFetcher:
    """Samples of a map-style dataset: a batch of indices (through ``__getitems__`` when the dataset has
    it), or one index without auto-collation."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(index) if callable(getitems) else [self.dataset[i] for i in index]
        return self.collate_fn(samples)


class IterableFetcher:
    """The next samples of an IterableDataset's stream: as many as the batch of placeholder indices is
    long, or one; StopIteration when the stream has ended (or only a short batch is left with drop_last)."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool):
        self.stream = iter(dataset)
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(next(self.stream))
        batch = list(itertools.islice(self.stream, len(index)))
        if not batch or (self.drop_last and len(batch) < len(index)):
            raise StopIteration
        return self.collate_fn(batch)


# --- seeding --------------------------------------------------------------------------------------

def numpy_seed(base_seed: int, worker_id: int) -> list[int]:
    """The four 32-bit words PyTorch seeds a worker's ``np.random`` with (its ``_generate_state``): the
    entropy (worker_id, base_seed) hashed and mixed as in NumPy's ``SeedSequence``, so that the workers'
    legacy NumPy streams differ."""
    mask = 0xFFFFFFFF
    multiplier = 0x43B0D7E5

    def hash32(value: int) -> int:
        nonlocal multiplier
        value = (value ^ multiplier) & mask
        multiplier = (multiplier * 0x931E8875) & mask
        value = (value * multiplier) & mask
        return (value ^ (value >> 16)) & mask

    def mix(x: int, y: int) -> int:
        result = (((0xCA01F9DD * x) & mask) - ((0x4973F715 * y) & mask)) & mask
        return (result ^ (result >> 16)) & mask

    pool = [hash32(word) for word in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for source in range(4):
        for target in range(4):
            if source != target:
                pool[target] = mix(pool[target], hash32(pool[source]))
    state, multiplier = [], 0x8B51F9DD
    for word in pool:
        word = (word ^ multiplier) & mask
        multiplier = (multiplier * 0x58F38DED) & mask
        word = (word * multiplier) & mask
        state.append((word ^ (word >> 16)) & mask)
    return state


def seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed this process's generators for worker ``worker_id``; returns the worker's seed."""
    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(numpy_seed(base_seed, worker_id))
    return seed


# --- the loop -------------------------------------------------------------------------------------

def worker_loop(fetcher_class, dataset, index_queue, result_queue, done_event, auto_collation: bool, collate_fn,
                drop_last: bool, base_seed: int, init_fn, worker_id: int, num_workers: int, parent_pid: int) -> None:
    """The body of worker ``worker_id`` (see the module's docstring)."""
    global _worker_info
    try:
        set_num_threads(1)  # the workers share the cores; one BLAS thread each, as PyTorch's workers
        seed = seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = fetcher_class(dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where=where)
        iteration_end = False
        while os.getppid() == parent_pid and not done_event.is_set():
            try:
                task = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(task, ResumeIteration):
                result_queue.put((task, None))
                iteration_end = False
                fetcher = fetcher_class(dataset, auto_collation, collate_fn, drop_last)
                continue
            if task is None:
                break
            if iteration_end:
                continue
            task_index, index = task
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as error:
                    if isinstance(error, StopIteration) and fetcher_class is IterableFetcher:
                        data = IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(where=where)
            result_queue.put((task_index, data))
            del data, task, index  # do not hold a batch while waiting for the next task
    except KeyboardInterrupt:
        pass  # the main process was interrupted: it ends the workers itself
    if done_event.is_set():
        result_queue.cancel_join_thread()
        result_queue.close()
