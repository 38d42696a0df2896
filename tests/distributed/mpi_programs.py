"""Programs that the distributed tests run as MPI jobs: ``python mpi_programs.py NAME ARGS``.

Each checks what it can on every rank (an AssertionError ends the job with a non-zero code) and
rank 0 writes what the test compares into the file it is given.
"""
from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np

import nnmath
import nnmath.distributed as dist
import nnmath.nn as nn
import nnmath.nn.functional as F
from nnmath.nn.parallel import DistributedDataParallel as DDP
from nnmath.utils.data import DataLoader, DistributedSampler, TensorDataset


def collectives():
    """Every collective against the value it must give, computed from the ranks' known inputs."""
    dist.init_process_group("gloo", init_method="env://")
    r, n = dist.get_rank(), dist.get_world_size()
    assert (dist.is_initialized(), dist.get_backend()) == (True, "mpi")
    base = np.array([1.0, -2.0, 3.5], np.float32)
    expected = {dist.ReduceOp.SUM: base * sum(k + 1 for k in range(n)),
                dist.ReduceOp.AVG: base * sum(k + 1 for k in range(n)) / n,
                dist.ReduceOp.MAX: np.maximum(base, base * n),
                dist.ReduceOp.MIN: np.minimum(base, base * n),
                dist.ReduceOp.PRODUCT: base ** n * float(np.prod(np.arange(1, n + 1)))}
    for op, want in expected.items():
        t = nnmath.tensor(base * (r + 1))
        dist.all_reduce(t, op=op)
        np.testing.assert_allclose(t.numpy(), want, rtol=1e-6, err_msg=str(op))
        assert t.dtype == nnmath.float32
    bits = nnmath.tensor([1 << r], dtype=nnmath.int64)
    dist.all_reduce(bits, op=dist.ReduceOp.BOR)
    assert bits.item() == (1 << n) - 1
    # a non-contiguous tensor (a transpose) is reduced and written back in place
    grid = nnmath.arange(6.0).reshape(2, 3).t()
    dist.all_reduce(grid)
    np.testing.assert_array_equal(grid.numpy(), n * np.arange(6.0).reshape(2, 3).T)
    source = nnmath.full((2, 2), float(r))
    dist.broadcast(source, src=n - 1)
    np.testing.assert_array_equal(source.numpy(), np.full((2, 2), n - 1.0))
    gathered = [nnmath.zeros(3, dtype=nnmath.int64) for _ in range(n)]
    dist.all_gather(gathered, nnmath.tensor([r, 10 * r, 100 * r]))
    for k, g in enumerate(gathered):
        np.testing.assert_array_equal(g.numpy(), [k, 10 * k, 100 * k])
    out = nnmath.zeros(2)
    dist.reduce_scatter(out, [nnmath.full((2,), float(10 * r + k)) for k in range(n)])
    np.testing.assert_array_equal(out.numpy(), np.full(2, sum(10 * s + r for s in range(n))))
    work = dist.all_reduce(nnmath.ones(4), async_op=True)
    assert work.wait() and work.is_completed()
    dist.barrier()
    try:
        dist.all_gather([nnmath.zeros(3)], nnmath.zeros(3))
    except ValueError as error:
        assert "one tensor per rank" in str(error)
    else:
        raise AssertionError("all_gather with a short list must raise")
    dist.destroy_process_group()
    assert not dist.is_initialized()
    print(f"rank {r}: collectives ok")


def faults(mode, timeout):
    """Rank 1 fails in the way ``mode`` says while rank 0 waits for it in an all_reduce."""
    if mode == "before_init" and os.environ.get("RANK") == "1":
        raise RuntimeError("rank 1 fails before init_process_group")
    dist.init_process_group("mpi", timeout=float(timeout))
    if dist.get_rank() == 1:
        time.sleep(0.5)
        if mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if mode == "raise":
            raise RuntimeError("rank 1 fails on purpose")
        if mode == "leave":
            return                      # a rank that leaves early, cleanly: the others must not hang
    dist.all_reduce(nnmath.ones(3))
    print(f"rank {dist.get_rank()}: finished")


