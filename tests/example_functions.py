"""Small user-defined Functions, right or deliberately wrong, for the tests of the checkers themselves
(gradcheck, the mutation harness, the fuzzer): a checker must fail on the wrong ones."""
from __future__ import annotations

from nnmath.autograd import Function


def unary_function(name, forward, derivative, slope=1.0, detached=False):
    """A Function y = forward(x) (NumPy) whose backward is x̄ = slope · ȳ · derivative(x) (Tensor ops).

    slope ≠ 1 makes the first derivative wrong; ``detached`` makes backward read x cut from the graph:
    the first derivative stays right, the second (through x) is lost."""

    def forward_(ctx, x):
        ctx.save_for_backward(x)
        return forward(x)

    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return slope * gy * derivative(x.detach() if detached else x)

    doc = f"y = {name}; x̄ = {slope} ȳ {name}′(x){' (x detached)' if detached else ''}"
    return type(name, (Function,), {"forward": staticmethod(forward_), "backward": staticmethod(backward),
                                    "__doc__": doc})


def cube(slope=1.0, detached=False):
    """y = x³, x̄ = 3ȳx² (times ``slope``)."""
    return unary_function("Cube", lambda x: x ** 3, lambda x: 3 * x * x, slope, detached)
