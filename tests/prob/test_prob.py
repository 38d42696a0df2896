"""nnmath.prob: marginals, conditionals, Bayes, independence, χ² test."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import nnmath
from nnmath import info, prob


def T(a):
    return nnmath.tensor(a, dtype=nnmath.float64)


joint = hnp.arrays(np.float64, (3, 4), elements=st.floats(1e-3, 1.0)).map(lambda a: a / a.sum())


@settings(max_examples=50, deadline=None)
@given(joint)
def test_condition_marginal_product_rule(p):
    pxy = T(p)
    px = prob.marginal(pxy, 0)
    py_given_x = prob.condition(pxy, given_dim=0)
    np.testing.assert_allclose(py_given_x.numpy().sum(1), 1.0)
    np.testing.assert_allclose(prob.product_rule(px, py_given_x).numpy(), p, rtol=1e-12)
    # H(Y|X) = Σ P(x) H(Y | X = x)
    h = (px * info.entropy(py_given_x, dim=1)).sum().item()
    assert h == pytest.approx(info.conditional_entropy(pxy, given=0).item(), abs=1e-12)


def test_condition_zero_probability_event():
    p = T([[0.5, 0.5], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"condition: P\(X = x\) = 0 for x in \[1\]"):
        prob.condition(p, 0)
    masked = prob.condition(p, 0, mask=True).numpy()
    assert np.isnan(masked[1]).all() and np.allclose(masked[0], 0.5)


def test_bayes_disease_example():
    # prior P(sick) = 0.01; test sensitivity 0.99, false-positive rate 0.05; observed positive
    posterior = prob.bayes(T([0.99, 0.01]), T([0.05, 0.99]))
    expected = 0.01 * 0.99 / (0.01 * 0.99 + 0.99 * 0.05)
    assert posterior[1].item() == pytest.approx(expected)


def test_chain_rule_and_independence():
    px = T([0.3, 0.7])
    py_x = T([[0.5, 0.5], [0.2, 0.8]])
    pz_xy = T(np.full((2, 2, 2), 0.5))
    pxy = prob.product_rule(px, py_x)
    pxyz = prob.chain_rule(pxy, pz_xy)
    assert pxyz.sum().item() == pytest.approx(1.0)
    assert prob.independent(T(np.outer([0.3, 0.7], [0.1, 0.9])))
    assert not prob.independent(pxy)


def test_chi2_against_hand_computed_values():
    counts = np.array([[20, 30], [30, 20]])
    stat, p, dof, expected = prob.chi2_independence_test(counts)
    # E = 25 everywhere; χ² = 4 · 25/25 = 4; 1 dof: p = erfc(√(χ²/2))
    assert stat == pytest.approx(4.0) and dof == 1
    np.testing.assert_allclose(expected.numpy(), 25.0)
    assert p == pytest.approx(math.erfc(math.sqrt(2.0)), rel=1e-12)
    # 2 dof: the survival function is e^(−x/2)
    counts = np.array([[10, 20, 30], [25, 15, 20]])
    stat, p, dof, _ = prob.chi2_independence_test(counts)
    assert dof == 2 and p == pytest.approx(math.exp(-stat / 2), rel=1e-12)


def test_chi2_against_scipy():
    stats = pytest.importorskip("scipy.stats")
    counts = np.array([[12, 5, 9, 4], [7, 11, 3, 8], [5, 9, 10, 6]])
    stat, p, dof, expected = prob.chi2_independence_test(counts)
    ref = stats.chi2_contingency(counts, correction=False)
    assert stat == pytest.approx(ref[0]) and p == pytest.approx(ref[1], rel=1e-10) and dof == ref[2]
