"""Samplers: the order in which a DataLoader visits a map-style dataset's indices.

A sampler without its own ``generator`` draws a fresh seed from the global one (``nnmath.manual_seed``)
each time it is iterated, as PyTorch's do: the same seed gives the same order on every run, and each
epoch's order is different.
"""
from __future__ import annotations

import numpy as np

from nnmath import random
from nnmath.random import Generator
from nnmath.tensor import Tensor


class Sampler:
    """Base class: an iterable over dataset indices (or, for a batch sampler, lists of indices)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, …, len(data_source) − 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order: a permutation (repeated when ``num_samples`` > n, the last one cut), or,
    with ``replacement=True``, ``num_samples`` independent uniform draws."""

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        generator = _epoch_generator(self.generator)
        if self.replacement:  # PyTorch draws them 32 at a time
            for _ in range(self.num_samples // 32):
                yield from random.randint(0, n, (32,), generator).tolist()
            yield from random.randint(0, n, (self.num_samples % 32,), generator).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from random.randperm(n, generator).tolist()
        yield from random.randperm(n, generator)[:self.num_samples % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in random order, without replacement."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for position in random.randperm(len(self.indices), self.generator).tolist():
            yield self.indices[position]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``."""

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights = np.asarray(weights._data if isinstance(weights, Tensor) else weights, dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(weights.shape)}")
        self.weights = Tensor._make(weights)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        weights = self.weights._data
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise RuntimeError(f"WeightedRandomSampler: invalid multinomial distribution: the weights must be finite "
                               f"and non-negative, got {weights.tolist()[:8]}")
        if weights.sum() <= 0:
            raise RuntimeError("WeightedRandomSampler: invalid multinomial distribution: the weights sum to zero")
        if not self.replacement and self.num_samples > np.count_nonzero(weights):
            raise RuntimeError(f"WeightedRandomSampler: cannot draw {self.num_samples} samples without replacement "
                               f"from {np.count_nonzero(weights)} indices of nonzero weight")
        draws = random.multinomial(weights[None, :], self.num_samples, self.replacement, self.generator)
        yield from draws[0].tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of ``batch_size`` (the last one shorter, or dropped
    with ``drop_last``)."""

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


def _epoch_generator(generator: Generator | None) -> Generator:
    """The generator for one pass: ``generator`` itself, or a new one seeded from one 64-bit draw of
    the global generator (PyTorch's ``torch.empty((), dtype=torch.int64).random_()``)."""
    if generator is not None:
        return generator
    return Generator().manual_seed(int(random.random_full((), np.int64)))
