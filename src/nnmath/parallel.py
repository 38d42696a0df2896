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

The same share of threads runs nnmath's own kernels that NumPy leaves on one thread (attention,
GELU, erf, layer normalisation, convolution and pooling over images, ReLU, ``where``): :func:`parallel_for`
splits such a kernel into independent pieces, one per thread. NumPy releases the GIL inside its
loops, so the pieces run at once.

OpenBLAS's idle threads spin for about 2²⁸ cycles (0.1 s) after each product before they sleep, and
so hold the other core through the elementwise work between two products, where those pieces would
run: :func:`_shorten_blas_spin` restarts them, at import, with a spin of 2²⁰ cycles (about 0.4 ms,
enough to bridge back-to-back products). Measured on a char-GPT step (2 cores): 580 ms with the long
spin, 455 ms with the short one; an idle core after a product used 110 ms of CPU in the next 0.3 s
before, 4 ms after.
"""
from __future__ import annotations

import ctypes
import os
import threading
import time

import numpy as np  # (also loads NumPy's BLAS, so that it is among the mapped libraries)

from nnmath.backend import run_kernel

_SETTERS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads",
            "MKL_Set_Num_Threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads",
            "MKL_Get_Max_Threads")
_blas = None
_blas_library = None
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
    global _blas, _blas_library
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
                _blas, _blas_library = (setter, getter), lib
                break
    return _blas


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for NumPy's BLAS (matrix products, convolutions' GEMMs) and for nnmath's own
    threaded kernels (:func:`parallel_for`)."""
    if int(n) < 1:
        raise ValueError(f"set_num_threads: the number of threads must be positive, got {n}")
    _policy["chosen"] = True  # the caller decided: adapt_threads leaves it
    setter, _ = _loaded_blas()
    if setter is not None:
        setter(int(n))


def get_num_threads() -> int:
    """The number of threads NumPy's BLAS uses, and nnmath's own kernels with it."""
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


#: log₂ of the cycles OpenBLAS's idle threads spin before they sleep (OpenBLAS's own default: 28).
BLAS_SPIN = 20


def _shorten_blas_spin() -> None:
    """Restart OpenBLAS's threads with a spin of 2^``BLAS_SPIN`` cycles, unless OPENBLAS_THREAD_TIMEOUT
    chose one. OpenBLAS reads the spin from the environment when it starts its threads; its
    ``openblas_read_env``, ``blas_thread_shutdown_`` and ``blas_thread_init`` (what it runs around a
    fork) read the variable again and restart them; the environment is then left as it was."""
    if os.environ.get("OPENBLAS_THREAD_TIMEOUT") or _loaded_blas()[0] is None:
        return
    lib = _blas_library
    if lib is None or not all(hasattr(lib, f) for f in ("openblas_read_env", "blas_thread_shutdown_",
                                                        "blas_thread_init")):
        return
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = str(BLAS_SPIN)
    try:
        lib.openblas_read_env()
        lib.blas_thread_shutdown_()
        lib.blas_thread_init()
    finally:
        del os.environ["OPENBLAS_THREAD_TIMEOUT"]


class _Worker:
    """A thread that runs one piece of a :func:`parallel_for` at a time: the caller hands it the piece and
    releases ``go``; it releases ``done`` when the piece has ended, keeping the piece's exception in
    ``error``. Two locks are the cheapest handoff CPython has: a round trip took 16–18 µs on the
    benchmark VM, against 24–37 µs for ``ThreadPoolExecutor.submit().result()`` and 67–96 µs for a
    whole parallel_for through that executor and ``concurrent.futures.wait``, which made exp of 196,608
    floats on 2 threads (308 µs) slower than on one (260 µs)."""

    def __init__(self):
        self.go, self.done = threading.Lock(), threading.Lock()
        self.go.acquire()
        self.done.acquire()
        self.piece = self.error = None
        threading.Thread(target=self._serve, name="nnmath-piece", daemon=True).start()

    def _serve(self):
        _inside.active = True  # a parallel_for inside a piece runs whole
        while True:
            self.go.acquire()
            body, lo, hi = self.piece
            self.piece = None
            try:
                body(lo, hi)
            except BaseException as error:  # raised again by the caller, in its own thread
                self.error = error
            self.done.release()

    def start(self, body, lo: int, hi: int) -> None:
        self.piece = (body, lo, hi)
        self.go.release()

    def join(self):
        """Wait for the piece to end; its exception, or None."""
        self.done.acquire()
        error, self.error = self.error, None
        return error


