import os
import threading
import time

import numpy as np
import pytest

import nnmath
from nnmath import parallel
from nnmath.ops import _window as window
from nnmath.ops import attention
from nnmath.parallel import _loaded_blas, fair_share


def test_set_num_threads_reaches_numpys_blas():
    if _loaded_blas()[0] is None:
        pytest.skip("NumPy's BLAS has no known thread setter")
    before = nnmath.get_num_threads()
    try:
        nnmath.set_num_threads(1)
        assert nnmath.get_num_threads() == 1
        nnmath.set_num_threads(2)
        assert nnmath.get_num_threads() == 2
    finally:
        nnmath.set_num_threads(before)


def test_nonpositive_thread_count_is_refused():
    with pytest.raises(ValueError, match="must be positive, got 0"):
        nnmath.set_num_threads(0)


@pytest.mark.parametrize("others,cores,expected", [
    (0.0, 2, 2),     # a quiet machine: every core
    (0.3, 2, 2),     # background noise
    (0.67, 2, 1),    # a CPU-bound neighbour squeezed by this process's two threads
    (1.0, 2, 1),     # one busy neighbour on two cores
    (9.0, 2, 1),     # a crowded machine: still one thread
    (2.0, 8, 6),
])
def test_fair_share_leaves_the_cores_other_work_uses(others, cores, expected):
    assert fair_share(others, cores) == expected


@pytest.fixture
def unchosen_policy(monkeypatch):
    if _loaded_blas()[0] is None:
        pytest.skip("NumPy's BLAS has no known thread setter")
    before = nnmath.get_num_threads()
    monkeypatch.setitem(parallel._policy, "chosen", False)
    monkeypatch.setitem(parallel._policy, "wall", None)
    monkeypatch.setitem(parallel._policy, "machine", None)
    monkeypatch.setitem(parallel._policy, "threads", None)
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {0, 1})
    yield monkeypatch
    nnmath.set_num_threads(before)


def test_backward_on_a_crowded_machine_drops_to_one_thread(unchosen_policy):
    nnmath.set_num_threads(2)
    unchosen_policy.setitem(parallel._policy, "chosen", False)  # as if nobody had chosen
    busy = iter([0.0, 27.0])  # the machine's busy CPU seconds at two looks 3 s apart: 9 cores' worth
    unchosen_policy.setattr(parallel, "_machine_busy_seconds", lambda: next(busy))
    parallel.adapt_threads()  # the first look
    unchosen_policy.setitem(parallel._policy, "wall", parallel._policy["wall"] - 3.0)
    x = nnmath.ones(3, requires_grad=True)
    (x * 2).sum().backward()
    assert nnmath.get_num_threads() == 1


def test_threads_the_user_chose_are_left_alone(unchosen_policy):
    nnmath.set_num_threads(2)  # a choice: the policy stops
    busy = iter([0.0, 27.0])
    unchosen_policy.setattr(parallel, "_machine_busy_seconds", lambda: next(busy))
    parallel.adapt_threads()
    unchosen_policy.setitem(parallel._policy, "wall", (parallel._policy["wall"] or 0.0) - 3.0)
    parallel.adapt_threads()
    assert nnmath.get_num_threads() == 2


@pytest.fixture
def two_threads():
    """Two threads for the BLAS and nnmath's kernels (the test workers run one each), restored after."""
    before = nnmath.get_num_threads()
    nnmath.set_num_threads(2)
    if nnmath.get_num_threads() != 2:
        pytest.skip("NumPy's BLAS has no known thread setter")
    yield
    nnmath.set_num_threads(before)


def test_parallel_for_covers_the_range_once_on_several_threads(two_threads):
    pieces, lock = [], threading.Lock()

    def body(lo, hi):
        time.sleep(0.01)  # long enough that the pool's thread takes its own piece
        with lock:
            pieces.append((lo, hi, threading.get_ident()))
    parallel.parallel_for(7, body)
    covered = sorted(i for lo, hi, _ in pieces for i in range(lo, hi))
    assert covered == list(range(7))
    assert len({ident for *_, ident in pieces}) == 2
    assert nnmath.get_num_threads() == 2  # the BLAS's threads are given back


