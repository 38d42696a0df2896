"""The ``nnmath`` command line.

    nnmath demo                       the seeds' linear regression, done right (offline, seconds)
    nnmath train mnist [...]          the seed CNN on MNIST / Fashion-MNIST
    nnmath train char-lm [...]        an LSTM language model on Tiny Shakespeare
    nnmath train speech-digits [...]  an LSTM on spoken digits
    nnmath generate char-lm [...]     sample text from a trained char-LM
    nnmath export [...]               a trained model to ONNX

Each command is a small function below that parses nothing itself: it receives the parsed
arguments and calls the program in ``nnmath.demos``. A command registers itself in
``TRAIN_COMMANDS`` (``nnmath train NAME``) or ``COMMANDS`` (``nnmath NAME``) with a function that
adds its options to an argparse parser.
"""
from __future__ import annotations

import argparse
import sys


def _demo_options(p):
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)


def _demo(args) -> int:
    """The seeds' linear regression done right (nnmath/demos/linear_regression.py)."""
    from nnmath.demos.linear_regression import main
    main(lr=args.lr, steps=args.steps, seed=args.seed)
    return 0


#: ``nnmath NAME``: name -> (help, add_options(parser), run(args) -> exit code)
COMMANDS = {
    "demo": ("fit a line by autodiff and by the normal equations; check the seeds' gradients (offline, seconds)",
             _demo_options, _demo),
}
#: ``nnmath train NAME``: name -> (help, add_options(parser), run(args) -> exit code)
TRAIN_COMMANDS = {}
#: ``nnmath generate NAME``: name -> (help, add_options(parser), run(args) -> exit code)
GENERATE_COMMANDS = {}


def _add_group(sub, name, help_text, commands):
    if not commands:
        return
    group = sub.add_parser(name, help=help_text).add_subparsers(dest="target", required=True)
    for target, (help_, add_options, run) in commands.items():
        p = group.add_parser(target, help=help_)
        add_options(p)
        p.set_defaults(func=run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nnmath", description="nnmath: deep learning built on its mathematics")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_, add_options, run) in COMMANDS.items():
        p = sub.add_parser(name, help=help_)
        add_options(p)
        p.set_defaults(func=run)
    _add_group(sub, "train", "train a model", TRAIN_COMMANDS)
    _add_group(sub, "generate", "sample from a trained model", GENERATE_COMMANDS)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
