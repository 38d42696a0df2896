"""The reverse-mode engine and the autograd API, each behaviour compared with PyTorch's.

Values compared with PyTorch in float64 use rtol 1e-10: both compute the same formulas in a
possibly different order, so only rounding (~1e-16 per op) separates them.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest

import nnmath
from nnmath.autograd import Function, GradcheckError, functional, gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

RTOL64 = 1e-10


def both(array, requires_grad=True):
    array = np.asarray(array, dtype=np.float64)
    return nnmath.tensor(array, requires_grad=requires_grad), torch.tensor(array, requires_grad=requires_grad)


def close(ours, theirs):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    np.testing.assert_allclose(ours.detach().numpy(), theirs, rtol=RTOL64, atol=1e-12)


# --- graph structure --------------------------------------------------------------------------

def test_tensor_used_twice_and_shared_subgraph_sum_their_gradients():
    def f(m, x):
        shared = m.tanh(x) * 2          # used by two branches below
        return (shared * x + m.exp(shared) + x * x).sum()
    (x, tx) = both([0.3, -0.7, 1.1])
    f(nnmath, x).backward()
    f(torch, tx).backward()
    close(x.grad, tx.grad)


def test_x_times_x_gradient_is_2x():
    x = nnmath.tensor([1.5, -2.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, -4.0])


def test_long_chain_backward_has_no_recursion_limit():
    """100,000 ops deep: far beyond Python's recursion limit, so the engine must be iterative."""
    depth = 100_000
    assert depth > sys.getrecursionlimit()
    x = nnmath.tensor(1.0, dtype=nnmath.float64, requires_grad=True)
    y = x
    for _ in range(depth):
        y = y + 1e-5 * y   # y = x · (1 + 1e-5)^depth
    y.backward()
    assert x.grad.item() == pytest.approx((1 + 1e-5) ** depth, rel=1e-9)


# --- hooks and retained gradients -------------------------------------------------------------

def test_hooks_on_leaf_and_non_leaf_and_remove():
    seen = []
    x = nnmath.tensor([1.0, 2.0], requires_grad=True)
    h_leaf = x.register_hook(lambda g: seen.append(("x", g.numpy().copy())))
    y = x * 3
    h_mid = y.register_hook(lambda g: g * 10)   # a returned tensor replaces the gradient
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 30.0])
    assert seen[0][0] == "x"
    np.testing.assert_array_equal(seen[0][1], [30.0, 30.0])
    h_leaf.remove()
    h_mid.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    assert len(seen) == 1


def test_hook_on_non_leaf_is_removed_from_its_graph():
    x = nnmath.tensor([1.0], requires_grad=True)
    y = x * 2
    handle = y.register_hook(lambda g: g * 0)
    handle.remove()
    (y * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0])


def test_retain_grad_matches_pytorch():
    def run(m, x):
        y = x * x
        y.retain_grad()
        z = (m.sin(y) * y).sum()
        z.retain_grad()
        z.backward()
        return y.grad, z.grad
    x, tx = both([0.5, -1.5])
    for ours, theirs in zip(run(nnmath, x), run(torch, tx)):
        close(ours, theirs)
    y = x * 2
    (y * 1).sum().backward()
    assert y.grad is None          # not retained: like PyTorch (which also warns)


def test_retain_graph():
    x = nnmath.tensor([1.0, 2.0], requires_grad=True)
    y = (nnmath.exp(x) * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    x.grad = None
    z = (nnmath.exp(x) * x).sum()
    z.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-15)


# --- higher derivatives -----------------------------------------------------------------------

def test_second_derivative_of_tanh():
    x, tx = both(np.linspace(-2, 2, 7))
    g, = nnmath.autograd.grad(nnmath.tanh(x).sum(), x, create_graph=True)
    gg, = nnmath.autograd.grad(g.sum(), x)
    tg, = torch.autograd.grad(torch.tanh(tx).sum(), tx, create_graph=True)
    tgg, = torch.autograd.grad(tg.sum(), tx)
    close(g, tg)
    close(gg, tgg)
    # d²/dx² tanh = −2 tanh (1 − tanh²)
    t = np.tanh(np.linspace(-2, 2, 7))
    np.testing.assert_allclose(gg.numpy(), -2 * t * (1 - t * t), rtol=1e-12, atol=1e-15)


