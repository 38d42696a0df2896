"""The ``nnmath`` command line: ``nnmath demo`` (and, as they land, ``nnmath train ...``)."""
from __future__ import annotations

import argparse
import sys


def _demo(args) -> int:
    """The seeds' linear regression done right (nnmath/demos/linear_regression.py)."""
    from nnmath.demos.linear_regression import main
    main(lr=args.lr, steps=args.steps, seed=args.seed)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="nnmath", description="nnmath: deep learning built on its mathematics")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="fit a line by autodiff and by the normal equations; check the seeds' gradients (offline, seconds)")
    demo.add_argument("--steps", type=int, default=1000)
    demo.add_argument("--lr", type=float, default=0.1)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