def test_parallel_for_respects_the_smallest_piece(two_threads):
    pieces = []
    parallel.parallel_for(5, lambda lo, hi: pieces.append((lo, hi)), min_piece=3)
    assert pieces == [(0, 5)]


def test_an_error_in_a_piece_is_raised_after_every_piece_ended(two_threads):
    finished = []

    def body(lo, hi):
        if lo == 0:
            raise ValueError("the first piece failed")
        time.sleep(0.05)
        finished.append(lo)
    with pytest.raises(ValueError, match="the first piece failed"):
        parallel.parallel_for(2, body)
    assert finished == [1]  # the other piece had ended: nothing still writes into the outputs


def test_a_parallel_for_inside_a_piece_runs_whole_on_that_thread(two_threads):
    inner = []

    def body(lo, hi):
        parallel.parallel_for(4, lambda a, b: inner.append((a, b, threading.get_ident() == outer_thread[lo])))
    outer_thread = {}

    def outer(lo, hi):
        outer_thread[lo] = threading.get_ident()
        body(lo, hi)
    parallel.parallel_for(2, outer)
    assert sorted(inner) == [(0, 4, True), (0, 4, True)]


def test_a_call_while_another_thread_has_the_workers_runs_whole_on_its_own_thread(two_threads):
    entered, release, seen = threading.Event(), threading.Event(), []

    def slow(lo, hi):
        entered.set()
        release.wait(5)
    holder = threading.Thread(target=parallel.parallel_for, args=(2, slow))
    holder.start()
    entered.wait(5)
    parallel.parallel_for(6, lambda lo, hi: seen.append((lo, hi, threading.get_ident())))
    release.set()
    holder.join(5)
    assert seen == [(0, 6, threading.get_ident())]
    assert nnmath.get_num_threads() == 2  # both regions left: the BLAS has its threads back


