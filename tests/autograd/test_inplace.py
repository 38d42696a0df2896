"""In-place ops under autograd, each program run by nnmath and by PyTorch 2.13 and compared.

PyTorch's model, which nnmath follows: a tensor and its views share memory and a version counter; an
in-place op moves the written tensor's history on; a write through a view is recorded on its base
(CopySlices) and every view of that base reads its grad_fn from the base's new history. A node that
saved a value refuses it at backward time if it was changed since, and only then: a value backward
does not read may change freely.

float64 throughout: the programs compute the same formulas, so only rounding separates them.
"""
from __future__ import annotations

import numpy as np
import pytest

import nnmath

torch = pytest.importorskip("torch")


def run_both(program, *arrays):
    """``program(lib, *leaves)`` in both libraries; returns the two (outputs, leaf gradients), or the
    two exceptions' types when the program raises."""
    results = []
    for lib in (nnmath, torch):
        leaves = [lib.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
        try:
            out = program(lib, *leaves)
        except RuntimeError as e:
            results.append(("error", str(e)))
            continue
        results.append((out, [None if t.grad is None else t.grad.detach().numpy().copy() for t in leaves]))
    return results


def assert_same(program, *arrays, rtol=1e-10):
    ours, theirs = run_both(program, *arrays)
    assert (ours[0] == "error") == (theirs[0] == "error"), f"nnmath: {ours}, PyTorch: {theirs}"
    if ours[0] == "error":
        return ours[1]
    outs = ours[0] if isinstance(ours[0], (tuple, list)) else (ours[0],)
    ref = theirs[0] if isinstance(theirs[0], (tuple, list)) else (theirs[0],)
    for o, r in zip(outs, ref):
        np.testing.assert_allclose(o.detach().numpy(), r.detach().numpy(), rtol=rtol, atol=1e-12)
    for g, h in zip(ours[1], theirs[1]):
        assert (g is None) == (h is None), f"gradient present in one library only: {g} vs {h}"
        if g is not None:
            np.testing.assert_allclose(g, h, rtol=rtol, atol=1e-12)
    return None


W = np.array([1.0, -2.0, 3.0, 0.5])
A = [0.5, 1.2, 2.0, -0.7]
C = [1.5, 0.8, 1.1, 0.3]


def weighted(lib, y):
    return (y * lib.tensor(W[: y.shape[-1]], dtype=lib.float64)).sum()


# --- the programs: PyTorch accepts them, so must nnmath --------------------------------

ACCEPTED = {
    "b = a*3; b *= 2": lambda m, a, c: _backward(m, _imul(a * 3, 2)),
    "c = exp(a)*2; c.mul_(3)": lambda m, a, c: _backward(m, (m.exp(a) * 2).mul_(3)),
    "b = a*2; b.clamp_(0, 1)": lambda m, a, c: _backward(m, (a * 2).clamp_(0, 1)),
    "b[:2].mul_(5)": lambda m, a, c: _backward(m, _then(a * 1, lambda b: b[:2].mul_(5))),
    "h = tanh(x)*mask; h *= 0.5": lambda m, a, c: _backward(m, _imul(m.tanh(a) * (a > 0), 0.5)),
    "b.mul_(c) needs the old b": lambda m, a, c: _backward(m, (a * 1).mul_(c)),
    "b.pow_(2)": lambda m, a, c: _backward(m, (a * 1).pow_(2)),
    "b.div_(c)": lambda m, a, c: _backward(m, (a + 3).div_(c)),
    "b.sigmoid_() saves its output": lambda m, a, c: _backward(m, (a * 1).sigmoid_()),
    "x.exp() then x changes: exp saved its output": lambda m, a, c: _backward(
        m, _then(a * 1, lambda x: x.exp(), after=lambda x: x.add_(1))),
    "y = x / 2, then x changes": lambda m, a, c: _backward(m, _then(a * 1, lambda x: x / 2,
                                                                     after=lambda x: x.mul_(3))),
    "lerp_ with a tensor end": lambda m, a, c: _backward(m, (a * 1).lerp_(c, 0.3)),
    "zero_ on a non-leaf": lambda m, a, c: _backward(m, (a * 1).zero_() + c),
    "copy_ from another tensor": lambda m, a, c: _backward(m, (a * 1).copy_(c * 2)),
    "fill_ then add": lambda m, a, c: _backward(m, (a * 1).fill_(2.0) * c),
    "masked_fill_": lambda m, a, c: _backward(m, _then(a * 1, lambda b: b.masked_fill_(b > 1, 0.0))),
}


def _imul(x, k):
    x *= k
    return x


def _then(x, op, after=None):
    """``op(x)``; with ``after``, the result of ``op`` is kept and ``after(x)`` changes x afterwards."""
    y = op(x)
    if after is None:
        return x
    after(x)
    return y


def _backward(m, y):
    weighted(m, y).backward()
    return y


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_inplace_programs_pytorch_accepts(name):
    assert assert_same(ACCEPTED[name], A, C) is None, "PyTorch accepts this program; nnmath raised"


# --- still refused: backward would read a changed value --------------------------------------------

REFUSED = {
    "y = exp(a); z = y*a; y.mul_(2)": lambda m, a, c: _backward(m, _then(m.exp(a), lambda y: y * a,
                                                                          after=lambda y: y.mul_(2))),
    "b*c saved b for c's gradient": lambda m, a, c: _backward(m, _then(a * 1, lambda b: b * c,
                                                                         after=lambda b: b.add_(1))),
    "maximum saved both": lambda m, a, c: _backward(m, _then(a * 1, lambda b: m.maximum(b, c),
                                                               after=lambda b: b.add_(1))),
    "a view changed after its base was saved": lambda m, a, c: _backward(
        m, _then(a * 1, lambda b: b * c, after=lambda b: b[1:].mul_(2))),
    "in-place on a leaf": lambda m, a, c: a.add_(1),
    "in-place on a view of a leaf": lambda m, a, c: a[1:].add_(1),
    "setitem on a leaf": lambda m, a, c: a.__setitem__(0, 3.0),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_inplace_programs_pytorch_refuses(name):
    assert assert_same(REFUSED[name], A, C) is not None, "PyTorch raises here; nnmath did not"


def test_the_refusal_names_the_op_and_the_versions():
    a = nnmath.tensor(A, requires_grad=True)
    y = nnmath.exp(a)
    z = (y * a).sum()
    y.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: MulBackward saved a tensor of "
                                           r"shape \(4,\) at version 0; it is now at version 1"):
        z.backward()


def test_checker_detects_a_wrong_gradient():
    def ours_differs(m, a, c):
        y = a * 2
        if m is nnmath:
            y = y.detach() * 1 + a  # a different function: gradient 1 instead of 2
        return _backward(m, y)
    with pytest.raises(AssertionError):
        assert_same(ours_differs, A, C)


# --- writes through views: recorded on the base (CopySlices) ---------------------------------------

VIEW_PROGRAMS = {
    "b[0] = c[1] * 2": lambda m, a, c: _backward(m, _then(a * 1, lambda b: b.__setitem__(0, c[1] * 2))),
    "b[1:3] = c[:2]": lambda m, a, c: _backward(m, _then(a * 1, lambda b: b.__setitem__(slice(1, 3), c[:2]))),
    "view.mul_(c) reads the old view": lambda m, a, c: _backward(m, _then(a * 1, lambda b: b[1:].mul_(c[1:]))),
    "view.exp_()": lambda m, a, c: _backward(m, _then(a * 1, lambda b: b[:3].exp_())),
    "a view of a view": lambda m, a, c: _backward(m, _then(a * 1, lambda b: b[1:][1:][0].add_(c[0]))),
    "a transposed view": lambda m, a, c: _backward(m, _then(
        (a * 1).reshape(2, 2), lambda b: b.t()[0].mul_(c[:2])).reshape(-1)),
    "a diagonal": lambda m, a, c: _backward(m, _then(
        (a * 1).reshape(2, 2), lambda b: b.diagonal().add_(c[:2] ** 2)).reshape(-1)),
    "an unfolded window": lambda m, a, c: _backward(m, _then(a * 1, lambda b: b.unfold(0, 2, 2)[1].mul_(3))),
    "as_strided": lambda m, a, c: _backward(m, _then(a * 1, lambda b: b.as_strided((2,), (2,), 1).mul_(c[:2]))),
    "narrow and select": lambda m, a, c: _backward(m, _then(
        (a * 1).reshape(2, 2), lambda b: (b.narrow(1, 1, 1).mul_(2), b.select(0, 0).add_(c[:2]))).reshape(-1)),
    "view(), then the base changes": lambda m, a, c: _backward(m, _views_then_base(m, a, c)),
    "a view read after a write through another view": lambda m, a, c: _backward(m, _two_views(a, c)),
    "setitem with a (1, 1) value": lambda m, a, c: _backward(m, _then(
        (a * 1).reshape(2, 2), lambda b: b.__setitem__((0, 1), (c[0] * 3).reshape(1, 1))).reshape(-1)),
    "setitem with a mask": lambda m, a, c: _backward(m, _then(a * 1, lambda b: b.__setitem__(b > 1, c[0]))),
    "setitem with an index tensor": lambda m, a, c: _backward(m, _then(
        a * 1, lambda b: b.__setitem__(m.tensor([3, 0]), c[:2] * 2))),
    "rows written into a preallocated zeros tensor": lambda m, a, c: _backward(m, _rows(m, a, c)),
    "a row of a view written": lambda m, a, c: _backward(m, _then(
        (a * 1).reshape(2, 2), lambda b: b[:, 1].__setitem__(0, c[2])).reshape(-1)),
}


def _views_then_base(m, a, c):
    b = a * 1
    v = b.view(2, 2)
    b.mul_(c)            # the base changes: v must read its grad_fn from b's new history
    return v.reshape(-1) * v.reshape(-1)


def _two_views(a, c):
    b = a * 1
    first, second = b[:2], b[1:3]
    first.mul_(c[:2])     # b[1] changes through `first`: `second` (which overlaps) sees it
    return second * 2


def _rows(m, a, c):
    out = m.zeros(3, 4, dtype=m.float64)
    for t in range(3):
        out[t] = a * (t + 1) + c
    return (out * out).sum(0)


@pytest.mark.parametrize("name", sorted(VIEW_PROGRAMS))
def test_writes_through_views_match_pytorch(name):
    assert assert_same(VIEW_PROGRAMS[name], A, C) is None


def test_copyslices_is_the_bases_node_and_the_view_reads_from_it():
    a = nnmath.tensor(A, requires_grad=True)
    b = a * 1
    v = b[1:]
    v.mul_(2)
    assert b.grad_fn.name() == "CopySlices"
    assert v.grad_fn.next_functions[0][0] is b.grad_fn
    assert v._version == b._version == 1


# --- views refused where PyTorch refuses them ---------------------------------------------------------

def test_outputs_of_split_and_unbind_cannot_change_in_place_under_autograd():
    for split in (lambda b: b.split(2), lambda b: b.chunk(2), lambda b: b.unbind()):
        assert assert_same(lambda m, a, c: split(a * 1)[0].mul_(2), A, C) is not None
    b = nnmath.tensor(A).split(2)[0]     # no autograd: allowed, and the base sees it
    b.mul_(2)


def test_a_view_made_under_no_grad_cannot_change_in_place_with_grad():
    def program(m, a, c):
        b = a * 1
        with m.no_grad():
            v = b[:2]
        v.mul_(2)
    assert assert_same(program, A, C) is not None


# --- activations with inplace=True ----------------------------------------------------------------------

INPLACE_ACTIVATIONS = {
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.2, inplace=True),
    "elu": lambda F, x: F.elu(x, inplace=True),
    "silu": lambda F, x: F.silu(x, inplace=True),
    "relu": lambda F, x: F.relu(x, inplace=True),
    "hardtanh": lambda F, x: F.hardtanh(x, inplace=True),
    "relu6": lambda F, x: F.relu6(x, inplace=True),
    "selu": lambda F, x: F.selu(x, inplace=True),
    "celu": lambda F, x: F.celu(x, inplace=True),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x, inplace=True),
    "hardswish": lambda F, x: F.hardswish(x, inplace=True),
    "mish": lambda F, x: F.mish(x, inplace=True),
}