# The workers, made on first use; ``busy`` is held while one parallel_for uses them (a call from another
# of the caller's threads meanwhile runs whole). A forked child starts with none: the parent's threads
# do not exist there, and a lock held at the fork would stay held.
_pool = {"workers": [], "busy": threading.Lock()}
_inside = threading.local()


def _reset_pool() -> None:
    _pool.update(workers=[], busy=threading.Lock())


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_pool)


def parallel_for(total: int, body, min_piece: int = 1) -> None:
    """Call ``body(lo, hi)`` on consecutive pieces of ``range(total)`` that cover it, one piece per thread
    of this process's share (:func:`get_num_threads`), each at least ``min_piece`` long; the calling
    thread takes the first piece. The pieces must be independent (each writes its own part of the
    outputs). Meanwhile the BLAS runs one thread per call: OpenBLAS called from two threads at once, each
    with two threads of its own, ran a batch of small products 2.7 times slower than with one (measured:
    14.6 ms against 5.5 ms). A call from inside a piece, or while another of the caller's threads has
    the workers, runs its body whole, on its own thread."""
    threads = 1 if getattr(_inside, "active", False) else min(get_num_threads(), total // max(1, min_piece))
    busy = _pool["busy"]
    if threads <= 1 or not busy.acquire(blocking=False):
        body(0, total)
        return
    try:
        workers = _pool["workers"]
        while len(workers) < threads - 1:
            workers.append(_Worker())
        bounds = [total * i // threads for i in range(threads + 1)]
        _enter_region()
        try:
            _run_pieces(workers, body, bounds)
        finally:
            _leave_region()
    finally:
        busy.release()


def _run_pieces(workers, body, bounds) -> None:
    """The first piece on this thread, the others on ``workers``; raises the first piece's error once
    every piece has ended (nothing then still writes into the outputs)."""
    started = []
    try:
        for worker, lo, hi in zip(workers, bounds[1:-1], bounds[2:]):
            worker.start(body, lo, hi)
            started.append(worker)
        _piece(body, bounds[0], bounds[1])
    finally:
        errors = [worker.join() for worker in started]
    error = next((e for e in errors if e is not None), None)
    if error is not None:
        raise error


# The BLAS's threads while parallel_for runs anywhere in the process (calls from several of the
# caller's threads may overlap): the first to enter sets one thread, the last to leave restores them.
_regions = {"count": 0, "blas_threads": None}
_regions_lock = threading.Lock()


def _enter_region() -> None:
    setter, _ = _loaded_blas()
    with _regions_lock:
        if _regions["count"] == 0:
            _regions["blas_threads"] = get_num_threads()
            if setter is not None:
                setter(1)
        _regions["count"] += 1


def _leave_region() -> None:
    setter, _ = _loaded_blas()
    with _regions_lock:
        _regions["count"] -= 1
        if _regions["count"] == 0 and setter is not None:
            setter(_regions["blas_threads"])


def shares_threads(array) -> bool:
    """Whether work on ``array`` may be split over threads: a NumPy array, not a GPU's (its device runs
    it), nor the compiler's traced stand-in (its record must be in call order)."""
    return type(array) is np.ndarray


def split_rows(kernel, inputs, outputs, min_elements: int = 2 ** 16, **shared) -> None:
    """``kernel(*input pieces, *output pieces, **shared)`` where the pieces are consecutive slices
    ``a[lo:hi]`` of each array along its first axis, run at once by :func:`parallel_for` when the first
    input :func:`shares_threads` and has at least ``min_elements`` numbers, each piece at least that many;
    otherwise ``kernel(*inputs, *outputs, **shared)`` once. ``shared`` are arguments every piece gets
    whole (arrays broadcast along the rows, plain values). The kernel writes its results into its output
    pieces: rows must not depend on each other. A trace records the whole split as one call
    (:func:`nnmath.backend.run_kernel`), so that its replay splits too."""
    run_kernel(_split_rows, kernel, tuple(inputs), min_elements, out=tuple(outputs), **shared)


def _split_rows(kernel, inputs, min_elements, *, out, **shared):
    arrays = inputs + out
    first = arrays[0]
    if not shares_threads(first) or first.ndim == 0 or first.size < 2 * min_elements:
        kernel(*arrays, **shared)
        return out
    row = first.size // first.shape[0]
    parallel_for(first.shape[0], lambda lo, hi: kernel(*(a[lo:hi] for a in arrays), **shared),
                 min_piece=-(-min_elements // max(row, 1)))
    return out


def _piece(body, lo: int, hi: int) -> None:
    _inside.active = True
    try:
        body(lo, hi)
    finally:
        _inside.active = False


_shorten_blas_spin()
adapt_threads()  # at import: the measurement's first look
