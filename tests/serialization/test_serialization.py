"""nnmath.save / nnmath.load: exact round trips, PyTorch safetensors interchange, damaged files."""
import io
import pickle
import math
import os
import stat
from collections import OrderedDict

import numpy as np
import pytest

import nnmath
from nnmath.serialization import FileFormatError
from model_factories import NETWORKS, build, example_input, require_modules


class Affine(nnmath.nn.Module):
    """A layer written with Parameter and buffers only, so these tests do not wait for nn.Linear."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nnmath.nn.Parameter(nnmath.randn(n_out, n_in))
        self.bias = nnmath.nn.Parameter(nnmath.randn(n_out))
        self.register_buffer("num_calls", nnmath.tensor(0))
        self.register_buffer("mask", nnmath.tensor([True, False, True]))

    def forward(self, x):
        return x @ self.weight.t() + self.bias


def assert_same_tree(a, b):
    """Equal structure, types, dtypes and bits."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, nnmath.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), strict=True)
    elif isinstance(a, (np.ndarray, np.generic)):
        np.testing.assert_array_equal(a, b, strict=True)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same_tree(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_tree(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def round_trip(obj, tmp_path):
    path = tmp_path / "obj.safetensors"
    nnmath.save(obj, path)
    return nnmath.load(path)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool", "uint8", "float16", "int32"])
def test_tensor_dtype_and_bits_preserved(dtype, tmp_path):
    values = np.random.default_rng(0).standard_normal((3, 4)) * 100
    t = nnmath.tensor(values.astype(dtype))
    assert_same_tree(round_trip(t, tmp_path), t)


def test_nested_checkpoint_round_trip(tmp_path):
    obj = {
        "model": OrderedDict(w=nnmath.randn(2, 3), step=nnmath.tensor(7)),
        "optimizer": {"state": {0: {"step": nnmath.tensor(3.0), "exp_avg": nnmath.zeros(2, 3)}},
                      "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "foreach": None, "params": [0]}]},
        "epoch": 4, "best": float("inf"), "loss": float("nan"), "name": "run-1", "done": False,
        "empty": {}, "nothing": [], "pair": ((1, 2), [3.5]),
        "numpy": np.arange(5, dtype=np.uint32), "scalar": np.float32(1.25),
        "$weird": {"$tensor": "not a reference"}, "big": 2 ** 100,
        "scalar_tensor": nnmath.tensor(2.5), "strided": nnmath.arange(12.0).reshape(3, 4).t(),
        "leaf": nnmath.ones(2, requires_grad=True),
    }
    loaded = round_trip(obj, tmp_path)
    expected = dict(obj, model=dict(obj["model"]))  # an OrderedDict comes back as a (still ordered) dict
    assert_same_tree(loaded, expected)


def test_loaded_tensors_are_writable_and_own_their_memory(tmp_path):
    loaded = round_trip({"w": nnmath.zeros(3)}, tmp_path)["w"]
    loaded.add_(1)
    assert loaded.tolist() == [1.0, 1.0, 1.0]


def test_file_objects(tmp_path):
    buffer = io.BytesIO()
    nnmath.save({"x": nnmath.arange(3)}, buffer)
    buffer.seek(0)
    assert nnmath.load(buffer)["x"].tolist() == [0, 1, 2]


def test_a_whole_module_is_saved_pickled_and_loads_only_with_weights_only_false():
    """As torch.save(model, f): the module is pickled; as PyTorch 2.6+, loading it needs weights_only=False."""
    model = Affine(3, 2)
    buffer = io.BytesIO()
    nnmath.save({"model": model, "epoch": 4}, buffer)
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError, match=r"pickled .*Affine.*weights_only=False"):
        nnmath.load(buffer)
    buffer.seek(0)
    loaded = nnmath.load(buffer, weights_only=False)
    assert loaded["epoch"] == 4 and type(loaded["model"]) is Affine
    x = nnmath.ones(1, 3)
    np.testing.assert_array_equal(loaded["model"](x).detach().numpy(), model(x).detach().numpy())
    assert all(isinstance(p, nnmath.nn.Parameter) for p in loaded["model"].parameters())


def test_an_object_that_cannot_be_pickled_is_named():
    with pytest.raises(TypeError, match=r"cannot save the .*function.* at obj\['fn'\].*cannot be pickled"):
        nnmath.save({"fn": lambda x: x}, io.BytesIO())


def test_map_location(tmp_path):
    nnmath.save(nnmath.ones(2), tmp_path / "t.safetensors")
    assert nnmath.load(tmp_path / "t.safetensors", map_location="cpu").tolist() == [1.0, 1.0]
    assert nnmath.load(tmp_path / "t.safetensors", map_location=nnmath.device("cpu"), weights_only=False) \
        .tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="not available"):
        nnmath.load(tmp_path / "t.safetensors", map_location="cuda:0")


def test_saved_file_has_ordinary_permissions(tmp_path):
    nnmath.save(nnmath.ones(2), tmp_path / "t.safetensors")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "t.safetensors").st_mode) == 0o666 & ~umask