@pytest.mark.parametrize("name", sorted(INPLACE_ACTIVATIONS))
def test_inplace_activation_on_a_non_leaf(name):
    def program(m, a, c):
        h = a * c                       # a non-leaf, as after a convolution
        y = INPLACE_ACTIVATIONS[name](m.nn.functional, h)
        assert y is h
        return _backward(m, h)
    # PyTorch's hardsigmoid kernel multiplies by a float32 1/6 even in float64 (relative error 3e-8).
    rtol = 1e-7 if name.startswith("hards") else 1e-10
    assert assert_same(program, [0.5, -1.2, 2.0, -0.7], C, rtol=rtol) is None


@pytest.mark.parametrize("dropout", ["dropout", "dropout1d", "dropout2d"])
def test_inplace_dropout_drops_the_gradient_too(dropout):
    x = nnmath.tensor(np.linspace(0.5, 2.0, 24).reshape(2, 3, 4), requires_grad=True)
    h = x * 1
    y = getattr(nnmath.nn.functional, dropout)(h, 0.5, training=True, inplace=True)
    assert y is h
    h.sum().backward()
    kept = h.detach().numpy() != 0
    np.testing.assert_array_equal(x.grad.numpy() != 0, kept)
    np.testing.assert_allclose(x.grad.numpy()[kept], 2.0)      # 1 / (1 − p)


