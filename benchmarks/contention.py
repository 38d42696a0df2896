"""Threads on a busy machine: each workload alone, then beside CPU-bound neighbour processes, for
nnmath and PyTorch; the slowdown is (time per step beside the neighbours) / (time per step alone).

    python benchmarks/contention.py                     # MLP and seed CNN steps, one neighbour
    python benchmarks/contention.py --neighbours 2      # one busy process per core of a 2-core machine
    python benchmarks/contention.py --threads 1         # both libraries told to use one thread

A neighbour is a process looping over NumPy's ``sin`` on a 1 M-element array: one core kept busy, no
threads of its own. Alone and beside the neighbours alternate ``--rounds`` times (the median of each
is reported), so that load from elsewhere that comes and goes falls on both. Times are wall-clock: the
point is how long a step takes when the cores are shared. On a machine other work already loads, the
"alone" time is already contended: the load average is printed with the results.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import pathlib
import statistics
import sys
import time
import warnings

sys.path.insert(0, str(pathlib.Path(__file__).parent))

import cnn  # noqa: E402
import mlp  # noqa: E402

WORKLOADS = {"MLP step (b=128, SGD)": mlp.CASES[0].setup, "seed CNN step (b=64, Adam)": cnn.CASES[0].setup}


def _busy(stop):
    """A CPU-bound neighbour: one core's worth of elementwise NumPy work until ``stop`` is set."""
    import numpy as np
    a = np.random.default_rng(0).random(1 << 20)
    while not stop.is_set():
        np.sin(a, out=a)


def _seconds_per_step(step, seconds):
    """Median wall time of one step over about ``seconds`` of steps (after one warm-up step)."""
    step()
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < 3:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _beside_neighbours(n, measure):
    """``measure()`` while ``n`` neighbour processes run."""
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    procs = [context.Process(target=_busy, args=(stop,), daemon=True) for _ in range(n)]
    for p in procs:
        p.start()
    time.sleep(0.5)  # let them start spinning
    try:
        return measure()
    finally:
        stop.set()
        for p in procs:
            p.join()


def slowdowns(step, neighbours, rounds, seconds):
    """(median time alone, median time beside ``neighbours`` busy processes), alternating ``rounds`` times."""
    alone, beside = [], []
    for _ in range(rounds):
        alone.append(_seconds_per_step(step, seconds))
        beside.append(_beside_neighbours(neighbours, lambda: _seconds_per_step(step, seconds)))
    return statistics.median(alone), statistics.median(beside)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--neighbours", type=int, default=1, help="CPU-bound processes beside the workload")
    parser.add_argument("--threads", type=int, help="set_num_threads(N) for both libraries (default: theirs)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of alone / beside the neighbours")
    parser.add_argument("--seconds", type=float, default=2.0, help="timing per measurement")
    parser.add_argument("-k", default="", help="only workloads whose name contains this text")
    args = parser.parse_args(argv)

    warnings.filterwarnings("ignore", message=".*dropout2d")  # the seed CNN's Dropout2d on (N, 128) inputs
    import nnmath
    libs = {"nnmath": nnmath}
    try:
        import torch
        libs["torch"] = torch
    except ImportError:
        pass
    if args.threads:
        for lib in libs.values():
            lib.set_num_threads(args.threads)
    threads = ", ".join(f"{name} {lib.get_num_threads()}" for name, lib in libs.items())
    print(f"{os.cpu_count()} cpus, threads: {threads}; {args.neighbours} neighbour(s); "
          f"load average before: {os.getloadavg()[0]:.1f}")
    print(f"{'workload':28s} {'library':8s} {'alone ms':>9s} {'beside ms':>10s} {'slowdown':>9s}")
    for name, setup in WORKLOADS.items():
        if args.k not in name:
            continue
        for lib_name, lib in libs.items():
            alone, beside = slowdowns(setup(lib), args.neighbours, args.rounds, args.seconds)
            print(f"{name:28s} {lib_name:8s} {alone * 1e3:9.2f} {beside * 1e3:10.2f} {beside / alone:8.2f}x",
                  flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
