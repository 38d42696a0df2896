"""Whether operations are recorded for differentiation: ``no_grad``, ``enable_grad``,
``set_grad_enabled``, ``inference_mode``. Each works as a context manager and as a decorator."""
from __future__ import annotations

import functools
import threading


class _State(threading.local):
    def __init__(self):
        self.enabled = True
        self.anomaly = False


state = _State()


def is_grad_enabled() -> bool:
    return state.enabled


class _GradMode:
    """Base of the grad-mode context managers; subclasses give the mode to switch to."""

    _mode = True

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self._mode
        return self

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            # A fresh copy per call (each entry saves its own previous mode, so calls may nest),
            # given this one's settings before it is entered.
            ctx = self.__class__.__new__(self.__class__)
            ctx.__dict__.update(self.__dict__)
            with ctx:
                return fn(*args, **kwargs)
        return wrapper


class _BareDecoratorMixin:
    """Lets ``@no_grad`` be written without parentheses, as PyTorch allows."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_BareDecoratorMixin, _GradMode):
    """Do not record operations: results have ``requires_grad=False``. For evaluation and updates."""
    _mode = False


class enable_grad(_BareDecoratorMixin, _GradMode):
    """Record operations even inside ``no_grad``."""
    _mode = True


class inference_mode(_GradMode):
    """Like ``no_grad`` (nnmath keeps no extra bookkeeping to skip); ``inference_mode(False)`` records.
    ``@inference_mode`` without parentheses decorates, as in PyTorch."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode: bool = True):
        self._mode = not mode


class set_grad_enabled(_GradMode):
    """Switch recording on or off: a function call, a context manager or a decorator."""

    def __init__(self, mode: bool):
        self._prev = state.enabled
        self._mode = bool(mode)
        state.enabled = self._mode  # takes effect when called as a plain function too

    def __enter__(self):
        return self

    def __call__(self, fn):
        # As a decorator the switch made by __init__ must not outlive the decoration: restore it and
        # switch only while fn runs.
        state.enabled = self._prev
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper
