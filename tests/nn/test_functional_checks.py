"""nn.functional refuses what PyTorch 2.13 refuses, with a message naming the function and what was
expected (not NumPy's words), and computes what PyTorch computes. Each case runs in both libraries."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import nnmath

torch = pytest.importorskip("torch")

NAN = float("nan")

REFUSED = {
    "bce target above 1": (lambda m, F: F.binary_cross_entropy(m.full((3,), 0.5), m.tensor([0.0, 1.0, 2.0])),
                           "target should be between 0 and 1"),
    "bce target below 0": (lambda m, F: F.binary_cross_entropy(m.full((3,), 0.5), m.tensor([0.0, -1.0, 1.0])),
                           "target should be between 0 and 1"),
    "bce NaN input": (lambda m, F: F.binary_cross_entropy(m.tensor([0.5, NAN, 0.2]), m.tensor([0.0, 1.0, 1.0])),
                      "input should be between 0 and 1"),
    "bce float64 target": (lambda m, F: F.binary_cross_entropy(m.full((3,), 0.5), m.ones(3, dtype=m.float64)),
                           "dtype"),
    "cross_entropy int32 target": (lambda m, F: F.cross_entropy(m.ones(2, 3), m.zeros(2, dtype=m.int32)), "int64"),
    "nll_loss int32 target": (lambda m, F: F.nll_loss(m.ones(2, 3), m.zeros(2, dtype=m.int32)), "int64"),
    "linear with a bias of the wrong size": (lambda m, F: F.linear(m.ones(2, 3), m.ones(4, 3), m.ones(5)),
                                             "bias of shape"),
    "layer_norm weight of another dtype": (lambda m, F: F.layer_norm(m.ones(2, 3), (3,), m.ones(3, dtype=m.float64)),
                                           "dtype"),
    "dropout of an int tensor": (lambda m, F: F.dropout(m.ones(3, dtype=m.int64)), "floating point"),
    "dropout2d of an int tensor": (lambda m, F: F.dropout2d(m.ones(1, 2, 3, dtype=m.int64)), "floating point"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_as_by_pytorch(name):
    program, words = REFUSED[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((RuntimeError, ValueError, TypeError)):
            program(torch, torch.nn.functional)
        with pytest.raises((RuntimeError, ValueError, TypeError), match=words):
            program(nnmath, nnmath.nn.functional)


COMPUTED = {
    "bce with logits accepts targets above 1": lambda m, F: F.binary_cross_entropy_with_logits(
        m.zeros(3), m.tensor([0.0, 1.0, 2.0])),
    "cross_entropy uint8 target": lambda m, F: F.cross_entropy(m.ones(2, 3), m.zeros(2, dtype=m.uint8)),
    "huber_loss keeps the input's dtype": lambda m, F: F.huber_loss(m.ones(3), m.zeros(3, dtype=m.float64)),
    "mse_loss promotes to the target's float64": lambda m, F: F.mse_loss(m.ones(3), m.zeros(3, dtype=m.float64)),
    "linear with a (1, out) bias": lambda m, F: F.linear(m.ones(2, 3), m.ones(4, 3), m.ones(1, 4)),
}


@pytest.mark.parametrize("name", sorted(COMPUTED))
def test_computed_as_by_pytorch(name):
    ours = COMPUTED[name](nnmath, nnmath.nn.functional)
    theirs = COMPUTED[name](torch, torch.nn.functional)
    assert ours.dtype.name == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
