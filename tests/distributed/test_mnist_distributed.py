"""``nnmath train mnist --distributed``: 2 processes train the seed CNN (its dropout off, so that the run
is deterministic) as 1 process does with the same global batch; rank 0 alone writes; a checkpoint of
the 2-process run resumes on 1 process and ends where an unbroken 1-process run ends.

Tolerance: as in test_ddp.py (Adam, the seed's optimizer): the runs differ by the order of float32
additions, which Adam amplifies in the few weights whose gradient is near its ε (moves up to ~10⁻⁵);
the weights are held to 4·lr·steps entry-wise, the logged losses to 10⁻⁵ relative (observed: up to
1.3·10⁻⁶ after two epochs), and the test accuracy, a count, must be equal.
"""
from __future__ import annotations

import csv

import numpy as np
import pytest

import nnmath
from nnmath.apps.cli import build_parser

from conftest import MNIST, launch, requires_mpi, succeeded

pytestmark = [requires_mpi, pytest.mark.skipif(not MNIST.is_dir(), reason="shared/data/mnist is absent")]

STEPS_PER_EPOCH = 4          # 64 images, global batch 16


def _rows(out):
    with open(out / "metrics.csv") as file:
        return list(csv.DictReader(file))


def test_two_processes_match_one_write_once_and_resume_on_a_different_count(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    succeeded(launch(1, "mnist_app", MNIST, one, 3))
    succeeded(launch(2, "mnist_app", MNIST, two, 2))
    assert not (tmp_path / "two_rank_1").exists()          # rank 1 wrote nothing
    assert len(_rows(two)) == 2                             # one row per epoch, from rank 0
    for a, b in zip(_rows(one), _rows(two)):
        assert a["test_accuracy"] == b["test_accuracy"]
        for key in ("train_loss", "test_loss"):
            assert float(a[key]) == pytest.approx(float(b[key]), rel=1e-5), key
    succeeded(launch(1, "mnist_app", MNIST, two, 3, two / "checkpoint.safetensors"))
    unbroken, resumed = nnmath.load(one / "model.safetensors"), nnmath.load(two / "model.safetensors")
    for name, value in unbroken.items():
        diff = np.abs(resumed[name].numpy() - value.numpy()).max()
        assert diff <= 4 * 1e-3 * 3 * STEPS_PER_EPOCH, (name, diff)
    assert _rows(one)[-1]["test_accuracy"] == _rows(two)[-1]["test_accuracy"]


def test_the_command_line_has_the_flag():
    args = build_parser().parse_args(["train", "mnist", "--distributed", "--batch-size", "128"])
    assert args.distributed and args.batch_size == 128
    assert not build_parser().parse_args(["train", "mnist"]).distributed
