"""``DistributedSampler``: PyTorch's index assignment (padding, drop_last, rank striding) given the same
permutation, and the property data-parallel training rests on: the ranks' k-th batches together are
the k-th batch of one process with the N-times-larger batch."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import nnmath
from nnmath.random import Generator
from nnmath.utils.data import DistributedSampler

CASES = list(itertools.product([1, 5, 7, 12], [1, 2, 3, 4], [False, True], [False, True]))


def _ours(n, replicas, shuffle, drop_last, epoch=0, seed=3):
    samplers = [DistributedSampler(range(n), replicas, rank, shuffle=shuffle, seed=seed, drop_last=drop_last)
                for rank in range(replicas)]
    for sampler in samplers:
        sampler.set_epoch(epoch)
    return [list(sampler) for sampler in samplers], [len(sampler) for sampler in samplers]


@pytest.mark.parametrize("n,replicas,shuffle,drop_last", CASES)
def test_indices_equal_pytorchs_given_the_same_permutation(monkeypatch, n, replicas, shuffle, drop_last):
    torch = pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    def our_permutation(count, generator):   # PyTorch's sampler, fed nnmath's permutation for seed + epoch
        order = Generator().manual_seed(generator.initial_seed())
        return torch.tensor(nnmath.randperm(count, generator=order).tolist())
    monkeypatch.setattr(torch, "randperm", our_permutation)
    theirs = []
    for rank in range(replicas):
        sampler = TorchSampler(range(n), replicas, rank, shuffle=shuffle, seed=3, drop_last=drop_last)
        sampler.set_epoch(2)
        theirs.append((list(sampler), len(sampler)))
    indices, lengths = _ours(n, replicas, shuffle, drop_last, epoch=2)
    assert list(zip(indices, lengths)) == theirs


@pytest.mark.parametrize("n,replicas,shuffle,drop_last", CASES)
def test_ranks_cover_the_epoch_and_pad_or_drop_as_documented(n, replicas, shuffle, drop_last):
    indices, lengths = _ours(n, replicas, shuffle, drop_last)
    per_rank = n // replicas if drop_last else -(-n // replicas)
    assert lengths == [per_rank] * replicas and [len(i) for i in indices] == lengths
    taken = [i for rank in indices for i in rank]
    if drop_last:
        assert len(set(taken)) == len(taken) == per_rank * replicas      # no index twice, the tail dropped
    else:
        assert set(taken) == set(range(n))                               # every index, some repeated as padding


def test_step_k_of_n_ranks_is_step_k_of_one_process_with_n_times_the_batch():
    n, replicas, batch = 48, 3, 4
    single = list(DistributedSampler(range(n), 1, 0, seed=9))
    ranks = [list(DistributedSampler(range(n), replicas, r, seed=9)) for r in range(replicas)]
    for k in range(n // (replicas * batch)):
        together = sorted(i for rank in ranks for i in rank[k * batch:(k + 1) * batch])
        assert together == sorted(single[k * replicas * batch:(k + 1) * replicas * batch])


def test_the_order_depends_on_seed_and_epoch_only():
    first, _ = _ours(20, 2, True, False, epoch=0)
    again, _ = _ours(20, 2, True, False, epoch=0)
    other_epoch, _ = _ours(20, 2, True, False, epoch=1)
    other_seed, _ = _ours(20, 2, True, False, epoch=0, seed=4)
    assert first == again and first != other_epoch and first != other_seed
    assert _ours(20, 2, False, False)[0] == [list(range(0, 20, 2)), list(range(1, 20, 2))]


def test_invalid_rank_and_missing_process_group():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="has not been initialized"):
        DistributedSampler(range(4))


def test_a_dataloader_batches_this_ranks_share():
    dataset = nnmath.utils.data.TensorDataset(nnmath.arange(10))
    sampler = DistributedSampler(dataset, num_replicas=2, rank=1, shuffle=False)
    batches = [b[0].tolist() for b in nnmath.utils.data.DataLoader(dataset, batch_size=2, sampler=sampler)]
    assert batches == [[1, 3], [5, 7], [9]]
    assert np.array_equal(np.concatenate(batches), np.arange(1, 10, 2))
