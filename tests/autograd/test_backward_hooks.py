"""Post-accumulate-grad hooks and queued callbacks: what DistributedDataParallel builds on.

Each scenario runs in nnmath and, when it is installed, in PyTorch, and the record of hook calls
(which leaf, how often, the ``.grad`` it saw) must be the same.
"""
from __future__ import annotations

import numpy as np
import pytest

import nnmath
from nnmath.autograd import Function
from nnmath.autograd.engine import queue_callback

try:
    import torch
except ImportError:
    torch = None


def _record_grads(leaves):
    """Register a post-accumulate hook on each leaf; return the list the hooks append to."""
    calls = []
    for name, leaf in leaves.items():
        leaf.register_post_accumulate_grad_hook(
            lambda t, name=name: calls.append((name, t.grad.detach().numpy().copy())))
    return calls


def _used_twice(m):
    """w is used by two ops: the hook must see the sum of both contributions, once."""
    w = m.tensor([1.0, -2.0], requires_grad=True)
    b = m.tensor([0.5, 0.5], requires_grad=True)
    calls = _record_grads({"w": w, "b": b})
    ((w * 3.0 + b) * w).sum().backward()
    return calls


def _leaf_as_root(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    calls = _record_grads({"x": x})
    x.backward(m.tensor([1.0, 2.0]))
    return calls


def _accumulates_over_two_passes(m):
    """The hook sees ``.grad`` after each pass: the running sum."""
    w = m.tensor([2.0], requires_grad=True)
    calls = _record_grads({"w": w})
    (w * w).sum().backward()
    (w * 5.0).sum().backward()
    return calls


def _only_selected_inputs(m):
    a = m.tensor([1.0], requires_grad=True)
    b = m.tensor([2.0], requires_grad=True)
    calls = _record_grads({"a": a, "b": b})
    (a * b).sum().backward(inputs=[a])
    return calls


def _autograd_grad_accumulates_nothing(m):
    x = m.tensor([3.0], requires_grad=True)
    calls = _record_grads({"x": x})
    m.autograd.grad((x * x).sum(), x)
    return calls


SCENARIOS = [_used_twice, _leaf_as_root, _accumulates_over_two_passes, _only_selected_inputs,
             _autograd_grad_accumulates_nothing]


def _assert_same_calls(ours, theirs):
    assert sorted(name for name, _ in ours) == sorted(name for name, _ in theirs)
    for name, grad in theirs:
        matching = [g for n, g in ours if n == name]
        assert any(np.array_equal(g, grad) for g in matching), (name, grad, matching)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__.strip("_"))
def test_hook_calls_match_pytorch(scenario):
    if torch is None:
        pytest.skip("PyTorch is not installed")
    _assert_same_calls(scenario(nnmath), scenario(torch))


def test_hook_sees_the_complete_gradient_once():
    calls = _used_twice(nnmath)
    w = [g for name, g in calls if name == "w"]
    assert len(w) == 1
    np.testing.assert_array_equal(w[0], [6.0 * 1.0 + 0.5, 6.0 * -2.0 + 0.5])  # d/dw Σ(3w² + bw) = 6w + b
    assert [name for name, _ in _autograd_grad_accumulates_nothing(nnmath)] == []
    assert [name for name, _ in _only_selected_inputs(nnmath)] == ["a"]


class _FirstOnly(Function):
    """y = x₀ + x₁ whose VJP sends nothing to x₁ (as for an input it does not differentiate)."""

    @staticmethod
    def forward(ctx, x0, x1):
        return x0 + x1

    @staticmethod
    def backward(ctx, gy):
        return gy, None


def test_an_edge_that_sends_nothing_still_counts_towards_completion():
    x = nnmath.tensor([1.0], requires_grad=True)
    y = nnmath.tensor([1.0], requires_grad=True)
    calls = _record_grads({"x": x, "y": y})
    _FirstOnly.apply(x, y).sum().backward()            # y receives nothing: no hook for y
    assert [name for name, _ in calls] == ["x"]
    calls.clear()
    (_FirstOnly.apply(x, y) + y * 2.0).sum().backward()  # y: one empty edge, one with 2
    assert sorted(name for name, _ in calls) == ["x", "y"]
    np.testing.assert_array_equal(dict(calls)["y"], [2.0])


def test_registration_errors_and_removal():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        nnmath.tensor([1.0]).register_post_accumulate_grad_hook(lambda t: None)
    leaf = nnmath.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (leaf * 2).register_post_accumulate_grad_hook(lambda t: None)
    calls = []
    handle = leaf.register_post_accumulate_grad_hook(lambda t: calls.append(1))
    handle.remove()
    (leaf * 2).sum().backward()
    assert calls == []
    leaf.register_post_accumulate_grad_hook(lambda t: t.grad * 2)
    with pytest.raises(RuntimeError, match="should return None"):
        (leaf * 2).sum().backward()


def test_queued_callbacks_run_after_every_leaf_is_accumulated():
    a = nnmath.tensor([1.0], requires_grad=True)
    b = nnmath.tensor([2.0], requires_grad=True)
    seen = []

    def finish():
        seen.append(("callback", a.grad.item(), b.grad.item()))
        queue_callback(lambda: seen.append(("queued by a callback",)))

    a.register_post_accumulate_grad_hook(lambda t: queue_callback(finish))
    (a * b * 3.0).sum().backward()
    assert seen == [("callback", 6.0, 3.0), ("queued by a callback",)]
    seen.clear()
    (a * b).sum().backward()                           # a new pass: queued anew, run once
    assert seen == [("callback", 8.0, 4.0), ("queued by a callback",)]


def test_queue_callback_outside_backward_is_refused():
    with pytest.raises(RuntimeError, match="no backward pass is running"):
        queue_callback(lambda: None)


def test_callback_of_an_inner_backward_runs_when_the_inner_pass_ends():
    outer = nnmath.tensor([1.0], requires_grad=True)
    inner = nnmath.tensor([1.0], requires_grad=True)
    order = []

    def hook(t):
        queue_callback(lambda: order.append("outer callback"))
        with nnmath.enable_grad():                     # hooks run with recording off, as in PyTorch
            (inner * 2).sum().backward()               # a backward inside a hook: its own pass
        order.append("inner pass returned")

    inner.register_post_accumulate_grad_hook(lambda t: queue_callback(lambda: order.append("inner callback")))
    outer.register_post_accumulate_grad_hook(hook)
    (outer * 3).sum().backward()
    assert order == ["inner callback", "inner pass returned", "outer callback"]
