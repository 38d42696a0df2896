"""Small networks written once against PyTorch's API, so the same code builds them in nnmath and in
PyTorch (for save/load interchange, ONNX parity, exact resume). A network whose layers nnmath does not
have yet is skipped with the missing layer's name."""
from __future__ import annotations

import numpy as np
import pytest

import nnmath


def require_modules(*names: str) -> None:
    """Skip the test unless ``nnmath.nn`` has every named module."""
    missing = [name for name in names if not hasattr(nnmath.nn, name)]
    if missing:
        pytest.skip(f"nnmath.nn has no {', '.join(missing)} yet")


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3))


def small_cnn(lib):
    """The seed CNN's layout at a small size: conv, conv, max-pool, dropout, fc, fc, log-softmax."""
    nn, F = lib.nn, lib.nn.functional

    class SmallCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, 1)
            self.conv2 = nn.Conv2d(4, 8, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.fc1 = nn.Linear(8 * 2 * 2, 16)
            self.fc2 = nn.Linear(16, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = lib.flatten(x, 1)
            x = F.relu(self.fc1(x))
            return F.log_softmax(self.fc2(x), dim=1)
    return SmallCNN()


def char_lstm(lib):
    """Embedding(12, 8) -> LSTM(8, 16) -> Linear(16, 12), batch first."""
    nn = lib.nn

    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(12, 8)
            self.rnn = nn.LSTM(8, 16, batch_first=True)
            self.fc = nn.Linear(16, 12)

        def forward(self, x):
            out, _ = self.rnn(self.embed(x))
            return self.fc(out)
    return CharLSTM()


#: factory, the nnmath.nn modules it needs, an input maker (NumPy, seeded)
NETWORKS = {
    "mlp": (mlp, ("Sequential", "Linear", "ReLU", "Tanh"),
            lambda rng: rng.standard_normal((5, 6)).astype(np.float32)),
    "cnn": (small_cnn, ("Conv2d", "Dropout", "Linear"),
            lambda rng: rng.standard_normal((2, 1, 8, 8)).astype(np.float32)),
    "char_lstm": (char_lstm, ("Embedding", "LSTM", "Linear"),
                  lambda rng: rng.integers(0, 12, size=(2, 7)).astype(np.int64)),
}


def build(name: str, lib):
    """The named network in ``lib`` (nnmath or torch), skipping when nnmath lacks a layer it needs."""
    factory, needs, _ = NETWORKS[name]
    require_modules(*needs)
    return factory(lib)


def example_input(name: str) -> np.ndarray:
    return NETWORKS[name][2](np.random.default_rng(0))
