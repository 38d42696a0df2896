"""The device API with the strict CuPy stand-in behind ``cuda``: moving tensors and modules, where
results land, PyTorch's errors, saving and loading, and the CPU path untouched."""
from __future__ import annotations

import numpy as np
import pytest

import nnmath
import nnmath.nn as nn
import strict_xp
from nnmath.backend import use_cuda_module
from nnmath.utils.data import DataLoader, TensorDataset

CUDA = nnmath.device("cuda", 0)


@pytest.fixture
def on_standin():
    with use_cuda_module(strict_xp.xp):
        yield


def test_to_cuda_and_back_is_differentiable(on_standin):
    x = nnmath.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.to("cuda")
    assert y.device == CUDA and y.is_cuda and y.get_device() == 0 and x.get_device() == -1
    assert y.grad_fn.name() == "ToDeviceBackward"
    z = (y * y).sum().cpu()
    assert z.device == nnmath.device("cpu")
    z.backward()
    assert x.grad.device.type == "cpu" and x.grad.tolist() == [2.0, 4.0, 6.0]


def test_moving_to_the_same_device_returns_the_tensor(on_standin):
    x = nnmath.ones(2).cuda()
    assert x.cuda() is x and x.to("cuda") is x and x.to("cuda:0") is x
    assert x.to("cuda", copy=True) is not x
    assert x.to("cuda", nnmath.float64).dtype == nnmath.float64 and x.to("cuda", nnmath.float64).is_cuda


def test_creation_functions_take_device(on_standin):
    for t in (nnmath.zeros(2, 3, device="cuda"), nnmath.ones(2, device=CUDA), nnmath.full((2,), 7.0, device="cuda"),
              nnmath.arange(4, device="cuda"), nnmath.eye(2, device="cuda"), nnmath.randn(3, device="cuda"),
              nnmath.tensor([1, 2], device="cuda"), nnmath.linspace(0, 1, 5, device="cuda")):
        assert type(t._data) is strict_xp.ndarray, t
    like = nnmath.zeros_like(nnmath.ones(2, device="cuda"))
    assert like.is_cuda and nnmath.randn_like(like).is_cuda and like.new_zeros(3).is_cuda


def test_set_default_device(on_standin):
    nnmath.set_default_device("cuda")
    try:
        assert nnmath.get_default_device() == CUDA
        assert nnmath.zeros(2).is_cuda and nnmath.tensor([1.0]).is_cuda
        assert not nnmath.from_numpy(np.ones(2)).is_cuda  # from_numpy shares host memory, as PyTorch
    finally:
        nnmath.set_default_device(None)
    assert not nnmath.zeros(2).is_cuda


def test_mixing_devices_raises_pytorch_error(on_standin):
    a, b = nnmath.ones(3).cuda(), nnmath.ones(3)
    for call in (lambda: a + b, lambda: b * a, lambda: a @ b, lambda: nnmath.cat([a, b])):
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found at least "
                                               "two devices, cuda:0 and cpu!"):
            call()


def test_zero_dim_cpu_tensor_joins_a_gpu_op_with_its_gradient(on_standin):
    """As PyTorch: a 0-dim CPU tensor may meet CUDA tensors, and its gradient comes back to the CPU."""
    scale = nnmath.tensor(2.0, requires_grad=True)
    x = nnmath.ones(3).cuda()
    y = x * scale
    assert y.is_cuda
    y.sum().backward()
    assert not scale.grad.is_cuda and scale.grad.item() == 3.0


def test_numpy_of_a_gpu_tensor_raises_as_pytorch(on_standin):
    x = nnmath.ones(2).cuda()
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu()"):
        x.numpy()
    with pytest.raises(TypeError, match="can't convert cuda:0"):
        np.asarray(x)
    assert x.numpy(force=True).tolist() == [1.0, 1.0] and x.tolist() == [1.0, 1.0] and x.sum().item() == 2.0
    assert repr(x) == "tensor([1., 1.], device='cuda:0')"


def test_module_to_moves_parameters_buffers_and_grads_in_place(on_standin):
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    weight = model[0].weight
    model(nnmath.randn(4, 3)).sum().backward()
    assert model.cuda() is model and model[0].weight is weight
    assert weight.is_cuda and weight.grad.is_cuda and model[1].running_mean.is_cuda
    assert model(nnmath.randn(4, 3, device="cuda")).is_cuda
    model.cpu()
    assert not weight.is_cuda and not model[1].running_var.is_cuda


def test_layers_take_device(on_standin):
    layer = nn.Linear(3, 2, device="cuda")
    assert layer.weight.is_cuda and layer.bias.is_cuda
    assert nn.Conv2d(1, 2, 3, device="cuda").weight.is_cuda and nn.LayerNorm(4, device="cuda").weight.is_cuda


def test_save_from_gpu_and_load_with_map_location(on_standin, tmp_path):
    path = tmp_path / "t.safetensors"
    state = {"w": nnmath.arange(4.0).cuda(), "b": nnmath.ones(2)}
    nnmath.save(state, path)
    back = nnmath.load(path)
    assert back["w"].is_cuda and not back["b"].is_cuda and back["w"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert not nnmath.load(path, map_location="cpu")["w"].is_cuda
    assert not nnmath.load(path, map_location={"cuda:0": "cpu"})["w"].is_cuda
    assert nnmath.load(path, map_location="cuda")["b"].is_cuda
    assert not nnmath.load(path, map_location=lambda storage, location: storage)["w"].is_cuda


def test_loading_a_gpu_checkpoint_without_a_gpu_says_map_location(tmp_path):
    path = tmp_path / "t.safetensors"
    with use_cuda_module(strict_xp.xp):
        nnmath.save({"w": nnmath.ones(2).cuda()}, path)
    with pytest.raises(RuntimeError, match="map_location=nnmath.device\\('cpu'\\)"):
        nnmath.load(path)
    assert nnmath.load(path, map_location="cpu")["w"].tolist() == [1.0, 1.0]


def test_cuda_is_refused_clearly_without_a_gpu():
    if nnmath.cuda.is_available():
        pytest.skip("a GPU is visible")
    with pytest.raises(RuntimeError, match="device 'cuda' is not available.*CuPy"):
        nnmath.ones(2).cuda()
    with pytest.raises(RuntimeError, match="not available"):
        nnmath.zeros(2, device="cuda")


def test_cuda_reports_the_stand_in_as_a_device(on_standin):
    assert nnmath.cuda.is_available() and nnmath.cuda.device_count() == 1


def test_dataloader_pin_memory_is_accepted_and_batches_move(on_standin):
    data = TensorDataset(nnmath.arange(6.0).reshape(3, 2), nnmath.tensor([0, 1, 0]))
    for x, y in DataLoader(data, batch_size=2, pin_memory=True):
        assert x.cuda(non_blocking=True).is_cuda and not x.is_cuda
