"""``nnmath train mnist``: runs, writes its files, and resumes exactly."""
import pathlib

import numpy as np
import pytest

import nnmath
from nnmath.apps.cli import main as cli_main
from nnmath.apps import mnist

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


def test_tensorboard_receives_losses_gradient_norms_and_weight_histograms(tmp_path):
    accumulator_module = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    mnist.train(epochs=1, batch_size=64, data_dir=str(DATA), limit=128, progress=False, log=_quiet, out=tmp_path)
    events = accumulator_module.EventAccumulator(str(tmp_path / "tensorboard"), size_guidance={"histograms": 0})
    events.Reload()
    scalars = set(events.Tags()["scalars"])
    assert {"train_loss", "test_accuracy", "lr", "grad_norm/conv1.weight", "grad_norm/fc2.bias"} <= scalars
    assert "weights/fc1.weight" in events.Tags()["histograms"]
    assert events.Scalars("lr")[0].value == pytest.approx(1e-3)


def test_export_writes_an_onnx_file_of_the_trained_cnn(tmp_path):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    model = mnist.SeedCNN().eval()
    nnmath.save(model.state_dict(), tmp_path / "w.safetensors")
    assert cli_main(["export", "--model", "mnist-cnn", "--weights", str(tmp_path / "w.safetensors"),
                     "--out", str(tmp_path / "cnn.onnx")]) == 0
    images = np.random.default_rng(0).random((3, 1, 28, 28), dtype=np.float32)
    (ours,) = ort.InferenceSession(str(tmp_path / "cnn.onnx")).run(None, {"images": images})
    with nnmath.no_grad():
        np.testing.assert_allclose(ours, model(nnmath.from_numpy(images)).numpy(), rtol=1e-5, atol=1e-5)


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
