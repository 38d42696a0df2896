"""Autograd overhead and matmul throughput (issue: Tensor and autodiff)."""
from __future__ import annotations

import numpy as np

from harness import Case


def _small_op_with_grad(lib):
    """Per-op overhead: 100 ops on 16-element tensors, recorded, then one backward."""
    x = lib.tensor(np.linspace(-1, 1, 16, dtype=np.float32), requires_grad=True)
    w = lib.tensor(np.full(16, 0.5, dtype=np.float32), requires_grad=True)

    def step():
        y = x
        for _ in range(50):
            y = y * w
            y = y + x
        y.sum().backward()
        grads = x.grad, w.grad
        x.grad = w.grad = None
        return grads          # what the step computes (a compiled step keeps only what is observable)
    return step


def _chain_1000(lib):
    """A 1,000-op elementwise chain (tanh, mul, add) on 1,000 floats, forward and backward."""
    x = lib.tensor(np.linspace(-1, 1, 1000, dtype=np.float32), requires_grad=True)

    def step():
        y = x
        for _ in range(333):
            y = lib.tanh(y) * 1.01 + 0.01
        y.sum().backward()
        grad = x.grad
        x.grad = None
        return grad
    return step


def _matmul(n):
    def setup(lib):
        rng = np.random.default_rng(0)
        a = lib.tensor(rng.standard_normal((n, n), dtype=np.float32), requires_grad=True)
        b = lib.tensor(rng.standard_normal((n, n), dtype=np.float32), requires_grad=True)

        def step():
            (a @ b).sum().backward()
            grads = a.grad, b.grad
            a.grad = b.grad = None
            return grads
        return step
    return setup


CASES = [
    Case("small op + backward (per op, 16 floats)", _small_op_with_grad, unit="us", per_call=100),
    Case("1000-op elementwise chain fwd+bwd", _chain_1000, unit="ms"),
    # forward 2n³ + two backward GEMMs 4n³
    Case("matmul 1024x1024 fwd+bwd (float32)", _matmul(1024), flops=6 * 1024 ** 3),
]
