"""How many threads the BLAS behind NumPy uses: PyTorch's ``set_num_threads`` / ``get_num_threads``.

nnmath's heavy work is matrix products in NumPy's BLAS (OpenBLAS in NumPy's wheels). Two processes
that each run one BLAS thread per core oversubscribe the machine, and OpenBLAS then slows down by
several times; ``set_num_threads`` lets each process take its share (the test suite gives each
pytest-xdist worker ``cores // workers``). The library is found among the shared objects the process
has loaded, and its setter called; with a BLAS whose setter is unknown these functions do nothing
and ``get_num_threads`` returns ``os.cpu_count()``.

Unless the threads were chosen (``set_num_threads``, or ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
``MKL_NUM_THREADS`` in the environment), nnmath keeps its BLAS within the process's fair share of the
cores: at most every ``ADAPT_SECONDS`` (from ``backward``), :func:`adapt_threads` measures how many
cores other processes kept busy since its last look (the machine's busy time in ``/proc/stat`` less
this process's CPU time) and sets the threads to the cores they leave (:func:`fair_share`), at least
one. OpenBLAS splits a product evenly among its threads, which then wait for the slowest: on cores
other processes keep busy, one descheduled thread stalls the others (measured with a load of 10 on 2
cores: a seed CNN step 4.8 s with 2 threads, 0.65 s with 1; ``benchmarks/contention.py``). The load
average would be simpler but lags by a minute: just after other work ends, it would still cost this
process a core. Off Linux the policy does nothing.
"""
from __future__ import annotations

import ctypes
import os
import time

import numpy as np  # noqa: F401  (loads NumPy's BLAS, so that it is among the mapped libraries)

_SETTERS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads",
            "MKL_Set_Num_Threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads",
            "MKL_Get_Max_Threads")
_blas = None
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: Seconds between two looks at the machine's load by :func:`adapt_threads`.
ADAPT_SECONDS = 2.0
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# chosen: threads set by the user (no policy); wall, cpu, machine: the clocks at the last look (this
# process's CPU seconds, all processes' busy CPU seconds); threads: set then
_policy = {"chosen": any(os.environ.get(v) for v in _THREAD_VARIABLES), "wall": None, "cpu": 0.0,
           "machine": None, "threads": None}


def _loaded_blas():
    """(setter, getter) of the BLAS library NumPy loaded, or (None, None)."""
    global _blas
    if _blas is None:
        _blas = (None, None)
        try:
            with open("/proc/self/maps") as maps:
                paths = {line.split()[-1] for line in maps if ("blas" in line or "mkl" in line) and "/" in line}
        except OSError:
            paths = set()
        for path in sorted(paths):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            setter = next((getattr(lib, s) for s in _SETTERS if hasattr(lib, s)), None)
            getter = next((getattr(lib, g) for g in _GETTERS if hasattr(lib, g)), None)
            if setter is not None:
                _blas = (setter, getter)
                break
    return _blas


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for NumPy's BLAS (matrix products, convolutions' GEMMs)."""
    if int(n) < 1:
        raise ValueError(f"set_num_threads: the number of threads must be positive, got {n}")
    _policy["chosen"] = True  # the caller decided: adapt_threads leaves it
    setter, _ = _loaded_blas()
    if setter is not None:
        setter(int(n))


def get_num_threads() -> int:
    """The number of threads NumPy's BLAS uses."""
    _, getter = _loaded_blas()
    return int(getter()) if getter is not None else (os.cpu_count() or 1)


def fair_share(others: float, cores: int) -> int:
    """Threads for this process: the cores that ``others`` (how many cores other processes kept busy)
    leave free, rounded to the nearest, at least one. A CPU-bound neighbour squeezed by this process's
    threads shows as about 0.67 of a core on two, and takes its core back."""
    return max(1, min(cores, int(cores - others + 0.5)))


def _machine_busy_seconds():
    """CPU seconds all processes have used since boot (``/proc/stat``), or None where it is absent."""
    try:
        with open("/proc/stat") as stat:
            user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, stat.readline().split()[1:9])
    except (OSError, ValueError):
        return None
    return (user + nice + system + irq + softirq + steal) / _TICKS


def adapt_threads() -> None:
    """Set NumPy's BLAS threads to this process's fair share of the cores (:func:`fair_share` of what
    other processes used since the last look), at most every ``ADAPT_SECONDS``; the first look only
    starts the measurement; nothing once threads were chosen."""
    if _policy["chosen"]:
        return
    wall = time.monotonic()
    last = _policy["wall"]
    if last is not None and wall - last < ADAPT_SECONDS:
        return
    cpu, machine = time.process_time(), _machine_busy_seconds()
    before_cpu, before_machine = _policy["cpu"], _policy["machine"]
    _policy.update(wall=wall, cpu=cpu, machine=machine)
    if last is None or machine is None or before_machine is None:
        return
    others = max(0.0, (machine - before_machine) - (cpu - before_cpu)) / (wall - last)
    threads = fair_share(others, len(os.sched_getaffinity(0)))
    setter, _ = _loaded_blas()
    if setter is not None and threads != _policy["threads"]:
        setter(threads)
        _policy["threads"] = threads


adapt_threads()  # at import: the measurement's first look
