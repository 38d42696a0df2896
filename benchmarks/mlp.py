"""MLP 784-512-512-10, batch 128, SGD with momentum: one training step (issue: neural networks)."""
from __future__ import annotations

import numpy as np

from harness import Case
from models import build_pair, mlp, training_step


def _mlp_step(lib):
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((128, 784), dtype=np.float32))
    y = lib.tensor(rng.integers(0, 10, 128))
    model = build_pair(mlp, lib)
    return training_step(model, lib, lambda p: lib.optim.SGD(p, lr=0.01, momentum=0.9), x, y,
                         lib.nn.CrossEntropyLoss())


CASES = [Case("MLP 784-512-512-10 train step (b=128, SGD)", _mlp_step, unit="ms")]
