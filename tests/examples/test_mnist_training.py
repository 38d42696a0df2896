"""``nnmath train mnist``: runs, writes its files, and resumes exactly."""
import pathlib

import numpy as np
import pytest

import nnmath
from nnmath.cli import main as cli_main
from nnmath.demos import mnist

DATA = pathlib.Path(__file__).parents[2].parent / "shared" / "data" / "mnist"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="shared/data/mnist is absent")


def _quiet(*args):
    pass


def test_cli_trains_and_writes_weights_curves_and_confusion(tmp_path):
    code = cli_main(["train", "mnist", "--epochs", "1", "--limit", "256", "--batch-size", "64",
                     "--data-dir", str(DATA), "--out", str(tmp_path), "--no-progress"])
    assert code == 0
    for name in ["model.safetensors", "checkpoint.safetensors", "metrics.csv"]:
        assert (tmp_path / name).is_file(), name
    state = nnmath.load(tmp_path / "model.safetensors")
    assert state["fc1.weight"].shape == (128, 9216)
    rows = (tmp_path / "metrics.csv").read_text().splitlines()
    assert rows[0].split(",")[:2] == ["step", "train_loss"] and len(rows) == 2


def test_interrupted_and_resumed_training_equals_an_uninterrupted_run(tmp_path):
    kwargs = dict(batch_size=64, data_dir=str(DATA), limit=192, progress=False, log=_quiet, seed=3)
    mnist.train(epochs=2, out=tmp_path / "straight", **kwargs)
    mnist.train(epochs=1, out=tmp_path / "split", **kwargs)
    nnmath.manual_seed(12345)  # a different global state before resuming: the checkpoint must restore it
    mnist.train(epochs=2, out=tmp_path / "split", resume=tmp_path / "split" / "checkpoint.safetensors", **kwargs)
    straight = nnmath.load(tmp_path / "straight" / "model.safetensors")
    resumed = nnmath.load(tmp_path / "split" / "model.safetensors")
    for key in straight:
        np.testing.assert_array_equal(straight[key].numpy(), resumed[key].numpy(), err_msg=key)
