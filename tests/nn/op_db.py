"""The op table of ``nnmath.nn.functional``: every F.* with a gradient, gradchecked (float64, first and
second order), compared with PyTorch (float32 and float64, forward and backward) and run on
non-contiguous inputs by ``tests/test_op_db.py``."""
from __future__ import annotations

import numpy as np

from nnmath.ops.activation import BinaryCrossEntropy, Gelu, GeluDerivative, Softplus
from nnmath.ops.products import Linear
from opinfo import UNARY_SHAPES, OpInfo, Sample, point, points, positive, set_special_points, uniform

CLASS_WEIGHTS = [0.2, 1.0, 0.5, 2.0]


def F(m):
    return m.nn.functional


def unary(rng, low=-2.0, high=2.0):
    return [Sample(uniform(rng, s, low=low, high=high)) for s in UNARY_SHAPES]


def activation(name, fn, **opts):
    return OpInfo(name, fn, unary, **opts)


def pairs(rng, shapes=((3,), (3, 2), (2, 3, 2))):
    return [Sample(uniform(rng, s, s)) for s in shapes]


def linear_samples(rng):
    return [Sample(uniform(rng, (4, 3), (2, 3), (2,))),       # batch of vectors
            Sample(uniform(rng, (2, 2, 3), (2, 3), (2,))),    # leading dims are flattened into the GEMM
            Sample(uniform(rng, (3,), (2, 3), (2,)))]         # one vector


def class_samples(rng):
    """(logits, class indices) for (N, C), (C,) and (N, C, d)."""
    return [Sample((rng.uniform(-2, 2, (5, 4)), rng.integers(0, 4, 5))),
            Sample((rng.uniform(-2, 2, (4,)), np.array(2))),
            Sample((rng.uniform(-2, 2, (3, 4, 2)), rng.integers(0, 4, (3, 2))))]


def ignored_samples(rng):
    target = rng.integers(0, 4, 6)
    target[[1, 4]] = -100
    return [Sample((rng.uniform(-2, 2, (6, 4)), target))]


def probability_samples(rng):
    x = rng.uniform(-2, 2, (5, 4))
    p = rng.uniform(0.1, 1.0, (5, 4))
    return [Sample((x, p / p.sum(1, keepdims=True)))]


def norm_input(rng):
    return [Sample(uniform(rng, (4, 3))), Sample(uniform(rng, (3, 2, 4)))]


def layer_norm_samples(rng):
    return [Sample(uniform(rng, (3, 4), (4,), (4,)), {"shape": (4,)}),
            Sample(uniform(rng, (2, 3, 4), (3, 4), (3, 4)), {"shape": (3, 4)})]


def batch_norm_samples(rng):
    return [Sample(uniform(rng, (5, 3), (3,), (3,))), Sample(uniform(rng, (4, 3, 2), (3,), (3,))),
            Sample(uniform(rng, (2, 3, 2, 2), (3,), (3,)))]


def regression(rng):
    return [Sample(uniform(rng, s, s, low=-2, high=2)) for s in [(), (4,), (3, 2)]]


def probabilities(rng):
    return [Sample(uniform(rng, s, s, low=0.05, high=0.95)) for s in [(2,), (3, 2)]]


def gaussian(rng):
    return [Sample(uniform(rng, (4, 2), (4, 2)) + positive(rng, (4, 2))),
            Sample(uniform(rng, (4, 2), (4, 2)) + positive(rng, (4,)))]


def kl_samples(rng):
    x = np.log(positive(rng, (3, 4))[0])
    return [Sample((x, positive(rng, (3, 4), low=0.1, high=1.0)[0]))]


def constant(m, x, y, target):
    """``y``, or the constant ``target`` given as a keyword."""
    return y if target is None else m.tensor(target, dtype=x.dtype)


def weights(m, x):
    return m.tensor(CLASS_WEIGHTS, dtype=x.dtype)