def mlp_loss(m, W1, b1, W2, b2, X, y):
    hidden = m.tanh(X @ W1 + b1)
    out = hidden @ W2 + b2
    return ((out - y) ** 2).mean()


def test_hessian_of_two_layer_mlp_loss_matches_pytorch():
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), (4, 2), (2,)]
    params = [rng.standard_normal(s) for s in shapes]
    X, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    ours = functional.hessian(lambda *p: mlp_loss(nnmath, *p, nnmath.tensor(X), nnmath.tensor(y)),
                              tuple(nnmath.tensor(p) for p in params))
    theirs = torch.autograd.functional.hessian(lambda *p: mlp_loss(torch, *p, torch.tensor(X), torch.tensor(y)),
                                               tuple(torch.tensor(p) for p in params))
    for i in range(len(shapes)):
        for j in range(len(shapes)):
            assert tuple(ours[i][j].shape) == shapes[i] + shapes[j]
            close(ours[i][j], theirs[i][j])


def cubic(m, x, y):
    return (x ** 2 * m.sin(y)).sum() + (x * y).sum() ** 2


def vector_fn(m, x):
    return m.stack([x[0] * x[1], m.exp(x[2]), x.sum() ** 2])


@pytest.mark.parametrize("name", ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"])
def test_functional_api_matches_pytorch(name):
    rng = np.random.default_rng(1)
    x, y, v = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3)
    ours_fn = getattr(functional, name)
    theirs_fn = getattr(torch.autograd.functional, name)
    n, t = nnmath.tensor, torch.tensor
    if name in ("vjp", "jvp"):
        ours = ours_fn(lambda a: vector_fn(nnmath, a), n(x), n(v))
        theirs = theirs_fn(lambda a: vector_fn(torch, a), t(x), t(v))
    elif name == "jacobian":
        ours = (ours_fn(lambda a, b: vector_fn(nnmath, a * b), (n(x), n(y))),)
        theirs = (theirs_fn(lambda a, b: vector_fn(torch, a * b), (t(x), t(y))),)
    elif name == "hessian":
        ours = ours_fn(lambda a: cubic(nnmath, a, n(y)), n(x))
        theirs = theirs_fn(lambda a: cubic(torch, a, t(y)), t(x))
        ours, theirs = (ours,), (theirs,)
    else:
        ours = ours_fn(lambda a, b: cubic(nnmath, a, b), (n(x), n(y)), (n(v), n(x)))
        theirs = theirs_fn(lambda a, b: cubic(torch, a, b), (t(x), t(y)), (t(v), t(x)))

    def flat(result):
        if isinstance(result, (tuple, list)):
            return [leaf for item in result for leaf in flat(item)]
        return [result]
    ours, theirs = flat(ours), flat(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        close(a, b)


# --- version counter and in-place ops ---------------------------------------------------------

def test_inplace_change_of_saved_tensor_raises_at_backward():
    x = nnmath.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    y = nnmath.exp(a)      # Exp saves its output y
    z = (y * a).sum()      # Mul saves a and y
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_inplace_op_on_leaf_requiring_grad_raises():
    x = nnmath.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x[0] = 3.0
    with nnmath.no_grad():
        x.add_(1)       # how optimizers update parameters
    np.testing.assert_array_equal(x.detach().numpy(), [2.0, 3.0])


def test_setitem_on_non_leaf_matches_pytorch():
    def run(m, x, v):
        y = x * 2
        y[0] = v * 3                      # overwritten: x[0] gets no gradient through y[0]
        y[1:, 1] = m.exp(v)
        y[m.tensor([2, 2])] = y[m.tensor([2, 2])] * 5   # repeated index on both sides
        (y * y).sum().backward()
        return y
    x, tx = both(np.arange(6.0).reshape(3, 2) / 4)
    v, tv = both(0.3)
    close(run(nnmath, x, v), run(torch, tx, tv))
    close(x.grad, tx.grad)
    close(v.grad, tv.grad)


# --- grad modes -------------------------------------------------------------------------------

def test_grad_modes_as_context_managers():
    x = nnmath.ones(2, requires_grad=True)
    with nnmath.no_grad():
        assert not (x * 2).requires_grad
        with nnmath.enable_grad():
            assert (x * 2).requires_grad
        assert not nnmath.is_grad_enabled()
    with nnmath.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with nnmath.inference_mode():
        assert not (x * 2).requires_grad
    with nnmath.inference_mode(False):
        assert (x * 2).requires_grad
    assert nnmath.is_grad_enabled()
    nnmath.set_grad_enabled(False)    # a plain call switches the mode, as in PyTorch
    try:
        assert not (x * 2).requires_grad
    finally:
        nnmath.set_grad_enabled(True)
    assert (x * 2).requires_grad


@pytest.mark.parametrize("name", ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode"])
def test_grad_modes_as_decorators_match_pytorch(name):
    def make(lib):
        args = {"set_grad_enabled": (False,), "inference_mode": ()}.get(name, ())
        decorator = getattr(lib, name)(*args)

        @decorator
        def double(x):
            return x * 2, lib.is_grad_enabled()
        return double

    for lib in (nnmath, torch):
        double = make(lib)
        assert lib.is_grad_enabled(), "defining a decorated function must not change the mode"
        x = lib.ones(2, requires_grad=True)
        ours_requires, inside = double(x)[0].requires_grad, double(x)[1]
        with lib.no_grad():
            ours_requires_off = double(x)[0].requires_grad
        if lib is nnmath:
            results = (ours_requires, inside, ours_requires_off)
        else:
            assert results == (ours_requires, inside, ours_requires_off)
        assert lib.is_grad_enabled()


def test_no_grad_decorator_without_parentheses():
    @nnmath.no_grad
    def double(x):
        return x * 2
    assert not double(nnmath.ones(1, requires_grad=True)).requires_grad
    assert nnmath.is_grad_enabled()


# --- autograd.grad and backward(inputs=) ------------------------------------------------------

def test_grad_allow_unused():
    x = nnmath.tensor([1.0], requires_grad=True)
    unused = nnmath.tensor([2.0], requires_grad=True)
    y = (x * 3).sum()
    with pytest.raises(RuntimeError, match="input 1 .* was not used in the graph"):
        nnmath.autograd.grad(y, (x, unused), retain_graph=True)
    gx, gu = nnmath.autograd.grad(y, (x, unused), allow_unused=True)
    np.testing.assert_array_equal(gx.numpy(), [3.0])
    assert gu is None
    assert x.grad is None      # grad() does not accumulate into .grad


def test_grad_of_input_that_does_not_require_grad():
    x = nnmath.tensor([1.0])
    with pytest.raises(RuntimeError, match=r"input 0 \(shape \(1,\)\) does not require grad"):
        nnmath.autograd.grad((x * 2).sum(), x)


def test_backward_inputs_restricts_accumulation():
    def run(lib, x, y):
        (x * y).sum().backward(inputs=[x])
    x, tx = both([1.0, 2.0])
    y, ty = both([3.0, 4.0])
    run(nnmath, x, y)
    run(torch, tx, ty)
    close(x.grad, tx.grad)
    assert y.grad is None and ty.grad is None


def test_leaf_grad_accumulates_across_backward_calls():
    x, tx = both([0.5, 1.5])
    for lib, t in ((nnmath, x), (torch, tx)):
        (lib.sin(t) * t).sum().backward()
        (t ** 3).sum().backward()
    close(x.grad, tx.grad)


def test_grads_of_two_leaves_are_independent_arrays():
    x = nnmath.tensor([1.0, 2.0], requires_grad=True)
    y = nnmath.tensor([1.0, 2.0], requires_grad=True)
    (x + y).sum().backward()
    x.grad.mul_(5)     # Add passes the same ȳ to both: each leaf must own a copy
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


def test_grad_of_broadcast_leaf_is_not_a_view_of_another():
    x = nnmath.ones(3, requires_grad=True)
    w = nnmath.ones(2, 3, requires_grad=True)
    (w * x).sum().backward()
    w.grad.zero_()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


# --- anomaly detection ------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # the point of the test
def test_detect_anomaly_names_the_op_and_the_user_line():
    x = nnmath.tensor([0.0, 1.0], requires_grad=True)
    with nnmath.autograd.detect_anomaly():
        y = nnmath.sqrt(x)  # ANOMALY-LINE: √0 has an infinite derivative
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    message = str(info.value)
    assert "SqrtBackward" in message
    assert "returned inf values" in message
    assert __file__ in message and "ANOMALY-LINE" in message


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # the point of the test
def test_without_anomaly_mode_the_inf_gradient_is_returned():
    x = nnmath.tensor([0.0, 1.0], requires_grad=True)
    nnmath.sqrt(x).sum().backward()
    assert np.isinf(x.grad.numpy()[0])


# --- user-defined Functions -------------------------------------------------------------------

class Cube(Function):
    """Forward: y = x³.  VJP: x̄ = 3 ȳ x²."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * 3 * x * x


class WrongCube(Function):
    """Forward: y = x³, with a deliberately wrong VJP (2 ȳ x² instead of 3 ȳ x²)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * 2 * x * x


def test_user_function_works_to_second_order():
    x = nnmath.tensor([0.5, -1.0, 2.0], dtype=nnmath.float64, requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn is not None and "Cube" in y.grad_fn.name()
    g, = nnmath.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 2)
    assert gradcheck(Cube.apply, (x,))
    assert gradgradcheck(Cube.apply, (x,))


def test_user_function_is_not_registered_as_a_core_op():
    from nnmath.autograd.function import registry
    assert Cube not in registry


def test_gradcheck_detects_a_wrong_backward():
    x = nnmath.tensor([0.5, -1.0, 2.0], dtype=nnmath.float64, requires_grad=True)
    with pytest.raises(GradcheckError):
        gradcheck(WrongCube.apply, (x,))
    assert gradcheck(WrongCube.apply, (x,), raise_exception=False) is False


# --- operators-only backwards run on arrays ----------------------------------------------------------
_OPERATOR_OPS = {
    "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / (b * b + 1),
    "neg": lambda a, b: -a + b, "exp": lambda a, b: a.exp() * b, "log": lambda a, b: (a * a + 1).log() - b,
    "sqrt": lambda a, b: (a * a + 1).sqrt() / b, "sigmoid": lambda a, b: a.sigmoid() * b,
    "tanh": lambda a, b: a.tanh() - b, "scalar": lambda a, b: (a * 1.5 - 0.25) / 3.0 + b,
}


@pytest.mark.parametrize("name", sorted(_OPERATOR_OPS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.float16])
def test_operators_only_backwards_on_arrays_give_the_ops_bits(name, dtype):
    """Without create_graph the engine runs an operators-only backward (Function.operators_only_backward) on
    the arrays; with it, as ops. Both give the same bits, broadcasting included; float16, whose ops
    compute differently from NumPy's arithmetic, stays on the ops."""
    rng = np.random.default_rng(0)
    a = nnmath.tensor((rng.standard_normal((3, 4)) + 2).astype(dtype), requires_grad=True)
    b = nnmath.tensor((rng.standard_normal(4) + 2).astype(dtype), requires_grad=True)
    cotangent = nnmath.tensor(rng.standard_normal((3, 4)).astype(dtype))
    _OPERATOR_OPS[name](a, b).backward(cotangent)  # into .grad: the engine's fast path
    on_arrays = a.grad, b.grad
    as_ops = nnmath.autograd.grad(_OPERATOR_OPS[name](a, b), (a, b), cotangent, create_graph=True)
    for x, y in zip(on_arrays, as_ops):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert np.array_equal(x.numpy(), y.detach().numpy())


def test_a_saved_value_changed_in_place_still_raises_on_arrays():
    x = nnmath.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()
    z = y * 2.0
    with nnmath.no_grad():
        y.add_(1.0)  # Exp saved its output
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
