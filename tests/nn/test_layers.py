"""Every layer and loss module against PyTorch: weights copied from the torch module's state_dict,
then forward outputs and the gradients of inputs and parameters compared (float32)."""
from __future__ import annotations

import numpy as np
import pytest

import nnmath
import nnmath.nn as nn
import nnmath.nn.functional as F

torch = pytest.importorskip("torch")

# float32 throughout: values are O(1), so a few ulps of agreement in absolute and relative terms.
RTOL, ATOL = 1e-5, 1e-5


def to_torch(a):
    return torch.tensor(a, requires_grad=a.dtype.kind == "f")


def to_ours(a):
    t = nnmath.from_numpy(a.copy())
    return t.requires_grad_() if a.dtype.kind == "f" else t


def check_parity(make, inputs, *, backward=True):
    """Build the layer in both libraries, copy torch's state into ours, compare outputs and gradients."""
    theirs = make(torch)
    ours = make(nnmath)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    t_in = [to_torch(a) for a in inputs]
    o_in = [to_ours(a) for a in inputs]
    t_out, o_out = theirs(*t_in), ours(*o_in)
    np.testing.assert_allclose(o_out.detach().numpy(), t_out.detach().numpy(), rtol=RTOL, atol=ATOL)
    assert o_out.dtype == nnmath.float32
    if not backward:
        return ours, theirs
    cotangent = np.random.default_rng(1).standard_normal(tuple(t_out.shape)).astype(np.float32)
    (t_out * torch.from_numpy(cotangent)).sum().backward()
    (o_out * nnmath.from_numpy(cotangent)).sum().backward()
    for a, b in zip(o_in, t_in):
        if b.requires_grad:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=RTOL, atol=ATOL)
    theirs_grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_grads[name].grad.numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=name)
    return ours, theirs


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


LAYERS = {
    "Linear": (lambda m: m.nn.Linear(5, 3), [randn(4, 5)]),
    "Linear_3d_nobias": (lambda m: m.nn.Linear(5, 3, bias=False), [randn(2, 4, 5)]),
    "Bilinear": (lambda m: m.nn.Bilinear(3, 4, 2), [randn(5, 3), randn(5, 4, seed=1)]),
    "LayerNorm": (lambda m: m.nn.LayerNorm(6), [randn(3, 6)]),
    "LayerNorm_2d_nobias": (lambda m: m.nn.LayerNorm((2, 3), bias=False), [randn(4, 2, 3)]),
    "BatchNorm1d": (lambda m: m.nn.BatchNorm1d(4), [randn(8, 4)]),
    "BatchNorm1d_3d": (lambda m: m.nn.BatchNorm1d(4, momentum=None), [randn(3, 4, 5)]),
    "BatchNorm1d_no_affine": (lambda m: m.nn.BatchNorm1d(4, affine=False, track_running_stats=False),
                              [randn(6, 4)]),
    "Sequential": (lambda m: m.nn.Sequential(m.nn.Linear(4, 8), m.nn.Tanh(), m.nn.Flatten(0), m.nn.Unflatten(0, (2, 8))),
                   [randn(2, 4)]),
    "Identity": (lambda m: m.nn.Identity(3), [randn(2, 2)]),
}
ACTIVATIONS = {
    "ReLU": lambda m: m.nn.ReLU(), "LeakyReLU": lambda m: m.nn.LeakyReLU(0.2), "ELU": lambda m: m.nn.ELU(0.7),
    "CELU": lambda m: m.nn.CELU(1.3), "SELU": lambda m: m.nn.SELU(), "GELU": lambda m: m.nn.GELU(),
    "GELU_tanh": lambda m: m.nn.GELU("tanh"), "SiLU": lambda m: m.nn.SiLU(), "Mish": lambda m: m.nn.Mish(),
    "Sigmoid": lambda m: m.nn.Sigmoid(), "LogSigmoid": lambda m: m.nn.LogSigmoid(), "Tanh": lambda m: m.nn.Tanh(),
    "Softplus": lambda m: m.nn.Softplus(beta=2.0, threshold=3.0), "Softsign": lambda m: m.nn.Softsign(),
    "Hardtanh": lambda m: m.nn.Hardtanh(-0.5, 1.5), "ReLU6": lambda m: m.nn.ReLU6(),
    "Hardsigmoid": lambda m: m.nn.Hardsigmoid(), "Hardswish": lambda m: m.nn.Hardswish(),
    "Softmax": lambda m: m.nn.Softmax(dim=1), "Softmin": lambda m: m.nn.Softmin(dim=0),
    "LogSoftmax": lambda m: m.nn.LogSoftmax(dim=-1),
}


@pytest.mark.parametrize("name", LAYERS)
def test_layer_matches_pytorch(name):
    make, inputs = LAYERS[name]
    ours, theirs = check_parity(make, inputs)
    assert repr(ours) == repr(theirs)
    for key, value in theirs.state_dict().items():  # running statistics after one training step
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=RTOL, atol=ATOL, err_msg=key)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_pytorch(name):
    ours, theirs = check_parity(ACTIVATIONS[name], [randn(4, 5) * 3])
    assert repr(ours) == repr(theirs)


