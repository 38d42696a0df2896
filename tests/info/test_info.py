"""nnmath.info: identities (hypothesis), validation, estimators against closed forms."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import nnmath
from nnmath import info


def _normalise(a):
    a = np.asarray(a, dtype=np.float64)
    return a / a.sum()


def tables(shape):
    # entries in {0} ∪ [1e-3, 1] so that zeros (0 ln 0 = 0) are exercised
    elems = st.one_of(st.just(0.0), st.floats(1e-3, 1.0))
    return hnp.arrays(np.float64, shape, elements=elems).filter(lambda a: a.sum() > 0).map(_normalise)


def T(a):
    return nnmath.tensor(a, dtype=nnmath.float64)


@settings(max_examples=60, deadline=None)
@given(tables((3, 4)))
def test_mutual_information_identity_and_nonnegativity(p):
    pxy = T(p)
    hx = info.entropy(pxy.sum(1)).item()
    hy = info.entropy(pxy.sum(0)).item()
    hxy = info.joint_entropy(pxy).item()
    mi = info.mutual_information(pxy).item()
    assert mi == pytest.approx(hx + hy - hxy, abs=1e-12)
    assert mi >= -1e-12
    # conditioning reduces entropy; chain rule
    h_y_given_x = info.conditional_entropy(pxy, given=0).item()
    assert h_y_given_x <= hy + 1e-12
    assert hxy == pytest.approx(hx + h_y_given_x, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(tables((5,)), tables((5,)))
def test_kl_js_cross_entropy(p, q):
    kl = info.kl_divergence(T(p), T(q)).item()
    assert kl >= -1e-12
    assert info.kl_divergence(T(p), T(p)).item() == pytest.approx(0, abs=1e-14)
    js = info.js_divergence(T(p), T(q)).item()
    assert js == pytest.approx(info.js_divergence(T(q), T(p)).item(), abs=1e-14)
    assert -1e-12 <= js <= math.log(2) + 1e-12
    if not np.allclose(p, q):
        assert js > 0
    if np.all((q > 0) | (p == 0)):
        h = info.entropy(T(p)).item()
        assert info.cross_entropy(T(p), T(q)).item() == pytest.approx(h + kl, abs=1e-10)
    else:
        assert kl == math.inf


@settings(max_examples=40, deadline=None)
@given(tables((2, 3, 2)))
def test_conditional_mutual_information_nonnegative_and_chain(p):
    cmi = info.conditional_mutual_information(T(p)).item()
    assert cmi >= -1e-12
    # I(X;Y|Z) = H(X|Z) − H(X|Y,Z)
    pxz = T(p.sum(1))
    h_x_given_z = info.conditional_entropy(pxz, given=1).item()
    h_x_given_yz = info.conditional_entropy(T(p), given=(1, 2)).item()
    assert cmi == pytest.approx(h_x_given_z - h_x_given_yz, abs=1e-12)


def test_values_bits_and_distribution_objects():
    assert info.entropy(T([0.5, 0.5]), base=2).item() == pytest.approx(1.0)
    assert info.entropy(T([1.0, 0.0])).item() == 0.0
    assert info.perplexity(T([0.25] * 4)).item() == pytest.approx(4.0)
    d = nnmath.distributions.Normal(T(0.0), T(2.0))
    assert info.entropy(d).item() == pytest.approx(0.5 + 0.5 * math.log(2 * math.pi) + math.log(2.0))
    # independent table has zero mutual information
    assert info.mutual_information(T(np.outer([0.2, 0.8], [0.5, 0.3, 0.2]))).item() == pytest.approx(0, abs=1e-15)


def test_entropy_gradient():
    p = T([0.2, 0.3, 0.5]).requires_grad_()
    info.entropy(p).backward()
    np.testing.assert_allclose(p.grad.numpy(), -np.log([0.2, 0.3, 0.5]) - 1)


@pytest.mark.parametrize("call,match", [
    (lambda: info.entropy(T([0.5, 0.6])), r"entropy: probabilities must sum to 1 \(tolerance 1e-06 relative\), but they sum to 1\.1"),
    (lambda: info.entropy(T([1.2, -0.2])), r"entropy: probabilities must be non-negative"),
    (lambda: info.mutual_information(T([[0.5, 0.1], [0.1, 0.1]])), r"mutual_information: .* sum to 0\.8"),
    (lambda: info.kl_divergence(T([0.5, 0.5]), T([0.9, 0.2])), r"kl_divergence: .* sum to 1\.1"),
])
def test_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_miller_madow_reduces_bias_on_uniform():
    m, n, trials = 20, 50, 300
    rng = np.random.default_rng(0)
    plug, mm = [], []
    for _ in range(trials):
        counts = np.bincount(rng.integers(0, m, n), minlength=m)
        plug.append(info.entropy_from_counts(counts).item())
        mm.append(info.entropy_from_counts(counts, correction="miller-madow").item())
    truth = math.log(m)
    assert abs(np.mean(mm) - truth) < abs(np.mean(plug) - truth) / 2
    assert np.mean(plug) < truth  # the plug-in estimator is biased down


def test_plugin_mutual_information_from_samples():
    rng = np.random.default_rng(1)
    p = np.array([[0.3, 0.1], [0.1, 0.5]])
    idx = rng.choice(4, size=20000, p=p.ravel())
    x, y = idx // 2, idx % 2
    est = info.mutual_information_from_samples(x, y).item()
    assert est == pytest.approx(info.mutual_information(T(p)).item(), abs=0.01)
    assert info.entropy_from_samples(x).item() == pytest.approx(info.entropy(T(p.sum(1))).item(), abs=0.01)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_ksg_gaussian_pair(rho):
    """I = −½ ln(1 − ρ²); the KSG estimator's sd at N = 1000, k = 3 is about 0.02–0.03."""
    rng = np.random.default_rng(2)
    z = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=1000)
    est = info.ksg_mutual_information(z[:, 0], z[:, 1], k=3).item()
    assert est == pytest.approx(-0.5 * math.log(1 - rho ** 2), abs=0.06)
