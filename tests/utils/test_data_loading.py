"""nnmath.utils.data: datasets, samplers, DataLoader and default_collate (vs PyTorch where it applies)."""
from collections import namedtuple

import numpy as np
import pytest

import nnmath
from nnmath.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler,
                               SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
                               WeightedRandomSampler, default_collate, random_split)

Point = namedtuple("Point", "x y")


def numbered_dataset(n=10):
    return TensorDataset(nnmath.arange(n * 2).reshape(n, 2).float(), nnmath.arange(n))


class Squares(Dataset):
    """A map-style dataset without __getitems__: the per-sample path."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": np.full(3, i, np.float32), "i": i, "name": f"s{i}"}


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def all_labels(loader):
    return [batch[1].tolist() for batch in loader]


# --- DataLoader --------------------------------------------------------------------------------
def test_batches_in_order_and_last_one_short():
    batches = list(DataLoader(numbered_dataset(10), batch_size=4))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].shape == (4, 2) and batches[0][0].dtype == nnmath.float32
    assert batches[0][1].dtype == nnmath.int64
    assert len(DataLoader(numbered_dataset(10), batch_size=4)) == 3


def test_drop_last():
    loader = DataLoader(numbered_dataset(10), batch_size=4, drop_last=True)
    assert all_labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(loader) == 2


def test_shuffle_is_reproducible_with_manual_seed_and_changes_each_epoch():
    dataset = numbered_dataset(20)
    nnmath.manual_seed(123)
    loader = DataLoader(dataset, batch_size=5, shuffle=True)
    first, second = all_labels(loader), all_labels(loader)
    nnmath.manual_seed(123)
    assert all_labels(DataLoader(dataset, batch_size=5, shuffle=True)) == first
    assert first != second
    assert sorted(sum(first, [])) == list(range(20))


def test_shuffle_with_own_generator_ignores_the_global_seed():
    dataset = numbered_dataset(20)
    orders = []
    for global_seed in (1, 2):
        nnmath.manual_seed(global_seed)
        generator = nnmath.Generator().manual_seed(7)
        orders.append(all_labels(DataLoader(dataset, batch_size=5, shuffle=True, generator=generator)))
    assert orders[0] == orders[1]


def test_per_sample_dataset_collates_dicts_strings_arrays_numbers():
    batch = next(iter(DataLoader(Squares(5), batch_size=3)))
    assert batch["x"].shape == (3, 3) and batch["x"].dtype == nnmath.float32
    assert batch["i"].tolist() == [0, 1, 2] and batch["i"].dtype == nnmath.int64
    assert batch["name"] == ["s0", "s1", "s2"]


def test_batch_size_none_gives_converted_samples():
    samples = list(DataLoader(Squares(2), batch_size=None))
    assert isinstance(samples[0]["x"], nnmath.Tensor) and samples[0]["i"] == 0


def test_custom_collate_fn_sees_list_of_samples_even_on_the_fast_path():
    seen = []

    def collate(batch):
        seen.append([tuple(int(t) for t in sample) for sample in batch])
        return len(batch)

    dataset = TensorDataset(nnmath.arange(4), nnmath.arange(4) * 10)
    assert list(DataLoader(dataset, batch_size=3, collate_fn=collate)) == [3, 1]
    assert seen == [[(0, 0), (1, 10), (2, 20)], [(3, 30)]]


def test_fast_path_equals_per_sample_path():
    class PerSample(Dataset):
        def __init__(self, inner):
            self.inner = inner

        def __len__(self):
            return len(self.inner)

        def __getitem__(self, i):
            return self.inner[i]

    dataset = TensorDataset(nnmath.randn(50, 3, 2), nnmath.randint(0, 5, (50,)))
    nnmath.manual_seed(5)
    fast = list(DataLoader(dataset, batch_size=8, shuffle=True))
    nnmath.manual_seed(5)
    slow = list(DataLoader(PerSample(dataset), batch_size=8, shuffle=True))
    for (xa, ya), (xb, yb) in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(xa.numpy(), xb.numpy())
        np.testing.assert_array_equal(ya.numpy(), yb.numpy())


def test_iterable_dataset_batches():
    loader = DataLoader(Stream(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(loader) == 3
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    assert list(DataLoader(Stream(3), batch_size=None)) == [0, 1, 2]


def test_batch_sampler_and_sampler_arguments():
    dataset = numbered_dataset(6)
    loader = DataLoader(dataset, batch_sampler=[[5, 0], [2, 3, 4]])
    assert all_labels(loader) == [[5, 0], [2, 3, 4]]
    loader = DataLoader(dataset, sampler=[3, 1, 4], batch_size=2)
    assert all_labels(loader) == [[3, 1], [4]]


def test_num_workers_is_accepted():
    assert all_labels(DataLoader(numbered_dataset(4), batch_size=2, num_workers=2)) == [[0, 1], [2, 3]]


@pytest.mark.parametrize("kwargs,message", [
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive with batch_size"),
    (dict(batch_sampler=[[0]], shuffle=True), "batch_sampler option is mutually exclusive"),
    (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(batch_size=0), "batch_size should be a positive integer value, but got batch_size=0"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing"),
])
def test_dataloader_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(numbered_dataset(4), **kwargs)


def test_dataloader_errors_equal_torch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader as TorchLoader
    from torch.utils.data import TensorDataset as TorchTensorDataset

    for kwargs in (dict(batch_sampler=[[0]], batch_size=2), dict(sampler=[0, 1], shuffle=True),
                   dict(batch_size=None, drop_last=True), dict(num_workers=-1)):
        with pytest.raises(ValueError) as ours:
            DataLoader(numbered_dataset(4), **kwargs)
        with pytest.raises(ValueError) as theirs:
            TorchLoader(TorchTensorDataset(torch.arange(4)), **kwargs)
        assert str(ours.value) == str(theirs.value)


def test_iterable_dataset_rejects_shuffle_and_sampler():
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Stream(3), sampler=[0])


# --- default_collate ---------------------------------------------------------------------------
COLLATE_CASES = {
    "ints": [1, 2, 3],
    "floats": [1.5, 2.5],
    "bools": [True, False],
    "numpy scalars": [np.float32(1), np.float32(2)],
    "numpy int64": [np.int64(4), np.int64(5)],
    "arrays": [np.zeros((2, 2), np.float32), np.ones((2, 2), np.float32)],
    "dicts": [{"a": 1, "b": 2.0}, {"a": 3, "b": 4.0}],
    "tuples": [(1, 2.0), (3, 4.0)],
    "tuples with strings": [(1, "a"), (2, "b")],
    "lists": [[1, 2], [3, 4]],
    "nested": [{"p": (np.ones(2), 1)}, {"p": (np.zeros(2), 2)}],
}


def _as_numpy(value):
    if isinstance(value, dict):
        return {k: _as_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_as_numpy(v) for v in value)
    if isinstance(value, str):
        return value
    return (value.numpy(), str(value.dtype).split(".")[-1])


@pytest.mark.parametrize("name", COLLATE_CASES)
def test_default_collate_matches_torch(name):
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    ours, theirs = _as_numpy(default_collate(COLLATE_CASES[name])), _as_numpy(torch_collate(COLLATE_CASES[name]))
    assert repr(ours) == repr(theirs)


def test_default_collate_tensors_namedtuples_and_strings():
    batch = default_collate([Point(nnmath.tensor([1.0, 2.0]), "a"), Point(nnmath.tensor([3.0, 4.0]), "b")])
    assert isinstance(batch, Point)
    assert batch.x.tolist() == [[1.0, 2.0], [3.0, 4.0]] and batch.y == ("a", "b")  # a tuple, as in PyTorch


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers"):
        default_collate([object(), object()])


def test_collated_stack_keeps_the_graph():
    a = nnmath.tensor([1.0, 2.0], requires_grad=True)
    batch = default_collate([a, a * 2])
    batch.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0]


# --- datasets ----------------------------------------------------------------------------------
def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(nnmath.zeros(3, 2), nnmath.zeros(4))


def test_subset_and_concat():
    dataset = numbered_dataset(5)
    subset = Subset(dataset, [4, 0, 2])
    assert len(subset) == 3 and subset[0][1].item() == 4
    assert [s[1].item() for s in subset.__getitems__([2, 1])] == [2, 0]
    concat = ConcatDataset([dataset, subset])
    assert len(concat) == 8 and concat[5][1].item() == 4 and concat[-1][1].item() == 2
    assert len(dataset + subset) == 8
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        concat[-9]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])


def test_random_split_lengths_fractions_and_reproducibility():
    parts = random_split(range(10), [3, 7], generator=nnmath.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    again = random_split(range(10), [3, 7], generator=nnmath.Generator().manual_seed(1))
    assert again[0].indices == parts[0].indices
    # fractions: floor, then the remainder dealt one by one from the first split, as in PyTorch
    assert [len(p) for p in random_split(range(10), [0.45, 0.45, 0.1])] == [5, 4, 1]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset"):
        random_split(range(10), [3, 3])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(3), [0.9, 0.1])


def test_random_split_fraction_lengths_equal_torch():
    torch = pytest.importorskip("torch")
    for fractions in ([0.45, 0.45, 0.1], [0.3, 0.3, 0.4], [0.33, 0.33, 0.34], [1 / 3] * 3):
        ours = [len(p) for p in random_split(range(17), fractions)]
        theirs = [len(p) for p in torch.utils.data.random_split(range(17), fractions)]
        assert ours == theirs


def test_split_subset_keeps_the_fast_path():
    train, _ = random_split(numbered_dataset(10), [0.8, 0.2])
    batch = next(iter(DataLoader(train, batch_size=4)))
    assert batch[0].shape == (4, 2)
    assert batch[1].tolist() == train.indices[:4]


# --- samplers ----------------------------------------------------------------------------------
def test_sequential_and_random_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    order = list(RandomSampler(range(10)))
    assert sorted(order) == list(range(10)) and order != list(range(10))
    long = list(RandomSampler(range(4), num_samples=10))
    assert len(long) == 10 and sorted(long[:8]) == sorted(list(range(4)) * 2)
    with_replacement = list(RandomSampler(range(3), replacement=True, num_samples=50))
    assert len(with_replacement) == 50 and set(with_replacement) == {0, 1, 2}
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)


def test_subset_random_and_weighted_samplers():
    drawn = list(SubsetRandomSampler([10, 20, 30]))
    assert sorted(drawn) == [10, 20, 30]
    weighted = list(WeightedRandomSampler([0.0, 0.0, 1.0, 3.0], num_samples=200))
    assert set(weighted) == {2, 3} and weighted.count(3) > weighted.count(2)
    assert sorted(WeightedRandomSampler([1, 1, 1], num_samples=3, replacement=False)) == [0, 1, 2]


def test_batch_sampler():
    assert list(BatchSampler(range(7), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, drop_last=False)) == 3
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(7), 3, drop_last=None)


def test_one_pass_over_mnist_sized_tensor_dataset_fetches_each_batch_with_one_index():
    """60000×784 float32, batch 64, shuffled: one fancy index per batch (≈0.07 s per pass when quiet;
    per-sample indexing takes ≈1 s). Counted, not timed, so a loaded machine cannot fail it."""
    images = nnmath.from_numpy(np.random.default_rng(0).random((60000, 784), dtype=np.float32))
    labels = nnmath.from_numpy(np.arange(60000) % 10)
    calls = {"one": 0, "batch": 0}

    class Counting(TensorDataset):
        def __getitem__(self, index):
            calls["one"] += 1
            return super().__getitem__(index)

        def __getitems__(self, indices):
            calls["batch"] += 1
            return super().__getitems__(indices)

    loader = DataLoader(Counting(images, labels), batch_size=64, shuffle=True)
    batches = list(loader)
    assert len(batches) == 938 and batches[0][0].shape == (64, 784) and batches[-1][0].shape == (32, 784)
    assert calls == {"one": 0, "batch": 938}


# --- clear errors where PyTorch raises ------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda: [nnmath.ones(2), nnmath.ones(3)], lambda: [np.ones(2), np.ones(3)]],
                         ids=["tensors", "arrays"])
def test_collating_samples_of_different_shapes_names_the_shapes(make):
    with pytest.raises(RuntimeError, match=r"\[2\] at entry 0 and \[3\] at entry 1"):
        nnmath.utils.data.default_collate(make())


@pytest.mark.parametrize("weights, words", [([0.5, -1.0], "non-negative"), ([0.5, float("nan")], "finite"),
                                            ([0.0, 0.0], "sum to zero")])
def test_weighted_sampler_refuses_invalid_weights_when_drawing(weights, words):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        list(torch.utils.data.WeightedRandomSampler(weights, 2))
    sampler = WeightedRandomSampler(weights, 2)     # as PyTorch: accepted until drawn
    with pytest.raises(RuntimeError, match=words):
        list(sampler)


def test_weighted_sampler_without_replacement_needs_enough_nonzero_weights():
    with pytest.raises(RuntimeError, match="without replacement"):
        list(WeightedRandomSampler([1.0, 0.0, 1.0], 3, replacement=False))
