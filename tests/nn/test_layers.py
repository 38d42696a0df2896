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
    "BatchNorm3d": (lambda m: m.nn.BatchNorm3d(3), [randn(2, 3, 2, 3, 2)]),
    "InstanceNorm1d": (lambda m: m.nn.InstanceNorm1d(4), [randn(2, 4, 6)]),
    "InstanceNorm2d_affine_tracked": (lambda m: m.nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
                                      [randn(2, 3, 4, 5)]),
    "InstanceNorm2d_unbatched": (lambda m: m.nn.InstanceNorm2d(3, affine=True), [randn(3, 4, 4)]),
    "InstanceNorm3d": (lambda m: m.nn.InstanceNorm3d(2, momentum=None, track_running_stats=True),
                       [randn(2, 2, 3, 3, 2)]),
    "PReLU": (lambda m: m.nn.PReLU(), [randn(3, 4)]),
    "PReLU_channels": (lambda m: m.nn.PReLU(3, init=0.1), [randn(2, 3, 4)]),
    "PixelShuffle": (lambda m: m.nn.PixelShuffle(2), [randn(2, 8, 3, 3)]),
    "PixelUnshuffle": (lambda m: m.nn.PixelUnshuffle(3), [randn(1, 2, 6, 9)]),
    "ReflectionPad1d": (lambda m: m.nn.ReflectionPad1d((2, 1)), [randn(2, 3, 4)]),
    "ReflectionPad2d": (lambda m: m.nn.ReflectionPad2d(2), [randn(1, 2, 4, 5)]),
    "ReflectionPad3d": (lambda m: m.nn.ReflectionPad3d((1, 0, 1, 1, 0, 1)), [randn(1, 2, 3, 3, 3)]),
    "ReplicationPad2d": (lambda m: m.nn.ReplicationPad2d((1, 2, 0, 3)), [randn(2, 3, 3)]),
    "ReplicationPad1d": (lambda m: m.nn.ReplicationPad1d(3), [randn(2, 3, 2)]),
    "ZeroPad2d": (lambda m: m.nn.ZeroPad2d((1, 0, 2, 1)), [randn(1, 2, 2, 3)]),
    "ConstantPad1d": (lambda m: m.nn.ConstantPad1d(2, -1.5), [randn(2, 3)]),
    "ConstantPad3d": (lambda m: m.nn.ConstantPad3d((0, 1, 1, 0, 2, 0), 0.5), [randn(1, 1, 2, 2, 2)]),
    "CircularPad2d": (lambda m: m.nn.CircularPad2d(1), [randn(1, 2, 3, 3)]),
    "GLU": (lambda m: m.nn.GLU(1), [randn(3, 4, 2)]),
    "Softmax2d": (lambda m: m.nn.Softmax2d(), [randn(2, 3, 2, 2)]),
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
    "Threshold": lambda m: m.nn.Threshold(0.3, -2.0), "Hardshrink": lambda m: m.nn.Hardshrink(0.6),
    "Softshrink": lambda m: m.nn.Softshrink(0.4), "Tanhshrink": lambda m: m.nn.Tanhshrink(),
    "RReLU_eval": lambda m: m.nn.RReLU(0.1, 0.3).eval(),
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


