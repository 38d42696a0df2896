"""``nnmath.autograd``: reverse-mode automatic differentiation.

- :class:`Function` (``function.py``): how an op states its forward and its derivative.
- ``engine.py``: the chain rule over the recorded graph (:func:`backward`, :func:`grad`).
- ``grad_mode.py``: :class:`no_grad`, :class:`enable_grad`, :class:`set_grad_enabled`, :class:`inference_mode`.
- ``gradcheck.py``: :func:`gradcheck`, :func:`gradgradcheck` (finite differences in float64).
- ``functional.py``: vjp, jvp, jacobian, hessian, hvp (built on the ops, so loaded on first use).
- ``anomaly_mode.py``: :class:`detect_anomaly`.
- ``variable.py``: :class:`Variable` (PyTorch's pre-0.4 tensor wrapper, for old programs).
"""
import importlib

from nnmath.autograd.anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from nnmath.autograd.engine import backward, grad
from nnmath.autograd.function import Function, once_differentiable
from nnmath.autograd.grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from nnmath.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from nnmath.autograd.variable import Variable

__all__ = ["Function", "once_differentiable", "backward", "grad", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "gradcheck", "gradgradcheck",
           "GradcheckError", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "functional",
           "Variable"]


def __getattr__(name):
    # functional is built on the ops, and the ops import this package: it loads on first use.
    if name == "functional":
        return importlib.import_module("nnmath.autograd.functional")
    raise AttributeError(f"module 'nnmath.autograd' has no attribute {name!r}")