def test_extreme_inputs_stay_finite():
    x = nnmath.tensor([-200.0, -30.0, 0.0, 30.0, 200.0], requires_grad=True)
    for fn in (F.softplus, F.logsigmoid, F.elu, F.selu, F.mish, F.silu):
        y = fn(x)
        y.sum().backward()
        assert np.isfinite(y.detach().numpy()).all() and np.isfinite(x.grad.numpy()).all(), fn.__name__
        x.grad = None
    loss = F.binary_cross_entropy_with_logits(x, nnmath.tensor([1.0, 0.0, 1.0, 0.0, 1.0]))
    assert np.isfinite(loss.item())


def _targets(kind):
    rng = np.random.default_rng(3)
    if kind == "class":
        return rng.integers(0, 4, 6)
    if kind == "prob":
        return rng.dirichlet(np.ones(4), 6).astype(np.float32)
    if kind == "binary":
        return rng.integers(0, 2, (6, 4)).astype(np.float32)
    return randn(6, 4, seed=4)


W = [0.3, 1.0, 2.0, 0.5]
LOSSES = {
    "MSELoss": (lambda m: m.nn.MSELoss(), "real"),
    "L1Loss_sum": (lambda m: m.nn.L1Loss(reduction="sum"), "real"),
    "SmoothL1Loss": (lambda m: m.nn.SmoothL1Loss(beta=0.5), "real"),
    "HuberLoss": (lambda m: m.nn.HuberLoss(delta=0.7, reduction="none"), "real"),
    "BCELoss": (lambda m: m.nn.BCELoss(weight=m.tensor(W)), "binary"),
    "BCEWithLogitsLoss": (lambda m: m.nn.BCEWithLogitsLoss(pos_weight=m.tensor(W)), "binary"),
    "CrossEntropyLoss": (lambda m: m.nn.CrossEntropyLoss(), "class"),
    "CrossEntropyLoss_weight_smooth": (lambda m: m.nn.CrossEntropyLoss(weight=m.tensor(W), label_smoothing=0.1,
                                                                     ignore_index=2), "class"),
    "CrossEntropyLoss_probs": (lambda m: m.nn.CrossEntropyLoss(label_smoothing=0.2), "prob"),
    "NLLLoss_weight": (lambda m: m.nn.NLLLoss(weight=m.tensor(W), reduction="mean"), "class"),
    "KLDivLoss": (lambda m: m.nn.KLDivLoss(reduction="batchmean"), "prob"),
}


@pytest.mark.parametrize("name", LOSSES)
def test_loss_matches_pytorch(name):
    make, kind = LOSSES[name]
    x = randn(6, 4)
    if name.startswith("BCELoss"):
        x = 1 / (1 + np.exp(-x))
    if name.startswith(("NLL", "KLDiv")):
        x = x - np.log(np.exp(x).sum(1, keepdims=True))
    target = _targets(kind)
    ours, theirs = check_parity(make, [x, target])
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_gaussian_nll_loss_matches_pytorch():
    var = np.abs(randn(6, 1, seed=5)) + 0.1
    check_parity(lambda m: m.nn.GaussianNLLLoss(full=True), [randn(6, 3), randn(6, 3, seed=1), var])


def test_cosine_embedding_loss_matches_pytorch():
    target = np.array([1, -1, 1, -1])
    check_parity(lambda m: m.nn.CosineEmbeddingLoss(margin=0.2), [randn(4, 5), randn(4, 5, seed=2), target])


def test_cross_entropy_on_spatial_inputs_with_ignored_targets():
    target = np.random.default_rng(0).integers(0, 3, (2, 4, 4))
    target[0, 0, :2] = -100
    check_parity(lambda m: m.nn.CrossEntropyLoss(weight=m.tensor([1.0, 2.0, 0.5])), [randn(2, 3, 4, 4), target])


def test_binary_cross_entropy_at_certain_probabilities_has_finite_gradients():
    """At x ∈ {0, 1} the clamped loss is ℓ = −(y·max(ln x, −100) + (1 − y)·max(ln(1 − x), −100)):
    ∂ℓ/∂x = (x − y)/max(x(1 − x), 1e-12) as PyTorch (not 0·∞ = NaN), and ∂ℓ/∂y = ±100, the slope of
    the clamped loss (PyTorch gives ±∞ there)."""
    x = nnmath.tensor([0.0, 1.0], dtype=nnmath.float64, requires_grad=True)
    y = nnmath.tensor([0.3, 0.6], dtype=nnmath.float64, requires_grad=True)
    loss = nnmath.nn.functional.binary_cross_entropy(x, y, reduction="sum")
    np.testing.assert_allclose(loss.item(), 0.3 * 100 + 0.4 * 100)
    gx, gy = nnmath.autograd.grad(loss, (x, y))
    eps = float(np.float32(1e-12))
    np.testing.assert_allclose(gx.numpy(), [(0.0 - 0.3) / eps, (1.0 - 0.6) / eps], rtol=1e-12)
    np.testing.assert_allclose(gy.numpy(), [100.0, -100.0], rtol=1e-12)
