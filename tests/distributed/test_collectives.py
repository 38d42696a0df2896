"""``nnmath.distributed``: the collectives in MPI jobs; what works and fails without MPI, in-process."""
from __future__ import annotations

import re
import sys

import pytest

import nnmath
import nnmath.distributed as dist
from nnmath.distributed import run as launcher

from conftest import launch, launch_source, requires_mpi, run, succeeded


@requires_mpi
@pytest.mark.parametrize("n", [2, 3])
def test_every_collective_gives_its_value_on_every_rank(n):
    job = succeeded(launch(n, "collectives"))
    assert sorted(re.findall(r"rank (\d+): collectives ok", job.output)) == [str(r) for r in range(n)], job


def test_importing_the_api_ddp_and_the_sampler_needs_no_mpi():
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import nnmath.distributed, nnmath.nn.parallel, nnmath.utils.data.distributed\n"
            "from nnmath.nn.parallel import DistributedDataParallel\n"
            "try:\n"
            "    nnmath.distributed.init_process_group('mpi')\n"
            "except ImportError as error:\n"
            "    print(error)\n")
    job = run([sys.executable, "-c", code], timeout=60)
    assert job.returncode == 0, job
    assert "pip install 'nnmath[distributed]'" in job.output and "mpich" in job.output


def test_collectives_before_init_say_so():
    assert not dist.is_initialized()
    for call in (dist.get_rank, dist.get_world_size, dist.barrier, lambda: dist.all_reduce(nnmath.ones(1))):
        with pytest.raises(ValueError, match="has not been initialized"):
            call()


def test_gpu_backend_and_a_store_are_refused_before_mpi_starts():
    with pytest.raises(ValueError, match="'nccl'.*use backend='gloo' or 'mpi'"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="unknown backend 'ucc'"):
        dist.init_process_group("ucc")
    with pytest.raises(ValueError, match="store is not used"):
        dist.init_process_group("mpi", store=object())
    assert not dist.is_initialized()


@requires_mpi
def test_a_world_size_that_mpi_did_not_start_is_refused_with_the_launch_command(tmp_path):
    program = "import nnmath.distributed as d; d.init_process_group('gloo', init_method='env://')"
    job = run([sys.executable, "-c", program], timeout=60, WORLD_SIZE="4", RANK="0")
    assert job.returncode != 0
    assert "mismatched world sizes: WORLD_SIZE=4 but MPI started 1 process" in job.output
    assert "python -m nnmath.distributed.run -n 4" in job.output
    program = "import nnmath.distributed as d; d.init_process_group('mpi', world_size=3)"
    job = launch_source(2, program, tmp_path)
    assert job.returncode != 0 and "world_size=3 but MPI started 2 processes" in job.output, job


def test_the_launcher_without_mpiexec_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setattr(launcher, "find_mpiexec", lambda: None)
    assert launcher.main(["-n", "2", "script.py"]) == 2
    assert "pip install 'nnmath[distributed]'" in capsys.readouterr().err


def test_the_launcher_builds_the_mpiexec_command(monkeypatch):
    monkeypatch.setattr(launcher, "_is_open_mpi", lambda mpiexec: False)
    args = launcher.build_parser().parse_args(["-n", "4", "--hostfile", "hosts", "train.py", "--lr", "0.1"])
    command = launcher.mpiexec_command(args, "/venv/bin/mpiexec")
    assert command[:5] == ["/venv/bin/mpiexec", "-n", "4", "-f", "hosts"]
    assert command[5:] == [sys.executable, "-m", "nnmath.distributed.run", "--worker", "train.py", "--lr", "0.1"]
    monkeypatch.setattr(launcher, "_is_open_mpi", lambda mpiexec: True)
    args = launcher.build_parser().parse_args(["--nproc_per_node", "4", "--oversubscribe", "-m", "nnmath", "train"])
    command = launcher.mpiexec_command(args, "mpiexec")
    assert command[:4] == ["mpiexec", "-n", "4", "--oversubscribe"]
    assert command[-4:] == ["--worker", "-m", "nnmath", "train"]


def test_a_command_on_path_is_run_by_its_file(monkeypatch, tmp_path):
    monkeypatch.setattr(launcher.shutil, "which", lambda name: f"/venv/bin/{name}")
    assert launcher._program("nnmath") == "/venv/bin/nnmath"
    script = tmp_path / "train.py"
    script.write_text("")
    assert launcher._program(str(script)) == str(script)


def test_worker_variables_come_from_the_mpi_launcher(monkeypatch):
    for name in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "SLURM_PROCID"):
        monkeypatch.delenv(name, raising=False)
    assert launcher._rank_variables() == {"RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0", "LOCAL_WORLD_SIZE": "1"}
    monkeypatch.setenv("PMI_RANK", "3")
    monkeypatch.setenv("PMI_SIZE", "4")
    monkeypatch.setenv("MPI_LOCALRANKID", "1")
    monkeypatch.setenv("MPI_LOCALNRANKS", "2")
    assert launcher._rank_variables() == {"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"}


def test_reduce_op_names_and_numbers_are_pytorchs():
    assert [(op.name, op.value) for op in dist.ReduceOp][:5] == [("SUM", 0), ("AVG", 1), ("PRODUCT", 2), ("MIN", 3),
                                                                 ("MAX", 4)]
