"""Training-time behaviour, initialisation, utilities and error messages of nnmath.nn."""
from __future__ import annotations

import math

import numpy as np
import pytest

import nnmath
import nnmath.nn as nn
import nnmath.nn.functional as F
from nnmath.nn import init


def test_batchnorm_running_stats_follow_pytorch_over_several_steps():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for momentum in (0.1, None):
        ours, theirs = nn.BatchNorm1d(3, momentum=momentum), torch.nn.BatchNorm1d(3, momentum=momentum)
        for step in range(5):
            x = (rng.standard_normal((8, 3, 2)) * (step + 1) + step).astype(np.float32)
            ours(nnmath.from_numpy(x))
            theirs(torch.from_numpy(x))
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-5, atol=1e-6)
        ours.eval()
        theirs.eval()
        x = rng.standard_normal((4, 3)).astype(np.float32)
        np.testing.assert_allclose(ours(nnmath.from_numpy(x)).detach().numpy(),
                                   theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_batchnorm_eval_does_not_change_running_stats_and_one_sample_training_is_an_error():
    bn = nn.BatchNorm1d(2).eval()
    bn(nnmath.randn(4, 2) + 5)
    assert np.all(bn.running_mean.numpy() == 0) and bn.num_batches_tracked.item() == 0
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn.train()(nnmath.randn(1, 2))
    with pytest.raises(RuntimeError, match=r"BatchNorm1d\(2, .*input has 3 channels"):
        bn(nnmath.randn(4, 3))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        bn(nnmath.randn(4, 2, 2, 2))


def test_dropout_scales_in_training_and_is_identity_in_eval():
    nnmath.manual_seed(0)
    drop = nn.Dropout(p=0.25)
    x = nnmath.ones(200, 200)
    y = drop(x).numpy()
    kept = y != 0
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    # 40000 Bernoulli(0.75) draws: the kept fraction is within 5 standard deviations (~0.011) of 0.75
    assert abs(kept.mean() - 0.75) < 5 * math.sqrt(0.75 * 0.25 / kept.size)
    assert drop.eval()(x) is x
    assert F.dropout(x, 1.0).numpy().sum() == 0
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)


def test_dropout_gradient_is_the_mask():
    x = nnmath.ones(50, 50, requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


def test_linear_default_init_is_pytorchs():
    nnmath.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=√5) gives the same bound as the bias
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(−B, B) has standard deviation B/√3; 120000 samples put the estimate within 1%
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert abs(w.mean()) < 0.01 * bound


@pytest.mark.parametrize("fn,expected_std", [
    (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), math.sqrt(2 / 200)),
    (lambda t: init.xavier_normal_(t, gain=2.0), 2 * math.sqrt(2 / 500)),
    (lambda t: init.xavier_uniform_(t), math.sqrt(6 / 500) / math.sqrt(3)),
    (lambda t: init.trunc_normal_(t, std=0.02), 0.02),
])
def test_init_statistics(fn, expected_std):
    t = nnmath.empty(200, 300)
    assert fn(t) is t
    assert abs(t.numpy().std() - expected_std) < 0.02 * expected_std


def test_init_helpers():
    torch = pytest.importorskip("torch")
    for args in (("relu",), ("tanh",), ("leaky_relu", 0.2), ("selu",), ("conv2d",)):
        assert init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)
    assert init._calculate_fan_in_and_fan_out(nnmath.empty(8, 3, 5, 5)) == (75, 200)
    q = init.orthogonal_(nnmath.empty(3, 6)).numpy()
    np.testing.assert_allclose(q @ q.T, np.eye(3), atol=1e-6)
    np.testing.assert_array_equal(init.eye_(nnmath.empty(2, 3)).numpy(), np.eye(2, 3))
    d = init.dirac_(nnmath.empty(2, 2, 3)).numpy()
    assert d[0, 0, 1] == 1 and d[1, 1, 1] == 1 and d.sum() == 2
    p = nn.Parameter(nnmath.zeros(2, 2))
    init.constant_(p, 3.0)
    assert p.requires_grad and np.all(p.detach().numpy() == 3)
    g = nnmath.Generator().manual_seed(5)
    a = init.normal_(nnmath.empty(4), generator=g).numpy().copy()
    b = init.normal_(nnmath.empty(4), generator=nnmath.Generator().manual_seed(5)).numpy()
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(nnmath.empty(3))


