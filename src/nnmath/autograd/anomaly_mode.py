"""``detect_anomaly``: find the op whose backward produced NaN or inf, and where it was created.

While it is on, each recorded op keeps the stack of the user code that called it; the engine checks
every gradient it computes and raises, naming the op and that line, at the first non-finite one.
"""
from __future__ import annotations

from nnmath.autograd.grad_mode import state


def is_anomaly_enabled() -> bool:
    return state.anomaly


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = state.anomaly
        state.anomaly = self.check_nan
        return self

    def __exit__(self, *exc):
        state.anomaly = self._prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with detect_anomaly(self.check_nan):
                return fn(*a, **k)
        return wrapper


class set_detect_anomaly(detect_anomaly):
    def __init__(self, mode: bool):
        super().__init__(mode)
        self._prev = state.anomaly
        state.anomaly = mode

    def __enter__(self):
        return self


def creation_site(stack) -> str:
    """The innermost frame of the stack that lies outside nnmath itself: the user's line."""
    import os
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for frame in reversed(stack):
        if not os.path.abspath(frame.filename).startswith(pkg):
            return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}\n    {frame.line}'
    frame = stack[-1]
    return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}'
