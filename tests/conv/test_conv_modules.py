"""Convolution and pooling layers against PyTorch (weights copied through NumPy), their errors, and
properties of the functional ops the op table does not state (float32 stays float32, NaN, layouts)."""
from __future__ import annotations

import numpy as np
import pytest

import nnmath
import nnmath.nn as nn
import nnmath.nn.functional as F

torch = pytest.importorskip("torch")


def _copy_params(ours, theirs):
    for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname and tuple(p.shape) == tuple(tp.shape)
        p.data = nnmath.tensor(tp.detach().numpy().copy())


def _check(ours, theirs, shape, rtol=1e-5, atol=1e-5, seed=0):
    _copy_params(ours, theirs)
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    xn = nnmath.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    yn, yt = ours(xn), theirs(xt)
    np.testing.assert_allclose(yn.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(seed + 1).standard_normal(tuple(yt.shape)).astype(np.float32)
    (yn * nnmath.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("args,kwargs,shape", [
    ((3, 8, 3), {}, (2, 3, 9, 8)),
    ((4, 6, (3, 2)), dict(stride=2, padding=1, groups=2), (2, 4, 9, 8)),
    ((3, 4, 3), dict(padding="same", dilation=2, bias=False), (1, 3, 7, 7)),
    ((3, 4, 3), dict(padding=2, padding_mode="reflect"), (2, 3, 6, 6)),
    ((3, 4, 3), dict(padding=1, padding_mode="circular"), (2, 3, 6, 6)),
    ((3, 4, 3), dict(padding=(1, 2), padding_mode="replicate"), (2, 3, 6, 6)),
    ((3, 4, 3), {}, (3, 6, 6)),
])
def test_conv2d_module_matches_torch(args, kwargs, shape):
    _check(nn.Conv2d(*args, **kwargs), torch.nn.Conv2d(*args, **kwargs), shape)


def test_conv1d_and_transposed_modules_match_torch():
    _check(nn.Conv1d(3, 5, 3, stride=2, padding=1), torch.nn.Conv1d(3, 5, 3, stride=2, padding=1), (2, 3, 11))
    _check(nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
           torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2), (2, 4, 5, 4))
    _check(nn.ConvTranspose1d(3, 2, 4, stride=3), torch.nn.ConvTranspose1d(3, 2, 4, stride=3), (2, 3, 5))


def test_conv_transpose_output_size_argument():
    m = nn.ConvTranspose2d(2, 3, 3, stride=2)
    assert tuple(m(nnmath.randn(1, 2, 4, 4), output_size=(10, 9)).shape) == (1, 3, 10, 9)
    with pytest.raises(ValueError, match="valid sizes range from 9 to 10"):
        m(nnmath.randn(1, 2, 4, 4), output_size=(12, 9))


@pytest.mark.parametrize("ours,theirs,shape", [
    (nn.MaxPool2d(2), torch.nn.MaxPool2d(2), (2, 3, 8, 8)),
    (nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True), (2, 3, 8, 7)),
    (nn.MaxPool1d(3, 2), torch.nn.MaxPool1d(3, 2), (2, 3, 9)),
    (nn.AvgPool2d(3, 2, 1, count_include_pad=False), torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False),
     (2, 3, 8, 7)),
    (nn.AdaptiveAvgPool2d((3, 2)), torch.nn.AdaptiveAvgPool2d((3, 2)), (2, 3, 8, 7)),
    (nn.AdaptiveMaxPool2d(3), torch.nn.AdaptiveMaxPool2d(3), (2, 3, 8, 7)),
    (nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3), (4, 3, 5, 5)),
    (nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4), (3, 4, 5, 5)),
])
def test_pool_and_norm_modules_match_torch(ours, theirs, shape):
    _check(ours, theirs, shape)


def test_reset_parameters_follows_pytorch_bounds():
    m = nn.Conv2d(8, 16, 3)
    bound = 1 / np.sqrt(8 * 9)
    assert np.abs(m.weight.detach().numpy()).max() <= bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    assert m.weight.detach().numpy().std() > bound / 3
    assert repr(m) == repr(torch.nn.Conv2d(8, 16, 3))


