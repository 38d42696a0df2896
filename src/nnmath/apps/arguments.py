"""Argument types for the ``nnmath`` commands: a value is checked when it is parsed, so a bad one stops
the command before anything runs or is written, with one line naming the option, the value and what
was expected (``nnmath train mnist: error: argument --epochs: must be a positive integer (1, 2, ...),
got '0'``), exit status 2.

Each type is a function from the command-line text to the value, raising
:class:`argparse.ArgumentTypeError` with the expectation; use it as ``parser.add_argument("--epochs",
type=positive_int)``. They import nothing of nnmath, so building the parser loads no program.
"""
from __future__ import annotations

import argparse
import math
import os

__all__ = ["existing_directory", "existing_file", "non_negative_float", "non_negative_int",
           "output_directory", "output_file", "positive_float", "positive_int", "seed"]

#: The largest seed: nnmath's and NumPy's generators take seeds in [0, 2⁶⁴).
MAX_SEED = 2 ** 64 - 1


def _checked(text: str, convert, valid, expected: str):
    """``convert(text)`` if it converts and is ``valid``; else an ArgumentTypeError naming ``expected``."""
    try:
        value = convert(text)
    except ValueError:
        value = None
    if value is None or not valid(value):
        raise argparse.ArgumentTypeError(f"must be {expected}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An integer ≥ 1 (epochs, batch size, sequence length, layers, ...)."""
    return _checked(text, int, lambda value: value >= 1, "a positive integer (1, 2, ...)")


def non_negative_int(text: str) -> int:
    """An integer ≥ 0 (a length that may be empty)."""
    return _checked(text, int, lambda value: value >= 0, "an integer ≥ 0")


def seed(text: str) -> int:
    """A seed of the random generators: an integer in [0, 2⁶⁴)."""
    return _checked(text, int, lambda value: 0 <= value <= MAX_SEED, f"an integer from 0 to {MAX_SEED} (a seed)")


def positive_float(text: str) -> float:
    """A finite number > 0 (a learning rate)."""
    return _checked(text, float, lambda value: math.isfinite(value) and value > 0, "a finite number > 0")


def non_negative_float(text: str) -> float:
    """A finite number ≥ 0 (a sampling temperature, where 0 means the most likely choice)."""
    return _checked(text, float, lambda value: math.isfinite(value) and value >= 0, "a finite number ≥ 0")


def existing_file(text: str) -> str:
    """The path of a file that exists and can be read."""
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(f"no such file: {text!r}")
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is a directory, expected a file")
    if not os.access(text, os.R_OK):
        raise argparse.ArgumentTypeError(f"{text!r} cannot be read (permission denied)")
    return text


def existing_directory(text: str) -> str:
    """The path of a directory that exists."""
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(f"no such directory: {text!r}")
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is a file, expected a directory")
    return text


def output_file(text: str) -> str:
    """The path of a file to write: its directory exists, and it is not itself a directory."""
    directory = os.path.dirname(os.path.abspath(text))
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is a directory, expected a file name")
    if not os.path.isdir(directory):
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: its directory {directory!r} does not exist")
    return text


def output_directory(text: str) -> str:
    """The path of a directory to write into (created when the run has something to write): not a file,
    and not under a file."""
    path = os.path.abspath(text)
    while not os.path.exists(path):
        path = os.path.dirname(path)
    if not os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"cannot write into {text!r}: {path!r} is a file, not a directory")
    return text