def test_model_and_optimizer_round_trip(tmp_path):
    model = Affine(3, 3)
    optimizer = nnmath.optim.Adam(model.parameters(), lr=0.01)
    model(nnmath.randn(4, 3)).sum().backward()
    optimizer.step()
    nnmath.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "c.safetensors")

    nnmath.manual_seed(1)
    fresh = Affine(3, 3)
    fresh_optimizer = nnmath.optim.Adam(fresh.parameters(), lr=0.5)
    checkpoint = nnmath.load(tmp_path / "c.safetensors")
    fresh.load_state_dict(checkpoint["model"])
    fresh_optimizer.load_state_dict(checkpoint["optimizer"])
    assert_same_tree(dict(fresh.state_dict()), dict(model.state_dict()))
    assert_same_tree(fresh_optimizer.state_dict(), optimizer.state_dict())


# Every layer nnmath.nn has when the tests run: its parameters and buffers survive a round trip.
LAYERS = {
    "Linear": lambda nn: nn.Linear(4, 3),
    "LayerNorm": lambda nn: nn.LayerNorm(4),
    "BatchNorm1d": lambda nn: nn.BatchNorm1d(4),
    "BatchNorm2d": lambda nn: nn.BatchNorm2d(4),
    "Conv2d": lambda nn: nn.Conv2d(2, 3, 3),
    "Embedding": lambda nn: nn.Embedding(10, 4),
    "LSTM": lambda nn: nn.LSTM(4, 5, num_layers=2),
    "GRU": lambda nn: nn.GRU(4, 5),
    "RNN": lambda nn: nn.RNN(4, 5),
}


@pytest.mark.parametrize("layer", list(LAYERS))
def test_layer_state_dict_round_trip(layer, tmp_path):
    require_modules(layer)
    module = LAYERS[layer](nnmath.nn)
    with nnmath.no_grad():  # make every entry distinctive (BatchNorm's running stats start as 0/1)
        for value in module.state_dict().values():
            if value.is_floating_point():
                value.copy_(nnmath.randn(*value.shape))
    nnmath.save(module.state_dict(), tmp_path / "layer.safetensors")
    nnmath.manual_seed(123)
    fresh = LAYERS[layer](nnmath.nn)
    fresh.load_state_dict(nnmath.load(tmp_path / "layer.safetensors"))
    assert_same_tree(dict(fresh.state_dict()), dict(module.state_dict()))


# --- damaged files ---------------------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    """A model, its saved state_dict, and the file's bytes."""
    model = Affine(3, 3)
    path = tmp_path / "model.safetensors"
    nnmath.save(model.state_dict(), path)
    return model, path, path.read_bytes()


def _params(model):
    return {key: value.numpy().copy() for key, value in model.state_dict().items()}


def _load_into(model, path):
    model.load_state_dict(nnmath.load(path))


@pytest.mark.parametrize("keep", [0, 5, 8, 20, -1, -13])
def test_truncated_file_fails_clearly_and_changes_nothing(saved, keep):
    model, path, data = saved
    path.write_bytes(data[:keep])
    target = Affine(3, 3)
    before = _params(target)
    with pytest.raises(FileFormatError, match=rf"{path.name}.*(truncated|not a safetensors)"):
        _load_into(target, path)
    assert all(np.array_equal(before[k], v) for k, v in _params(target).items())


