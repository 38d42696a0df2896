"""nnmath.onnx.export: checker-valid models whose onnxruntime outputs match nnmath's."""
import io

import numpy as np
import pytest

import nnmath
from model_factories import NETWORKS, build, example_input, require_modules

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def flatten(outputs):
    if isinstance(outputs, (tuple, list)):
        return [leaf for item in outputs for leaf in flatten(item)]
    return [outputs]


def export_and_run(model, inputs, batch_sizes_to_try=(None,), **kwargs):
    """Export, check, and compare onnxruntime with nnmath on the inputs (and on other batch sizes)."""
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    names = [f"input{i}" for i in range(len(inputs))]
    buffer = io.BytesIO()
    proto = nnmath.onnx.export(model, tuple(nnmath.tensor(x) for x in inputs), buffer, input_names=names, **kwargs)
    onnx.checker.check_model(proto)
    session = ort.InferenceSession(buffer.getvalue())
    model.eval()
    for batch in batch_sizes_to_try:
        feed = inputs if batch is None else tuple(np.resize(x, (batch, *x.shape[1:])) for x in inputs)
        with nnmath.no_grad():
            expected = model(*(nnmath.tensor(x) for x in feed))
        expected = [t.numpy() for t in flatten(expected)]
        got = session.run(None, dict(zip(names, feed)))
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert g.shape == e.shape
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)
    return proto


@pytest.mark.parametrize("network", list(NETWORKS))
def test_network_matches_onnxruntime_for_any_batch_size(network):
    model = build(network, nnmath)
    proto = export_and_run(model, example_input(network), batch_sizes_to_try=(None, 1, 9),
                           dynamic_axes={"input0": {0: "batch"}, "output0": {0: "batch"}})
    initializers = {init.name for init in proto.graph.initializer}
    assert set(model.state_dict()) <= initializers  # parameters keep their state_dict names


def test_layers_and_composites():
    require_modules("LayerNorm", "BatchNorm1d", "GELU", "Softmax")
    nn = nnmath.nn

    class Mixed(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm = nn.LayerNorm(6)
            self.bn = nn.BatchNorm1d(6)
            self.fc = nn.Linear(6, 6)

        def forward(self, x):
            h = nn.functional.gelu(self.norm(x))
            h = self.bn(self.fc(h)).clamp(-1.5, 2.0)
            h = nnmath.cat([h.exp(), h ** 2, h[:, 1:3]], 1)
            return nn.functional.softmax(h, dim=1) + h.sum(1, keepdim=True) - h.amax(1, keepdim=True)

    model = Mixed()
    with nnmath.no_grad():
        model.bn.running_mean.copy_(nnmath.randn(6))
        model.bn.running_var.copy_(nnmath.rand(6) + 0.5)
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    export_and_run(model, x, batch_sizes_to_try=(None, 7), dynamic_axes={"input0": [0], "output0": [0]})


@pytest.mark.parametrize("layer", ["GRU", "LSTM", "RNN"])
def test_recurrent_layers_export_as_onnx_nodes(layer):
    require_modules(layer)
    model = getattr(nnmath.nn, layer)(4, 5, num_layers=2, bidirectional=True)
    x = np.random.default_rng(0).standard_normal((6, 3, 4)).astype(np.float32)
    proto = export_and_run(model, x)
    assert [n.op_type for n in proto.graph.node].count(layer) == 4  # 2 layers x 2 directions, not unrolled


def test_export_restores_training_mode_and_writes_a_file(tmp_path):
    model = nnmath.nn.Sequential(nnmath.nn.Linear(3, 2), nnmath.nn.Dropout(0.5))
    model.train()
    nnmath.onnx.export(model, nnmath.randn(2, 3), tmp_path / "m.onnx")
    assert model.training and model[1].training
    onnx.checker.check_model(str(tmp_path / "m.onnx"))


def test_op_without_mapping_is_named():
    class Cumulative(nnmath.nn.Module):
        def forward(self, x):
            return x.cumsum(1)

    with pytest.raises(nnmath.onnx.UnsupportedOperatorError,
                       match=r"no ONNX mapping for CumsumBackward \(nnmath\.ops\.reduction\.Cumsum\)"):
        nnmath.onnx.export(Cumulative(), nnmath.randn(2, 3), io.BytesIO())


def test_untraced_mask_is_refused():
    class Masked(nnmath.nn.Module):
        def forward(self, x):
            return nnmath.where(x > 0, x, x * 0.1)

    with pytest.raises(nnmath.onnx.UnsupportedOperatorError, match="comparisons are not traced"):
        nnmath.onnx.export(Masked(), nnmath.randn(2, 3), io.BytesIO())


def test_cli_exports_a_trained_char_lm(tmp_path, capsys):
    char_lm = pytest.importorskip("nnmath.apps.char_lm")
    from nnmath.apps.cli import main
    model = char_lm.CharLSTM(10, embed_dim=8, hidden_dim=16, num_layers=2)
    config = {"embed_dim": 8, "hidden_dim": 16, "num_layers": 2}
    nnmath.save({"model": model.state_dict(), "vocab": list("abcdefghij"), "config": config},
                tmp_path / "lm.safetensors")
    assert main(["export", "--model", "char-lm", "--weights", str(tmp_path / "lm.safetensors"),
                 "--out", str(tmp_path / "lm.onnx")]) == 0
    tokens = np.random.default_rng(0).integers(0, 10, (3, 11))  # another batch size and length
    logits, h_n, c_n = ort.InferenceSession(str(tmp_path / "lm.onnx")).run(None, {"tokens": tokens})
    model.eval()
    with nnmath.no_grad():
        expected_logits, (expected_h, expected_c) = model(nnmath.tensor(tokens))
    for got, expected in ((logits, expected_logits), (h_n, expected_h), (c_n, expected_c)):
        np.testing.assert_allclose(got, expected.numpy(), rtol=1e-5, atol=1e-5)
