"""Module mechanics: registration order, state_dict keys as PyTorch's, load_state_dict, modes, hooks, to()."""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import nnmath
import nnmath.nn as nn


def make_model(lib):
    """A model mixing Linear / LayerNorm / BatchNorm1d / nested Sequential, the same in nnmath and torch."""
    class Block(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(4, 6)
            self.norm = lib.nn.LayerNorm(6)
            self.head = lib.nn.Sequential(lib.nn.BatchNorm1d(6), lib.nn.ReLU(), lib.nn.Sequential(lib.nn.Linear(6, 3)))
            self.scale = lib.nn.Parameter(lib.ones(3))
            self.register_buffer("offset", lib.zeros(3))
            self.register_buffer("cache", lib.zeros(2), persistent=False)

        def forward(self, x):
            return self.head(self.norm(self.fc(x))) * self.scale + self.offset
    return Block()


def test_state_dict_keys_and_order_match_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = make_model(nnmath), make_model(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]


def test_a_replaced_submodule_or_parameter_keeps_its_place_as_in_pytorch():
    torch = pytest.importorskip("torch")

    def build(m):
        net = m.nn.Sequential(m.nn.Conv2d(3, 4, 3), m.nn.BatchNorm2d(4), m.nn.ReLU())
        net.scale = m.nn.Parameter(m.ones(1))
        net.shift = m.nn.Parameter(m.zeros(1))
        setattr(net, "0", m.nn.Conv2d(1, 4, 3))   # a pretrained net given a 1-channel input layer
        net.scale = m.nn.Parameter(m.ones(2))
        return net
    ours, theirs = build(nnmath), build(torch)
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()] == ["0", "1", "2"]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert nnmath.nn.Sequential(*ours.children())(nnmath.ones(1, 1, 5, 5)).shape == (1, 4, 3, 3)


def test_pytorch_state_dict_loads_and_gives_the_same_outputs():
    torch = pytest.importorskip("torch")
    theirs = make_model(torch)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    theirs(torch.from_numpy(x))  # moves the running statistics away from their initial values
    with torch.no_grad():
        theirs.offset.normal_()
    ours = make_model(nnmath)
    result = ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    for mode in (True, False):
        ours.train(mode)
        theirs.train(mode)
        # float32 through four layers: agreement to a few float32 ulps of the O(1) outputs
        np.testing.assert_allclose(ours(nnmath.from_numpy(x)).detach().numpy(),
                                   theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_load_state_dict_copies_in_place_keeping_parameter_objects():
    model = make_model(nnmath)
    weight = model.fc.weight
    state = {k: np.full(tuple(v.shape), 0.5, v.numpy().dtype) for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert model.fc.weight is weight
    assert np.all(weight.detach().numpy() == 0.5) and weight.requires_grad


def test_load_state_dict_error_lists_missing_unexpected_and_mis_shaped_keys():
    model = make_model(nnmath)
    state = dict(model.state_dict())
    del state["norm.bias"]
    state["extra.weight"] = nnmath.zeros(1)
    state["fc.weight"] = nnmath.zeros(6, 5)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "Error(s) in loading state_dict for Block" in message
    assert 'Missing key(s) in state_dict: "norm.bias"' in message
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in message
    assert "size mismatch for fc.weight: copying a param with shape (6, 5)" in message
    assert "(6, 4)" in message


def test_load_state_dict_non_strict_returns_the_keys():
    model = make_model(nnmath)
    state = dict(model.state_dict())
    del state["norm.bias"]
    state["extra"] = nnmath.zeros(1)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert missing == ["norm.bias"] and unexpected == ["extra"]


def test_state_dict_values_are_detached_and_share_memory():
    model = nn.Linear(2, 2)
    w = model.state_dict()["weight"]
    assert not w.requires_grad and w.grad_fn is None
    w.numpy()[0, 0] = 7.0
    assert model.weight.detach().numpy()[0, 0] == 7.0


def test_registration_rules():
    model = nn.Module()
    model.w = nn.Parameter(nnmath.zeros(2))
    model.sub = nn.Linear(2, 2)
    model.plain = nnmath.zeros(2)
    assert [n for n, _ in model.named_parameters()] == ["w", "sub.weight", "sub.bias"]
    with pytest.raises(TypeError, match="parameter 'w'"):
        model.w = nnmath.zeros(2)
    model.w = None
    assert [n for n, _ in model.named_parameters()] == ["sub.weight", "sub.bias"]
    del model.sub
    assert list(model.named_parameters()) == []
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'missing'"):
        model.missing
    assert "w" in dir(model)


def test_assigning_before_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Broken()


def test_shared_parameters_appear_once():
    fc = nn.Linear(2, 2)
    model = nn.Sequential(fc, fc)
    assert len(list(model.parameters())) == 2
    assert len(list(model.modules())) == 2


def test_train_eval_zero_grad_requires_grad():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout())
    assert model.eval() is model and not model[1].training
    model.train()
    assert model[1].training
    model(nnmath.ones(3, 2)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert np.all(model[0].weight.grad.numpy() == 0)
    model.zero_grad()
    assert model[0].weight.grad is None
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_hooks_run_and_can_replace_values():
    model = nn.Linear(2, 2)
    calls = []
    pre = model.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = model.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = model(nnmath.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), model.bias.detach().numpy()[None] + 1)
    assert calls == [(1, 2)]
    pre.remove()
    post.remove()
    np.testing.assert_allclose(model(nnmath.zeros(1, 2)).detach().numpy(), model.bias.detach().numpy()[None])


def test_to_converts_floating_parameters_in_place():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    weight = model[0].weight
    model.double()
    assert model[0].weight is weight and weight.dtype == nnmath.float64
    assert model[1].running_mean.dtype == nnmath.float64
    assert model[1].num_batches_tracked.dtype == nnmath.int64
    assert model(nnmath.ones(3, 2, dtype=nnmath.float64)).dtype == nnmath.float64
    with pytest.raises(TypeError, match="floating point"):
        model.to(nnmath.int64)


def test_lookup_apply_and_repr():
    model = make_model(nnmath)
    assert model.get_submodule("head.2.0") is model.head[2][0]
    assert model.get_parameter("head.2.0.bias") is model.head[2][0].bias
    assert model.get_buffer("head.0.running_var") is model.head[0].running_var
    with pytest.raises(AttributeError, match="no submodule `nope`"):
        model.get_submodule("head.nope")
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Block" and seen[0] == "Linear"
    text = repr(model)
    assert "(fc): Linear(in_features=4, out_features=6, bias=True)" in text
    assert "    (2): Sequential(\n      (0): Linear(in_features=6, out_features=3, bias=True)" in text


def test_repr_matches_pytorch():
    torch = pytest.importorskip("torch")
    assert repr(make_model(nnmath)) == repr(make_model(torch))


def test_parameter_repr_pickle_and_deepcopy():
    p = nn.Parameter(nnmath.zeros(2))
    assert repr(p).startswith("Parameter containing:\ntensor([0., 0.], requires_grad=True)")
    for clone in (pickle.loads(pickle.dumps(p)), copy.deepcopy(p)):
        assert isinstance(clone, nn.Parameter) and clone.requires_grad
    model = copy.deepcopy(nn.Linear(2, 2))
    assert isinstance(model.weight, nn.Parameter)
    assert isinstance(pickle.loads(pickle.dumps(nn.Linear(2, 2))).weight, nn.Parameter)


def test_forward_missing_is_a_clear_error():
    with pytest.raises(NotImplementedError, match='Module \\[Module\\] is missing the required "forward"'):
        nn.Module()(1)
