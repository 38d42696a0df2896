"""MetricsLogger: metrics.csv complete on disk, resumable, and a curves.png."""
import csv

import pytest

import nnmath
from nnmath.utils.metrics_log import MetricsLogger


def read_rows(path):
    with open(path, newline="") as file:
        return list(csv.reader(file))


def test_csv_rows_merge_per_step(tmp_path):
    with MetricsLogger(tmp_path) as metrics:
        for step in range(3):
            metrics.log(step, train_loss=1.0 / (step + 1))
            metrics.log(step, val_accuracy=nnmath.tensor(0.5 + step / 10, dtype=nnmath.float64))
        metrics.log(3, train_loss=0.1)
    assert read_rows(tmp_path / "metrics.csv") == [
        ["step", "train_loss", "val_accuracy"], ["0", "1.0", "0.5"], ["1", "0.5", "0.6"],
        ["2", repr(1 / 3), "0.7"], ["3", "0.1", ""]]


def test_resumed_run_replaces_the_steps_it_recomputes(tmp_path):
    with MetricsLogger(tmp_path) as metrics:
        for step in range(5):
            metrics.log(step, loss=float(step))
    with MetricsLogger(tmp_path) as resumed:  # resumed from the checkpoint after step 2
        resumed.log(3, loss=30.0)
    assert read_rows(tmp_path / "metrics.csv") == [["step", "loss"], ["0", "0.0"], ["1", "1.0"], ["2", "2.0"],
                                                   ["3", "30.0"]]


def test_values_reach_disk_after_flush_secs(tmp_path):
    metrics = MetricsLogger(tmp_path, flush_secs=0)
    metrics.log(0, loss=2.0)
    assert read_rows(tmp_path / "metrics.csv")[1] == ["0", "2.0"]


def test_foreign_csv_is_refused(tmp_path):
    (tmp_path / "metrics.csv").write_text("epoch,loss\n0,1\n")
    with pytest.raises(ValueError, match="not a metrics file"):
        MetricsLogger(tmp_path)


def test_plot_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image
    metrics = MetricsLogger(tmp_path)
    for step in range(10):
        metrics.log(step, loss=1 / (step + 1), accuracy=step / 10)
    path = metrics.plot()
    assert path == str(tmp_path / "curves.png")
    with Image.open(path) as image:
        assert image.format == "PNG"
