"""SummaryWriter writes real TensorBoard event files: TensorBoard's own reader reads them back."""
import numpy as np
import pytest

import nnmath

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
from nnmath.utils.tensorboard import SummaryWriter  # noqa: E402


def read_events(log_dir):
    accumulator = event_accumulator.EventAccumulator(str(log_dir), size_guidance={"images": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def test_scalars_read_back(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for step in range(5):
            writer.add_scalar("loss/train", nnmath.tensor(1.0 / (step + 1)), step)
        writer.add_scalar("lr", 0.125, 0)
    events = read_events(tmp_path)
    assert set(events.Tags()["scalars"]) == {"loss/train", "lr"}
    loss = events.Scalars("loss/train")
    assert [e.step for e in loss] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([e.value for e in loss], [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5], rtol=1e-6)
    assert events.Scalars("lr")[0].value == 0.125


def test_add_scalars_writes_one_run_per_tag(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalars("loss", {"train": 0.5, "val": nnmath.tensor(0.75)}, 3)
    for tag, value in (("train", 0.5), ("val", 0.75)):
        events = read_events(tmp_path / "loss" / tag)
        assert [(e.step, e.value) for e in events.Scalars("loss")] == [(3, value)]


def test_histogram_image_and_text(tmp_path):
    weights = nnmath.randn(1000)
    image_chw = nnmath.rand(3, 8, 6)
    with SummaryWriter(tmp_path) as writer:
        writer.add_histogram("fc.weight", weights, 1)
        writer.add_image("chw", image_chw, 1)
        writer.add_image("hwc", image_chw.permute(1, 2, 0), 1, dataformats="HWC")
        writer.add_text("config", "lr = 0.1", 1)
    events = read_events(tmp_path)
    histogram = events.Histograms("fc.weight")[0].histogram_value
    assert histogram.num == 1000
    np.testing.assert_allclose(histogram.sum, float(weights.sum()), rtol=1e-4)
    for tag in ("chw", "hwc"):
        image = events.Images(tag)[0]
        assert (image.height, image.width) == (8, 6)
    assert events.Images("chw")[0].encoded_image_string == events.Images("hwc")[0].encoded_image_string
    assert "config/text_summary" in events.Tags()["tensors"]


def test_default_log_dir_has_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_mlp") as writer:
        writer.add_scalar("x", 1.0, 0)
    assert writer.log_dir.startswith("runs") and writer.log_dir.endswith("_mlp")
    assert (tmp_path / writer.log_dir).is_dir()


def test_add_graph_shows_the_traced_model(tmp_path):
    pytest.importorskip("onnx")
    model = nnmath.nn.Sequential(nnmath.nn.Linear(3, 4), nnmath.nn.ReLU(), nnmath.nn.Linear(4, 1))
    with SummaryWriter(tmp_path) as writer:
        writer.add_graph(model, nnmath.randn(2, 3))
    graph = read_events(tmp_path).Graph()
    assert {"Gemm", "Relu"} <= {node.op for node in graph.node}
