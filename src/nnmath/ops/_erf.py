"""erf on float64 arrays with NumPy alone, the kernel of :func:`nnmath.special.erf` and of the exact GELU.

:func:`erf_rows` evaluates a polynomial for |z| < 2 and the continued fraction of erfc beyond; the
polynomial and the number of the fraction's terms are set by the dtype of the result (:data:`ERF_SERIES`),
so that a float32 result is the correctly rounded value (or within 0.501 of its ulp) without the cost of
float64's precision.
"""
from __future__ import annotations

import math

import numpy as np


#: The Taylor coefficients of erf(z)·√π/2 = Σₙ cₙ z^(2n+1), cₙ = (−1)ⁿ / (n! (2n + 1)).
_ERF_TAYLOR = tuple((-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(60))
#: Terms of the series for a float64 result: the first term whose size at |z| = 2, relative to the
#: first, is below 10⁻¹⁷ is the last; the series alternates, so the relative error is below it.
_ERF_TAYLOR_TERMS = next(n + 1 for n, c in enumerate(_ERF_TAYLOR) if abs(c) * 4.0 ** n < 1e-17)


def erf_rows(x, out, *, series):
    """erf of the float64 numbers x (1-D) into ``out``: erf z = z·P(w), w = a z² + b, for z = x clipped to
    [−2, 2] (``series`` = (a, b, P's coefficients from the constant term up, a factor of the result, the
    terms of the continued fraction)), in Horner form, then the continued fraction where |x| ≥ 2 (or x
    is NaN)."""
    scale, shift, coefficients, factor, tail_terms = series
    z = np.clip(x, -2.0, 2.0)
    w = z * z
    if scale != 1.0:
        w *= scale
    if shift:
        w += shift
    out.fill(coefficients[-1])
    for c in reversed(coefficients[:-1]):
        out *= w
        out += c
    out *= z
    if factor != 1.0:
        out *= factor
    big = np.flatnonzero(~(np.abs(x) < 2.0))  # indices: a few percent of x, gathered once
    if big.size:
        tail = x[big]
        out[big] = np.sign(tail) * -np.expm1(log_erfc_tail(np.abs(tail), tail_terms))


def log_erfc_tail(z, terms=80):
    """ln erfc(z) for z ≥ 2 from the continued fraction (A&S 7.1.14), evaluated from its
    last term (the ``terms``-th):
    erfc(z) = e^(−z²)/√π · 1/(z + ½/(z + 1/(z + 3/2/(z + …))))."""
    frac = np.zeros_like(z)
    for k in range(terms, 0, -1):
        frac = (k / 2.0) / (z + frac)
    return -z * z - 0.5 * math.log(math.pi) - np.log(z + frac)


def _erf_over_z(s):
    """erf(z)/z at z = √t, t = 2(s + 1) ∈ [0, 4] (2/√π at z = 0), from the float64 Taylor series."""
    z = np.sqrt(2.0 * (s + 1.0))
    out = np.empty_like(z)
    erf_rows(z, out, series=ERF_SERIES[8])
    return np.divide(out, z, out=np.full_like(z, 2 / math.sqrt(math.pi)), where=z > 0)


#: erf z = z·P(w) for |z| < 2 by the itemsize of the result. float64: the Taylor series in w = z² (32
#: terms, relative error below 10⁻¹⁵). float32 and narrower: the polynomial of degree 11 in w = z²/2 − 1
#: that interpolates erf(z)/z at the Chebyshev points of [0, 4] in z², relative error 5.6·10⁻¹¹ (below the
#: 2⁻³⁰ the series was cut at): 12 steps of Horner's rule instead of the series' 23, each result the
#: correctly rounded float32 or within 0.501 of its ulp. Beyond |z| = 2 the continued fraction takes 80
#: terms for float64 and 20 for float32 (relative error of erf below 10⁻¹⁷ and 6·10⁻¹² from z = 2 on).
ERF_SERIES = {8: (1.0, 0.0, _ERF_TAYLOR[:_ERF_TAYLOR_TERMS], 2.0 / math.sqrt(math.pi), 80)}
ERF_SERIES[4] = (0.5, -1.0, tuple(np.polynomial.chebyshev.cheb2poly(
    np.polynomial.chebyshev.chebinterpolate(_erf_over_z, 11)).tolist()), 1.0, 20)
