"""nnmath.multiprocessing and Tensor.share_memory_(): a tensor in shared memory is the same numbers in the
parent and in children made by fork or spawn, passed as arguments or through queues, as in PyTorch."""
import gc
import multiprocessing
import os
import pickle

import pytest

import nnmath
import nnmath.multiprocessing as mp
import nnmath.nn as nn
import process_helpers as helpers

START_METHODS = ["fork", "spawn"]


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_share_memory_moves_the_data_and_keeps_the_values():
    torch = pytest.importorskip("torch")
    for lib in (torch, nnmath):
        x = lib.arange(6.0).reshape(2, 3)
        assert x.is_shared() is False
        assert x.share_memory_() is x and x.is_shared() is True
        assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
        assert x[:, 1].is_shared() is True  # a view of shared data is shared


def test_pickle_writes_values_not_shared_memory():
    x = nnmath.ones(3).share_memory_()
    copy = pickle.loads(pickle.dumps(x))
    copy.add_(1)
    assert copy.is_shared() is False and x.tolist() == [1.0, 1.0, 1.0]


def test_a_graph_does_not_cross_processes_as_in_torch():
    torch = pytest.importorskip("torch")
    from multiprocessing.reduction import ForkingPickler
    for lib in (torch, nnmath):
        with pytest.raises(RuntimeError, match="detach"):
            ForkingPickler.dumps(lib.ones(2, requires_grad=True) * 2)
    leaf = nnmath.ones(2, requires_grad=True)
    assert pickle.loads(ForkingPickler.dumps(leaf)).requires_grad


def test_the_memory_is_released_with_the_tensor():
    gc.collect()
    before = _open_descriptors()
    tensors = [nnmath.zeros(1000).share_memory_() for _ in range(20)]
    assert _open_descriptors() == before + 2 * 20  # the file's, and the mapping's own duplicate
    del tensors
    gc.collect()
    assert _open_descriptors() == before


def test_shared_memory_without_memfd(monkeypatch):
    """The fallback where the OS has no memfd_create (macOS): an unlinked temporary file."""
    monkeypatch.delattr(os, "memfd_create", raising=False)
    x = nnmath.arange(4.0).share_memory_()
    context = multiprocessing.get_context("fork")
    child = context.Process(target=helpers.add_in_place, args=(x, 1.0))
    child.start()
    child.join()
    assert x.tolist() == [1.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize("method", START_METHODS)
def test_a_child_writes_into_a_shared_tensor(method):
    x = nnmath.zeros(3).share_memory_()
    child = mp.get_context(method).Process(target=helpers.add_in_place, args=(x[1:], 5.0))
    child.start()
    child.join()
    assert child.exitcode == 0 and x.tolist() == [0.0, 5.0, 5.0]


def test_without_share_memory_a_forked_child_writes_its_own_copy():
    x = nnmath.zeros(3)
    child = mp.get_context("fork").Process(target=helpers.add_in_place, args=(x, 5.0))
    child.start()
    child.join()
    assert child.exitcode == 0 and x.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("method", START_METHODS)
def test_a_tensor_sent_through_a_queue_is_moved_to_shared_memory_as_in_torch(method):
    context = mp.get_context(method)
    inbox, outbox = context.Queue(), context.Queue()
    child = context.Process(target=helpers.echo_modified, args=(inbox, outbox))
    child.start()
    x = nnmath.tensor([1.0, 2.0])
    inbox.put(x)
    arrived_shared = outbox.get(timeout=60)
    child.join()
    assert arrived_shared and x.is_shared() and x.tolist() == [2.0, 4.0]


@pytest.mark.parametrize("method", START_METHODS)
def test_hogwild_training_of_a_shared_module(method):
    model = helpers.make_linear().share_memory()
    before = model.weight.item()
    child = mp.get_context(method).Process(target=helpers.sgd_steps, args=(model, 20))
    child.start()
    child.join()
    assert child.exitcode == 0
    assert isinstance(model.weight, nn.Parameter) and abs(model.weight.item() - 2.0) < abs(before - 2.0)


def test_spawn_runs_fn_with_each_rank():
    x = nnmath.zeros(3).share_memory_()
    assert mp.spawn(helpers.add_rank, args=(x,), nprocs=3) is None
    assert x.tolist() == [1.0, 10.0, 100.0]


def test_spawn_reraises_a_child_error_with_its_traceback():
    with pytest.raises(mp.ProcessRaisedException) as info:
        mp.spawn(helpers.raise_in_child, args=("the message",), nprocs=2)
    assert info.value.error_index == 1
    assert "Process 1 terminated with the following error" in str(info.value)
    assert "ValueError: the message" in str(info.value) and "raise_in_child" in str(info.value)


def test_spawn_reports_an_exit_code():
    with pytest.raises(mp.ProcessExitedException, match="process 0 terminated with exit code 3") as info:
        mp.spawn(helpers.exit_in_child, args=(3,), nprocs=1)
    assert info.value.exit_code == 3


def test_start_processes_without_join_returns_the_context():
    x = nnmath.zeros(2).share_memory_()
    group = mp.start_processes(helpers.add_rank, args=(x,), nprocs=2, join=False, start_method="fork")
    assert isinstance(group, mp.ProcessContext) and len(group.pids()) == 2
    while not group.join():
        pass
    assert x.tolist() == [1.0, 10.0]


def test_the_namespace_has_torch_multiprocessing_names():
    torch = pytest.importorskip("torch")
    import torch.multiprocessing
    missing = set(torch.multiprocessing.__all__) - set(mp.__all__)
    assert not missing
    for name in ("spawn", "start_processes", "ProcessContext", "ProcessRaisedException", "get_context",
                 "set_start_method", "Queue", "Process"):
        assert hasattr(mp, name)


def test_sharing_strategies_as_torch_on_linux():
    torch = pytest.importorskip("torch")
    import torch.multiprocessing
    assert mp.get_all_sharing_strategies() == torch.multiprocessing.get_all_sharing_strategies()
    assert mp.get_sharing_strategy() == torch.multiprocessing.get_sharing_strategy()
    for lib in (torch.multiprocessing, mp):
        with pytest.raises(AssertionError):
            lib.set_sharing_strategy("carrier-pigeon")
    mp.set_sharing_strategy("file_system")
    assert mp.get_sharing_strategy() == "file_system"
    mp.set_sharing_strategy("file_descriptor")
