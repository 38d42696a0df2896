"""DataLoader with worker processes: the batches of num_workers=0 in the same order; PyTorch's seeding
(base seed from the loader's generator, worker w seeded base_seed + w), worker_init_fn, get_worker_info,
persistent workers, prefetching; a worker's exception re-raised with its traceback; a dead or slow worker
ends the iteration with a clear RuntimeError instead of a hang."""
import pickle
import random
import time

import numpy as np
import pytest

import nnmath
import process_helpers as helpers
from nnmath.utils.data import DataLoader, get_worker_info
from nnmath.utils.data._worker import numpy_seed

START_METHODS = ["fork", "spawn"]


def _plain(batch):
    """A batch as nested Python values, for comparing loaders."""
    if isinstance(batch, nnmath.Tensor):
        return batch.tolist()
    if isinstance(batch, dict):
        return {key: _plain(value) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return [_plain(value) for value in batch]
    return batch


def _epoch(dataset, seed=None, **kwargs):
    generator = None if seed is None else nnmath.Generator().manual_seed(seed)
    return [_plain(batch) for batch in DataLoader(dataset, generator=generator, **kwargs)]


LOADERS = {
    "batches": dict(batch_size=3),
    "shuffled": dict(batch_size=3, shuffle=True),
    "drop_last": dict(batch_size=4, drop_last=True),
    "unbatched": dict(batch_size=None),
    "custom collate": dict(batch_size=2, collate_fn=lambda samples: [s[1] for s in samples]),
    "prefetch 1": dict(batch_size=2, prefetch_factor=1),
}


@pytest.mark.parametrize("name", LOADERS)
def test_same_batches_in_the_same_order_as_in_process(name):
    kwargs = LOADERS[name]
    in_process = _epoch(helpers.Numbers(11), seed=5, **{k: v for k, v in kwargs.items() if k != "prefetch_factor"})
    assert _epoch(helpers.Numbers(11), seed=5, num_workers=3, **kwargs) == in_process


@pytest.mark.parametrize("method", START_METHODS)
def test_dict_samples_through_each_start_method(method):
    assert (_epoch(helpers.DictSamples(5), batch_size=2, num_workers=2, multiprocessing_context=method)
            == _epoch(helpers.DictSamples(5), batch_size=2))


def test_iterable_dataset_sharded_by_worker_info():
    """Each worker yields its shard; batches come round-robin from the workers, as in PyTorch."""
    batches = _epoch(helpers.ShardedStream(10), batch_size=2, num_workers=2)
    assert batches == [[0, 2], [1, 3], [4, 6], [5, 7], [8], [9]]
    assert _epoch(helpers.ShardedStream(10), batch_size=2) == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]


def test_iterable_dataset_batches_as_torch():
    torch = pytest.importorskip("torch")

    class TorchShardedStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            return iter(range(info.id, 10, info.num_workers))

    expected = [batch.tolist() for batch in torch.utils.data.DataLoader(TorchShardedStream(), batch_size=2,
                                                                        num_workers=2)]
    assert _epoch(helpers.ShardedStream(10), batch_size=2, num_workers=2) == expected


def test_out_of_order_yields_every_batch():
    batches = _epoch(helpers.Numbers(12), batch_size=2, num_workers=3, in_order=False)
    assert sorted(batches) == _epoch(helpers.Numbers(12), batch_size=2)


def test_random_transforms_in_workers_are_reproducible():
    first = _epoch(helpers.RandomTransform(12), seed=7, batch_size=3, num_workers=2)
    again = _epoch(helpers.RandomTransform(12), seed=7, batch_size=3, num_workers=2)
    other = _epoch(helpers.RandomTransform(12), seed=8, batch_size=3, num_workers=2)
    assert first == again and first != other
    worker_ids = [batch[3] for batch in first]
    seeds = {worker: batch[4][0] for worker, batch in zip((ids[0] for ids in worker_ids), first)}
    assert seeds[1] == seeds[0] + 1  # worker w is seeded base_seed + w
    draws_of = {w: [x for batch in first if batch[3][0] == w for x in batch[0]] for w in (0, 1)}
    assert draws_of[0][:3] != draws_of[1][:3]  # the workers' streams differ


def test_each_worker_starts_from_its_seed():
    """The first numbers a worker draws are those of nnmath.manual_seed / random.seed / np.random.seed with
    PyTorch's seeds for that worker."""
    first = _epoch(helpers.RandomTransform(4), seed=11, batch_size=1, num_workers=2)[:2]
    for worker_id, batch in enumerate(first):
        (draw,), (numpy_draw,), (random_draw,), (seen_id,), (seed,) = batch
        base_seed = seed - worker_id
        nnmath.manual_seed(seed)
        np.random.seed(numpy_seed(base_seed, worker_id))
        random.seed(seed)
        assert seen_id == worker_id and draw == nnmath.rand(2).tolist()
        assert numpy_draw == np.random.rand() and random_draw == random.random()


def test_the_numpy_seed_is_torchs():
    worker = pytest.importorskip("torch.utils.data._utils.worker")
    for base_seed, worker_id in [(0, 0), (1, 3), (2 ** 63 - 2, 7), (123456789123456789, 15)]:
        assert numpy_seed(base_seed, worker_id) == worker._generate_state(base_seed, worker_id)


