"""Character LSTM training step (issue: sequence models)."""
from __future__ import annotations

import numpy as np

from harness import Case
from models import build_pair, char_lstm, training_step


def _lstm_step(lib):
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.integers(0, 65, (32, 64)))
    y = lib.tensor(rng.integers(0, 65, (32, 64)))
    model = build_pair(char_lstm, lib)

    def loss_fn(out, target):
        logits, _ = out
        return lib.nn.functional.cross_entropy(logits.reshape(-1, 65), target.reshape(-1))
    return training_step(model, lib, lambda p: lib.optim.Adam(p, lr=2e-3), x, y, loss_fn)


CASES = [Case("char LSTM train step (seq 64, b=32, Adam)", _lstm_step, unit="ms")]
