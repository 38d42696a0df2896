"""``--distributed`` for the training programs: the same training on N processes, one global batch.

A program calls :func:`start` and then asks the returned :class:`Run` for what differs between one
process and N::

    run = data_parallel.start(args.distributed)            # world 1 without --distributed
    model = run.wrap(model)                                 # DistributedDataParallel when N > 1
    loader = DataLoader(train_set, **run.loader_options(train_set, batch_size, seed))  # rank r's share
    for epoch in ...: run.begin_epoch(loader, seed, epoch); ...
    log = run.on_main(print)                                # printing, files, checkpoints: rank 0 only

``--batch-size`` stays the *global* batch B: each of the N ranks takes B / N samples of every global
batch, so N processes take the optimizer steps one process takes with batch B (see
:mod:`nnmath.utils.data.distributed`). Launch with ``python -m nnmath.distributed.run -n N nnmath
train NAME --distributed`` (or ``mpiexec -n N nnmath train NAME --distributed``).
"""
from __future__ import annotations

import hashlib
import pathlib

import numpy as np

import nnmath
import nnmath.distributed as dist
from nnmath.nn.parallel import DistributedDataParallel
from nnmath.utils.data import DistributedSampler, Subset


class Run:
    """This process's place in the job: ``world`` processes, this one ``rank``; ``main`` is rank 0."""

    def __init__(self, distributed: bool):
        self.distributed = distributed
        self.world = dist.get_world_size() if distributed else 1
        self.rank = dist.get_rank() if distributed else 0
        self.main = self.rank == 0

    def wrap(self, model):
        """The model as the training loop should call it: DDP-wrapped in a distributed run."""
        return DistributedDataParallel(model) if self.distributed else model

    def local_batch(self, global_batch: int) -> int:
        """B / N, the samples each rank takes of every global batch B."""
        if global_batch % self.world:
            raise ValueError(f"--batch-size {global_batch} is the global batch; it must divide evenly among the "
                             f"{self.world} processes (use a multiple of {self.world})")
        return global_batch // self.world

    def loader_options(self, dataset, global_batch: int, seed: int) -> dict:
        """DataLoader arguments for training: B / N samples per step from rank r's share of each
        epoch's order (DistributedSampler); in one process without --distributed, a shuffle of batch B
        by a generator seeded with ``seed``."""
        if not self.distributed:
            return {"batch_size": global_batch, "shuffle": True, "generator": nnmath.Generator().manual_seed(seed)}
        return {"batch_size": self.local_batch(global_batch),
                "sampler": DistributedSampler(dataset, self.world, self.rank, shuffle=True, seed=seed)}

    def begin_epoch(self, loader, seed: int, epoch: int) -> None:
        """Before epoch ``epoch`` (from 0) of a distributed run: the sampler takes that epoch's order,
        and the global generator (dropout) is seeded from (seed, epoch, rank), so each rank draws its
        own masks and a run resumed at an epoch draws what an unbroken one would."""
        if not self.distributed:
            return
        loader.sampler.set_epoch(epoch)
        self.seed_rank(seed, epoch)

    def seed_rank(self, seed: int, position: int) -> None:
        """Seed the global generator (dropout) from (seed, position, rank): each rank draws its own masks,
        and a run resumed at ``position`` (an epoch, a step) draws what an unbroken one would."""
        digest = hashlib.sha256(f"{seed}/{position}/{self.rank}".encode()).digest()
        nnmath.manual_seed(int.from_bytes(digest[:8], "little"))

    def own_rows(self, batch):
        """Rank r's share of a global batch drawn identically on every rank: rows r·B/N to (r + 1)·B/N."""
        size = self.local_batch(len(batch))
        return batch[self.rank * size:(self.rank + 1) * size]

    def shard(self, dataset):
        """Every N-th sample from position r, for evaluation: the ranks' shards cover the dataset
        exactly once (no padding, unlike a sampler)."""
        return dataset if self.world == 1 else Subset(dataset, range(self.rank, len(dataset), self.world))

    def sum(self, *values) -> list[float]:
        """Each value summed over the ranks (float64)."""
        total = nnmath.from_numpy(np.array(values, np.float64))
        if self.distributed:
            dist.all_reduce(total)
        return total.tolist()

    def sum_tensor(self, tensor):
        """``tensor`` summed over the ranks (in place), e.g. confusion-matrix counts."""
        if self.distributed:
            dist.all_reduce(tensor)
        return tensor

    def output_folder(self, out) -> pathlib.Path:
        """``out`` as a path, created by rank 0 (the only rank that writes)."""
        out = pathlib.Path(out)
        if self.main:
            out.mkdir(parents=True, exist_ok=True)
        return out

    def on_main(self, function):
        """``function`` on rank 0, a function that does nothing on the others (for printing)."""
        return function if self.main else _nothing

    def close(self) -> None:
        if self.distributed and dist.is_initialized():
            dist.destroy_process_group()


def start(distributed: bool) -> Run:
    """Join the MPI job when ``distributed`` (a process started without a launcher is a job of one)."""
    if distributed and not dist.is_initialized():
        dist.init_process_group("mpi")
    return Run(distributed)


def _nothing(*args, **kwargs):
    return None


__all__ = ["Run", "start"]
