"""Whole training steps (forward, loss, backward, optimizer step) compiled: the same losses, gradients
and parameters as eager mode, bit for bit, step after step: an MLP with SGD and momentum, the seed CNN
(dropout, Adam), the char LSTM (embedding, LSTM, clipping, Adam), and the op table's ops."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import nnmath
import nnmath.nn as nn
import nnmath.nn.functional as F
from nnmath.apps.char_lm import char_lstm_class
from nnmath.apps.mnist import seed_cnn_class


def _mlp(rng):
    model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
    x = nnmath.tensor(rng.standard_normal((8, 20), dtype=np.float32))
    y = nnmath.tensor(rng.integers(0, 4, 8))
    return model, nnmath.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), nn.CrossEntropyLoss(), x, y


def _cnn(rng):
    model = seed_cnn_class()()
    x = nnmath.tensor(rng.random((4, 1, 28, 28), dtype=np.float32))
    y = nnmath.tensor(rng.integers(0, 10, 4))
    return model, nnmath.optim.Adam(model.parameters(), lr=1e-3), F.nll_loss, x, y


def _lstm(rng):
    model = char_lstm_class()(11, 6, 8)
    x = nnmath.tensor(rng.integers(0, 11, (3, 5)))
    y = nnmath.tensor(rng.integers(0, 11, (3, 5)))

    def loss(out, target):
        return F.cross_entropy(out[0].reshape(-1, 11), target.reshape(-1))
    return model, nnmath.optim.Adam(model.parameters(), lr=1e-2), loss, x, y


def _step(model, optimizer, loss_fn, clip=None):
    def step(x, y):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        return loss
    return step


@pytest.mark.parametrize("build,clip", [(_mlp, None), (_cnn, None), (_lstm, 0.5)], ids=["mlp", "cnn", "lstm"])
def test_compiled_training_steps_equal_eager_ones_bit_for_bit(build, clip):
    runs = []
    for compiled in (False, True):
        nnmath.manual_seed(0)
        model, optimizer, loss_fn, x, y = build(np.random.default_rng(0))
        step = _step(model, optimizer, loss_fn, clip)
        if compiled:
            step = nnmath.compile(step)
        losses, grads = [], []
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)      # no fallback to eager mode
            for _ in range(6):
                losses.append(step(x, y).item())
                grads.append([p.grad.numpy().copy() for p in model.parameters()])
        runs.append((losses, grads, [p.detach().numpy().copy() for p in model.parameters()], step))
    (eager_losses, eager_grads, eager_params, _), (losses, grads, params, step) = runs
    assert step.stats["replays"] >= 3
    assert losses == eager_losses
    for a, b in zip(eager_grads + [eager_params], grads + [params]):
        assert all(np.array_equal(u, v) for u, v in zip(a, b))


def test_the_first_optimizer_step_inside_a_compiled_function_creates_its_state_once():
    nnmath.manual_seed(0)
    model, optimizer, loss_fn, x, y = _mlp(np.random.default_rng(1))
    step = nnmath.compile(_step(model, optimizer, loss_fn))
    for _ in range(5):
        step(x, y)
    buffers = [s["momentum_buffer"] for s in optimizer.state.values()]
    step(x, y)
    assert [s["momentum_buffer"] for s in optimizer.state.values()] == buffers
