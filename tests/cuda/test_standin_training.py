"""Training steps with every tensor on the "cuda" device (the strict CuPy stand-in behind it).

The seed CNN (Adam) and a one-block GPT (AdamW, with dropout off so the two runs draw the same
numbers) are built once, copied, and stepped on the CPU and on the device from the same parameters
and batch: the losses and the updated parameters must agree to float32 rounding, every parameter,
gradient and optimizer buffer must live on the device, and no NumPy call may have been made that
CuPy would refuse (the stand-in raises on any).
"""
from __future__ import annotations

import copy

import numpy as np
import pytest

import nnmath
import nnmath.nn as nn
import nnmath.nn.functional as F
from device_under_test import RTOL32, device_array_type
from nnmath.apps.mnist import SeedCNN


class TinyGPT(nn.Module):
    """Token and position embeddings, one pre-norm block (causal self-attention, GELU MLP), LM head."""

    def __init__(self, vocab=11, block=6, width=8, heads=2):
        super().__init__()
        self.heads = heads
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Embedding(block, width)
        self.ln1, self.ln2, self.ln_f = nn.LayerNorm(width), nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.fc, self.out = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)
        self.head = nn.Linear(width, vocab, bias=False)

    def forward(self, idx):
        b, t = idx.shape
        x = self.tok(idx) + self.pos(nnmath.arange(t, device=idx.device))
        q, k, v = self.qkv(self.ln1(x)).split(x.shape[-1], dim=2)
        q, k, v = (z.view(b, t, self.heads, -1).transpose(1, 2) for z in (q, k, v))
        scores = q @ k.transpose(-2, -1) / (q.shape[-1] ** 0.5)
        causal = nnmath.ones(t, t, dtype=nnmath.bool, device=idx.device).triu(1)
        attention = F.softmax(scores.masked_fill(causal, float("-inf")), dim=-1)
        x = x + self.proj((attention @ v).transpose(1, 2).reshape(b, t, -1))
        x = x + self.out(F.gelu(self.fc(self.ln2(x))))
        return self.head(self.ln_f(x))


def _step(model, optimizer, x, y, loss_fn):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _on_device(t) -> bool:
    return type(t._data) is device_array_type() and t.device == nnmath.device("cuda", 0)


def _compare_steps(model, make_optimizer, x, y, loss_fn, steps=2):
    device_model = copy.deepcopy(model).to("cuda")
    host_opt, device_opt = make_optimizer(model), make_optimizer(device_model)
    xd, yd = x.to("cuda"), y.to("cuda")
    for _ in range(steps):
        host_loss = _step(model, host_opt, x, y, loss_fn)
        device_loss = _step(device_model, device_opt, xd, yd, loss_fn)
        assert device_loss == pytest.approx(host_loss, rel=RTOL32)
    for (name, p), q in zip(model.named_parameters(), device_model.parameters()):
        assert _on_device(q) and _on_device(q.grad), name
        np.testing.assert_allclose(q.detach().cpu().numpy(), p.detach().numpy(), rtol=10 * RTOL32, atol=RTOL32,
                                   err_msg=name)
    for state in device_opt.state.values():
        for key, value in state.items():
            if isinstance(value, nnmath.Tensor) and value.ndim:
                assert _on_device(value), key


def test_seed_cnn_adam_step_on_the_device(on_standin):
    nnmath.manual_seed(0)
    model = SeedCNN().eval()  # dropout off: both runs then compute the same function
    x = nnmath.randn(4, 1, 28, 28)
    y = nnmath.tensor([3, 1, 4, 1])
    _compare_steps(model, lambda m: nnmath.optim.Adam(m.parameters(), lr=1e-3), x, y, F.nll_loss)


def test_tiny_gpt_adamw_step_on_the_device(on_standin):
    nnmath.manual_seed(0)
    model = TinyGPT()
    idx = nnmath.randint(0, 11, (3, 6))
    targets = nnmath.randint(0, 11, (3, 6))
    loss = lambda logits, y: F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))  # noqa: E731
    _compare_steps(model, lambda m: nnmath.optim.AdamW(m.parameters(), lr=1e-2, weight_decay=0.1), idx, targets, loss)


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adagrad", "NAdam"])
def test_other_optimizers_keep_their_state_on_the_device(name, on_standin):
    nnmath.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    make = {"SGD": lambda m: nnmath.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)}.get(
        name, lambda m: getattr(nnmath.optim, name)(m.parameters(), lr=0.01))
    x, y = nnmath.randn(6, 5), nnmath.tensor([0, 1, 2, 0, 1, 2])
    _compare_steps(model, make, x, y, F.cross_entropy)


def test_training_with_dropout_runs_on_the_device(on_standin):
    """With dropout on, the masks are drawn on the host from the same generator and moved over."""
    nnmath.manual_seed(0)
    model = SeedCNN().train()
    device_model = copy.deepcopy(model).to("cuda")
    x, y = nnmath.randn(2, 1, 28, 28), nnmath.tensor([3, 1])
    nnmath.manual_seed(1)
    host_loss = F.nll_loss(model(x), y).item()
    nnmath.manual_seed(1)
    device_loss = F.nll_loss(device_model(x.cuda()), y.cuda()).item()
    assert device_loss == pytest.approx(host_loss, rel=RTOL32)
