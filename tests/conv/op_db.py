"""The op table of nnmath.ops.conv: convolutions, transposed convolutions and pooling (gradcheck,
gradgradcheck, PyTorch parity and non-contiguous inputs are generated from it by tests/test_op_db.py)."""
from __future__ import annotations

import numpy as np

from nnmath.ops import conv, pooling
from opinfo import OpInfo, Sample, set_special_points


def _F(m):
    """nnmath.nn.functional or torch.nn.functional."""
    return m.nn.functional


def _u(rng, *shape):
    return rng.uniform(-1, 1, shape)


def conv2d_samples(rng):
    out = []
    for (n, c, h, w), (o, k), kw in [
        ((2, 3, 5, 4), (2, (3, 2)), {}),
        ((1, 2, 6, 5), (3, 3), dict(stride=2, padding=1)),
        ((1, 2, 5, 6), (2, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2))),
        ((1, 4, 4, 4), (2, 3), dict(padding="same", groups=2)),
        ((2, 2, 4, 3), (2, (2, 3)), dict(padding="same", dilation=(2, 1))),
        ((1, 2, 4, 4), (2, 3), dict(padding="valid")),
        ((1, 4, 5, 4), (4, 2), dict(groups=4, stride=2)),
    ]:
        k = k if isinstance(k, tuple) else (k, k)
        g = kw.get("groups", 1)
        out.append(Sample((_u(rng, n, c, h, w), _u(rng, o, c // g, *k), _u(rng, o)), kw))
    out.append(Sample((_u(rng, 1, 2, 4, 4), _u(rng, 3, 2, 2, 2), None), dict(stride=2)))   # no bias
    out.append(Sample((_u(rng, 2, 4, 4), _u(rng, 3, 2, 3, 3), _u(rng, 3)), {}))              # unbatched
    return out


def conv1d_samples(rng):
    return [Sample((_u(rng, 2, 3, 7), _u(rng, 4, 3, 3), _u(rng, 4)), dict(stride=2, padding=1, dilation=2)),
            Sample((_u(rng, 1, 4, 6), _u(rng, 2, 2, 2), None), dict(padding="same", groups=2))]


def conv_transpose2d_samples(rng):
    out = []
    for (n, c, h, w), (o, k), kw in [
        ((2, 3, 3, 2), (2, 3), {}),
        ((1, 2, 3, 3), (3, 3), dict(stride=2, padding=1, output_padding=1)),
        ((1, 4, 3, 2), (2, (2, 3)), dict(stride=(2, 1), dilation=(1, 2), groups=2)),
        ((1, 2, 2, 3), (4, 2), dict(stride=3, padding=(1, 0), output_padding=(2, 1), groups=2)),
    ]:
        k = k if isinstance(k, tuple) else (k, k)
        g = kw.get("groups", 1)
        out.append(Sample((_u(rng, n, c, h, w), _u(rng, c, o // g, *k), _u(rng, o)), kw))
    out.append(Sample((_u(rng, 1, 2, 3, 3), _u(rng, 2, 2, 2, 2), None), dict(stride=2)))
    return out


def conv_transpose1d_samples(rng):
    return [Sample((_u(rng, 2, 3, 4), _u(rng, 3, 2, 3), _u(rng, 2)), dict(stride=2, padding=1, output_padding=1))]


def _distinct(rng, *shape):
    """Values with gaps of at least 0.05, so finite differences never move a maximum."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 - n * 0.05).reshape(shape) + rng.uniform(-0.02, 0.02, shape)


def max_pool2d_samples(rng):
    return [Sample((_distinct(rng, 2, 2, 4, 4),), dict(kernel_size=2)),
            Sample((_distinct(rng, 1, 2, 5, 6),), dict(kernel_size=3, stride=2, padding=1)),
            Sample((_distinct(rng, 1, 2, 5, 5),), dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1))),
            Sample((_distinct(rng, 1, 2, 5, 5),), dict(kernel_size=2, ceil_mode=True)),
            Sample((_distinct(rng, 1, 2, 5, 5),), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                                        return_indices=True)),
            Sample((_distinct(rng, 2, 4, 4),), dict(kernel_size=2, stride=1))]


def max_pool1d_samples(rng):
    return [Sample((_distinct(rng, 2, 3, 7),), dict(kernel_size=3, stride=2, padding=1, return_indices=True))]


def avg_pool2d_samples(rng):
    return [Sample((_u(rng, 2, 2, 4, 4),), dict(kernel_size=2)),
            Sample((_u(rng, 1, 2, 5, 6),), dict(kernel_size=3, stride=2, padding=1)),
            Sample((_u(rng, 1, 2, 5, 6),), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
            Sample((_u(rng, 1, 2, 5, 5),), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
            Sample((_u(rng, 1, 2, 5, 5),), dict(kernel_size=(2, 3), stride=(1, 2), divisor_override=4))]


def adaptive_samples(rng):
    return [Sample((_distinct(rng, 1, 2, 5, 7),), dict(output_size=(3, 4))),
            Sample((_distinct(rng, 2, 2, 4, 4),), dict(output_size=2)),
            Sample((_distinct(rng, 1, 2, 5, 3),), dict(output_size=(None, 2)))]


def interpolate_samples(rng):
    return [Sample((_u(rng, 1, 2, 3, 4),), dict(size=(5, 7), mode="nearest")),
            Sample((_u(rng, 1, 2, 3, 4),), dict(scale_factor=2, mode="bilinear", align_corners=False)),
            Sample((_u(rng, 1, 2, 3, 4),), dict(size=(4, 6), mode="bilinear", align_corners=True))]


def _pool(name):
    return lambda m, x, **kw: getattr(_F(m), name)(x, **kw)


OP_DB = [
    OpInfo("conv2d", lambda m, x, w, b=None, **kw: _F(m).conv2d(x, w, b, **kw), conv2d_samples,
           covers=(conv.Conv2d, conv.ConvTranspose2d, conv.ConvWeightGrad), rtol=1e-4, atol=1e-5),
    OpInfo("conv1d", lambda m, x, w, b=None, **kw: _F(m).conv1d(x, w, b, **kw), conv1d_samples,
           covers=(conv.Conv2d,), rtol=1e-4, atol=1e-5),
    OpInfo("conv_transpose2d", lambda m, x, w, b=None, **kw: _F(m).conv_transpose2d(x, w, b, **kw),
           conv_transpose2d_samples, covers=(conv.ConvTranspose2d, conv.Conv2d, conv.ConvWeightGrad),
           rtol=1e-4, atol=1e-5),
    OpInfo("conv_transpose1d", lambda m, x, w, b=None, **kw: _F(m).conv_transpose1d(x, w, b, **kw),
           conv_transpose1d_samples, covers=(conv.ConvTranspose2d,), rtol=1e-4, atol=1e-5),
    OpInfo("max_pool2d", _pool("max_pool2d"), max_pool2d_samples,
           covers=(pooling.MaxPool2d, pooling.MaxPoolScatter, pooling.MaxPoolGather)),
    OpInfo("max_pool1d", _pool("max_pool1d"), max_pool1d_samples, covers=(pooling.MaxPool2d,)),
    OpInfo("avg_pool2d", _pool("avg_pool2d"), avg_pool2d_samples, covers=(pooling.AvgPool2d, pooling.AvgPool2dTranspose)),
    OpInfo("adaptive_avg_pool2d", _pool("adaptive_avg_pool2d"), adaptive_samples),
    OpInfo("adaptive_max_pool2d", _pool("adaptive_max_pool2d"), adaptive_samples),
    OpInfo("interpolate", _pool("interpolate"), interpolate_samples),
]


# --- special points -------------------------------------------------------------------------------
def _tied_window_samples(rng):
    """Windows holding their maximum twice: PyTorch's convention gives the whole gradient to the first one
    (in row-major order within the window)."""
    x = np.zeros((1, 1, 4, 4))
    x[0, 0] = [[1.0, 1.0, 0.0, 2.0], [0.5, 0.0, 2.0, -1.0], [3.0, 3.0, 0.0, 0.0], [3.0, 3.0, 0.0, 0.0]]
    return [Sample((x,), dict(kernel_size=2), smooth=False)]


CONVOLUTION = "bilinear in (input, weight), affine with the bias: smooth everywhere"
SPECIAL = {
    "conv2d": CONVOLUTION, "conv1d": CONVOLUTION, "conv_transpose2d": CONVOLUTION, "conv_transpose1d": CONVOLUTION,
    "max_pool2d": _tied_window_samples,
    "max_pool1d": lambda rng: [Sample((np.array([[[1.0, 1.0, 0.5, 2.0, 2.0, 2.0, -1.0]]]),),
                                      dict(kernel_size=3, stride=2, padding=1, return_indices=True), smooth=False)],
    "avg_pool2d": "linear in the input",
    "adaptive_avg_pool2d": "linear in the input",
    "adaptive_max_pool2d": lambda rng: [Sample((np.ones((1, 1, 3, 3)),), dict(output_size=2), smooth=False)],
    "interpolate": "linear in the input (nearest and bilinear modes)",
}

set_special_points(OP_DB, SPECIAL)
