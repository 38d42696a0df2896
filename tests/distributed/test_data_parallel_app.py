"""``nnmath.apps.data_parallel`` without MPI: one process keeps the single-process behaviour."""
import pytest

from nnmath.apps.data_parallel import Run, start


def test_without_the_flag_a_run_is_one_process_that_shuffles_with_its_own_generator():
    run = start(False)
    assert (run.world, run.rank, run.main) == (1, 0, True)
    options = run.loader_options(range(10), 64, seed=3)
    assert options["batch_size"] == 64 and options["shuffle"] is True
    assert options["generator"].initial_seed() == 3
    model = object()
    assert run.wrap(model) is model and run.sum(2.0, 3) == [2.0, 3.0]


def test_the_global_batch_must_divide_among_the_processes():
    run = Run(False)
    run.world = 3
    assert run.local_batch(63) == 21
    with pytest.raises(ValueError, match="--batch-size 64 is the global batch; .* 3 processes"):
        run.local_batch(64)


def test_only_rank_0_prints():
    run = Run(False)
    printed = []
    run.on_main(printed.append)("rank 0")
    run.rank, run.main = 1, False
    run.on_main(printed.append)("rank 1")
    assert printed == ["rank 0"]
