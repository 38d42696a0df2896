"""The worked examples in examples/math run with tiny sizes and their mathematical claims hold."""
import math
import os
import pathlib
import sys

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples" / "math"
sys.path.insert(0, str(EXAMPLES))

import bayesian_linear_regression  # noqa: E402
import least_squares  # noqa: E402
import mutual_information_mnist  # noqa: E402
import pca_mnist  # noqa: E402
import prediction_entropy  # noqa: E402
import vae  # noqa: E402

MNIST_DIR = os.environ.get("NNMATH_MNIST_DIR", "/work/shared/data/mnist")


def quiet(*args):
    pass


@pytest.fixture
def mnist_dir():
    if not all(os.path.exists(os.path.join(MNIST_DIR, f)) for f in
               ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz")):
        pytest.skip(f"MNIST not found in {MNIST_DIR}")
    return MNIST_DIR


def assert_png(path):
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in os.listdir(os.path.dirname(path)) if p.endswith(".tmp")]


def test_least_squares_three_ways_agree(tmp_path):
    out = least_squares.main(out=tmp_path, n_samples=30, steps=800, print_fn=quiet)
    assert out["max_diff"] < 1e-10
    # Gradient descent obeys its contraction bound (up to rounding).
    assert np.abs(out["gradient_descent"] - out["qr"]).max() <= out["bound"] + 1e-12
    # And the solution is the least-squares one: NumPy's lstsq as the reference.
    x, y = least_squares.make_data(30, 0.1, 0)
    reference = np.linalg.lstsq(np.vander(x, 4, increasing=True), y, rcond=None)[0]
    np.testing.assert_allclose(out["qr"], reference, atol=1e-12)
    assert_png(out["png"])


def test_least_squares_gradient_descent_loss_decreases(tmp_path):
    losses = least_squares.main(out=tmp_path, n_samples=20, steps=50, print_fn=quiet)["losses"]
    assert all(b <= a + 1e-15 for a, b in zip(losses, losses[1:]))


def test_pca_components_are_orthonormal_and_variances_sorted(tmp_path, mnist_dir):
    out = pca_mnist.main(out=tmp_path, data_dir=mnist_dir, n_samples=300, print_fn=quiet)
    V = out["components"]
    np.testing.assert_allclose(V @ V.T, np.eye(len(V)), atol=1e-10)
    ratio = out["explained_variance_ratio"]
    assert np.all(np.diff(ratio) <= 1e-15) and np.all(ratio >= 0)
    assert ratio.sum() <= 1 + 1e-12
    assert 0 < out["explained_10"] < out["explained_50"] <= 1
    assert_png(out["png"])


def test_pca_matches_the_covariance_eigendecomposition(mnist_dir):
    X, _ = pca_mnist._common.load_mnist(mnist_dir, n=200)
    _, S, _ = pca_mnist.pca(X)
    Xc = X - X.mean(0)
    eigenvalues = np.linalg.eigvalsh(Xc.T @ Xc)[::-1][:len(S)]
    np.testing.assert_allclose(S ** 2, np.clip(eigenvalues, 0, None), atol=1e-8 * eigenvalues[0])


def test_mutual_information_bounds(tmp_path, mnist_dir):
    out = mutual_information_mnist.main(out=tmp_path, data_dir=mnist_dir, n_samples=500, print_fn=quiet)
    mi = out["mi"]
    assert mi.shape == (784,) and out["bounds_hold"]
    assert np.all(mi >= -1e-12) and np.all(mi <= out["h_label"] + 1e-12)
    assert np.all(mi <= out["h_pixel"] + 1e-12) and out["h_label"] <= math.log2(10) + 1e-12
    assert mi.max() > 0.1                                   # central pixels do tell something about the digit
    assert_png(out["png"])


def test_mutual_information_of_a_copy_of_the_label_is_its_entropy():
    labels = np.arange(500) % 10
    X = np.zeros((500, 784))
    X[:, 0] = labels % 2                                    # pixel 0 = parity of the label
    mi, h_pixel, h_label = mutual_information_mnist.pixel_label_information(X, labels)
    assert mi[0] == pytest.approx(1.0) and h_pixel[0] == pytest.approx(1.0)
    assert h_label == pytest.approx(math.log2(10))
    assert np.all(mi[1:] == pytest.approx(0.0, abs=1e-12))


def test_bayesian_linear_regression_matches_the_closed_form(tmp_path):
    out = bayesian_linear_regression.main(out=tmp_path, steps=800, print_fn=quiet)
    sd = np.sqrt(np.diag(out["S"]))
    for name in ("full-rank", "mean-field"):
        fit = out[name]
        np.testing.assert_allclose(fit["mu"], out["m"], atol=0.15 * sd.min())
        np.testing.assert_allclose(np.diag(fit["cov"]), fit["target_var"], rtol=0.2)
        assert fit["elbo"] <= out["log_evidence"] + 1e-9          # ELBO ≤ log p(y)
        assert fit["elbo"] == pytest.approx(fit["elbo_theory"], abs=0.05)
        elbos = fit["elbos"]
        assert elbos[-100:].mean() > elbos[:20].mean() + 5       # the ELBO increases
    # The mean-field family cannot reach the correlated posterior: a strictly smaller ELBO.
    assert out["mean-field"]["elbo_theory"] < out["log_evidence"] - 0.1
    assert_png(out["png"])


def test_prediction_entropy_is_within_bounds(tmp_path, mnist_dir):
    out = prediction_entropy.main(out=tmp_path, data_dir=mnist_dir, n_samples=500, n_test=200, epochs=1,
                                  print_fn=quiet)
    assert out["epoch"] == [0, 1]
    for entropy in out["entropy"]:
        assert math.isfinite(entropy) and 0 <= entropy <= math.log2(10) + 1e-6
    assert all(0 <= a <= 1 for a in out["accuracy"])
    assert_png(out["png"])


def test_vae_elbo_is_a_bound_and_improves(tmp_path, mnist_dir):
    out = vae.main(out=tmp_path, data_dir=mnist_dir, n_samples=500, n_test=200, epochs=2, print_fn=quiet)
    elbos = out["test_elbo"]
    # Bernoulli log-likelihoods are ≤ 0 and the KL is ≥ 0, so ELBO ≤ 0; it improves with training.
    assert all(math.isfinite(e) and e <= 0 for e in elbos)
    assert elbos[1] > elbos[0]
    assert out["latent_means"].shape == (200, 2)
    assert_png(out["png"])