def seed_cnn_without_dropout():
    """The seed CNN with p = 0 in its two dropout layers: deterministic given the data and weights."""
    from nnmath.apps.mnist import SeedCNN
    nnmath.manual_seed(0)
    return _without_dropout(SeedCNN)()


def synthetic_digits(count=64, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.random((count, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, count)
    return TensorDataset(nnmath.from_numpy(images), nnmath.from_numpy(labels))


def train_cnn(steps, global_batch, optimizer_name, world=1, rank=0, ddp=False, smallest_gradients=None):
    """``steps`` optimizer steps of the seed CNN; each rank takes global_batch / world samples of every
    global batch (DistributedSampler). Returns the final parameters, by name. A dict given as
    ``smallest_gradients`` receives, per parameter, the smallest |∂L/∂θ| of each entry over the steps."""
    model = seed_cnn_without_dropout()
    dataset = synthetic_digits()
    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=7)
    loader = DataLoader(dataset, batch_size=global_batch // world, sampler=sampler)
    net = DDP(model) if ddp else model
    optimizer = {"sgd": lambda p: nnmath.optim.SGD(p, lr=0.05, momentum=0.9),
                 "adam": lambda p: nnmath.optim.Adam(p, lr=1e-3)}[optimizer_name](net.parameters())
    done = 0
    for epoch in range(steps):
        sampler.set_epoch(epoch)
        for images, labels in loader:
            optimizer.zero_grad()
            F.cross_entropy(net(images), labels).backward()
            if smallest_gradients is not None:
                for name, p in model.named_parameters():
                    magnitude = np.abs(p.grad.numpy())
                    smallest_gradients[name] = np.minimum(smallest_gradients.get(name, magnitude), magnitude)
            optimizer.step()
            done += 1
            if done == steps:
                return {name: p.detach().numpy().copy() for name, p in model.named_parameters()}
    raise AssertionError("not enough data for the steps asked")


def ddp_cnn(out, steps, global_batch, optimizer_name):
    dist.init_process_group("mpi")
    r, n = dist.get_rank(), dist.get_world_size()
    params = train_cnn(int(steps), int(global_batch), optimizer_name, n, r, ddp=True)
    _assert_same_on_every_rank(params)
    if r == 0:
        np.savez(out, **params)


def _assert_same_on_every_rank(params):
    """The replicas must stay bit-identical: each rank applies the same step to the same average."""
    for name, value in params.items():
        copies = [nnmath.zeros(value.shape) for _ in range(dist.get_world_size())]
        dist.all_gather(copies, nnmath.from_numpy(value))
        for c in copies:
            np.testing.assert_array_equal(c.numpy(), value, err_msg=name)


def mlp(seed=0):
    nnmath.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


def local_batch(rank, micro):
    rng = np.random.default_rng(100 * rank + micro)
    return nnmath.from_numpy(rng.standard_normal((5, 3)).astype(np.float32))


def no_sync(out):
    """Two micro-batches under no_sync, a third synchronised: every rank ends with
    (1/N) Σ_ranks Σ_micro ∇ loss, which rank 0 saves next to the same sum computed alone."""
    dist.init_process_group("mpi")
    r, n = dist.get_rank(), dist.get_world_size()
    model = DDP(mlp(seed=r))         # different initial weights per rank: wrapping broadcasts rank 0's
    with model.no_sync():
        for micro in range(2):
            model(local_batch(r, micro)).pow(2).sum().backward()
    local_only = [p.grad.numpy().copy() for p in model.parameters()]
    model(local_batch(r, 2)).pow(2).sum().backward()
    reference = mlp(seed=0)
    for rank in range(n):
        for micro in range(3):
            (reference(local_batch(rank, micro)).pow(2).sum() / n).backward()
    averaged = {f"ddp{i}": p.grad.numpy() for i, p in enumerate(model.parameters())}
    alone = {f"alone{i}": p.grad.numpy() for i, p in enumerate(reference.parameters())}
    mine = {f"local{i}": g for i, g in enumerate(local_only)}
    if r == 0:
        np.savez(out, **averaged, **alone, **mine)


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(3, 3)
        self.left = nn.Linear(3, 1)
        self.right = nn.Linear(3, 1)
        self.spare = nn.Linear(3, 1)     # used by no rank

    def forward(self, x, head):
        return getattr(self, head)(self.body(x))


def unused(out, find_unused):
    """Rank 0 uses the left head, the others the right: a parameter unused on some ranks."""
    dist.init_process_group("mpi", timeout=10.0)
    r = dist.get_rank()
    nnmath.manual_seed(0)
    model = DDP(TwoHeads(), find_unused_parameters=find_unused == "find")
    x = nnmath.ones(2, 3)
    model(x, "left" if r == 0 else "right").sum().backward()
    assert model.module.spare.weight.grad is None
    if r == 0:
        np.savez(out, **{name: p.grad.numpy() for name, p in model.module.named_parameters() if p.grad is not None})


def mismatched_models():
    dist.init_process_group("mpi", timeout=10.0)
    width = 4 + dist.get_rank()
    DDP(nn.Linear(3, width))


def buffers(broadcast):
    """BatchNorm's running statistics: with broadcast_buffers, rank 0's reach every rank before each
    forward; without, each rank keeps its own."""
    dist.init_process_group("mpi")
    r = dist.get_rank()
    nnmath.manual_seed(r)
    model = DDP(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)), broadcast_buffers=broadcast == "broadcast")
    seen = []
    model.module[1].register_forward_pre_hook(lambda module, inputs: seen.append(module.running_mean.clone()))
    for _ in range(2):
        model(nnmath.randn(8, 3) + r).sum().backward()
    copies = [nnmath.zeros(4) for _ in range(dist.get_world_size())]
    dist.all_gather(copies, seen[1])
    same = all(np.array_equal(c.numpy(), copies[0].numpy()) for c in copies)
    assert same == (broadcast == "broadcast"), (broadcast, [c.numpy() for c in copies])
    print(f"rank {r}: running statistics before the second forward are the same on every rank: {same}")


