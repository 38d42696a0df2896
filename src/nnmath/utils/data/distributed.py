"""``DistributedSampler``: each of N processes reads its own 1/N of the dataset in every epoch.

The assignment is PyTorch's. One order π of the n indices is drawn per epoch, the same on every rank
(from ``seed + epoch``; without shuffle, π = 0, 1, …, n − 1). Without ``drop_last`` it is padded
by repeating its start until its length is a multiple of N (m = ⌈n / N⌉ indices per rank); with
``drop_last`` it is cut to N·m with m = ⌊n / N⌋. Rank r takes every N-th entry from position r:
π[r], π[r + N], π[r + 2N], …

So step k of a DataLoader with batch b on every rank sees, over all ranks together, exactly positions
kNb … (k+1)Nb − 1 of π: the batch one process with batch Nb would see from the same π. That is what
makes N-process data-parallel training equal to one process with the N-times-larger batch.

π is ``nnmath.randperm(n, generator=Generator().manual_seed(seed + epoch))``: the same on every
rank, every run and every machine, but not the permutation PyTorch draws (nnmath's generator is
NumPy's PCG64, PyTorch's a Mersenne twister). Given the same π, the indices equal PyTorch's.
"""
from __future__ import annotations

import math

from nnmath import distributed as dist
from nnmath.creation import randperm
from nnmath.random import Generator
from nnmath.utils.data.sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Restricts data loading to this rank's share of the dataset.

    Args:
        dataset: a map-style dataset (it needs ``len``).
        num_replicas: the number of processes (default: the default group's world size).
        rank: this process's rank (default: the default group's).
        shuffle: a new order every epoch (call :meth:`set_epoch` before each one) or the dataset's order.
        seed: the order's seed, which must be the same on every rank.
        drop_last: drop the tail that does not divide evenly instead of padding with repeated indices.

    Example:
        >>> sampler = DistributedSampler(dataset)
        >>> loader = DataLoader(dataset, batch_size=32, sampler=sampler)
        >>> for epoch in range(epochs):
        ...     sampler.set_epoch(epoch)
        ...     train(loader)
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False):
        num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
        rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            order = Generator().manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=order).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[:self.total_size]
        else:
            padding = self.total_size - n
            indices += (indices * math.ceil(padding / n))[:padding] if n else []
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the order of epoch ``epoch`` (seed + epoch) in the next pass."""
        self.epoch = epoch
