"""The seed CNN on MNIST-sized input (issue: convolutional networks)."""
from __future__ import annotations

import numpy as np

from harness import Case
from models import build_pair, seed_cnn, training_step


def _cnn_step(lib):
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.random((64, 1, 28, 28), dtype=np.float32))
    y = lib.tensor(rng.integers(0, 10, 64))
    model = build_pair(seed_cnn, lib)
    model.train()
    return training_step(model, lib, lambda p: lib.optim.Adam(p, lr=1e-3), x, y, lib.nn.functional.nll_loss)


def _cnn_inference(lib):
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.random((1000, 1, 28, 28), dtype=np.float32))
    model = build_pair(seed_cnn, lib)
    model.eval()

    def step():
        with lib.no_grad():
            return model(x)       # returned: a compiler may drop work whose result nothing reads
    return step


CASES = [
    Case("seed CNN train step (b=64, Adam)", _cnn_step, unit="ms"),
    Case("seed CNN inference (b=1000)", _cnn_inference, unit="ms"),
]