def test_rrelu_in_training_draws_pytorchs_slopes():
    torch.manual_seed(3)
    nnmath.manual_seed(3)
    x = randn(4, 5) * 3
    theirs = torch.nn.RReLU()(to_torch(x))
    ours = nnmath.nn.RReLU()(to_ours(x))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_matches_pytorch(mode):
    """Bags from offsets (one of them empty) and from the rows of a 2-D input, a padding id left out,
    per-sample weights in 'sum' mode; outputs and the table's gradient as PyTorch's."""
    ids, offsets = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 4, 4, 6])
    weights = randn(8, seed=3) if mode == "sum" else None
    theirs = torch.nn.EmbeddingBag(10, 3, mode=mode, padding_idx=2)
    ours = nnmath.nn.EmbeddingBag(10, 3, mode=mode, padding_idx=2)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    t_out = theirs(torch.tensor(ids), torch.tensor(offsets), None if weights is None else torch.tensor(weights))
    o_out = ours(nnmath.tensor(ids), nnmath.tensor(offsets), None if weights is None else nnmath.tensor(weights))
    np.testing.assert_allclose(o_out.detach().numpy(), t_out.detach().numpy(), rtol=RTOL, atol=ATOL)
    t_out.sum().backward()
    o_out.sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=RTOL, atol=ATOL)
    rows = ids.reshape(2, 4)
    np.testing.assert_allclose(ours(nnmath.tensor(rows)).detach().numpy(),
                               theirs(torch.tensor(rows)).detach().numpy(), rtol=RTOL, atol=ATOL)


def _signs(*shape, seed=5):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0).astype(np.float32)


MORE_LOSSES = {  # (module, inputs): margin and ranking losses, Poisson NLL
    "MarginRankingLoss": (lambda m: m.nn.MarginRankingLoss(0.3), [randn(6), randn(6, seed=1), _signs(6)]),
    "HingeEmbeddingLoss": (lambda m: m.nn.HingeEmbeddingLoss(0.8, reduction="sum"),
                           [np.abs(randn(6, 4)), _signs(6, 4).astype(np.int64)]),  # targets: no gradient
    "SoftMarginLoss": (lambda m: m.nn.SoftMarginLoss(), [randn(6, 4), _signs(6, 4).astype(np.int64)]),
    "MultiLabelSoftMarginLoss": (lambda m: m.nn.MultiLabelSoftMarginLoss(weight=m.tensor(W)),
                                 [randn(6, 4), (_signs(6, 4) > 0).astype(np.float32)]),
    "TripletMarginLoss_swap": (lambda m: m.nn.TripletMarginLoss(margin=0.5, p=1.0, swap=True),
                               [randn(5, 3), randn(5, 3, seed=1), randn(5, 3, seed=2)]),
    "PoissonNLLLoss_full": (lambda m: m.nn.PoissonNLLLoss(full=True), [randn(6, 4), np.abs(randn(6, 4, seed=1)) * 3]),
    "PoissonNLLLoss_rate": (lambda m: m.nn.PoissonNLLLoss(log_input=False, reduction="none"),
                            [np.abs(randn(6, 4)) + 0.1, np.abs(randn(6, 4, seed=1)) * 3]),
    "CosineSimilarity": (lambda m: m.nn.CosineSimilarity(dim=0), [randn(4, 3), randn(4, 3, seed=1)]),
    "PairwiseDistance": (lambda m: m.nn.PairwiseDistance(p=3.0, keepdim=True), [randn(4, 3), randn(4, 3, seed=1)]),
    "Upsample_nearest": (lambda m: m.nn.Upsample(size=(5, 7)), [randn(1, 2, 3, 4)]),
    "Upsample_bilinear": (lambda m: m.nn.Upsample(scale_factor=2, mode="bilinear"), [randn(1, 2, 3, 4)]),
    "UpsamplingNearest2d": (lambda m: m.nn.UpsamplingNearest2d(scale_factor=3), [randn(2, 1, 2, 2)]),
    "UpsamplingBilinear2d": (lambda m: m.nn.UpsamplingBilinear2d(size=(4, 6)), [randn(1, 1, 3, 3)]),
}


@pytest.mark.parametrize("name", MORE_LOSSES)
def test_more_losses_and_layers_match_pytorch(name):
    make, inputs = MORE_LOSSES[name]
    ours, theirs = check_parity(make, inputs)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())


