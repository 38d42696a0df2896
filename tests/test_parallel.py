import pytest

import nnmath
from nnmath import parallel
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