def test_clip_grad_norm_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (4,), (2, 2, 2)]]
    for norm_type in (2.0, 1.0, math.inf):
        ours = [nn.Parameter(nnmath.zeros(*g.shape)) for g in grads]
        theirs = [torch.nn.Parameter(torch.zeros(g.shape)) for g in grads]
        for p, q, g in zip(ours, theirs, grads):
            p.grad, q.grad = nnmath.from_numpy(g.copy()), torch.from_numpy(g.copy())
        total = nn.utils.clip_grad_norm_(ours, 1.5, norm_type)
        expected = torch.nn.utils.clip_grad_norm_(theirs, 1.5, norm_type)
        np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-6)
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-7)
    p = nn.Parameter(nnmath.zeros(2))
    p.grad = nnmath.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_and_vector_conversion():
    p = nn.Parameter(nnmath.zeros(3))
    p.grad = nnmath.tensor([-5.0, 0.5, 5.0])
    nn.utils.clip_grad_value_([p], 1.0)
    np.testing.assert_array_equal(p.grad.numpy(), [-1.0, 0.5, 1.0])
    model = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (8,)
    nn.utils.vector_to_parameters(nnmath.arange(8.0), model.parameters())
    np.testing.assert_array_equal(model.bias.detach().numpy(), [6.0, 7.0])


def test_one_hot():
    out = F.one_hot(nnmath.tensor([0, 2, 1]))
    assert out.dtype == nnmath.int64
    np.testing.assert_array_equal(out.numpy(), np.eye(3, dtype=np.int64)[[0, 2, 1]])
    assert F.one_hot(nnmath.tensor([[1]]), num_classes=4).shape == (1, 1, 4)
    with pytest.raises(RuntimeError, match="int64"):
        F.one_hot(nnmath.tensor([0.0]))
    with pytest.raises(RuntimeError, match="smaller than num_classes: got 3 with num_classes=3"):
        F.one_hot(nnmath.tensor([3]), 3)


def test_linear_error_names_the_layer_and_both_sizes():
    with pytest.raises(RuntimeError) as info:
        nn.Linear(9216, 128)(nnmath.zeros(64, 9215))
    assert str(info.value) == ("Linear(in_features=9216, out_features=128, bias=True): input has 9215 features in "
                               "its last dimension (shape (64, 9215)); expected 9216")
    with pytest.raises(RuntimeError, match="same dtype"):
        F.linear(nnmath.zeros(2, 3, dtype=nnmath.float64), nnmath.zeros(4, 3))


def test_loss_target_errors():
    logits = nnmath.zeros(3, 5)
    with pytest.raises(RuntimeError, match="class indices of dtype int64"):
        F.nll_loss(logits, nnmath.zeros(3))
    with pytest.raises(IndexError, match="target 7 is out of bounds for 5 classes"):
        F.cross_entropy(logits, nnmath.tensor([0, 7, 1]))
    with pytest.raises(ValueError, match=r"input batch_size \(3\) to match target batch_size \(2\)"):
        F.cross_entropy(logits, nnmath.tensor([0, 1]))
    with pytest.raises(ValueError, match="target of shape"):
        F.binary_cross_entropy_with_logits(nnmath.zeros(3), nnmath.zeros(4))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(nnmath.tensor([1.5]), nnmath.tensor([1.0]))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.mse_loss(nnmath.zeros(2), nnmath.zeros(2), reduction="avg")


def test_losses_keep_float32():
    x, y = nnmath.randn(4, 3, requires_grad=True), nnmath.randn(4, 3)
    for loss in (F.mse_loss(x, y), F.huber_loss(x, y), F.cross_entropy(x, nnmath.tensor([0, 1, 2, 0])),
                 F.binary_cross_entropy_with_logits(x, y.sigmoid()), F.kl_div(x, y.softmax(1), reduction="batchmean")):
        assert loss.dtype == nnmath.float32


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and len(seq[:2]) == 2
    seq.append(nn.Sigmoid())
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear", "Sigmoid"]
    del seq[1]
    assert list(seq._modules) == ["0", "1", "2"]
    layers = nn.ModuleList([nn.Linear(2, 2)])
    layers.append(nn.Linear(2, 2))
    layers += [nn.ReLU()]
    assert len(layers) == 3 and [n for n, _ in layers.named_parameters()][:2] == ["0.weight", "0.bias"]
    heads = nn.ModuleDict({"a": nn.Linear(2, 1)})
    heads["b"] = nn.Identity()
    assert list(heads.keys()) == ["a", "b"] and "a" in heads
    params = nn.ParameterList([nnmath.zeros(2), nn.Parameter(nnmath.ones(1))])
    assert all(isinstance(p, nn.Parameter) for p in params) and len(params) == 2
    pdict = nn.ParameterDict({"s": nnmath.ones(1)})
    assert [n for n, _ in pdict.named_parameters()] == ["s"]
    with pytest.raises(IndexError, match="index 5 is out of range"):
        seq[5]


def test_seed_program_classes_build_with_nnmath():
    class Net(nn.Module):  # seed000 without the convolutions (not part of nn's core layers)
        def __init__(self):
            super().__init__()
            self.dropout1 = nn.Dropout(0.25)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = F.relu(self.fc1(self.dropout1(x)))
            return F.log_softmax(self.fc2(x), dim=1)

    out = Net()(nnmath.randn(2, 9216))
    assert out.shape == (2, 10)
    np.testing.assert_allclose(np.exp(out.detach().numpy()).sum(1), 1, rtol=1e-5)
    F.nll_loss(out, nnmath.tensor([1, 2])).backward()
