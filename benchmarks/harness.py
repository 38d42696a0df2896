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


def run(cases, libs, min_time=0.5, clock=time.perf_counter):
    """Print one row per case: nnmath's time, PyTorch's, and nnmath / PyTorch (time ratio)."""
    rows = []
    print(f"{'benchmark':44s} {'nnmath':>18s} {'torch':>18s} {'ratio':>7s}")
    for case in cases:
        times = {}
        try:
            for name, lib in libs.items():
                times[name] = measure(case.setup(lib), min_time, clock=clock)
        except (AttributeError, NotImplementedError) as e:
            print(f"{case.name:44s} unavailable: {type(e).__name__}: {e}", flush=True)
            continue
        ours = times["nnmath"]
        theirs = times.get("torch")
        ratio = f"{ours / theirs:6.2f}x" if theirs else "   n/a"
        print(f"{case.name:44s} {_format(ours, case):>18s} "
              f"{_format(theirs, case) if theirs else 'n/a':>18s} {ratio:>7s}", flush=True)
        rows.append({"name": case.name, "nnmath_s": ours, "torch_s": theirs,
                     "ratio": ours / theirs if theirs else None})
    return rows
