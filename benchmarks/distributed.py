"""Data-parallel measurements for docs/distributed.md: all-reduce time per message size, and training
throughput of the seed CNN and of a small GPT with DistributedDataParallel.

    python -m nnmath.distributed.run -n 2 benchmarks/distributed.py allreduce
    python -m nnmath.distributed.run -n 2 benchmarks/distributed.py train --model cnn --global-batch 64
    python -m nnmath.distributed.run -n 2 benchmarks/distributed.py train --model gpt --global-batch 16

Rank 0 prints one JSON object per result. ``train`` reports the step time with DDP (gradients
averaged every step) and without communication (every step under ``no_sync``: the same computation),
their difference being the communication backward could not hide, and when, as a fraction of the
backward pass, each bucket's all-reduce was started.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np

import nnmath
import nnmath.distributed as dist
import nnmath.nn as nn
import nnmath.nn.functional as F
from nnmath.nn.parallel import DistributedDataParallel as DDP


def report(rank, **fields):
    if rank == 0:
        print(json.dumps(fields), flush=True)


def allreduce(args):
    """Median time of an all-reduce (sum) of float32 arrays from 4 KiB to 64 MiB: nnmath's (non-blocking,
    polled, with a timeout) and, for reference, MPI's blocking one called directly through mpi4py."""
    from mpi4py import MPI  # deferred: optional dependency, as in nnmath.distributed
    rank, world = dist.get_rank(), dist.get_world_size()
    ways = {"nnmath": lambda array: dist.all_reduce(array),
            "mpi4py_blocking": lambda array: MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, array.numpy(), MPI.SUM)}
    for log4 in range(6, 14):
        nbytes = 4 ** log4
        array = nnmath.ones(nbytes // 4)
        times, more = {way: [] for way in ways}, nnmath.ones(1)
        deadline = time.perf_counter() + args.seconds
        while more.item():
            for way, reduce in ways.items():
                MPI.COMM_WORLD.Barrier()
                start = time.perf_counter()
                reduce(array)
                times[way].append(time.perf_counter() - start)
            count = len(times["nnmath"])
            more.fill_(float(count < 5 or (time.perf_counter() < deadline and count < 200)))
            dist.broadcast(more, 0)       # rank 0 decides, so that every rank repeats as often
        report(rank, what="allreduce", world=world, bytes=nbytes, repeats=len(times["nnmath"]),
               **{f"{way}_seconds": statistics.median(t) for way, t in times.items()})


class Block(nn.Module):
    """A pre-norm transformer block: x + attention(LN(x)), then x + MLP(LN(x)), causal attention."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.ln_2 = nn.LayerNorm(width)
        self.fc = nn.Linear(width, 4 * width)
        self.fc_proj = nn.Linear(4 * width, width)

    def forward(self, x):
        batch, length, width = x.shape
        q, k, v = self.qkv(self.ln_1(x)).split(width, dim=2)
        q, k, v = [t.reshape(batch, length, self.heads, width // self.heads).transpose(1, 2) for t in (q, k, v)]
        scores = q @ k.transpose(-2, -1) / math.sqrt(width // self.heads)
        future = nnmath.triu(nnmath.ones(length, length, dtype=nnmath.bool), diagonal=1)
        attention = F.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
        x = x + self.proj((attention @ v).transpose(1, 2).reshape(batch, length, width))
        return x + self.fc_proj(F.gelu(self.fc(self.ln_2(x)), approximate="tanh"))   # GPT-2's GELU


class GPT(nn.Module):
    """A character-level GPT: token and position embeddings, ``layers`` blocks, a linear head."""

    def __init__(self, vocab=65, context=64, width=128, heads=4, layers=4):
        super().__init__()
        self.token = nn.Embedding(vocab, width)
        self.position = nn.Embedding(context, width)
        self.blocks = nn.Sequential(*[Block(width, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)

    def forward(self, tokens):
        x = self.token(tokens) + self.position(nnmath.arange(tokens.shape[1]))
        return self.head(self.ln_f(self.blocks(x)))


def model_and_batch(name, local_batch, seed):
    """The model (the same on every rank) and a fixed local batch of random data."""
    nnmath.manual_seed(0)
    rng = np.random.default_rng(seed)
    if name == "cnn":
        from nnmath.apps.mnist import SeedCNN
        images = nnmath.from_numpy(rng.random((local_batch, 1, 28, 28), dtype=np.float32))
        labels = nnmath.from_numpy(rng.integers(0, 10, local_batch))
        return SeedCNN(), images, labels, lambda out, y: F.nll_loss(out, y)
    model = GPT()
    tokens = nnmath.from_numpy(rng.integers(0, 65, (local_batch, 64)))
    targets = nnmath.from_numpy(rng.integers(0, 65, (local_batch, 64)))
    return model, tokens, targets, lambda out, y: F.cross_entropy(out.reshape(-1, 65), y.reshape(-1))


def bucket_start_times(ddp):
    """Record, per backward, when each bucket's all-reduce starts (seconds since the first hook)."""
    reducer = ddp.reducer
    starts = []
    original = reducer._start_buckets

    def timed(*args, **kwargs):
        before = reducer.next_bucket
        original(*args, **kwargs)
        starts.extend([time.perf_counter()] * (reducer.next_bucket - before))
    reducer._start_buckets = timed
    return starts


def train(args):
    rank, world = dist.get_rank(), dist.get_world_size()
    local = args.global_batch // world
    model, inputs, targets, loss_fn = model_and_batch(args.model, local, seed=rank)
    ddp = DDP(model)
    optimizer = nnmath.optim.Adam(ddp.parameters(), lr=1e-4)
    starts = bucket_start_times(ddp)
    results = {}
    for mode in ("ddp", "no_sync", "ddp"):       # DDP measured twice, before and after the local run
        times, phases, fractions = [], [], []
        for step in range(args.warmup + args.steps):
            dist.barrier()
            begin = time.perf_counter()
            context = ddp.no_sync() if mode == "no_sync" else _Nothing()
            with context:
                loss = loss_fn(ddp(inputs), targets)
                forward_end = time.perf_counter()
                starts.clear()
                loss.backward()
                backward_end = time.perf_counter()
            optimizer.step()
            optimizer.zero_grad()
            end = time.perf_counter()
            if step >= args.warmup:
                times.append(end - begin)
                phases.append((forward_end - begin, backward_end - forward_end, end - backward_end))
                fractions.append([(s - forward_end) / (backward_end - forward_end) for s in starts])
        results.setdefault(mode, []).append((times, phases, fractions))
    ddp_runs = results["ddp"]
    step = min(statistics.median(times) for times, _, _ in ddp_runs)
    local_times, local_phases, _ = results["no_sync"][0]
    compute = statistics.median(local_times)
    report(rank, what="train", model=args.model, gelu="tanh", world=world,
           threads=int(os.environ.get("OMP_NUM_THREADS", 0)), global_batch=args.global_batch,
           parameters=sum(p.numel() for p in model.parameters()),
           buckets=[int(b.flat.nbytes) for b in ddp.reducer.buckets],
           bucket_start_fraction_of_backward=np.median(np.array(ddp_runs[-1][2]), axis=0).round(3).tolist(),
           step_seconds=step, compute_seconds=compute, exposed_communication_seconds=step - compute,
           forward_backward_optimizer_seconds=np.median(np.array(ddp_runs[-1][1]), axis=0).round(4).tolist(),
           no_sync_forward_backward_optimizer_seconds=np.median(np.array(local_phases), axis=0).round(4).tolist(),
           samples_per_second=args.global_batch / step)


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["allreduce", "train"])
    parser.add_argument("--model", choices=["cnn", "gpt"], default="cnn")
    parser.add_argument("--global-batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=1.0, help="allreduce: timing per size")
    args = parser.parse_args(argv)
    dist.init_process_group("mpi")
    {"allreduce": allreduce, "train": train}[args.what](args)
    dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