# --- an optimizer step between two backward passes --------------------------------------------------

def test_optimizer_step_between_two_backwards_of_a_linear_on_a_constant_input():
    def program(m, x):
        layer = m.nn.Linear(4, 3).double()
        with m.no_grad():
            layer.weight.copy_(m.tensor(np.arange(12.0).reshape(3, 4) / 10))
            layer.bias.fill_(0.1)
        opt = m.optim.SGD(layer.parameters(), lr=0.1)
        y = layer(x.detach()).sum()     # the input is constant: W is not saved
        y.backward(retain_graph=True)
        opt.step()
        y.backward()
        return layer.weight.grad
    ours = program(nnmath, nnmath.tensor(A, dtype=nnmath.float64))
    theirs = program(torch, torch.tensor(A, dtype=torch.float64))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_a_convolution_saves_its_weight_even_for_a_constant_input_as_pytorchs():
    """PyTorch's CPU convolution saves the weight whether or not the input needs a gradient, so a step
    between two backward passes is refused there; nnmath refuses it too."""
    def program(m):
        conv = m.nn.Conv2d(1, 2, 3).double()
        opt = m.optim.SGD(conv.parameters(), lr=0.1)
        y = conv(m.ones(1, 1, 5, 5, dtype=m.float64)).sum()
        y.backward(retain_graph=True)
        opt.step()
        y.backward()
    for lib in (torch, nnmath):
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            program(lib)


