"""nnmath: a deep-learning framework built directly on its mathematics.

Tensors over NumPy, reverse-mode autodiff where every op states its derivative, and PyTorch's API:
``import nnmath as torch`` runs PyTorch programs that stay within what nnmath implements.
"""
import builtins
import importlib


from nnmath import _methods  # noqa: F401  (binds Tensor's op-backed methods and operators)
from nnmath import accelerator, autograd, ops  # noqa: F401
from nnmath.amp import autocast
from nnmath.backend import get_default_device, set_default_device
from nnmath.autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from nnmath.creation import *  # noqa: F401,F403
from nnmath.creation import (arange, as_tensor, asarray, bernoulli, empty, empty_like, eye, from_numpy, full, full_like,
                             linspace, logspace, multinomial, normal, ones, ones_like, poisson, rand, rand_like,
                             randint, randint_like, randn, randn_like, randperm, tensor, zeros, zeros_like)
from nnmath.device import device
from nnmath.dtypes import bool_ as bool  # noqa: A004
from nnmath.dtypes import (can_cast, complex64, complex128, dtype, float16, float32, float64, get_default_dtype, int8,
                           int16, int32, int64, promote_types, result_type, set_default_dtype, uint8)
from nnmath.ops import *  # noqa: F401,F403
from nnmath.ops import abs, all, any, max, min, pow, round, sum  # noqa: A004  (PyTorch's names)
from nnmath.parallel import get_num_threads, set_num_threads
from nnmath.random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from nnmath.serialization import load, save
from nnmath.special import erf, erfc
from nnmath.tensor import Size, Tensor, set_printoptions

half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128


def is_tensor(obj) -> builtins.bool:
    return isinstance(obj, Tensor)


def is_floating_point(input) -> builtins.bool:
    return input.is_floating_point()


def numel(input) -> builtins.int:
    return input.numel()


__version__ = "0.1.0"

# Subpackages above the core load on first use, so ``import nnmath`` stays fast.
_SUBPACKAGES = {"nn", "optim", "utils", "linalg", "distributions", "info", "prob", "vision", "onnx", "text",
                "audio", "metrics", "viz", "backend", "random", "special", "amp", "cuda", "cpu", "backends",
                "multiprocessing", "distributed", "compiler"}


def __getattr__(name):
    """Subpackages load on first use (``nnmath.nn``, ``nnmath.utils.data``, ``nnmath.linalg``, ...)."""
    if name in _SUBPACKAGES:
        return importlib.import_module(f"nnmath.{name}")
    if name == "compile":  # nnmath.compile (the function) lives in nnmath.compiler, loaded on first use
        return importlib.import_module("nnmath.compiler").compile
    raise AttributeError(f"module 'nnmath' has no attribute {name!r}")
