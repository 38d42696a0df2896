"""The output directory of a training run: what is written there, when, and in which order.

A program creates :class:`RunFiles` once its data, model and the checkpoint it resumes from are loaded,
so a run that fails to start writes nothing. Creating it makes the directory and removes the temporary
files a killed run left there (:func:`nnmath._atomic.remove_stale_temp_files`). At the end of each
epoch :meth:`RunFiles.end_epoch` writes the metrics row, then the plot, then the checkpoint, each
atomically: a run killed at any point leaves metrics that are never behind its checkpoint (a resumed
run rewrites the rows after its checkpoint's epoch). :meth:`RunFiles.summary` names only the files that
were actually written.
"""
from __future__ import annotations

import pathlib

import nnmath
from nnmath._atomic import remove_stale_temp_files
from nnmath.apps.checkpoint import save_checkpoint
from nnmath.utils.metrics_log import MetricsLogger

__all__ = ["RunFiles"]


class RunFiles:
    """The files of one run in ``out``: ``metrics.csv``, ``curves.png``, ``checkpoint.safetensors``,
    ``model.safetensors``, plots; ``log`` receives the notes (a plot skipped, leftovers removed)."""

    def __init__(self, out, log=print):
        self.out = pathlib.Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.log = log
        self.written: list[pathlib.Path] = []
        self.checkpoint = self.out / "checkpoint.safetensors"
        removed = remove_stale_temp_files(self.out)
        if removed:
            log(f"removed {len(removed)} temporary file(s) a killed run left in {self.out}")

    def _wrote(self, path) -> None:
        if path not in self.written:
            self.written.append(path)

    def metrics(self) -> MetricsLogger:
        """The run's ``metrics.csv`` (rows already there are kept; see :class:`MetricsLogger`)."""
        return MetricsLogger(self.out)

    def end_epoch(self, curves: MetricsLogger, epoch: int, scalars: dict, model, optimizer, dataloader=None):
        """After epoch ``epoch`` (from 1): its metrics row and ``curves.png``, then the checkpoint."""
        curves.log(epoch, **scalars)
        curves.flush()
        self._wrote(self.out / curves.csv_name)
        self.plot(curves.plot_name, curves.plot)
        save_checkpoint(self.checkpoint, model, optimizer, epoch=epoch, dataloader=dataloader)
        self._wrote(self.checkpoint)

    def plot(self, name: str, draw) -> None:
        """``draw(path)`` to ``out/name``; without matplotlib, a note instead."""
        try:
            draw(self.out / name)
        except ImportError as e:
            self.log(f"(no {name}: {e})")
            return
        self._wrote(self.out / name)

    def save_model(self, state_dict) -> None:
        nnmath.save(state_dict, self.out / "model.safetensors")
        self._wrote(self.out / "model.safetensors")

    def interrupted(self, command: str) -> str:
        """What to tell after Ctrl-C: where the last completed epoch is and how to continue."""
        if self.checkpoint not in self.written:
            return "\ninterrupted before an epoch ended: this run saved no checkpoint"
        return (f"\ninterrupted: the last completed epoch is saved in {self.checkpoint}; continue with "
                f"{command} --resume {self.checkpoint}")

    def summary(self) -> str:
        return "saved " + ", ".join(str(path) for path in self.written)