def test_the_global_generator_advances_as_with_no_workers():
    """The base seed is drawn with or without workers (as PyTorch does), so the numbers after an epoch agree."""
    nnmath.manual_seed(3)
    _epoch(helpers.Numbers(6), batch_size=2, shuffle=True)
    after_in_process = nnmath.rand(3).tolist()
    nnmath.manual_seed(3)
    _epoch(helpers.Numbers(6), batch_size=2, shuffle=True, num_workers=2)
    assert nnmath.rand(3).tolist() == after_in_process


def test_worker_init_fn_and_worker_info():
    assert _epoch(helpers.InitSeen(4), batch_size=1, num_workers=2, worker_init_fn=helpers.record_init) == [
        ["0"], ["1"], ["0"], ["1"]]
    assert get_worker_info() is None


def test_worker_info_is_read_only_as_in_torch():
    info = nnmath.utils.data.WorkerInfo(id=0, num_workers=1, seed=5, dataset=None)
    with pytest.raises(RuntimeError):
        info.id = 3
    assert repr(info) == "WorkerInfo(id=0, num_workers=1, seed=5, dataset=None)"


def test_persistent_workers_serve_every_epoch():
    loader = DataLoader(helpers.Pid(6), batch_size=2, num_workers=2, persistent_workers=True)
    first, second = [_plain(b) for b in loader], [_plain(b) for b in loader]
    assert first == second and len({pid for batch in first for pid in batch}) == 2
    streams = DataLoader(helpers.ShardedStream(6), batch_size=2, num_workers=2, persistent_workers=True)
    assert [_plain(b) for b in streams] == [_plain(b) for b in streams] == [[0, 2], [1, 3], [4], [5]]


def test_persistent_workers_shuffle_each_epoch():
    loader = DataLoader(helpers.Numbers(12), batch_size=12, shuffle=True, num_workers=2, persistent_workers=True,
                        generator=nnmath.Generator().manual_seed(0))
    (x1, _), (x2, _) = next(iter(loader)), next(iter(loader))
    assert sorted(x1.tolist()) == sorted(x2.tolist()) and x1.tolist() != x2.tolist()


def test_options_as_torch():
    torch = pytest.importorskip("torch")
    for kwargs in (dict(num_workers=2), dict(num_workers=2, prefetch_factor=4), dict()):
        assert (DataLoader(helpers.Numbers(4), **kwargs).prefetch_factor
                == torch.utils.data.DataLoader(range(4), **kwargs).prefetch_factor)
    for kwargs, error in ((dict(multiprocessing_context="fork"), ValueError),
                          (dict(num_workers=1, multiprocessing_context="teleport"), ValueError),
                          (dict(num_workers=1, multiprocessing_context=3), TypeError),
                          (dict(timeout=-1), ValueError)):
        with pytest.raises(error):
            torch.utils.data.DataLoader(range(4), **kwargs)
        with pytest.raises(error):
            DataLoader(helpers.Numbers(4), **kwargs)


# --- failures -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("error", [ValueError, KeyError, IndexError])
def test_a_worker_exception_is_raised_again_with_its_traceback(error):
    with pytest.raises(error) as info:
        _epoch(helpers.Failing(10, bad=4, error=error), batch_size=3, num_workers=2)
    message = str(info.value)
    assert "in DataLoader worker process 1" in message
    assert "Original Traceback" in message and "item 4 is broken" in message and "process_helpers.py" in message


@pytest.mark.parametrize("error", [ValueError, KeyError, OSError])
def test_the_reraised_exception_as_torchs(error):
    """The type and the message PyTorch's worker exceptions are re-raised with (its ExceptionWrapper; PyTorch's
    own workers take seconds to shut down after an error, so the wrapper is compared directly)."""
    from torch._utils import ExceptionWrapper as TorchWrapper
    from nnmath.utils.data._worker import ExceptionWrapper

    def reraised(wrapper_class):
        try:
            raise error("item 4 is broken")
        except error:
            wrapper = wrapper_class(where="in DataLoader worker process 1")
        with pytest.raises(Exception) as info:
            wrapper.reraise()
        return info.value

    pytest.importorskip("torch")
    expected, got = reraised(TorchWrapper), reraised(ExceptionWrapper)
    assert type(got) is type(expected)
    assert str(got).replace("nnmath", "torch") == str(expected).replace("nnmath", "torch")
    with pytest.raises(error, match="^Caught .* in DataLoader worker process 1.\nOriginal Traceback"):
        raise got


def test_the_batches_before_the_error_are_yielded():
    batches = iter(DataLoader(helpers.Failing(10, bad=7), batch_size=3, num_workers=2))
    assert _plain(next(batches))[1] == [0, 1, 2] and _plain(next(batches))[1] == [3, 4, 5]
    with pytest.raises(ValueError):
        next(batches)


def test_a_dead_worker_raises_instead_of_hanging():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid \d+, exit code 7\) exited unexpectedly"):
        _epoch(helpers.Dying(10), batch_size=3, num_workers=2)
    assert time.monotonic() - start < 10


def test_timeout_raises():
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.5 seconds"):
        _epoch(helpers.Slow(4), batch_size=1, num_workers=1, timeout=0.5)


def test_a_dataset_spawn_cannot_pickle_fails_clearly_and_leaves_no_worker():
    import multiprocessing
    before = set(multiprocessing.active_children())
    unpicklable = helpers.Numbers(4)
    unpicklable.transform = lambda x: x  # a lambda: 'spawn' has to pickle the dataset for each worker
    with pytest.raises((AttributeError, TypeError, pickle.PicklingError), match="(?i)pickle"):
        _epoch(unpicklable, batch_size=2, num_workers=2, multiprocessing_context="spawn")
    assert set(multiprocessing.active_children()) <= before
