"""The ``nnmath`` command line: ``nnmath demo`` (and, as they land, ``nnmath train ...``)."""
from __future__ import annotations

import argparse
import sys


def _demo(args) -> int:
    """Fit y = 2x + 1 + noise by gradient descent with autodiff and print what was recovered."""
    import nnmath as nm
    nm.manual_seed(args.seed)
    x = nm.rand(100, 1, dtype=nm.float64) * 2
    y = 2 * x + 1 + 0.1 * nm.randn(100, 1, dtype=nm.float64)
    w = nm.zeros(1, requires_grad=True, dtype=nm.float64)
    b = nm.zeros(1, requires_grad=True, dtype=nm.float64)
    for step in range(args.steps):
        loss = ((x * w + b - y) ** 2).mean()
        w.grad = b.grad = None
        loss.backward()
        with nm.no_grad():
            w -= args.lr * w.grad
            b -= args.lr * b.grad
    print(f"linear regression by autodiff: slope {w.item():.4f} (true 2), intercept {b.item():.4f} "
          f"(true 1), mse {loss.item():.5f} after {args.steps} steps")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="nnmath", description="nnmath: deep learning built on its mathematics")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="fit a line by gradient descent with autodiff (offline, seconds)")
    demo.add_argument("--steps", type=int, default=2000)
    demo.add_argument("--lr", type=float, default=0.1)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
