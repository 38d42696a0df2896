"""Running MPI jobs from the tests: each job is a subprocess with a hard timeout, so that a bug that
hangs a rank fails the test instead of the test run."""
from __future__ import annotations

import importlib.util
import os
import pathlib
import subprocess
import sys
import time

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PROGRAMS = HERE / "mpi_programs.py"
MNIST = ROOT.parent / "shared" / "data" / "mnist"

requires_mpi = pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None,
                                  reason="mpi4py is not installed (pip install 'nnmath[distributed]')")


class Job:
    """What an MPI job left: its exit code, its output (stdout and stderr together), its duration."""

    def __init__(self, returncode, output, seconds):
        self.returncode, self.output, self.seconds = returncode, output, seconds

    def __repr__(self):
        return f"Job(returncode={self.returncode}, {self.seconds:.1f} s)\n{self.output[-4000:]}"


def environment(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = "1"   # N ranks share this machine's cores
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"):
        env.pop(name, None)
    env.update(extra)
    return env


def run(command, timeout=180, cwd=HERE, **extra_env) -> Job:
    start = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=environment(**extra_env), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return Job(done.returncode, done.stdout, time.monotonic() - start)


def launch(n, *program_args, timeout=180, **extra_env) -> Job:
    """``python -m nnmath.distributed.run -n N mpi_programs.py ARGS``."""
    command = [sys.executable, "-m", "nnmath.distributed.run", "-n", str(n), str(PROGRAMS), *map(str, program_args)]
    return run(command, timeout=timeout, **extra_env)


def succeeded(job: Job) -> Job:
    assert job.returncode == 0, job
    return job


def launch_source(n, source, directory, timeout=120, *, launcher_args=(), **extra_env) -> Job:
    """Write ``source`` to a file in ``directory`` and run it as an N-process job."""
    path = pathlib.Path(directory) / "job.py"
    path.write_text(source)
    command = [sys.executable, "-m", "nnmath.distributed.run", "-n", str(n), *launcher_args, str(path)]
    return run(command, timeout=timeout, **extra_env)