OP_DB = [
    OpInfo("nn.linear", lambda m, x, w, b: F(m).linear(x, w, b), linear_samples, covers=(Linear,)),
    OpInfo("nn.linear_no_bias", lambda m, x, w, b: F(m).linear(x, w), linear_samples),
    OpInfo("nn.bilinear", lambda m, x1, x2, w, b: F(m).bilinear(x1, x2, w, b),
           lambda rng: [Sample(uniform(rng, (3, 2), (3, 4), (5, 2, 4), (5,)))]),
    activation("nn.softplus", lambda m, x: F(m).softplus(x), covers=(Softplus,)),
    activation("nn.softplus_beta_threshold", lambda m, x: F(m).softplus(x, beta=2.0, threshold=1.5)),
    activation("nn.relu", lambda m, x: F(m).relu(x)),
    activation("nn.leaky_relu", lambda m, x: F(m).leaky_relu(x, 0.2)),
    activation("nn.elu", lambda m, x: F(m).elu(x, alpha=1.5)),
    activation("nn.celu", lambda m, x: F(m).celu(x, alpha=0.5)),
    activation("nn.selu", lambda m, x: F(m).selu(x)),
    # gradgradcheck differentiates GeluDerivative, whose own backward is composite (any order).
    activation("nn.gelu", lambda m, x: F(m).gelu(x), covers=(Gelu, GeluDerivative)),
    activation("nn.gelu_tanh", lambda m, x: F(m).gelu(x, approximate="tanh")),
    activation("nn.silu", lambda m, x: F(m).silu(x)),
    activation("nn.mish", lambda m, x: F(m).mish(x)),
    activation("nn.logsigmoid", lambda m, x: F(m).logsigmoid(x)),
    activation("nn.softsign", lambda m, x: F(m).softsign(x)),
    activation("nn.hardtanh", lambda m, x: F(m).hardtanh(x, -1.5, 0.5)),
    activation("nn.relu6", lambda m, x: F(m).relu6(x * 4)),
    # PyTorch's float64 hardsigmoid backward multiplies by a float32 1/6 (relative error ~3e-8).
    # PyTorch has no double backward for hardsigmoid (piecewise linear: its Hessian is 0).
    activation("nn.hardsigmoid", lambda m, x: F(m).hardsigmoid(x * 2), rtol64=1e-8, torch_hvp=False),
    activation("nn.hardswish", lambda m, x: F(m).hardswish(x * 2)),
    OpInfo("nn.softmin", lambda m, x: F(m).softmin(x, dim=-1), norm_input),
    OpInfo("nn.normalize", lambda m, x: F(m).normalize(x, dim=1), norm_input),
    OpInfo("nn.normalize_p1", lambda m, x: F(m).normalize(x, p=1.0, dim=-1), norm_input),
    OpInfo("nn.cosine_similarity", lambda m, a, b: F(m).cosine_similarity(a, b, dim=-1), pairs),
    OpInfo("nn.pairwise_distance", lambda m, a, b: F(m).pairwise_distance(a, b), pairs),
    OpInfo("nn.layer_norm", lambda m, x, w, b, shape: F(m).layer_norm(x, shape, w, b),
           layer_norm_samples, rtol=1e-4, atol=1e-5),
    OpInfo("nn.batch_norm_training", lambda m, x, w, b: F(m).batch_norm(x, None, None, w, b, training=True),
           batch_norm_samples, rtol=1e-4, atol=1e-5),
    OpInfo("nn.group_norm", lambda m, x, w, b: F(m).group_norm(x, 3, w, b),
           lambda rng: [Sample(uniform(rng, (2, 6, 2), (6,), (6,)))], rtol=1e-4, atol=1e-5),
    OpInfo("nn.mse_loss", lambda m, x, y: F(m).mse_loss(x, y), regression),
    OpInfo("nn.mse_loss_none", lambda m, x, y: F(m).mse_loss(x, y, reduction="none"), regression),
    OpInfo("nn.l1_loss", lambda m, x, y: F(m).l1_loss(x, y, reduction="sum"), regression),
    OpInfo("nn.smooth_l1_loss", lambda m, x, y: F(m).smooth_l1_loss(x, y, beta=0.7), regression),
    OpInfo("nn.huber_loss", lambda m, x, y: F(m).huber_loss(x, y, delta=0.8), regression),
    # The target is a keyword (a constant) at x ∈ {0, 1}: there ∂ℓ/∂y is ±100 for nnmath (the slope of the
    # clamped loss) and ±∞ for PyTorch; test_layers.py checks nnmath's value.
    OpInfo("nn.binary_cross_entropy",
           lambda m, x, y=None, target=None: F(m).binary_cross_entropy(x, constant(m, x, y, target)), probabilities,
           covers=(BinaryCrossEntropy,)),
    OpInfo("nn.binary_cross_entropy_weight",
           lambda m, x, y=None, target=None: F(m).binary_cross_entropy(
               x, constant(m, x, y, target), weight=m.tensor([0.5, 2.0], dtype=x.dtype), reduction="sum"),
           probabilities),
    OpInfo("nn.bce_with_logits", lambda m, x, y: F(m).binary_cross_entropy_with_logits(x * 4, y), probabilities),
    OpInfo("nn.bce_with_logits_pos_weight",
           lambda m, x, y: F(m).binary_cross_entropy_with_logits(
               x * 4, y, weight=m.tensor([0.5, 2.0], dtype=x.dtype), pos_weight=m.tensor([3.0, 0.5], dtype=x.dtype),
               reduction="none"),
           probabilities),
    OpInfo("nn.nll_loss", lambda m, x, t: F(m).nll_loss(F(m).log_softmax(x, 0 if x.ndim == 1 else 1), t),
           class_samples),
    OpInfo("nn.nll_loss_weight_ignore", lambda m, x, t: F(m).nll_loss(x, t, weight=weights(m, x)),
           ignored_samples),
    OpInfo("nn.cross_entropy", lambda m, x, t: F(m).cross_entropy(x, t), class_samples),
    OpInfo("nn.cross_entropy_none", lambda m, x, t: F(m).cross_entropy(x, t, reduction="none"), class_samples),
    OpInfo("nn.cross_entropy_weight_smoothing",
           lambda m, x, t: F(m).cross_entropy(x, t, weight=weights(m, x), label_smoothing=0.2), class_samples),
    OpInfo("nn.cross_entropy_ignore_smoothing",
           lambda m, x, t: F(m).cross_entropy(x, t, weight=weights(m, x), label_smoothing=0.1, reduction="mean"),
           ignored_samples),
    OpInfo("nn.cross_entropy_probabilities",
           lambda m, x, p: F(m).cross_entropy(x, p, weight=weights(m, x), label_smoothing=0.1), probability_samples),
    OpInfo("nn.kl_div", lambda m, x, y: F(m).kl_div(x, y, reduction="batchmean"), kl_samples),
    OpInfo("nn.kl_div_log_target", lambda m, x, y: F(m).kl_div(x, y.log(), reduction="sum", log_target=True),
           kl_samples),
    OpInfo("nn.gaussian_nll_loss", lambda m, x, y, v: F(m).gaussian_nll_loss(x, y, v, full=True), gaussian),
    OpInfo("nn.cosine_embedding_loss",
           lambda m, a, b: F(m).cosine_embedding_loss(a, b, m.tensor([1, -1, 1]), margin=-0.5),
           lambda rng: [Sample(uniform(rng, (3, 4), (3, 4)))]),
]


