"""A failing rank ends the job with a clear error; no rank is left waiting."""
from __future__ import annotations

import sys

import pytest

from conftest import PROGRAMS, launch, requires_mpi, run
from nnmath.distributed.run import find_mpiexec

pytestmark = requires_mpi

# Each job must end by itself long before the subprocess timeout of conftest.run; these bounds leave
# room for a loaded machine (the jobs take 2-6 s here).
QUICK = 60


def test_a_killed_rank_ends_the_job():
    job = launch(2, "faults", "kill", 600)      # a collective timeout far longer than the job may take
    assert job.returncode == 9, job
    assert job.seconds < QUICK
    assert "Killed (signal 9)" in job.output
    assert "the job of 2 processes failed: exit code 9 (a rank was killed by signal 9, SIGKILL?)" in job.output


@pytest.mark.parametrize("when", ["raise", "before_init"])
def test_an_exception_on_one_rank_ends_every_rank(when):
    job = launch(2, "faults", when, 600)
    assert job.returncode != 0 and job.seconds < QUICK, job
    assert "rank 1 fails" in job.output
    assert "rank 1 of 2 stopped on RuntimeError; ending all ranks (MPI_Abort)" in job.output
    assert "rank 0: finished" not in job.output


def test_a_rank_that_leaves_early_makes_the_others_time_out_with_a_clear_error():
    job = launch(2, "faults", "leave", 2)       # the others' collectives wait at most 2 s
    assert job.returncode != 0 and job.seconds < QUICK, job
    assert "DistBackendError: all_reduce of 3 float32 values: rank 0 of 2 waited" in job.output
    assert "(the timeout) for the other ranks to join" in job.output


def test_plain_mpiexec_also_ends_every_rank_on_an_exception():
    """Without nnmath's launcher, init_process_group's exception hook calls MPI_Abort."""
    job = run([find_mpiexec(), "-n", "2", sys.executable, str(PROGRAMS), "faults", "raise", "600"])
    assert job.returncode != 0 and job.seconds < QUICK, job
    assert "rank 1 of 2 stopped on an uncaught RuntimeError; ending all 2 ranks (MPI_Abort)" in job.output