def test_dropout3d_and_gumbel_softmax_draw_pytorchs_numbers():
    def run(m):
        m.manual_seed(4)
        drop = m.nn.Dropout3d(0.5)(m.ones(2, 3, 2, 2, 2))
        soft = m.nn.functional.gumbel_softmax(m.tensor(randn(3, 5)), tau=0.7)
        hard = m.nn.functional.gumbel_softmax(m.tensor(randn(3, 5)), hard=True)
        return [drop, soft, hard]
    for ours, theirs in zip(run(nnmath), run(torch)):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=RTOL, atol=ATOL)


def test_deprecated_init_names_warn_and_initialise():
    with pytest.warns(FutureWarning, match="xavier_uniform_"):
        w = nnmath.nn.init.xavier_uniform(nnmath.empty(3, 4))
    assert float(w.abs().max()) <= (6 / 7) ** 0.5


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


def test_lazy_layers_initialise_as_pytorchs_on_the_first_call():
    """Lazy layers read their input size from the first call, draw the same initial weights then (the
    optimizer built before that run keeps working), become the ordinary layer, and print, list their
    state and load a state_dict as PyTorch's."""
    def run(m):
        m.manual_seed(0)
        net = m.nn.Sequential(m.nn.LazyConv2d(6, 3, padding=1), m.nn.LazyBatchNorm2d(), m.nn.ReLU(),
                              m.nn.LazyConvTranspose2d(2, 2, stride=2), m.nn.Flatten(), m.nn.LazyLinear(10),
                              m.nn.LazyBatchNorm1d(), m.nn.LazyLinear(3, bias=False))
        before = repr(net), [repr(v) for v in net.state_dict().values()]
        opt = m.optim.SGD(net.parameters(), lr=0.1)
        x = m.tensor(randn(4, 2, 3, 3))
        net(x).sum().backward()
        opt.step()
        return before, repr(net), list(net.state_dict()), net(x).detach().numpy()
    ours, theirs = run(nnmath), run(torch)
    assert ours[:3] == theirs[:3]
    np.testing.assert_allclose(ours[3], theirs[3], rtol=RTOL, atol=ATOL)
    trained = torch.nn.LazyLinear(3)
    trained(torch.ones(2, 4))
    lazy = nnmath.nn.LazyLinear(3)
    lazy.load_state_dict({k: v.detach().numpy() for k, v in trained.state_dict().items()})
    np.testing.assert_allclose(lazy(nnmath.ones(2, 4)).detach().numpy(), trained(torch.ones(2, 4)).detach().numpy(),
                               rtol=RTOL, atol=ATOL)
    assert type(lazy) is nnmath.nn.Linear


@pytest.mark.parametrize("x_shape", [(5,), (4, 5), (2, 3, 5)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_linear_gradients_on_arrays_equal_those_recorded_as_ops(x_shape, bias, dtype):
    """Without create_graph Linear's backward runs its products on the arrays; with it, as ops (so that
    they can be differentiated again). The two give the same bits (float16 stays on the ops)."""
    rng = np.random.default_rng(0)
    x = nnmath.tensor(rng.standard_normal(x_shape).astype(dtype), requires_grad=True)
    weight = nnmath.tensor(rng.standard_normal((3, 5)).astype(dtype), requires_grad=True)
    b = nnmath.tensor(rng.standard_normal(3).astype(dtype), requires_grad=True) if bias else None
    cotangent = nnmath.tensor(rng.standard_normal(x_shape[:-1] + (3,)).astype(dtype))
    inputs = [t for t in (x, weight, b) if t is not None]
    on_arrays = nnmath.autograd.grad(F.linear(x, weight, b), inputs, cotangent)
    as_ops = nnmath.autograd.grad(F.linear(x, weight, b), inputs, cotangent, create_graph=True)
    assert as_ops[0].requires_grad  # x̄ = ȳ W was recorded: it depends on W
    for a, o in zip(on_arrays, as_ops):
        assert not a.requires_grad
        assert a.dtype == o.dtype and np.array_equal(a.numpy(), o.detach().numpy())
