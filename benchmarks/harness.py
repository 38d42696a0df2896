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
    return measure_alternating({"fn": fn}, min_time, repeats, clock)["fn"]


def measure_alternating(fns: dict, min_time=0.5, repeats=5, clock=time.perf_counter) -> dict:
    """:func:`measure` for several callables at once, their rounds taken in turn (round 1 of each, then
    round 2 of each, …): load that comes and goes on a shared machine then falls on all of them, not on
    whichever ran during it, and their ratio is steadier."""
    calls = {}
    for name, fn in fns.items():
        fn()  # warm-up: first-call allocations and caches
        t0 = clock()
        fn()
        calls[name] = max(1, int(min_time / repeats / max(clock() - t0, 1e-7)))
    rounds = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = clock()
            for _ in range(calls[name]):
                fn()
            rounds[name].append((clock() - t0) / calls[name])
    return {name: statistics.median(times) for name, times in rounds.items()}


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
    beside it. The steps of a case are timed in alternating rounds (:func:`measure_alternating`)."""
    rows = []
    extra = f" {'torch.compile':>18s}" if torch_compile else ""
    print(f"{'benchmark':56s} {'nnmath':>18s} {'torch':>18s} {'ratio':>7s}{extra}")
    for case in cases:
        try:
            times = measure_alternating({name: case.setup(lib) for name, lib in libs.items()}, min_time, clock=clock)
        except (AttributeError, NotImplementedError) as e:
            print(f"{case.name:56s} unavailable: {type(e).__name__}: {e}", flush=True)
            continue
        rows.append(_row(case, case.name, "eager", times["nnmath"], times.get("torch")))
        if compiled:
            # A second alternation: the compiled step trains the eager step's model (the same weights as
            # PyTorch's), so the two must not take turns with each other.
            steps = {"compiled": _warm(libs["nnmath"].compile(case.setup(libs["nnmath"])))}
            if "torch" in libs:
                steps["torch"] = case.setup(libs["torch"])
                if torch_compile:
                    steps["torch.compile"] = _warm(libs["torch"].compile(case.setup(libs["torch"])))
            again = measure_alternating(steps, min_time, clock=clock)
            rows.append(_row(case, case.name + " [compiled]", "compiled", again["compiled"], again.get("torch"),
                             again.get("torch.compile")))
    return rows


def _row(case, name, mode, ours, theirs, theirs_compiled=None):
    ratio = f"{ours / theirs:6.2f}x" if theirs else "   n/a"
    extra = f" {_format(theirs_compiled, case):>18s}" if theirs_compiled else ""
    print(f"{name:56s} {_format(ours, case):>18s} {_format(theirs, case) if theirs else 'n/a':>18s} {ratio:>7s}{extra}",
          flush=True)
    return {"name": case.name, "mode": mode, "nnmath_s": ours, "torch_s": theirs, "torch_compile_s": theirs_compiled,
            "ratio": ours / theirs if theirs else None}
