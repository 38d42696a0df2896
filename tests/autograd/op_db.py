"""Op-table entries for the Functions of the autograd package itself."""
from __future__ import annotations

from nnmath.autograd.function import DelayedError, ToDevice
from opinfo import OpInfo, Sample, uniform

OP_DB = [
    # DelayedError passes a gradient through unchanged and raises when differentiated: its backward is
    # the error, so only its forward is checked here; tests/rnn/test_sequence_modules.py checks the error.
    OpInfo("delayed_error", lambda m, x: DelayedError.apply(x, "Example", x),
           lambda rng: [Sample(uniform(rng, (3, 2)))], covers=(DelayedError,),
           parity=False, gradcheck=False, gradgrad=False, special="the identity on its first argument"),
    # ToDevice onto the tensor's own device (the move itself, cpu <-> cuda and its gradient coming back, is
    # tests/cuda/test_devices.py's, on the strict CuPy stand-in).
    OpInfo("to_device", lambda m, x: ToDevice.apply(x, x.device), lambda rng: [Sample(uniform(rng, (3, 2)))],
           covers=(ToDevice,), torch_op=lambda torch, x: x.to(x.device, copy=True),
           special="the identity (a copy between devices): no special points"),
]
