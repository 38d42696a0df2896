"""nnmath.special against math.lgamma, torch.special and closed forms."""
import math

import numpy as np
import pytest

import nnmath
from nnmath import special

X = np.concatenate([np.linspace(1e-3, 40, 300), [0.5, 1.0, 2.0, 3.0, 100.0, 1e4, 1e-8], -np.linspace(0.013, 7.9, 60)])
X = X[np.abs(X - np.round(X)) > 1e-6]


def t64(a):
    return nnmath.tensor(np.asarray(a, dtype=np.float64))


def test_gammaln_matches_math_lgamma():
    ours = special.gammaln(t64(X)).numpy()
    ref = np.array([math.lgamma(v) for v in X])
    np.testing.assert_allclose(ours, ref, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("name", ["gammaln", "digamma", "trigamma"])
def test_against_torch(name):
    torch = pytest.importorskip("torch")
    ours = {"gammaln": special.gammaln, "digamma": special.digamma,
            "trigamma": lambda x: special.polygamma(1, x)}[name](t64(X)).numpy()
    tx = torch.tensor(X)
    ref = {"gammaln": torch.lgamma, "digamma": torch.digamma,
           "trigamma": lambda x: torch.polygamma(1, x)}[name](tx).numpy()
    # torch's trigamma is itself good to ~1e-9 only
    np.testing.assert_allclose(ours, ref, rtol=1e-9 if name == "trigamma" else 1e-13, atol=1e-13)


def test_known_values():
    euler_gamma = 0.5772156649015329
    assert special.digamma(t64(1.0)).item() == pytest.approx(-euler_gamma, rel=1e-15)
    assert special.polygamma(1, t64(1.0)).item() == pytest.approx(math.pi ** 2 / 6, rel=1e-14)
    assert special.polygamma(2, t64(1.0)).item() == pytest.approx(-2 * 1.2020569031595942, rel=1e-13)
    assert special.gammaln(t64(0.5)).item() == pytest.approx(0.5 * math.log(math.pi), rel=1e-15)
    assert special.digamma(t64(0.0)).item() == -math.inf
    assert math.isnan(special.digamma(t64(-2.0)).item())
    assert special.gammaln(t64(-3.0)).item() == math.inf


def test_gradients_are_the_next_polygamma():
    x = nnmath.tensor([0.7, 2.5, 11.0], dtype=nnmath.float64, requires_grad=True)
    (g,) = nnmath.autograd.grad(special.gammaln(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), special.digamma(x).detach().numpy())
    (h,) = nnmath.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), special.polygamma(1, x).detach().numpy())


def test_chi_square_one_dof_survival_is_erfc():
    x = np.array([0.01, 0.5, 1.0, 3.84, 10.0, 30.0])
    q = special.gammaincc(t64(0.5), t64(x / 2)).numpy()
    np.testing.assert_allclose(q, [math.erfc(math.sqrt(v / 2)) for v in x], rtol=1e-12)


def test_incomplete_gamma_complements_and_integer_closed_form():
    a, x = 3.0, np.array([0.2, 2.0, 4.5, 25.0])
    p = special.gammainc(t64(a), t64(x)).numpy()
    q = special.gammaincc(t64(a), t64(x)).numpy()
    np.testing.assert_allclose(p + q, 1.0, rtol=1e-14)
    # Q(3, x) = e^{-x}(1 + x + x²/2)
    np.testing.assert_allclose(q, np.exp(-x) * (1 + x + x * x / 2), rtol=1e-12)


def test_log_ndtr_deep_tail_and_ndtri_roundtrip():
    x = np.array([-40.0, -20.0, -5.0, 0.0, 3.0])
    # mpmath, 40 digits: ln Φ(−40) = −804.60844201375378816…  (Φ(−40) underflows float64)
    assert special.log_ndtr(t64(-40.0)).item() == pytest.approx(-804.6084420137537881666, rel=1e-14)
    p = special.ndtr(t64(x)).numpy()
    back = special.ndtri(t64(p[1:])).numpy()
    np.testing.assert_allclose(back, x[1:], rtol=1e-12, atol=1e-12)


def test_xlogy_entr_at_zero():
    assert special.xlogy(t64(0.0), t64(0.0)).item() == 0.0
    assert special.entr(t64([0.0, -1.0])).numpy().tolist() == [0.0, -math.inf]
    assert special.logit(t64(0.25)).item() == pytest.approx(math.log(1 / 3))


def test_erf_is_exact_to_its_dtype_where_the_continued_fraction_is_used():
    """|z| ≥ 2 goes through the continued fraction of erfc, 80 terms for float64 and 20 for float32:
    within a few ulps of the C library's erf there too (float32: the correctly rounded value or its
    neighbour). Fewer terms are visibly wrong near z = 2."""
    from nnmath.special import _erf_np
    z = np.concatenate([np.linspace(2.0, 6.0, 40001), -np.linspace(2.0, 4.0, 2001)])
    np.testing.assert_allclose(_erf_np(z), [math.erf(v) for v in z], rtol=2e-15, atol=0)
    z32 = z.astype(np.float32)
    np.testing.assert_allclose(_erf_np(z32), np.float32([math.erf(v) for v in z32.astype(np.float64)]),
                               rtol=6e-8, atol=0)


def test_erf_is_exact_to_its_dtype_where_the_series_is_used():
    """|z| < 2 goes through a polynomial in Horner form (float64: the Taylor series with as many terms as
    |z| = 2 needs; float32: the Chebyshev interpolant of degree 11 in z²): within a few ulps of the C
    library's erf there, in float64 and in float32."""
    from nnmath.special import _erf_np
    for top in (0.1, 1.0, 1.999):
        z = np.linspace(-top, top, 40001)
        expected = np.array([math.erf(v) for v in z])
        np.testing.assert_allclose(_erf_np(z), expected, rtol=2e-15, atol=1e-300)
        # float32 results: a shorter polynomial (relative error 5.6·10⁻¹¹), still the correctly rounded
        # float32 value or its neighbour
        np.testing.assert_allclose(_erf_np(z.astype(np.float32)), np.float32(
            [math.erf(v) for v in z.astype(np.float32).astype(np.float64)]), rtol=1.2e-7, atol=1e-45)
