import numpy as np

from nnmath.apps import linear_regression as lr


def test_autodiff_recovers_the_line_and_agrees_with_the_normal_equations():
    out = lr.main(print_fn=lambda *a: None)
    w_ne, b_ne = out["normal_equations"]
    # With 100 points and noise σ = 0.1 the least-squares estimates have standard errors of about
    # 0.01 (intercept) and 0.017 (slope): 5σ bounds around the true line.
    assert abs(out["slope"] - 2) < 0.09 and abs(out["intercept"] - 1) < 0.05
    # 1000 steps of lr 0.1 converge to the exact minimiser far below the noise level.
    assert abs(out["slope"] - w_ne) < 1e-6 and abs(out["intercept"] - b_ne) < 1e-6


def test_autodiff_gradient_matches_finite_differences_and_the_seeds_do_not():
    x, y = lr.seed001_data()
    point = (0.3, -0.7)
    fd = lr.finite_difference_gradient(*point, x, y)
    assert np.allclose(lr.autodiff_gradient(*point, x, y), fd, rtol=1e-7, atol=1e-9)
    s1 = lr.seed001_gradient(*point, x, y)
    assert s1[0].shape == x.shape            # a vector per parameter, not a gradient
    assert not np.allclose(lr.as_mean_gradient(s1), fd, rtol=1e-2)
    s4 = lr.as_mean_gradient(lr.seed004_gradient(*point, x, y))
    assert not np.allclose(s4, fd, rtol=1e-2)
    assert np.allclose(-s4[::-1], fd)        # swapped and sign-flipped: exactly the true gradient


def test_seed001_update_turns_parameters_into_vectors():
    x, y = lr.seed001_data()
    g0, _ = lr.seed001_gradient(0.0, 0.0, x, y)
    theta0 = 0.0 - 0.01 * g0
    assert np.shape(theta0) == (100,)