def test_an_error_in_a_workers_piece_is_raised_in_the_caller(two_threads):
    def body(lo, hi):
        if lo > 0:
            raise KeyError("the second piece failed")
    with pytest.raises(KeyError, match="the second piece failed"):
        parallel.parallel_for(2, body)
    parallel.parallel_for(2, lambda lo, hi: None)  # the worker serves the next call


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_parallel_for_works_in_a_forked_child(two_threads):
    parallel.parallel_for(2, lambda lo, hi: None)  # the parent's pool exists
    pid = os.fork()
    if pid == 0:  # the child: the parent's pool threads do not exist here
        seen = []
        try:
            parallel.parallel_for(2, lambda lo, hi: seen.append(lo))
            os._exit(0 if sorted(seen) == [0, 1] else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_split_rows_runs_small_arrays_whole(two_threads):
    calls = []
    parallel.split_rows(lambda a: calls.append(a.shape), (np.zeros((8, 4)),), (), min_elements=16)
    parallel.split_rows(lambda a: calls.append(a.shape), (np.zeros((8, 4)),), (), min_elements=64)
    assert calls == [(4, 4), (4, 4), (8, 4)]


def test_openblas_threads_sleep_soon_after_a_product(two_threads):
    """The shortened spin: an idle BLAS thread stops using CPU within a millisecond (OpenBLAS's own
    spin, 2²⁸ cycles, used about 110 ms of CPU in the 0.3 s after a product)."""
    lib = parallel._blas_library
    if lib is None or not hasattr(lib, "blas_thread_init"):
        pytest.skip("not OpenBLAS")
    a = np.ones((512, 512), dtype=np.float32)
    a @ a
    before = time.process_time()
    time.sleep(0.3)
    assert time.process_time() - before < 0.03


def _attention_case(rng):
    q = rng.standard_normal((6, 4, 40, 8))
    k, v = rng.standard_normal((2, 6, 1, 40, 8))  # keys and values broadcast over the heads
    mask = rng.standard_normal((40, 40))
    return [nnmath.tensor(t, requires_grad=True) for t in (q, k, v, mask)]


def _run_ops(rng):
    """Every threaded kernel, forward and backward, on inputs large enough to be split: attention, GELU
    (tanh, and exact through erf), layer norm, convolution (forward, input and weight gradients),
    max-pooling, ReLU (and where)."""
    F = nnmath.nn.functional
    results = []
    for dropout, causal in ((0.0, True), (0.3, False)):
        q, k, v, mask = _attention_case(np.random.default_rng(0))
        nnmath.manual_seed(3)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=None if causal else mask, dropout_p=dropout,
                                             is_causal=causal)
        out.backward(nnmath.tensor(rng.standard_normal(out.shape)))
        results += [out, q.grad, k.grad, v.grad] + ([] if causal else [mask.grad])
    x = nnmath.tensor(rng.standard_normal((64, 3, 700)), requires_grad=True)
    w, b = (nnmath.tensor(rng.standard_normal(700), requires_grad=True) for _ in range(2))
    for y in (F.gelu(x, approximate="tanh"), F.gelu(x), F.layer_norm(x, (700,), w, b), F.layer_norm(x, (3, 700))):
        g, = nnmath.autograd.grad(y, x, nnmath.tensor(rng.standard_normal(y.shape)))
        results += [y, g]
    results.append(nnmath.autograd.grad(F.layer_norm(x, (700,), w, b).sum(), (w, b)))
    images = nnmath.tensor(rng.standard_normal((24, 4, 20, 20)), requires_grad=True)  # 2 pieces of 12 images
    kernel = nnmath.tensor(rng.standard_normal((6, 4, 3, 3)), requires_grad=True)
    y = F.conv2d(images, kernel)
    g_images, g_kernel = nnmath.autograd.grad(y, (images, kernel), nnmath.tensor(rng.standard_normal(y.shape)))
    results += [y, g_images]
    planes = nnmath.tensor(rng.standard_normal((64, 16, 32, 32)), requires_grad=True)
    for y in (F.max_pool2d(planes, 2), F.max_pool2d(planes, 3, stride=2, padding=1), F.relu(planes)):
        results += [y, *nnmath.autograd.grad(y, planes, nnmath.tensor(rng.standard_normal(y.shape)))]
    exact = [r.detach().numpy() if isinstance(r, nnmath.Tensor) else [t.numpy() for t in r] for r in results]
    return exact, g_kernel.numpy()  # the weight gradient: one GEMM, split by the BLAS's own threads


def _assert_same(two, one):
    for a, b in zip(two[0], one[0]):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))  # bit for bit: the same operations per row
    # OpenBLAS's threads split the weight gradient's sum over pixels: the order of its float64 sum changes
    np.testing.assert_allclose(two[1], one[1], rtol=1e-12, atol=1e-12)


def test_threaded_kernels_give_the_one_thread_numbers(two_threads):
    two = _run_ops(np.random.default_rng(1))
    nnmath.set_num_threads(1)
    one = _run_ops(np.random.default_rng(1))
    _assert_same(two, one)


def test_the_equality_check_sees_a_kernel_that_splits_wrongly(two_threads, monkeypatch):
    """A split that hands each piece the wrong rows changes the numbers, and the comparison above says so."""
    real = parallel.parallel_for

    def skips_a_row(total, body, min_piece=1):
        real(total, lambda lo, hi: body(lo, max(lo, hi - 1)), min_piece)
    for module in (parallel, attention, window):
        monkeypatch.setattr(module, "parallel_for", skips_a_row)
    two = _run_ops(np.random.default_rng(1))
    monkeypatch.undo()
    nnmath.set_num_threads(2)
    nnmath.set_num_threads(1)
    one = _run_ops(np.random.default_rng(1))
    with pytest.raises(AssertionError):
        _assert_same(two, one)


def test_overlapping_regions_give_the_blas_its_threads_back_when_the_last_leaves(two_threads):
    """Two of the caller's threads in parallel_for at once, the first leaving first: the BLAS keeps one
    thread until both have left, then gets its two back (not the one the second saw on entering)."""
    parallel._enter_region()
    parallel._enter_region()
    parallel._leave_region()
    assert nnmath.get_num_threads() == 1
    parallel._leave_region()
    assert nnmath.get_num_threads() == 2
