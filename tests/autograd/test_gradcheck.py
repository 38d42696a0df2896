"""The checks themselves must be able to fail: gradcheck on a wrong first derivative, gradgradcheck on a
backward that reads a value detached from the graph, and both on functions whose outputs change in
number; correct Functions pass. Also the rule for saved values (Function._pack)."""
from __future__ import annotations

import numpy as np
import pytest

import nnmath as nm
from example_functions import cube
from nnmath.autograd import Function, GradcheckError, gradcheck, gradgradcheck, once_differentiable


Cube = cube()                         # correct, written with ops: differentiable twice
CubeWrongSlope = cube(slope=1.1)      # a 10 % error in the first derivative
CubeDetached = cube(detached=True)    # right first derivative; second derivative 0 instead of 6x


class SquareNorm(Function):
    """y = ‖x‖², saving its own output (correct)."""

    @staticmethod
    def forward(ctx, x):
        y = np.asarray((x * x).sum())
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        return 2 * gy * x


def x64(*shape, seed=0):
    return nm.from_numpy(np.random.default_rng(seed).uniform(0.5, 1.5, shape)).requires_grad_()


@pytest.mark.parametrize("fast_mode", [False, True])
def test_correct_functions_pass_both_checks(fast_mode):
    x = x64(3, 2)
    assert gradcheck(Cube.apply, (x,), fast_mode=fast_mode)
    assert gradgradcheck(Cube.apply, (x,), fast_mode=fast_mode)
    assert gradcheck(SquareNorm.apply, (x,), fast_mode=fast_mode)
    assert gradgradcheck(SquareNorm.apply, (x,), fast_mode=fast_mode)


@pytest.mark.parametrize("fast_mode", [False, True])
def test_a_wrong_first_derivative_fails_gradcheck(fast_mode):
    x = x64(3, 2)
    with pytest.raises(GradcheckError, match="output 0 .*input 0|output 0 and input 0"):
        gradcheck(CubeWrongSlope.apply, (x,), fast_mode=fast_mode)
    assert gradcheck(CubeWrongSlope.apply, (x,), raise_exception=False, fast_mode=fast_mode) is False


@pytest.mark.parametrize("fast_mode", [False, True])
def test_a_backward_reading_a_detached_value_fails_gradgradcheck(fast_mode):
    x = x64(4)
    assert gradcheck(CubeDetached.apply, (x,), fast_mode=fast_mode)   # first order is right
    with pytest.raises(GradcheckError):
        gradgradcheck(CubeDetached.apply, (x,), fast_mode=fast_mode)


def test_each_output_is_compared_with_each_input():
    a, b = x64(3, seed=1), x64(3, seed=2)
    # The second output's derivative in b is wrong (CubeWrongSlope), the first is right.
    with pytest.raises(GradcheckError, match="output 1 with respect to input 1"):
        gradcheck(lambda a, b: (Cube.apply(a) * b, a + CubeWrongSlope.apply(b)), (a, b))


def test_an_output_that_does_not_require_grad_must_really_be_constant():
    x = x64(3)
    # The output depends on x but is cut from the graph: the analytical Jacobian is 0, the numerical not.
    with pytest.raises(GradcheckError, match="output 1"):
        gradcheck(lambda t: (t * 2, (t * t).detach()), (x,))


def test_a_function_whose_outputs_change_in_number_fails():
    x = x64(3)
    state = {"calls": 0}

    def unstable(t):
        state["calls"] += 1
        return (t * 2,) if state["calls"] == 1 else (t * 2, t * 3)

    with pytest.raises(GradcheckError, match="outputs"):
        gradcheck(unstable, (x,))


def test_gradgradcheck_compares_the_vjp_outputs_it_builds():
    # The old check evaluated the VJP under no_grad, got no outputs and compared nothing: this Hessian
    # (diag(6x) for Σx³) must really be computed and checked, so a wrong one is caught even when the
    # wrong term is exactly the second-order one.
    x = x64(5)
    assert gradgradcheck(lambda t: Cube.apply(t).sum(), (x,))
    with pytest.raises(GradcheckError):
        gradgradcheck(lambda t: CubeDetached.apply(t).sum(), (x,))


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda t: t * 2, (nm.ones(3, dtype=nm.float64),))


def test_options_nnmath_cannot_check_are_refused():
    with pytest.raises(NotImplementedError, match="forward-mode"):
        gradcheck(Cube.apply, (x64(2),), check_forward_ad=True)


def test_saving_a_floating_intermediate_raises_naming_the_op():
    class SavesIntermediate(Function):
        @staticmethod
        def forward(ctx, x):
            s = x.sum(keepdims=True)       # neither an input nor an output
            ctx.save_for_backward(s)
            return x / s

        @staticmethod
        def backward(ctx, gy):
            s, = ctx.saved_tensors
            return gy / s

    with pytest.raises(RuntimeError, match="SavesIntermediate.forward: save_for_backward argument 0"):
        SavesIntermediate.apply(x64(3))
    with nm.no_grad():   # nothing is recorded, nothing is saved: no error
        SavesIntermediate.apply(x64(3))


def test_once_differentiable_ops_may_save_intermediates_and_refuse_double_backward():
    class Normalise(Function):
        @staticmethod
        def forward(ctx, x):
            s = x.sum(keepdims=True)
            ctx.save_for_backward(x, s)
            return x / s

        @staticmethod
        @once_differentiable
        def backward(ctx, gy):
            x, s = (t._data for t in ctx.saved_tensors)
            return gy / s - (gy * x).sum() / s ** 2

    x = x64(3)
    assert gradcheck(Normalise.apply, (x,))
    with pytest.raises(RuntimeError, match="Normalise.backward is once_differentiable"):
        gradgradcheck(Normalise.apply, (x,))


def test_integer_intermediates_may_be_saved():
    class PickLargest(Function):
        @staticmethod
        def forward(ctx, x):
            i = np.asarray(np.argmax(x))
            ctx.save_for_backward(i)
            ctx.shape = x.shape
            return x.reshape(-1)[i]

        @staticmethod
        def backward(ctx, gy):
            i, = ctx.saved_tensors
            mask = np.zeros(int(np.prod(ctx.shape)))
            mask[int(i.item())] = 1
            return gy * nm.from_numpy(mask.reshape(ctx.shape))

    assert gradcheck(PickLargest.apply, (x64(3),))