def mnist_app(data_dir, out, epochs, resume=""):
    """``nnmath train mnist --distributed`` on a slice of MNIST, its dropout off (p = 0), so that runs
    with different numbers of processes must agree. Rank r > 0 is given OUT_rank_r as its --out: it
    must write nothing there."""
    from nnmath.apps import mnist
    mnist.SeedCNN = _without_dropout(mnist.SeedCNN)
    rank = int(os.environ["RANK"])
    mnist.train(epochs=int(epochs), batch_size=16, data_dir=data_dir, out=out if rank == 0 else f"{out}_rank_{rank}",
                resume=resume or None, limit=64, progress=False, distributed=True)


#: ``nnmath train char-gpt`` small enough for seconds: 1 layer, width 16, block 8, global batch 4.
TINY_GPT = dict(n_layer=1, n_head=2, n_embd=16, block_size=8, batch_size=4, warmup_iters=2, eval_interval=3,
                eval_iters=2)


def char_gpt_app(text, out, max_iters, resume=""):
    """``nnmath train char-gpt --distributed`` in the TINY_GPT configuration; rank r > 0 is given
    OUT_rank_r as its --out: it must write nothing there."""
    from nnmath.apps import char_gpt
    rank = int(os.environ["RANK"])
    char_gpt.train(text, out if rank == 0 else f"{out}_rank_{rank}", max_iters=int(max_iters), resume=resume or None,
                   progress=False, distributed=True, **TINY_GPT)


def _without_dropout(cls):
    class WithoutDropout(cls):
        def __init__(self):
            super().__init__()
            self.dropout1.p = self.dropout2.p = 0.0
    return WithoutDropout


PROGRAMS = {"collectives": collectives, "faults": faults, "ddp_cnn": ddp_cnn, "no_sync": no_sync,
            "unused": unused, "mismatched_models": mismatched_models, "buffers": buffers, "mnist_app": mnist_app,
            "char_gpt_app": char_gpt_app}

if __name__ == "__main__":
    PROGRAMS[sys.argv[1]](*sys.argv[2:])
