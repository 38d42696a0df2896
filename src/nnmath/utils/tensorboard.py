"""``nnmath.utils.tensorboard.SummaryWriter``: PyTorch's TensorBoard writer API for nnmath tensors.

The event files are written by tensorboardX, a maintained writer of TensorBoard's format (nnmath does
not re-implement the protobuf records); this class turns nnmath tensors into NumPy arrays on the way.
View the logs with ``tensorboard --logdir runs``. Needs ``pip install 'nnmath[viz]'``.
"""
from __future__ import annotations

import os
import tempfile

import numpy as np

from nnmath import onnx as nnmath_onnx
from nnmath._optional import require
from nnmath.tensor import Tensor

__all__ = ["SummaryWriter"]


def _to_numpy(value):
    """Tensors become arrays (detached); NumPy values and Python numbers pass through."""
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, (list, tuple)) and any(isinstance(item, Tensor) for item in value):
        return np.stack([_to_numpy(item) for item in value])
    return value


def _to_scalar(value) -> float:
    return float(value.item()) if isinstance(value, Tensor) else value


class SummaryWriter:
    """Write scalars, histograms, images, text, figures and graphs to TensorBoard event files.

    Args:
        log_dir: the directory of the event files (default ``runs/DATETIME_HOSTNAME{comment}``).
        comment: appended to the default ``log_dir``; ignored when ``log_dir`` is given.
        purge_step: on resume, hide events at or after this step that a crashed run wrote.
        max_queue: pending events before a write is forced.
        flush_secs: how often pending events are written.
        filename_suffix: appended to the event file's name.

    Arguments that only steer PyTorch's own writer (``new_style``, ``double_precision``,
    ``use_strict_trace``, ``verbose``) are accepted so PyTorch code runs unchanged.

    Example::

        >>> with SummaryWriter("runs/exp1") as writer:
        ...     for step in range(100):
        ...         writer.add_scalar("loss/train", loss, step)
    """

    def __init__(self, log_dir=None, comment: str = "", purge_step=None, max_queue: int = 10,
                 flush_secs: int = 120, filename_suffix: str = ""):
        tensorboardX = require("tensorboardX", "viz", "nnmath.utils.tensorboard.SummaryWriter")
        self._writer = tensorboardX.SummaryWriter(
            logdir=None if log_dir is None else os.fspath(log_dir), comment=comment, purge_step=purge_step,
            max_queue=max_queue, flush_secs=flush_secs, filename_suffix=filename_suffix)
        self.log_dir = self._writer.logdir

    def get_logdir(self) -> str:
        return self.log_dir

    def add_scalar(self, tag: str, scalar_value, global_step=None, walltime=None, new_style: bool = False,
                   double_precision: bool = False) -> None:
        """Log one number (a float, or a one-element tensor) under ``tag`` at ``global_step``."""
        self._writer.add_scalar(tag, _to_scalar(scalar_value), global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None, walltime=None) -> None:
        """Several numbers plotted on one chart (each tag is written as its own run, in ``log_dir/main_tag/tag``)."""
        values = {tag: _to_scalar(value) for tag, value in tag_scalar_dict.items()}
        self._writer.add_scalars(main_tag, values, global_step, walltime)

    def add_histogram(self, tag: str, values, global_step=None, bins: str = "tensorflow", walltime=None,
                      max_bins=None) -> None:
        """The distribution of ``values`` (e.g. a layer's weights or gradients)."""
        self._writer.add_histogram(tag, np.asarray(_to_numpy(values)), global_step, bins, walltime, max_bins)

    def add_image(self, tag: str, img_tensor, global_step=None, walltime=None, dataformats: str = "CHW") -> None:
        """One image: floats in [0, 1] or uint8 in [0, 255], laid out as ``dataformats`` (CHW, HWC, HW)."""
        self._writer.add_image(tag, _to_numpy(img_tensor), global_step, walltime, dataformats)

    def add_images(self, tag: str, img_tensor, global_step=None, walltime=None, dataformats: str = "NCHW") -> None:
        """A batch of images shown as a grid."""
        self._writer.add_images(tag, _to_numpy(img_tensor), global_step, walltime, dataformats)

    def add_figure(self, tag: str, figure, global_step=None, close: bool = True, walltime=None) -> None:
        """A matplotlib figure, rendered to an image."""
        self._writer.add_figure(tag, figure, global_step, close, walltime)

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        """Markdown text (a configuration, a sample of generated text)."""
        self._writer.add_text(tag, text_string, global_step, walltime)

    def add_hparams(self, hparam_dict: dict, metric_dict: dict, run_name=None, global_step=None) -> None:
        """Hyperparameters and the metrics they reached, for TensorBoard's HParams tab."""
        metrics = {tag: _to_scalar(value) for tag, value in metric_dict.items()}
        self._writer.add_hparams(hparam_dict, metrics, name=run_name, global_step=global_step)

    def add_graph(self, model, input_to_model=None, verbose: bool = False, use_strict_trace: bool = True) -> None:
        """The model's graph, traced by :func:`nnmath.onnx.export` and shown in TensorBoard's Graphs tab."""
        if input_to_model is None:
            raise ValueError("add_graph: input_to_model is required: nnmath traces the model by running it")
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "graph.onnx")
            nnmath_onnx.export(model, input_to_model, path)
            self._writer.add_onnx_graph(path)

    def flush(self) -> None:
        """Write pending events to disk now."""
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> "SummaryWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
