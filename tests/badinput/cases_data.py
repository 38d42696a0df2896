"""Data loading: DataLoader options that contradict each other or are out of range, samplers, datasets
that do not fit together, batches that cannot be collated."""
from __future__ import annotations

from differential import Case

CASES: list[Case] = []


def _dataset(lib, n=10):
    return lib.utils.data.TensorDataset(lib.arange(float(n)).reshape(n, 1), lib.arange(n))


def _batches(loader):
    return [batch for batch in loader]


def _loader(**kwargs):
    return lambda lib: _batches(lib.utils.data.DataLoader(_dataset(lib), **kwargs))


class _Ragged:
    """Items of growing length: they cannot be stacked into one batch."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return self.lib.ones(i + 1)


class _Strings:
    def __len__(self):
        return 3

    def __getitem__(self, i):
        return {"name": f"item{i}", "value": float(i)}


class _NoLen:
    def __getitem__(self, i):
        return i


def _ragged(lib):
    return _batches(lib.utils.data.DataLoader(_Ragged(lib), batch_size=2))


def _dicts_ok(lib):
    return _batches(lib.utils.data.DataLoader(_Strings(), batch_size=2))


def _no_len(lib):
    return _batches(lib.utils.data.DataLoader(_NoLen(), batch_size=2))


def _tensor_dataset_sizes(lib):
    return lib.utils.data.TensorDataset(lib.ones(3, 2), lib.ones(4))


def _subset_out_of_range(lib):
    return lib.utils.data.Subset(_dataset(lib), [0, 12])[1]


def _random_split_sum(lib):
    return lib.utils.data.random_split(_dataset(lib), [3, 3])


def _random_split_fractions_ok(lib):
    return [len(s) for s in lib.utils.data.random_split(_dataset(lib), [0.5, 0.3, 0.2],
                                                         generator=lib.Generator().manual_seed(0))]


def _random_split_negative(lib):
    return lib.utils.data.random_split(_dataset(lib), [12, -2])


def _random_split_fractions_sum(lib):
    return lib.utils.data.random_split(_dataset(lib), [0.5, 0.6])


def _weighted_negative(lib):
    return list(lib.utils.data.WeightedRandomSampler([1.0, -1.0], 2))


def _weighted_zero_samples(lib):
    return lib.utils.data.WeightedRandomSampler([1.0, 1.0], 0)


def _weighted_nan(lib):
    return list(lib.utils.data.WeightedRandomSampler([float("nan"), 1.0], 2))


def _weighted_2d(lib):
    return lib.utils.data.WeightedRandomSampler([[1.0, 1.0]], 2)


def _random_sampler_zero(lib):
    return lib.utils.data.RandomSampler(_dataset(lib), num_samples=0)


def _random_sampler_replacement_type(lib):
    return lib.utils.data.RandomSampler(_dataset(lib), replacement=1)


def _batch_sampler_zero(lib):
    return lib.utils.data.BatchSampler(lib.utils.data.SequentialSampler(range(5)), batch_size=0, drop_last=False)


def _batch_sampler_drop_last_type(lib):
    return lib.utils.data.BatchSampler(lib.utils.data.SequentialSampler(range(5)), batch_size=2, drop_last=1)


def _batch_sampler_ok(lib):
    return list(lib.utils.data.BatchSampler(lib.utils.data.SequentialSampler(range(5)), batch_size=2, drop_last=True))


def _concat_empty(lib):
    return lib.utils.data.ConcatDataset([])


def _concat_ok(lib):
    data = lib.utils.data.ConcatDataset([_dataset(lib, 3), _dataset(lib, 2)])
    return len(data), data[4]


def _concat_index_out_of_range(lib):
    return lib.utils.data.ConcatDataset([_dataset(lib, 3), _dataset(lib, 2)])[5]


def _concat_negative_index_ok(lib):
    return lib.utils.data.ConcatDataset([_dataset(lib, 3), _dataset(lib, 2)])[-1]


def _concat_negative_out_of_range(lib):
    return lib.utils.data.ConcatDataset([_dataset(lib, 3), _dataset(lib, 2)])[-6]


def _tensor_dataset_index(lib):
    return _dataset(lib)[10]


def _default_collate_mixed(lib):
    return lib.utils.data.default_collate([lib.ones(2), 3])


def _default_collate_ok(lib):
    return lib.utils.data.default_collate([(lib.ones(2), 1), (lib.zeros(2), 2)])


def _default_collate_empty(lib):
    return lib.utils.data.default_collate([])


def _collate_fn_not_callable(lib):
    return _batches(lib.utils.data.DataLoader(_dataset(lib), batch_size=2, collate_fn=3))


def _subset_random_sampler_ok(lib):
    generator = lib.Generator().manual_seed(0)
    return sorted(lib.utils.data.SubsetRandomSampler([4, 1, 7], generator=generator))


def _sampler_and_batch_sampler(lib):
    data = _dataset(lib)
    return lib.utils.data.DataLoader(data, sampler=lib.utils.data.SequentialSampler(data),
                                     batch_sampler=lib.utils.data.BatchSampler(range(10), 2, False))


def _empty_dataset_ok(lib):
    return _batches(lib.utils.data.DataLoader(lib.utils.data.TensorDataset(lib.ones(0, 2)), batch_size=4))


def _len_of_loader_ok(lib):
    return len(lib.utils.data.DataLoader(_dataset(lib), batch_size=3)), \
        len(lib.utils.data.DataLoader(_dataset(lib), batch_size=3, drop_last=True))


LOADERS = [
    ("batch-size-zero", _loader(batch_size=0), ("batch_size",), ("0",)),
    ("batch-size-negative", _loader(batch_size=-2), ("batch_size",), ("-2",)),
    ("batch-size-float", _loader(batch_size=2.5), ("batch_size",), ("2.5",)),
    ("shuffle-and-sampler", lambda lib: lib.utils.data.DataLoader(
        _dataset(lib), shuffle=True, sampler=lib.utils.data.SequentialSampler(range(10))), ("sampler", "shuffle"),
     ("shuffle", "mutually exclusive")),
    ("batch-sampler-and-batch-size", lambda lib: lib.utils.data.DataLoader(
        _dataset(lib), batch_size=3, batch_sampler=lib.utils.data.BatchSampler(range(10), 2, False)),
     ("batch_sampler",), ("batch_size", "mutually exclusive")),
    ("batch-sampler-and-drop-last", lambda lib: lib.utils.data.DataLoader(
        _dataset(lib), drop_last=True, batch_sampler=lib.utils.data.BatchSampler(range(10), 2, False)),
     ("batch_sampler",), ("drop_last", "mutually exclusive")),
    ("sampler-and-batch-sampler-ok-or-not", _sampler_and_batch_sampler, ("batch_sampler", "sampler"),
     ("mutually exclusive", "sampler")),
    ("num-workers-negative", _loader(num_workers=-1), ("num_workers",), ("-1", "non-negative")),
    ("timeout-negative", _loader(timeout=-1), ("timeout",), ("-1", "non-negative")),
    ("prefetch-without-workers", _loader(prefetch_factor=2), ("prefetch_factor",), ("num_workers", "multiprocessing")),
    ("persistent-without-workers", _loader(persistent_workers=True), ("persistent_workers",), ("num_workers",)),
    ("batch-size-none-ok", _loader(batch_size=None), None, None),
    ("drop-last-all-ok", _loader(batch_size=20, drop_last=True), None, None),
    ("batch-larger-than-data-ok", _loader(batch_size=20), None, None),
    ("ragged-collate", _ragged, ("stack", "collate"), ("(1,)", "(2,)", "[1]", "[2]", "size")),
    ("dict-items-ok", _dicts_ok, None, None),
    ("dataset-without-len", _no_len, ("len", "__len__", "DataLoader", "Sampler"), ("len", "_NoLen")),
    ("empty-dataset-ok", _empty_dataset_ok, None, None),
    ("len-of-loader-ok", _len_of_loader_ok, None, None),
    ("collate-fn-not-callable", _collate_fn_not_callable, ("collate",), ("int", "callable")),
]
DATASETS = [
    ("tensor-dataset-sizes", _tensor_dataset_sizes, ("TensorDataset",), ("3", "4", "size mismatch")),
    ("subset-out-of-range", _subset_out_of_range, ("index", "Subset", "TensorDataset"), ("12",)),
    ("random-split-lengths-sum", _random_split_sum, ("random_split",), ("6", "10")),
    ("random-split-fractions-ok", _random_split_fractions_ok, None, None),
    ("random-split-negative", _random_split_negative, None, None),  # valid in PyTorch: see deliberate.py
    ("random-split-fractions-sum", _random_split_fractions_sum, ("random_split",), ("1.1", "sum", "1")),
    ("weighted-negative-weight", _weighted_negative, ("WeightedRandomSampler", "multinomial", "weights"),
     ("negative", "-1")),
    ("weighted-zero-samples", _weighted_zero_samples, ("WeightedRandomSampler", "num_samples"), ("0",)),
    ("weighted-nan-weight", _weighted_nan, ("WeightedRandomSampler", "multinomial", "weights"), ("nan", "inf")),
    ("weighted-2d-weights", _weighted_2d, ("WeightedRandomSampler", "weights"), ("1d", "1-D", "sequence", "(1, 2)")),
    ("random-sampler-zero-samples", _random_sampler_zero, ("RandomSampler", "num_samples"), ("0",)),
    ("random-sampler-replacement-int", _random_sampler_replacement_type, ("RandomSampler", "replacement"),
     ("1", "bool")),
    ("batch-sampler-zero", _batch_sampler_zero, ("BatchSampler", "batch_size"), ("0",)),
    ("batch-sampler-drop-last-int", _batch_sampler_drop_last_type, ("BatchSampler", "drop_last"), ("1", "bool")),
    ("batch-sampler-ok", _batch_sampler_ok, None, None),
    ("concat-empty", _concat_empty, ("ConcatDataset", "datasets"), ("empty",)),
    ("concat-ok", _concat_ok, None, None),
    ("concat-index-out-of-range", _concat_index_out_of_range, ("index", "ConcatDataset"), ("5",)),
    ("concat-negative-index-ok", _concat_negative_index_ok, None, None),
    ("concat-negative-out-of-range", _concat_negative_out_of_range, ("index", "ConcatDataset"), ("-6", "length")),
    ("tensor-dataset-index-out-of-range", _tensor_dataset_index, ("index",), ("10",)),
    ("default-collate-mixed", _default_collate_mixed, ("collate",), ("int", "Tensor")),
    ("default-collate-ok", _default_collate_ok, None, None),
    ("default-collate-empty", _default_collate_empty, ("collate",), ("empty", "0")),
    ("subset-random-sampler-ok", _subset_random_sampler_ok, None, None),
    ("tensor-dataset-of-nothing-ok", lambda lib: lib.utils.data.TensorDataset(), None, None),
    ("len-of-tensor-dataset-of-nothing", lambda lib: len(lib.utils.data.TensorDataset()), ("TensorDataset",),
     ("0 tensors",)),
]
for name, program, op, values in LOADERS + DATASETS:
    CASES.append(Case(f"data/{name}", program, op is not None, op or (), values or ()))