# A weight W changed in place between two backward passes through an op whose other operand is constant:
# PyTorch saves only what the needed gradient reads, so whether it refuses depends on the op.
WEIGHT_OPS = {
    "W @ x": (lambda m, x, W: W @ x, True),
    "x.T @ W.T": (lambda m, x, W: x.t() @ W.t(), True),
    "mm": (lambda m, x, W: m.mm(W, x), True),
    "bmm": (lambda m, x, W: m.bmm(W[None], x[None]), True),
    "einsum": (lambda m, x, W: m.einsum("ij,jk->ik", W, x), True),
    "linear": (lambda m, x, W: m.nn.functional.linear(x, W.t()), True),
    "W * constant": (lambda m, x, W: W * x.t(), True),
    "W / constant": (lambda m, x, W: W / (x.t() + 1), True),
    "W ** 2 reads W": (lambda m, x, W: W ** 2, False),
    "constant / W reads W": (lambda m, x, W: (x.t() + 1) / W, False),
}


@pytest.mark.parametrize("name", sorted(WEIGHT_OPS))
def test_a_weight_changed_between_two_backward_passes(name):
    op, accepted = WEIGHT_OPS[name]

    def program(m):
        W = m.tensor(np.linspace(-1, 1, 6).reshape(2, 3) + 2, requires_grad=True)
        x = m.tensor(np.linspace(0, 1, 6).reshape(3, 2))
        y = op(m, x, W).sum()
        y.backward(retain_graph=True)
        with m.no_grad():
            W.sub_(0.1)
        y.backward()
        return W.grad.numpy()
    if accepted:
        np.testing.assert_allclose(program(nnmath), program(torch), rtol=1e-12)
    else:
        for lib in (torch, nnmath):
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                program(lib)
