"""Shared plumbing of the worked examples in ``examples/math``: the command line, atomic PNG writes and MNIST.

Only the mathematics lives in the example scripts; this file holds what every one of them needs.
"""
from __future__ import annotations

import argparse
import io
import os

import numpy as np

from nnmath._atomic import atomic_write_bytes


def parser(name: str, doc: str, mnist: bool = False) -> argparse.ArgumentParser:
    """An argument parser with ``--out`` (default ``runs/<name>``), ``--seed`` and, for MNIST examples,
    ``--data-dir`` (default ``$NNMATH_DATA``)."""
    p = argparse.ArgumentParser(prog=f"{name}.py", description=doc.splitlines()[0])
    p.add_argument("--out", default=os.path.join("runs", name), help="directory for the PNG (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    if mnist:
        p.add_argument("--data-dir", default=os.environ.get("NNMATH_DATA"),
                       help="directory holding the four MNIST .gz IDX files (default: $NNMATH_DATA)")
    return p


def save_figure(fig, out, filename: str) -> str:
    """Render a matplotlib Figure to PNG and write it to ``out/filename`` atomically; return the path."""
    os.makedirs(out, exist_ok=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    path = os.path.join(os.fspath(out), filename)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def figure(*subplots_args, figsize=None, **subplots_kwargs):
    """A matplotlib Figure on the Agg canvas (no pyplot, no display needed) and its ``subplots(...)`` axes
    (None when no arguments are given: add subfigures or axes yourself)."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(*subplots_args, **subplots_kwargs) if subplots_args or subplots_kwargs else None
    return fig, axes


def load_mnist(data_dir, train: bool = True, n: int | None = None, seed: int = 0):
    """MNIST images as float64 in [0, 1], shape (n, 784), and int64 labels (n,): a random subset of ``n``
    samples (drawn with ``seed``), or all of them when ``n`` is None."""
    from nnmath.vision.datasets import MNIST
    if not data_dir:
        raise SystemExit("MNIST not found: pass --data-dir DIR (the directory holding the four .gz IDX files) "
                         "or set NNMATH_DATA")
    dataset = MNIST(root=data_dir, train=train)
    images, labels = dataset.data.numpy(), dataset.targets.numpy()
    if n is not None and n < len(labels):
        rows = np.sort(np.random.default_rng(seed).choice(len(labels), size=n, replace=False))
        images, labels = images[rows], labels[rows]
    return images.reshape(len(labels), -1).astype(np.float64) / 255.0, labels.astype(np.int64)