def test_conv_error_messages():
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises(RuntimeError, match=r"expected input with 3 channels.*got 5 channels"):
        conv(nnmath.randn(2, 5, 8, 8))
    with pytest.raises(RuntimeError, match=r"\(N, C, H, W\) or \(C, H, W\).*2-D input of shape \(8, 8\)"):
        conv(nnmath.randn(8, 8))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        conv(nnmath.randn(1, 3, 2, 2))
    with pytest.raises(RuntimeError, match="should be the same"):
        F.conv2d(nnmath.randn(1, 3, 5, 5, dtype=nnmath.float64), conv.weight)
    with pytest.raises(ValueError, match="not supported for strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(RuntimeError, match="at most half of effective kernel size"):
        F.max_pool2d(nnmath.randn(1, 1, 5, 5), 2, padding=2)
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        F.conv_transpose2d(nnmath.randn(1, 2, 3, 3), nnmath.randn(2, 2, 3, 3), output_padding=1)


def test_unbatched_input_gives_unbatched_output():
    conv = nn.Conv2d(3, 4, 3)
    x = nnmath.randn(3, 6, 6)
    np.testing.assert_allclose(conv(x).detach().numpy(), conv(x.unsqueeze(0))[0].detach().numpy(), rtol=1e-6)
    assert tuple(F.max_pool2d(x, 2).shape) == (3, 3, 3)


def test_float32_stays_float32_through_forward_and_backward():
    conv = nn.Conv2d(2, 3, 3)
    x = nnmath.randn(2, 2, 6, 6, requires_grad=True)
    y = F.max_pool2d(F.relu(conv(x)), 2)
    assert y.dtype == nnmath.float32
    y.sum().backward()
    assert x.grad.dtype == nnmath.float32 and conv.weight.grad.dtype == nnmath.float32


def test_max_pool_propagates_nan_and_breaks_ties_like_torch():
    x = np.zeros((1, 1, 4, 4), np.float32)
    x[0, 0, 0, 1] = np.nan
    y, idx = F.max_pool2d(nnmath.tensor(x), 2, return_indices=True)
    yt, it = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), yt.numpy())
    np.testing.assert_array_equal(idx.numpy()[0, 0, 1:], it.numpy()[0, 0, 1:])   # ties: first maximum


def test_dropout2d_zeroes_whole_channels_and_scales():
    nnmath.manual_seed(0)
    x = nnmath.ones(8, 16, 4, 4)
    y = F.dropout2d(x, 0.5).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(-1) == per_channel.max(-1)).all()
    assert 0 < (per_channel[:, :, 0] == 0).mean() < 1
    m = nn.Dropout2d(0.5).eval()
    assert np.array_equal(m(x).numpy(), x.numpy())


def test_conv_is_twice_differentiable():
    from nnmath.autograd import gradgradcheck
    x = nnmath.randn(1, 2, 5, 5, dtype=nnmath.float64, requires_grad=True)
    w = nnmath.randn(3, 2, 3, 3, dtype=nnmath.float64, requires_grad=True)
    assert gradgradcheck(lambda x, w: F.conv2d(x, w, stride=2, padding=1).tanh(), (x, w))


def test_seed_cnn_step_matches_torch():
    """The seed CNN (conv-relu-conv-relu-maxpool-fc-relu-fc-log_softmax) in eval mode: loss and every
    parameter gradient agree with PyTorch."""
    def build(lib):
        m = lib.nn
        return m.Sequential(m.Conv2d(1, 4, 3, 1), m.ReLU(), m.Conv2d(4, 8, 3, 1), m.ReLU(), m.MaxPool2d(2),
                            m.Flatten(), m.Linear(8 * 12 * 12, 16), m.ReLU(), m.Linear(16, 10), m.LogSoftmax(1))
    ours, theirs = build(nnmath), build(torch)
    _copy_params(ours, theirs)
    rng = np.random.default_rng(0)
    x = rng.random((4, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 4)
    ln = F.nll_loss(ours(nnmath.tensor(x)), nnmath.tensor(y))
    lt = torch.nn.functional.nll_loss(theirs(torch.tensor(x)), torch.tensor(y))
    ln.backward()
    lt.backward()
    np.testing.assert_allclose(ln.item(), lt.item(), rtol=1e-5)
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-3, atol=1e-5)


def test_dropout2d_masks_the_first_two_dimensions_like_torch():
    """PyTorch's rule: a 2-D input is dropped element-wise (warning), a 3-D one as (N, C, L)."""
    nnmath.manual_seed(0)
    with pytest.warns(UserWarning, match="2-D input"):
        y = F.dropout2d(nnmath.ones(64, 8), 0.5).numpy()
    assert not (y.min(1) == y.max(1)).all()                     # not whole rows
    y3 = F.dropout2d(nnmath.ones(4, 8, 5), 0.5).numpy()
    assert (y3.min(2) == y3.max(2)).all() and 0 < (y3[:, :, 0] == 0).mean() < 1
    assert set(np.unique(F.dropout1d(nnmath.ones(8, 5), 0.5).numpy().min(1))) <= {0.0, 2.0}


def test_two_forwards_before_backward_and_retain_graph():
    """The column matrix is reused between steps only once its weight gradient is computed."""
    conv, tconv = nn.Conv2d(3, 4, 3), torch.nn.Conv2d(3, 4, 3)
    _copy_params(conv, tconv)
    rng = np.random.default_rng(0)
    x1, x2 = (rng.standard_normal((2, 3, 40, 40)).astype(np.float32) for _ in range(2))
    y1, y2 = conv(nnmath.tensor(x1)), conv(nnmath.tensor(x2))
    (y1.sum() + (y2 * y2).sum()).backward(retain_graph=True)
    (y1.sum()).backward()
    t1, t2 = tconv(torch.tensor(x1)), tconv(torch.tensor(x2))
    (t1.sum() + (t2 * t2).sum()).backward(retain_graph=True)
    t1.sum().backward()
    np.testing.assert_allclose(conv.weight.grad.numpy(), tconv.weight.grad.numpy(), rtol=1e-4, atol=1e-3)
