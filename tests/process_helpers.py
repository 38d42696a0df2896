"""Functions and datasets that child processes run in the multiprocessing and DataLoader tests: they live
at a module's top level so that 'spawn' children can import them (tests/ is on their sys.path)."""
import os
import random
import time

import numpy as np

import nnmath
import nnmath.nn as nn
from nnmath.utils.data import Dataset, IterableDataset, get_worker_info


# --- nnmath.multiprocessing ---------------------------------------------------------------------------

def add_in_place(tensor, amount):
    tensor.add_(amount)


def add_rank(rank, tensor):
    """``spawn`` target: worker ``rank`` adds 10**rank to its own element."""
    tensor[rank:rank + 1].add_(10.0 ** rank)


def raise_in_child(rank, message):
    if rank == 1:
        raise ValueError(message)


def exit_in_child(rank, code):
    if rank == 0:
        os._exit(code)


def sgd_steps(model, steps):
    """Hogwild: train the shared ``model`` in place (SGD towards y = 2x)."""
    optimizer = nnmath.optim.SGD(model.parameters(), lr=0.1)
    x = nnmath.linspace(-1, 1, 8).reshape(8, 1)
    for _ in range(steps):
        optimizer.zero_grad()
        ((model(x) - 2 * x) ** 2).mean().backward()
        optimizer.step()


def echo_modified(inbox, outbox):
    """Take a tensor from ``inbox``, double it in place, and send back whether it arrived in shared memory."""
    tensor = inbox.get()
    tensor.mul_(2)
    outbox.put(tensor.is_shared())


def make_linear():
    return nn.Linear(1, 1)


# --- DataLoader workers -------------------------------------------------------------------------------

class Numbers(Dataset):
    """Item i is (float i, i): what every loader configuration must return in order."""

    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return nnmath.tensor(float(i)), i


class DictSamples(Numbers):
    def __getitem__(self, i):
        return {"x": np.full(2, i, np.float32), "label": i, "name": f"item{i}"}


class RandomTransform(Numbers):
    """Each item drawn through the three generators a worker seeds: nnmath's, NumPy's legacy, ``random``."""

    def __getitem__(self, i):
        info = get_worker_info()
        return (nnmath.rand(2), float(np.random.rand()), random.random(), info.id if info else -1,
                info.seed if info else -1)


class Failing(Numbers):
    def __init__(self, n=10, bad=4, error=ValueError):
        super().__init__(n)
        self.bad, self.error = bad, error

    def __getitem__(self, i):
        if i == self.bad:
            raise self.error(f"item {i} is broken")
        return super().__getitem__(i)


class Dying(Numbers):
    def __getitem__(self, i):
        if i == 4:
            os._exit(7)
        return super().__getitem__(i)


class Slow(Numbers):
    def __getitem__(self, i):
        time.sleep(2.0)
        return super().__getitem__(i)


class ShardedStream(IterableDataset):
    """0 … n−1, split between the workers by ``get_worker_info``, as PyTorch's docs show."""

    def __init__(self, n=10):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


def record_init(worker_id):
    """``worker_init_fn``: marks the worker's process so items can say which init ran."""
    os.environ["NNMATH_TEST_WORKER_INIT"] = str(worker_id)


class InitSeen(Numbers):
    def __getitem__(self, i):
        return os.environ.get("NNMATH_TEST_WORKER_INIT", "none")


class Pid(Numbers):
    def __getitem__(self, i):
        return os.getpid()
