"""Datasets: map-style (``__getitem__`` + ``__len__``) and iterable-style, and ways to combine them."""
from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Sequence

import numpy as np

from nnmath.creation import randperm
from nnmath.random import default_generator
from nnmath.tensor import Tensor


class Dataset:
    """A map-style dataset: ``dataset[i]`` is the i-th sample, ``len(dataset)`` their number.

    A subclass may also define ``__getitems__(indices)`` returning the list of samples at ``indices``;
    the :class:`~nnmath.utils.data.DataLoader` then fetches a whole batch with one call.
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream of samples: subclasses implement ``__iter__``."""

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: "IterableDataset") -> "ChainDataset":
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows of tensors with equal first dimension: ``dataset[i] = (t[i] for t in tensors)``.

    A batch of indices is fetched with one NumPy fancy index per tensor (``__getitems__``), not one
    Python call per sample.
    """

    def __init__(self, *tensors: Tensor):
        if any(tensor.size(0) != tensors[0].size(0) for tensor in tensors):
            raise AssertionError(f"TensorDataset: Size mismatch between tensors: their first dimensions are "
                                 f"{[tensor.size(0) for tensor in tensors]} (one sample per row: they must be equal)")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __getitems__(self, indices) -> "StackedSamples":
        rows = np.asarray(indices, dtype=np.intp)
        return StackedSamples(tuple(_take_rows(tensor, rows) for tensor in self.tensors))

    def __len__(self) -> int:
        if not self.tensors:  # PyTorch fails on tensors[0] with an IndexError: the same class, with words
            raise IndexError("TensorDataset: the length of a dataset of 0 tensors is undefined (give one or more)")
        return self.tensors[0].size(0)


class StackedSamples(Sequence):
    """The samples of a batch, held already stacked (one tensor per field, batch dimension first).

    It is the list of per-sample tuples a ``collate_fn`` expects (indexing and iterating give
    ``(x_i, y_i, ...)``), and :func:`~nnmath.utils.data.default_collate` returns ``fields`` directly
    instead of stacking the samples again.
    """

    def __init__(self, fields: tuple[Tensor, ...]):
        self.fields = fields

    def __len__(self) -> int:
        return self.fields[0].size(0)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return tuple(field[index] for field in self.fields)


def _take_rows(tensor: Tensor, rows: np.ndarray) -> Tensor:
    """``tensor[rows]``; on the array directly unless the gradient has to flow back to ``tensor``."""
    if tensor.requires_grad:
        return tensor[Tensor._make(rows.astype(np.int64))]
    return Tensor._make(tensor._data[rows])


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list:
        mapped = [self.indices[idx] for idx in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(mapped)
        return [self.dataset[idx] for idx in mapped]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Map-style datasets one after the other; ``cumulative_sizes[k]`` is where dataset k ends."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        if any(isinstance(dataset, IterableDataset) for dataset in self.datasets):
            raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(dataset) for dataset in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError(f"ConcatDataset: absolute value of index should not exceed dataset length: index "
                                 f"{idx}, length {len(self)}")
            idx = len(self) + idx
        if idx >= len(self):
            raise IndexError(f"ConcatDataset: index {idx} is out of range for a dataset of length {len(self)}")
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[dataset_idx - 1] if dataset_idx > 0 else 0
        return self.datasets[dataset_idx][idx - start]


class ChainDataset(IterableDataset):
    """Iterable datasets one after the other."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from dataset

    def __len__(self) -> int:
        return sum(len(dataset) for dataset in self.datasets)


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator=default_generator) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths.

    ``lengths`` may be fractions summing to 1: each split gets ⌊n·fraction⌋ samples, and the remainder
    is dealt out one at a time from the first split on (as PyTorch does).
    """
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_from_fractions(len(dataset), lengths)
    if any(length < 0 for length in lengths):  # PyTorch accepts them and returns subsets of other lengths
        raise ValueError(f"random_split: lengths must be non-negative, got {list(lengths)}")
    if sum(lengths) != len(dataset):
        raise ValueError(f"random_split: Sum of input lengths does not equal the length of the input dataset! "
                         f"(lengths {list(lengths)} sum to {sum(lengths)}, the dataset has {len(dataset)} samples; "
                         f"fractions must sum to 1)")
    indices = randperm(sum(lengths), generator=generator).tolist()
    return [Subset(dataset, indices[end - length:end])
            for end, length in zip(itertools.accumulate(lengths), lengths)]


def _lengths_from_fractions(n: int, fractions: Sequence[float]) -> list[int]:
    lengths = []
    for i, fraction in enumerate(fractions):
        if fraction < 0 or fraction > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        lengths.append(math.floor(n * fraction))
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.",
                          stacklevel=3)
    return lengths
