"""Run nnmath's benchmarks against PyTorch in one process and print the time ratios.

    python benchmarks/run.py                   # everything, eager and compiled (nnmath.compile)
    python benchmarks/run.py -k matmul         # cases whose name contains 'matmul'
    python benchmarks/run.py --cpu-time        # one thread each, CPU time: for a machine shared with other work
    python benchmarks/run.py --torch-compile   # also PyTorch under torch.compile (minutes of compiling)
    python benchmarks/run.py --json out.json   # also write the rows as records

A ratio is nnmath's time / PyTorch's time on this machine, in this run: below 1 means nnmath is
faster. A "[compiled]" row times the step through nnmath.compile and divides by PyTorch's eager
time. PyTorch is optional; without it only nnmath's numbers are printed.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import pathlib
import platform
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from harness import run  # noqa: E402

SUITES = ["core", "mlp", "cnn", "lstm", "gpt"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", default="", help="only cases whose name contains this text")
    parser.add_argument("--min-time", type=float, default=0.5, help="seconds of timing per case and library")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--no-compiled", action="store_true", help="eager rows only")
    parser.add_argument("--torch-compile", action="store_true",
                        help="time PyTorch under torch.compile too (needs a C++ compiler; slow to compile)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="one thread per library, timed by this process's CPU time: steadier than wall-clock "
                             "time when other work shares the cores")
    args = parser.parse_args(argv)

    import numpy as np
    import nnmath
    libs = {"nnmath": nnmath}
    try:
        import torch
        libs["torch"] = torch
        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    if args.cpu_time:
        for lib in libs.values():
            lib.set_num_threads(1)
    print(f"python {platform.python_version()}, numpy {np.__version__}, torch {torch_version}, "
          f"{os.cpu_count()} cpus, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '-')}, "
          f"load {os.getloadavg()[0]:.1f}, {'CPU time, 1 thread' if args.cpu_time else 'wall-clock time'}")
    rows = []
    for suite in SUITES:
        try:
            module = importlib.import_module(suite)
        except ModuleNotFoundError as e:
            if e.name == suite:
                continue
            raise
        cases = [c for c in module.CASES if args.k in c.name]
        if cases:
            rows += run(cases, libs, args.min_time, time.process_time if args.cpu_time else time.perf_counter,
                        compiled=not args.no_compiled, torch_compile=args.torch_compile)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
