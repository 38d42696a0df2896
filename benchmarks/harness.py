"""Timing nnmath and PyTorch side by side: the same work, in one process, reported as a ratio."""
from __future__ import annotations

import dataclasses
import statistics
import time
from typing import Callable


@dataclasses.dataclass
class Case:
    """One benchmark: ``setup(lib)`` returns a zero-argument callable doing one unit of work with
    ``lib`` (``nnmath`` or ``torch``); ``units`` converts seconds per call into the reported unit."""
    name: str
    setup: Callable
    unit: str = "ms"
    per_call: float = 1.0          # how many reported units one call is (e.g. 1000 ops)
    flops: float | None = None     # per call, to report GFLOP/s


def measure(fn, min_time=0.5, repeats=5, clock=time.perf_counter) -> float:
    """Median seconds per call over ``repeats`` rounds, each at least ``min_time / repeats`` long, read
    from ``clock`` (wall-clock by default; ``time.process_time`` counts this process's CPU time only)."""
    fn()  # warm-up: first-call allocations and caches
    t0 = clock()
    fn()
    once = max(clock() - t0, 1e-7)
    n = max(1, int(min_time / repeats / once))
    rounds = []
    for _ in range(repeats):
        t0 = clock()
        for _ in range(n):
            fn()
        rounds.append((clock() - t0) / n)
    return statistics.median(rounds)


def _format(seconds, case: Case) -> str:
    if case.flops:
        return f"{case.flops / seconds / 1e9:8.1f} GFLOP/s"
    scale = {"ms": 1e3, "us": 1e6, "s": 1.0}[case.unit]
    return f"{seconds * scale / case.per_call:8.2f} {case.unit}"


def _warm(fn, calls=3):
    """A compiled step after its eager, traced and first replayed calls (or torch.compile's compilation)."""
    for _ in range(calls):
        fn()
    return fn


def run(cases, libs, min_time=0.5, clock=time.perf_counter, compiled=True, torch_compile=False):
    """Print one row per case: nnmath's time, PyTorch's, and nnmath / PyTorch (time ratio), read from
    ``clock``; with ``compiled``, a second row per case for the step through ``nnmath.compile`` (its
    ratio is to PyTorch's eager time), and with ``torch_compile`` PyTorch's time under ``torch.compile``
    beside it."""
    rows = []
    extra = f" {'torch.compile':>18s}" if torch_compile else ""
    print(f"{'benchmark':56s} {'nnmath':>18s} {'torch':>18s} {'ratio':>7s}{extra}")
    for case in cases:
        times = {}
        try:
            for name, lib in libs.items():
                times[name] = measure(case.setup(lib), min_time, clock=clock)
        except (AttributeError, NotImplementedError) as e:
            print(f"{case.name:56s} unavailable: {type(e).__name__}: {e}", flush=True)
            continue
        ours = times["nnmath"]
        theirs = times.get("torch")
        rows.append(_row(case, case.name, "eager", ours, theirs))
        if compiled:
            nnmath = libs["nnmath"]
            ours = measure(_warm(nnmath.compile(case.setup(nnmath))), min_time, clock=clock)
            theirs_compiled = None
            if torch_compile and "torch" in libs:
                torch = libs["torch"]
                theirs_compiled = measure(_warm(torch.compile(case.setup(torch))), min_time, clock=clock)
            rows.append(_row(case, case.name + " [compiled]", "compiled", ours, theirs, theirs_compiled))
    return rows


def _row(case, name, mode, ours, theirs, theirs_compiled=None):
    ratio = f"{ours / theirs:6.2f}x" if theirs else "   n/a"
    extra = f" {_format(theirs_compiled, case):>18s}" if theirs_compiled else ""
    print(f"{name:56s} {_format(ours, case):>18s} {_format(theirs, case) if theirs else 'n/a':>18s} {ratio:>7s}{extra}",
          flush=True)
    return {"name": case.name, "mode": mode, "nnmath_s": ours, "torch_s": theirs, "torch_compile_s": theirs_compiled,
            "ratio": ours / theirs if theirs else None}
