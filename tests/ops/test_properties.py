"""Properties that hold for every input, checked on inputs hypothesis draws (STYLE.md, Tests point 6).

The op table proves each derivative on a few fixed samples; these check the algebra around it on
many random shapes: broadcasting gives every input a gradient of its own shape, a VJP is linear in
the incoming gradient, softmax is a probability distribution, and sum_to is broadcast_to's adjoint.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnmath
from nnmath.autograd import grad

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None)

BINARY_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "maximum": nnmath.maximum,
    "where": lambda a, b: nnmath.where(a > 0, a, b),
    "pow": lambda a, b: (a * a + 1) ** b,
}

finite = st.floats(-2.0, 2.0, allow_nan=False, width=64)


def broadcastable_pair(draw_shapes):
    return draw_shapes.flatmap(lambda shapes: st.tuples(*[hnp.arrays(np.float64, s, elements=finite) for s in shapes]))


pairs = broadcastable_pair(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)
                           .map(lambda bs: bs.input_shapes))


@pytest.mark.parametrize("name", sorted(BINARY_OPS))
@PROPERTY_SETTINGS
@given(arrays=pairs)
def test_gradient_shape_equals_input_shape(name, arrays):
    a = nnmath.tensor(arrays[0], requires_grad=True)
    b = nnmath.tensor(arrays[1], requires_grad=True)
    out = BINARY_OPS[name](a, b)
    assert tuple(out.shape) == np.broadcast_shapes(arrays[0].shape, arrays[1].shape)
    ga, gb = grad(out.sum(), (a, b), allow_unused=True)
    for g, x in ((ga, a), (gb, b)):
        if g is not None:
            assert tuple(g.shape) == tuple(x.shape)
            assert g.dtype == x.dtype


UNARY_OPS = {
    "tanh": nnmath.tanh,
    "softmax_last": lambda x: nnmath.softmax(x, -1) if x.ndim else nnmath.sigmoid(x),
    "logsumexp_all": lambda x: nnmath.logsumexp(x, tuple(range(x.ndim))) * x,
    "cumsum_first": lambda x: nnmath.cumsum(x, 0) if x.ndim else x * 2,
    "matmul_self_T": lambda x: x @ x.mT if x.ndim >= 2 else x * x,
    "getitem_repeat": lambda x: x.reshape(-1)[np.array([0, 0, -1])] if x.numel() else x,
}

arrays_any_shape = hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3),
                              elements=finite)


@pytest.mark.parametrize("name", sorted(UNARY_OPS))
@PROPERTY_SETTINGS
@given(x=arrays_any_shape, data=st.data())
def test_vjp_is_linear_in_the_incoming_gradient(name, x, data):
    """x̄(α u + β v) = α x̄(u) + β x̄(v): backward is the transposed Jacobian, a linear map."""
    xt = nnmath.tensor(x, requires_grad=True)
    out = UNARY_OPS[name](xt)
    shape = tuple(out.shape)
    u = data.draw(hnp.arrays(np.float64, shape, elements=finite))
    v = data.draw(hnp.arrays(np.float64, shape, elements=finite))
    alpha, beta = data.draw(finite), data.draw(finite)

    def vjp(cotangent):
        g, = grad(out, xt, grad_outputs=nnmath.tensor(cotangent), retain_graph=True)
        return g.numpy()

    np.testing.assert_allclose(vjp(alpha * u + beta * v), alpha * vjp(u) + beta * vjp(v), rtol=1e-10, atol=1e-10)


matrices = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
                      elements=st.floats(-50.0, 50.0, allow_nan=False, width=64))


@PROPERTY_SETTINGS
@given(x=matrices, shift=st.floats(-100.0, 100.0, allow_nan=False), data=st.data())
def test_softmax_sums_to_one_and_is_shift_invariant(x, shift, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    y = nnmath.softmax(nnmath.tensor(x), dim)
    np.testing.assert_allclose(y.sum(dim).numpy(), 1.0, rtol=1e-12)
    assert (y.numpy() >= 0).all()
    shifted = nnmath.softmax(nnmath.tensor(x + shift), dim)
    # Shifting by c changes x − max(x) only by rounding (|x + c| ≤ 150, so ~150 · 2⁻⁵² absolute).
    np.testing.assert_allclose(shifted.numpy(), y.numpy(), rtol=1e-12, atol=1e-12)


@PROPERTY_SETTINGS
@given(x=hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=5),
                    elements=st.floats(-1e4, 1e4, width=32)), data=st.data())
def test_logsumexp_and_log_softmax_do_not_overflow_in_float32(x, data):
    """eˣ overflows float32 beyond x ≈ 88; the max-shift keeps every exponent ≤ 0."""
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    xt = nnmath.tensor(x, requires_grad=True)
    lse = nnmath.logsumexp(xt, dim)
    log_p = nnmath.log_softmax(xt, dim)
    assert lse.dtype == nnmath.float32 and log_p.dtype == nnmath.float32
    assert np.isfinite(lse.detach().numpy()).all() and np.isfinite(log_p.detach().numpy()).all()
    # max ≤ logsumexp ≤ max + ln n, and log-probabilities are ≤ 0 (float32 rounding at 1e4 is ~1e-3).
    top = x.max(axis=dim)
    n = x.shape[dim]
    lse_np = lse.detach().numpy()
    assert (lse_np >= top - 1e-3).all() and (lse_np <= top + np.log(n) + 1e-3).all()
    assert (log_p.detach().numpy() <= 1e-3).all()
    (lse.sum() + log_p.sum()).backward()
    assert np.isfinite(xt.grad.numpy()).all()


@st.composite
def shape_and_smaller(draw):
    """A shape S and a shape that broadcasts to S (leading dims dropped, some sizes set to 1)."""
    big = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    kept = big[draw(st.integers(0, len(big))):]
    small = tuple(1 if draw(st.booleans()) else n for n in kept)
    return big, small


@PROPERTY_SETTINGS
@given(shapes=shape_and_smaller(), data=st.data())
def test_sum_to_is_the_adjoint_of_broadcast_to(shapes, data):
    """⟨broadcast_to(x, S), y⟩ = ⟨x, sum_to(y, x.shape)⟩ for every x and y: each is the other's VJP."""
    big, small = shapes
    x = data.draw(hnp.arrays(np.float64, small, elements=finite))
    y = data.draw(hnp.arrays(np.float64, big, elements=finite))
    lhs = float((nnmath.broadcast_to(nnmath.tensor(x), big) * nnmath.tensor(y)).sum())
    rhs = float((nnmath.tensor(x) * nnmath.sum_to(nnmath.tensor(y), small)).sum())
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)
