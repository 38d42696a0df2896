"""``MetricsLogger``: training curves as a CSV file and a PNG plot, readable without TensorBoard.

``log(step, loss=..., accuracy=...)`` records numbers; ``metrics.csv`` (one row per step, one column
per metric) is rewritten atomically every ``flush_secs`` and on :meth:`flush` / :meth:`close`, so the
file on disk is always complete; :meth:`plot` draws ``curves.png``, one panel per metric.

A run resumed from a checkpoint reopens the same directory: the rows already there are kept, and the
first step it logs that is earlier than the last one stored discards the stored rows from that step on,
since the resumed run recomputes them.
"""
from __future__ import annotations

import csv
import io
import os
import time

from nnmath._atomic import atomic_write, atomic_write_bytes
from nnmath._optional import require
from nnmath.tensor import Tensor

__all__ = ["MetricsLogger"]


class MetricsLogger:
    """Record scalar metrics per step into ``log_dir/metrics.csv`` and plot them to ``curves.png``.

    Args:
        log_dir: the directory (created if needed).
        flush_secs: the longest time logged values stay in memory only.

    Example::

        >>> with MetricsLogger("runs/mlp") as metrics:
        ...     for epoch in range(3):
        ...         metrics.log(epoch, train_loss=0.5 / (epoch + 1), val_accuracy=0.8 + epoch / 100)
        ...     metrics.plot()
    """

    csv_name = "metrics.csv"
    plot_name = "curves.png"

    def __init__(self, log_dir, flush_secs: float = 10.0):
        self.log_dir = os.fspath(log_dir)
        self.flush_secs = flush_secs
        os.makedirs(self.log_dir, exist_ok=True)
        self.csv_path = os.path.join(self.log_dir, self.csv_name)
        self.rows: dict[int, dict[str, float]] = {}  # step -> {metric: value}, in step order
        self.columns: list[str] = []
        if os.path.exists(self.csv_path):
            self._read_csv()
        self._last_write = time.monotonic()

    def log(self, step: int, **scalars) -> None:
        """Record ``scalars`` (numbers or one-element tensors) at ``step``; several calls with the same
        step fill one row."""
        step = int(step)
        if self.rows and step < max(self.rows):
            self.rows = {kept: row for kept, row in self.rows.items() if kept < step}
        row = self.rows.setdefault(step, {})
        for name, value in scalars.items():
            if name not in self.columns:
                self.columns.append(name)
            row[name] = float(value.item() if isinstance(value, Tensor) else value)
        if time.monotonic() - self._last_write >= self.flush_secs:
            self.flush()

    def flush(self) -> None:
        """Rewrite ``metrics.csv`` (atomically) with every row logged so far."""
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["step", *self.columns])
        for step in sorted(self.rows):
            row = self.rows[step]
            writer.writerow([step, *(repr(row[name]) if name in row else "" for name in self.columns)])
        atomic_write_bytes(self.csv_path, text.getvalue().encode())
        self._last_write = time.monotonic()

    def plot(self, path=None) -> str:
        """Draw every metric against the step (one panel each) to ``path`` (default ``curves.png`` in
        ``log_dir``); returns the path. Needs matplotlib (``pip install 'nnmath[viz]'``)."""
        require("matplotlib", "viz", "MetricsLogger.plot")
        from matplotlib.figure import Figure  # a Figure without pyplot: no GUI backend, no global state

        path = os.path.join(self.log_dir, self.plot_name) if path is None else os.fspath(path)
        columns = self.columns or ["(nothing logged)"]
        figure = Figure(figsize=(6, 2.2 * len(columns)), layout="constrained")
        axes = figure.subplots(len(columns), 1, sharex=True, squeeze=False)[:, 0]
        for ax, name in zip(axes, columns):
            points = [(step, row[name]) for step, row in sorted(self.rows.items()) if name in row]
            ax.plot([step for step, _ in points], [value for _, value in points], marker=".")
            ax.set_ylabel(name)
            ax.grid(alpha=0.3)
        axes[-1].set_xlabel("step")
        atomic_write(path, lambda file: figure.savefig(file, format="png", dpi=100))
        return path

    def close(self) -> None:
        self.flush()

    def __enter__(self) -> "MetricsLogger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _read_csv(self) -> None:
        with open(self.csv_path, newline="") as file:
            reader = csv.reader(file)
            header = next(reader, None)
            if not header or header[0] != "step":
                raise ValueError(f"MetricsLogger: {self.csv_path!r} is not a metrics file written by "
                                 "MetricsLogger (its first column is not 'step'); use another log_dir")
            self.columns = header[1:]
            for line_number, fields in enumerate(reader, start=2):
                try:
                    self.rows[int(fields[0])] = {name: float(value) for name, value in zip(self.columns, fields[1:])
                                                 if value != ""}
                except (ValueError, IndexError):
                    raise ValueError(f"MetricsLogger: {self.csv_path!r} line {line_number} is not a row of "
                                     f"numbers: {fields!r}") from None
