"""A large batch is convolved in chunks of images: no column matrix (im2col's, or convᵀ's products)
larger than ``_window.CHUNK_BYTES`` is ever allocated, and the results are those of PyTorch."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import nnmath
import nnmath.nn.functional as F
from nnmath.ops import _window

torch = pytest.importorskip("torch")

BUDGET = 64 << 10  # bytes: a few images' columns in these tests, a small fraction of the whole batch's


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(_window, "CHUNK_BYTES", BUDGET)
    _window._scratch.clear()  # a cached array would be reused, not allocated: start from none
    yield
    _window._scratch.clear()


def _batch(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_image_chunks_cover_the_batch_within_the_budget(small_chunks):
    per_image = 10_000
    chunks = _window.image_chunks(0, 23, per_image)
    assert [i for s in chunks for i in range(23)[s]] == list(range(23))
    assert all((s.stop - s.start) * per_image <= BUDGET for s in chunks)
    assert len(chunks) == -(-23 // (BUDGET // per_image))
    assert _window.image_chunks(0, 3, 10 * BUDGET) == [slice(0, 1), slice(1, 2), slice(2, 3)]  # one image at least


def test_a_large_batch_never_allocates_its_whole_column_matrix(small_chunks):
    # The whole batch's im2col: 64 images · 10·10 windows · 3·3·8 values · 4 bytes = 1.8 MB, 28 budgets.
    x = nnmath.tensor(_batch((64, 8, 12, 12)))
    w = nnmath.tensor(_batch((8, 8, 3, 3), 1))
    whole_cols = 64 * 10 * 10 * 72 * 4
    output = 64 * 8 * 10 * 10 * 4
    with nnmath.no_grad():
        tracemalloc.start()
        try:
            y = F.conv2d(x, w)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak <= output + 2 * BUDGET + (32 << 10), (peak, whole_cols)
    expected = torch.nn.functional.conv2d(torch.tensor(x.numpy()), torch.tensor(w.numpy()))
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs", [{}, dict(stride=2, padding=1, groups=2), dict(dilation=2, padding=2)])
def test_chunked_convolution_and_its_gradients_match_pytorch(small_chunks, monkeypatch, kwargs):
    sizes = []
    for name in ("im2col", "take_scratch"):  # conv's column matrices: im2col's and convᵀ's products
        real = getattr(nnmath.ops.conv, name)

        def spy(*args, _real=real, **kwargs):
            out = _real(*args, **kwargs)
            sizes.append(out.nbytes)
            return out
        monkeypatch.setattr(nnmath.ops.conv, name, spy)
    x, w, b = _batch((40, 4, 11, 10)), _batch((6, 4 // kwargs.get("groups", 1), 3, 3), 1), _batch(6, 2)
    xn, wn, bn = (nnmath.tensor(a, requires_grad=True) for a in (x, w, b))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yn, yt = F.conv2d(xn, wn, bn, **kwargs), torch.nn.functional.conv2d(xt, wt, bt, **kwargs)
    g = _batch(tuple(yt.shape), 3)
    (yn * nnmath.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    assert len(sizes) > 6 and max(sizes) <= BUDGET  # several chunks, each within the budget
    np.testing.assert_allclose(yn.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    for ours, theirs in ((xn, xt), (wn, wt), (bn, bt)):
        # the weight gradient sums 40 images' products: float32 rounding grows with the sum
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-4, atol=1e-4)