# --- special points -------------------------------------------------------------------------------
def kink(*args, **kwargs):
    """Not differentiable here: PyTorch's convention (e.g. relu′(0) = 0) is the reference."""
    return point(*args, smooth=False, **kwargs)


# Reasons why PyTorch's second derivative is not the reference at some kinks (see opinfo.Sample.differs)
BRANCH = ("the second derivative jumps here; PyTorch's double backward takes the other branch than its "
          "backward, nnmath's derivative is that of its first derivative")
EPS_CLAMP = ("‖x‖ < eps around this point, so the function is x/eps there with Hessian 0 (nnmath); PyTorch's "
             "NaN is the norm's undefined Hessian at 0 times the clamp's zero gradient")
BCE_EDGE = ("∂²ℓ/∂x² is infinite at x ∈ {0, 1}: PyTorch's finite stand-in clamps (x(1 − x))² at 1e-12, "
            "nnmath's is the derivative of its clamped first derivative")
ZERO = points(point([0.0, -0.0, 1e-8, -1e-8]))
AT_ZERO_KINK = points(kink([0.0, -0.0, 1.0, -1.0]))
EQUAL_ROWS = [[0.3, -0.2, 0.5], [0.3, -0.2, 0.5], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]

SPECIAL = {
    "nn.linear": "affine: smooth everywhere", "nn.linear_no_bias": "linear: smooth everywhere",
    "nn.bilinear": "bilinear: smooth everywhere",
    "nn.softplus": ZERO,                                            # σ(0) = ½, σ′(0) = ¼
    "nn.softplus_beta_threshold": points(point([0.0]), kink([0.75, 0.7499, 0.7501], differs=BRANCH)),  # βx = 1.5
    "nn.relu": AT_ZERO_KINK, "nn.leaky_relu": AT_ZERO_KINK,
    "nn.elu": points(kink([0.0, -0.0, 1.0, -1.0], differs=BRANCH)),   # the derivative (or its own) jumps at 0
    "nn.celu": points(kink([0.0, -0.0, 1.0, -1.0], differs=BRANCH)),
    "nn.selu": points(kink([0.0, -0.0, 1.0, -1.0], differs=BRANCH)),
    "nn.gelu": ZERO, "nn.gelu_tanh": ZERO, "nn.silu": ZERO, "nn.mish": ZERO, "nn.logsigmoid": ZERO,
    "nn.softsign": AT_ZERO_KINK,                                    # C¹ only: the second derivative jumps at 0
    "nn.hardtanh": points(kink([-1.5, 0.5, 0.0])),                  # on the bounds the gradient is 0 (PyTorch)
    "nn.relu6": points(kink([0.0, 1.5, 0.75])),                     # 4x at 0 and 6
    "nn.hardsigmoid": points(kink([-1.5, 1.5, 0.0])),               # 2x at ±3
    "nn.hardswish": points(kink([-1.5, 1.5, 0.0])),
    "nn.softmin": points(point(EQUAL_ROWS)),
    "nn.normalize": points(kink(EQUAL_ROWS, differs=EPS_CLAMP)),   # a zero row: ‖x‖ = 0 < eps
    "nn.normalize_p1": points(kink(EQUAL_ROWS)),
    "nn.cosine_similarity": points(kink(EQUAL_ROWS, [[0.3, -0.2, 0.5], [-0.3, 0.2, -0.5], [1.0, 0.0, 0.0],
                                                     [0.0, 0.0, 0.0]], differs=EPS_CLAMP)),   # equal, opposite, 0
    "nn.pairwise_distance": points(kink(EQUAL_ROWS, EQUAL_ROWS)),   # x₁ = x₂: ‖x₁ − x₂ + ε‖ with ε = 1e-6
    "nn.layer_norm": points(point([[0.5, 0.5, 0.5, 0.5], [1.0, 2.0, 3.0, 4.0]], [1.0, 0.5, 2.0, 1.0],
                                  [0.0, 0.1, 0.2, 0.3], shape=(4,))),       # a constant row: variance 0
    "nn.batch_norm_training": points(point([[0.5, 1.0], [0.5, 2.0], [0.5, 3.0]], [1.0, 2.0], [0.0, 0.5])),
    "nn.group_norm": points(point(np.full((2, 6, 2), 0.25), np.ones(6), np.zeros(6))),
    "nn.mse_loss": points(point([0.5, -1.0], [0.5, -1.0])), "nn.mse_loss_none": points(point([0.5, -1.0], [0.5, -1.0])),
    "nn.l1_loss": points(kink([0.5, -1.0, 0.0], [0.5, -1.0, 1.0])),  # |0|: gradient 0
    "nn.smooth_l1_loss": points(point([0.5, -1.0], [0.5, -1.0]), kink([0.7, 0.0], [0.0, 0.7])),  # d = 0; |d| = β
    "nn.huber_loss": points(point([0.5, -1.0], [0.5, -1.0]), kink([0.8, 0.0], [0.0, 0.8], differs=BRANCH)),
    # certain targets are constants (a perturbed 0 or 1 leaves [0, 1], which is refused)
    "nn.binary_cross_entropy": points(point([0.5, 0.5], target=[0.0, 1.0]),
                                      kink([0.0, 1.0], target=[0.3, 0.6], differs=BCE_EDGE)),
    "nn.binary_cross_entropy_weight": points(point([0.5, 0.5], target=[0.0, 1.0]),
                                             kink([0.0, 1.0], target=[0.3, 0.6], differs=BCE_EDGE)),
    "nn.bce_with_logits": points(point([0.0, 0.0], [0.0, 1.0])),   # logits 0
    "nn.bce_with_logits_pos_weight": points(point([0.0, 0.0], [0.0, 1.0])),
    "nn.nll_loss": points(point(np.zeros((2, 4)), np.array([1, 3]))),           # equal logits
    "nn.nll_loss_weight_ignore": points(point(np.zeros((3, 4)), np.array([0, -100, 2]))),
    "nn.cross_entropy": points(point(np.zeros((2, 4)), np.array([1, 3]))),
    "nn.cross_entropy_none": points(point(np.zeros((2, 4)), np.array([1, 3]))),
    "nn.cross_entropy_weight_smoothing": points(point(np.zeros((2, 4)), np.array([1, 3]))),
    "nn.cross_entropy_ignore_smoothing": points(point(np.zeros((3, 4)), np.array([0, -100, 2]))),
    "nn.cross_entropy_probabilities": points(point(np.zeros((2, 4)), [[1.0, 0.0, 0.0, 0.0], [0.25] * 4])),
    "nn.kl_div": points(kink([[-1.0, -2.0], [0.0, -0.5]], [[0.0, 1.0], [0.5, 0.5]])),   # target 0: t ln t = 0
    "nn.kl_div_log_target": points(point([[-1.0, -2.0], [0.0, -0.5]], [[0.3, 0.1], [1.0, 0.6]])),
    "nn.gaussian_nll_loss": points(point([0.5, 1.0], [0.5, 1.0], [1.0, 2.0]),            # x = y
                                   kink([0.5, 1.0], [0.0, 1.0], [1e-7, 2.0])),          # variance clamped at ε
    "nn.cosine_embedding_loss": points(kink([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]],
                                            [[1.0, 0.0, 0.0, 0.0], [0.0, -1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]])),
}

set_special_points(OP_DB, SPECIAL)
