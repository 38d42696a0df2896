"""LBFGS vs PyTorch's, with and without the strong-Wolfe line search."""
import numpy as np
import pytest

import nnmath
from nnmath import optim


def rosenbrock(p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def small_mlp_loss(params, lib):
    """A 3-4-1 tanh network's squared error on fixed data: many coupled parameters."""
    W1, b1, W2 = params
    X = lib.tensor(np.linspace(-1, 1, 15).reshape(5, 3), dtype=W1.dtype)
    y = lib.tensor(np.array([[0.5], [-0.2], [0.1], [0.9], [-0.7]]), dtype=W1.dtype)
    return ((lib.tanh(X @ W1 + b1) @ W2 - y) ** 2).mean()


def mlp_params(lib):
    rng = np.random.default_rng(7)
    arrays = [rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 1))]
    return [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]


def trajectory(lib, opt_module, params, loss_fn, steps, **kwargs):
    opt = opt_module.LBFGS(params, **kwargs)
    losses, values = [], []

    def closure():
        opt.zero_grad()
        loss = loss_fn(params, lib)
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(opt.step(closure).item())
        values.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
    return losses, values, opt


CONFIGS = [dict(), dict(line_search_fn="strong_wolfe"), dict(history_size=3, max_iter=7),
           dict(history_size=3, max_iter=7, line_search_fn="strong_wolfe", lr=0.5)]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=["plain", "strong_wolfe", "short_history", "short_history_wolfe"])
@pytest.mark.parametrize("problem", ["rosenbrock", "mlp"])
def test_lbfgs_matches_torch(kwargs, problem):
    torch = pytest.importorskip("torch")
    if problem == "rosenbrock":
        def make(lib):
            return [lib.tensor([-1.2, 1.0], dtype=lib.float64, requires_grad=True)]

        def loss_fn(params, lib):
            return rosenbrock(params[0])
    else:
        make, loss_fn = mlp_params, small_mlp_loss
    # 3 steps (up to 21 iterations): plain L-BFGS on Rosenbrock amplifies rounding differences (NumPy and
    # PyTorch sum dot products in different orders) by 10-1000x per step, starting from ~1e-15
    ours = trajectory(nnmath, optim, make(nnmath), loss_fn, 3, **kwargs)
    theirs = trajectory(torch, torch.optim, make(torch), loss_fn, 3, **kwargs)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-9, atol=1e-10)  # losses near 0 cancel
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    our_state, their_state = ours[2].state_dict()["state"][0], theirs[2].state_dict()["state"][0]
    assert our_state["func_evals"] == their_state["func_evals"]
    assert our_state["n_iter"] == their_state["n_iter"]
    assert ours[0][-1] < ours[0][0]


def test_strong_wolfe_solves_rosenbrock():
    p = nnmath.tensor([-1.2, 1.0], dtype=nnmath.float64, requires_grad=True)
    losses, values, _ = trajectory(nnmath, optim, [p], lambda params, lib: rosenbrock(params[0]), 10,
                                   line_search_fn="strong_wolfe")
    np.testing.assert_allclose(values[-1], [1.0, 1.0], atol=1e-4)  # stops once the loss changes < 1e-9


def test_unknown_line_search_is_rejected():
    p = nnmath.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.LBFGS([p], line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


@pytest.mark.parametrize("kwargs", CONFIGS, ids=["plain", "strong_wolfe", "short_history", "short_history_wolfe"])
def test_lbfgs_float32_steps_are_pytorchs_step_for_step(kwargs):
    """In float32 every step equals PyTorch's: its ``add_(…, alpha=…)`` updates (θ + t·d and the two-loop
    recursion) are fused multiply-adds rounded once, as nnmath's are (rounding twice drifted from step 2),
    and a number over a tensor is a reciprocal and a product. The line search's cubic step takes a square
    root, which PyTorch's float32 kernel (Intel's MKL) gets within an ulp but not always correctly
    rounded: with it, the steps agree to float32 precision rather than bit for bit."""
    torch = pytest.importorskip("torch")

    def run(lib, opt_module):
        p = lib.tensor([-1.2, 1.0], dtype=lib.float32, requires_grad=True)
        losses, values, _ = trajectory(lib, opt_module, [p], lambda params, _: rosenbrock(params[0]), 6, **kwargs)
        return np.float32(losses), np.array(values)

    ours, theirs = run(nnmath, optim), run(torch, torch.optim)
    if kwargs.get("line_search_fn") is None:
        np.testing.assert_array_equal(ours[0], theirs[0])
        np.testing.assert_array_equal(ours[1], theirs[1])
    else:
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-8)  # near the minimum the loss is ~1e-10
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-6)
