"""nn.DataParallel as PyTorch 2.13 behaves without GPUs: it wraps the module and calls it on the whole
batch; ``.module``, ``device_ids == []``, ``module.``-prefixed state_dict keys and the repr are PyTorch's."""
import numpy as np
import pytest

import nnmath
import nnmath.nn as nn


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 2)
        self.register_buffer("offset", nnmath.ones(2))

    def forward(self, x, *, scale=1.0):
        return self.linear(x) * scale + self.offset


def test_calls_the_module_with_its_arguments():
    inner = TwoInputs()
    model = nn.DataParallel(inner, device_ids=[0, 1], output_device=0)
    x = nnmath.randn(5, 3)
    np.testing.assert_array_equal(model(x, scale=2.0).detach().numpy(), inner(x, scale=2.0).detach().numpy())
    assert model.module is inner and model.device_ids == []


def test_gradients_reach_the_wrapped_parameters():
    model = nn.DataParallel(nn.Linear(3, 1))
    assert [p for p in model.parameters()] == [p for p in model.module.parameters()]
    model(nnmath.randn(4, 3)).sum().backward()
    assert model.module.weight.grad is not None and model.module.weight.grad.shape == (1, 3)


def test_state_dict_repr_and_attributes_as_torch():
    torch = pytest.importorskip("torch")

    class TorchTwoInputs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(3, 2)
            self.register_buffer("offset", torch.ones(2))

    expected = torch.nn.DataParallel(TorchTwoInputs(), device_ids=[0])
    got = nn.DataParallel(TwoInputs(), device_ids=[0])
    assert list(got.state_dict()) == list(expected.state_dict()) == ["module.offset", "module.linear.weight",
                                                                         "module.linear.bias"]
    assert repr(got).replace("TwoInputs", "X") == repr(expected).replace("TorchTwoInputs", "X")
    assert got.device_ids == expected.device_ids == []
    for name in ("dim", "output_device"):  # PyTorch sets them only when it has GPUs
        assert hasattr(got, name) == hasattr(expected, name) is False


def test_a_wrapped_checkpoint_loads_into_a_wrapped_model():
    torch = pytest.importorskip("torch")
    source = torch.nn.DataParallel(torch.nn.Linear(3, 2))
    target = nn.DataParallel(nn.Linear(3, 2))
    target.load_state_dict({key: value.numpy() for key, value in source.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    # Float32 sums in another order differ by a few roundings of their terms, not of the result (an
    # output near 0 is a cancelled sum): the bound is 4 ulp of Σ|wᵢxᵢ| + |b|.
    weight, bias = source.module.weight.detach().numpy(), source.module.bias.detach().numpy()
    terms = np.abs(x) @ np.abs(weight).T + np.abs(bias)
    got = target(nnmath.tensor(x)).detach().numpy()
    assert np.all(np.abs(got - source(torch.tensor(x)).detach().numpy()) <= 4 * np.finfo(np.float32).eps * terms)


def test_functional_form_needs_gpus_as_in_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.nn.parallel.data_parallel(torch.nn.Linear(3, 2), (torch.randn(2, 3),))
    with pytest.raises(RuntimeError, match="no GPU"):
        nn.parallel.data_parallel(nn.Linear(3, 2), (nnmath.randn(2, 3),))
