"""Launch N copies of a program as one MPI job: ``python -m nnmath.distributed.run -n 4 script.py ARGS``
(or a module with ``-m``, or a command such as ``nnmath train mnist --distributed``).

It runs ``mpiexec -n 4 python -m nnmath.distributed.run --worker script.py ARGS``. Each worker sets
the variables PyTorch's launcher (torchrun) sets, from those MPI's launcher gives it (``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``), then runs the script as ``__main__``. A worker
whose script raises ends the whole job (``MPI_Abort``), so no rank is left waiting.

Several machines: ``--hostfile FILE`` (MPICH's format: one ``host[:slots]`` per line; every machine
needs the same Python environment and the script at the same path, and passwordless ssh between them).
More processes than cores: MPICH runs them without a flag; with Open MPI's ``mpiexec``, pass
``--oversubscribe``, which is forwarded. Each process gets ``OMP_NUM_THREADS`` = cores / N (at least
1) unless it is set, so that N processes do not each start a BLAS thread per core.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import runpy
import shutil
import signal
import subprocess
import sys
import traceback

from nnmath.distributed.mpi import abort_job

_INSTALL = ("pip install 'nnmath[distributed]' (the mpich and mpi4py wheels: mpiexec lands in this environment's "
            "bin/), or install a system MPI (apt-get install mpich)")

_FATAL_SIGNALS = {int(signal.SIGKILL), int(signal.SIGTERM), int(signal.SIGSEGV), int(signal.SIGABRT),
                  int(signal.SIGBUS), int(signal.SIGINT)}

#: Where MPI launchers put a process's rank, the world size, and its rank and count on its machine.
_LAUNCHER_VARIABLES = {
    "hydra (MPICH)": ("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"),
    "Open MPI": ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
                 "OMPI_COMM_WORLD_LOCAL_SIZE"),
    "Slurm": ("SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_NTASKS_PER_NODE"),
}


def find_mpiexec() -> str | None:
    """The ``mpiexec`` beside this Python (a venv's, from the mpich wheel), else the first on PATH."""
    beside = pathlib.Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def _is_open_mpi(mpiexec: str) -> bool:
    try:
        version = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "Open MPI" in version or "OpenRTE" in version


def _program(script: str) -> str:
    """The program's path: ``script`` itself, or, when no such file exists, the command of that name
    on PATH (a console script such as ``nnmath`` is a Python file)."""
    if pathlib.Path(script).exists():
        return script
    return shutil.which(script) or script


def mpiexec_command(args, mpiexec: str) -> list[str]:
    """The command line that starts the job: mpiexec, its options, then N workers."""
    command = [mpiexec, "-n", str(args.nproc_per_node)]
    if args.hostfile:
        command += ["-f" if not _is_open_mpi(mpiexec) else "--hostfile", args.hostfile]
    if args.oversubscribe and _is_open_mpi(mpiexec):
        command.append("--oversubscribe")
    command += [sys.executable, "-m", "nnmath.distributed.run", "--worker"]
    command += ["-m", args.script] if args.module else [_program(args.script)]
    return command + args.script_args


def _launch(args) -> int:
    mpiexec = find_mpiexec()
    if mpiexec is None:
        print(f"nnmath.distributed.run: no MPI launcher (mpiexec) was found. Install one: {_INSTALL}",
              file=sys.stderr)
        return 2
    environment = dict(os.environ)
    if not args.hostfile:
        environment.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // args.nproc_per_node)))
    code = subprocess.run(mpiexec_command(args, mpiexec), env=environment).returncode
    if code != 0:
        print(f"nnmath.distributed.run: the job of {args.nproc_per_node} processes failed: {_describe(code)}. "
              "The first error printed above comes from the rank that failed first; MPI then ended the others.",
              file=sys.stderr)
    return code


def _describe(code: int) -> str:
    """MPICH's mpiexec exits with a killed rank's signal number as its code (9: SIGKILL)."""
    number = -code if code < 0 else code
    if number in _FATAL_SIGNALS:
        return f"exit code {code} (a rank was killed by signal {number}, {signal.Signals(number).name}?)"
    return f"exit code {code}"


def _rank_variables() -> dict:
    """RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE from the MPI launcher's variables."""
    for names in _LAUNCHER_VARIABLES.values():
        if names[0] in os.environ:
            values = [os.environ.get(name) for name in names]
            rank, size = values[0], values[1]
            local_rank = values[2] if values[2] is not None else rank
            local_size = values[3] if values[3] is not None else size
            return {"RANK": rank, "WORLD_SIZE": size, "LOCAL_RANK": local_rank, "LOCAL_WORLD_SIZE": local_size}
    return {"RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0", "LOCAL_WORLD_SIZE": "1"}


def _work(args) -> int:
    """One rank: set the launcher variables, run the program, and end the job if it raises."""
    os.environ.update(_rank_variables())
    sys.argv = [args.script] + args.script_args
    try:
        if args.module:
            runpy.run_module(args.script, run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, str(pathlib.Path(args.script).resolve().parent))
            runpy.run_path(args.script, run_name="__main__")
    except SystemExit as done:
        if done.code not in (None, 0):
            _abort_job(f"sys.exit({done.code!r})")
    except BaseException as error:  # noqa: BLE001  (any failure must end all ranks, not only this one)
        traceback.print_exc()
        _abort_job(type(error).__name__)
    return 0


def _abort_job(reason: str):
    """End every rank: a rank that never reaches a collective would otherwise leave the others
    waiting for it, even inside MPI's start-up (which a rank that failed before it never joins)."""
    rank, size = os.environ["RANK"], os.environ["WORLD_SIZE"]
    message = f"nnmath.distributed.run: rank {rank} of {size} stopped on {reason}; ending all ranks (MPI_Abort)"
    if int(size) > 1:
        abort_job(message)
    sys.stderr.write(message + "\n")
    sys.exit(1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m nnmath.distributed.run",
                                     description="Run a program as N processes of one MPI job (torchrun's role).")
    parser.add_argument("-n", "--nproc-per-node", "--nproc_per_node", type=int, default=1, dest="nproc_per_node",
                        help="the number of processes (over all machines when --hostfile is given)")
    parser.add_argument("--hostfile", help="MPI host file: the machines to run on (default: this one)")
    parser.add_argument("--oversubscribe", action="store_true",
                        help="allow more processes than cores (needed by Open MPI's mpiexec; MPICH's allows it)")
    parser.add_argument("-m", "--module", action="store_true", help="run the program as a module (python -m)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("script", help="the program (or module name with -m)")
    parser.add_argument("script_args", nargs=argparse.REMAINDER, help="its arguments")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.nproc_per_node < 1:
        print(f"nnmath.distributed.run: -n must be at least 1, got {args.nproc_per_node}", file=sys.stderr)
        return 2
    return _work(args) if args.worker else _launch(args)


if __name__ == "__main__":
    sys.exit(main())
