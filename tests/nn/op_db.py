"""The op table of ``nnmath.nn.functional``: every F.* with a gradient, gradchecked (float64, first and
second order), compared with PyTorch (float32 and float64, forward and backward) and run on
non-contiguous inputs by ``tests/test_op_db.py``."""
from __future__ import annotations

import numpy as np

from nnmath.ops.activation import Softplus
from nnmath.ops.products import Linear
from opinfo import UNARY_SHAPES, OpInfo, Sample, positive, uniform

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
    activation("nn.gelu", lambda m, x: F(m).gelu(x)),
    activation("nn.gelu_tanh", lambda m, x: F(m).gelu(x, approximate="tanh")),
    activation("nn.silu", lambda m, x: F(m).silu(x)),
    activation("nn.mish", lambda m, x: F(m).mish(x)),
    activation("nn.logsigmoid", lambda m, x: F(m).logsigmoid(x)),
    activation("nn.softsign", lambda m, x: F(m).softsign(x)),
    activation("nn.hardtanh", lambda m, x: F(m).hardtanh(x, -1.5, 0.5)),
    activation("nn.relu6", lambda m, x: F(m).relu6(x * 4)),
    # PyTorch's float64 hardsigmoid backward multiplies by a float32 1/6 (relative error ~3e-8).
    activation("nn.hardsigmoid", lambda m, x: F(m).hardsigmoid(x * 2), rtol64=1e-8),
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
    OpInfo("nn.binary_cross_entropy", lambda m, x, y: F(m).binary_cross_entropy(x, y), probabilities),
    OpInfo("nn.binary_cross_entropy_weight",
           lambda m, x, y: F(m).binary_cross_entropy(x, y, weight=m.tensor([0.5, 2.0], dtype=x.dtype),
                                                     reduction="sum"),
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
