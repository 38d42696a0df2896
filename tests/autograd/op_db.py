"""Op-table entries for the Functions of the autograd package itself."""
from __future__ import annotations

from nnmath.autograd.function import DelayedError
from opinfo import OpInfo, Sample, uniform

OP_DB = [
    # DelayedError passes a gradient through unchanged and raises when differentiated: its backward is
    # the error, so only its forward is checked here; tests/rnn/test_sequence_modules.py checks the error.
    OpInfo("delayed_error", lambda m, x: DelayedError.apply(x, "Example", x),
           lambda rng: [Sample(uniform(rng, (3, 2)))], covers=(DelayedError,),
           parity=False, gradcheck=False, gradgrad=False, special="the identity on its first argument"),
]
