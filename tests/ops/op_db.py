"""The op table of nnmath's core ops (``nnmath.ops``). Entries are generated into tests by
``tests/test_op_db.py``."""
from __future__ import annotations

import numpy as np

from nnmath.ops import activation, arithmetic, elementwise
from opinfo import BINARY_SHAPES, UNARY_SHAPES, OpInfo, Sample, positive, uniform


def unary(rng, low=-1.0, high=1.0):
    return [Sample(uniform(rng, s, low=low, high=high)) for s in UNARY_SHAPES]


def binary(rng, low=-1.0, high=1.0):
    return [Sample(uniform(rng, a, b, low=low, high=high)) for a, b in BINARY_SHAPES]


OP_DB = [
    OpInfo("add", lambda m, a, b: a + b, binary, covers=(arithmetic.Add,)),
    OpInfo("mul", lambda m, a, b: a * b, binary, covers=(arithmetic.Mul,)),
    OpInfo("exp", lambda m, x: m.exp(x), unary, covers=(elementwise.Exp,)),
    OpInfo("log", lambda m, x: m.log(x), lambda rng: [Sample(positive(rng, s)) for s in UNARY_SHAPES],
           covers=(elementwise.Log,)),
    OpInfo("tanh", lambda m, x: m.tanh(x), unary, covers=(activation.Tanh,)),
]