def test_flipped_tensor_byte_fails_checksum(saved):
    model, path, data = saved
    damaged = bytearray(data)
    damaged[-3] ^= 0xFF  # inside the last tensor's bytes
    path.write_bytes(bytes(damaged))
    with pytest.raises(FileFormatError, match=rf"{path.name}' is corrupted: the bytes of tensor '\w+'"):
        nnmath.load(path)


def test_damaged_header_fails_clearly(saved):
    model, path, data = saved
    damaged = bytearray(data)
    damaged[10] = ord("#")  # inside the JSON header
    path.write_bytes(bytes(damaged))
    with pytest.raises(FileFormatError, match=path.name):
        nnmath.load(path)


def test_pickle_file_is_refused_with_a_hint(tmp_path):
    import pickle
    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps({"w": [1.0, 2.0]}, protocol=2))
    with pytest.raises(FileFormatError, match="nnmath does not read that format"):
        nnmath.load(path)


def test_wrong_architecture_fails_and_changes_nothing(saved):
    model, path, data = saved
    target = Affine(2, 3)
    before = _params(target)
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        _load_into(target, path)
    assert all(np.array_equal(before[k], v) for k, v in _params(target).items())


# --- PyTorch interchange ---------------------------------------------------------------------------
def test_pytorch_safetensors_file_loads_as_flat_dict(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    tensors = {"fc.weight": torch.randn(3, 4), "fc.bias": torch.randn(3, dtype=torch.float64),
               "bn.num_batches_tracked": torch.tensor(5), "mask": torch.tensor([True, False]),
               "pixels": torch.arange(6, dtype=torch.uint8)}
    safetensors_torch.save_file(tensors, tmp_path / "torch.safetensors")
    loaded = nnmath.load(tmp_path / "torch.safetensors")
    assert sorted(loaded) == sorted(tensors)
    for key, value in tensors.items():
        np.testing.assert_array_equal(loaded[key].numpy(), value.numpy(), strict=True)


def test_nnmath_state_dict_reads_in_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    state = Affine(3, 3).state_dict()
    nnmath.save(state, tmp_path / "nnmath.safetensors")
    loaded = safetensors_torch.load_file(tmp_path / "nnmath.safetensors")
    assert sorted(loaded) == sorted(state)
    for key, value in state.items():
        np.testing.assert_array_equal(loaded[key].numpy(), value.numpy(), strict=True)
    assert loaded["num_calls"].dtype == torch.int64 and loaded["mask"].dtype == torch.bool


def _outputs(model, lib, x):
    model.eval()
    with lib.no_grad():
        out = model(lib.tensor(x))
    return out.numpy()


@pytest.mark.parametrize("network", list(NETWORKS))
def test_pytorch_model_weights_load_into_nnmath(network, tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    torch_model = build(network, torch)
    nnmath_model = build(network, nnmath)
    safetensors_torch.save_file(torch_model.state_dict(), tmp_path / "torch.safetensors")
    nnmath_model.load_state_dict(nnmath.load(tmp_path / "torch.safetensors"))
    x = example_input(network)
    np.testing.assert_allclose(_outputs(nnmath_model, nnmath, x), _outputs(torch_model, torch, x),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("network", list(NETWORKS))
def test_nnmath_model_weights_load_into_pytorch(network, tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    nnmath_model = build(network, nnmath)
    torch_model = build(network, torch)
    nnmath.save(nnmath_model.state_dict(), tmp_path / "nnmath.safetensors")
    torch_model.load_state_dict(safetensors_torch.load_file(tmp_path / "nnmath.safetensors"))
    x = example_input(network)
    np.testing.assert_allclose(_outputs(torch_model, torch, x), _outputs(nnmath_model, nnmath, x),
                               rtol=1e-5, atol=1e-5)


def test_saving_into_a_missing_directory_names_it(tmp_path):
    missing = tmp_path / "no_such_dir"
    with pytest.raises(RuntimeError, match=f"Parent directory {missing} does not exist"):
        nnmath.save({"w": nnmath.ones(2)}, missing / "model.safetensors")
    assert not missing.exists()
