"""nnmath: a deep-learning framework built directly on its mathematics.

Tensors over NumPy, reverse-mode autodiff where every op states its derivative, and PyTorch's API:
``import nnmath as torch`` runs PyTorch programs that stay within what nnmath implements.
"""
import builtins
import importlib
import math as _math

from nnmath import _malloc  # noqa: F401  (keeps freed arrays' memory in the process: see its docstring)
from nnmath import _methods  # noqa: F401  (binds Tensor's op-backed methods and operators)
from nnmath import accelerator, autograd, ops  # noqa: F401
from nnmath.amp import autocast
from nnmath.backend import get_default_device, set_default_device
from nnmath.autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from nnmath.creation import *  # noqa: F401,F403
from nnmath.creation import (arange, as_tensor, asarray, bernoulli, empty, empty_like, eye, from_numpy, full, full_like,
                             linspace, logspace, multinomial, normal, ones, ones_like, poisson, rand, rand_like,
                             randint, randint_like, randn, randn_like, randperm, tensor, zeros, zeros_like)
from nnmath import dtypes as _dtypes
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
from nnmath.tensor_types import *  # noqa: F401,F403  (FloatTensor, LongTensor, ...)

half, float, double = float16, float32, float64  # noqa: A001
if hasattr(_dtypes, "bfloat16"):  # with the ml_dtypes package
    bfloat16 = _dtypes.bfloat16
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128
pi, e, inf, nan, newaxis = _math.pi, _math.e, _math.inf, _math.nan, None


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


# PyTorch's top-level functions built on subpackages (``nnmath.svd``, ``nnmath.dropout``, ...) and
# the process-wide switches: :mod:`nnmath.toplevel`, loaded on first use of one of these names.
_TOPLEVEL = {"det", "slogdet", "logdet", "matrix_power", "matrix_exp", "inverse", "pinverse", "svd", "cross",
             "dist", "cosine_similarity", "pairwise_distance", "conv1d", "conv2d", "conv_transpose1d",
             "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool1d", "adaptive_avg_pool1d",
             "adaptive_max_pool1d", "selu", "celu", "bilinear", "binary_cross_entropy_with_logits", "kl_div",
             "cosine_embedding_loss", "dropout", "alpha_dropout", "embedding", "batch_norm", "layer_norm",
             "group_norm", "cartesian_prod", "block_diag", "finfo", "iinfo", "is_complex", "is_signed",
             "is_nonzero", "is_same_size", "typename", "scalar_tensor", "detach", "vmap",
             "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
             "is_deterministic_algorithms_warn_only_enabled", "set_float32_matmul_precision",
             "get_float32_matmul_precision", "set_default_tensor_type"}


def _inplace_function(name):
    def inplace(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    inplace.__name__ = inplace.__qualname__ = name
    inplace.__doc__ = f"``{name}(input, ...)`` is ``input.{name}(...)``: in place."
    return inplace


for _name in """abs_ acos_ asin_ atan_ ceil_ clamp_ clamp_min_ clamp_max_ clip_ cos_ cosh_ exp_ expm1_ fill_
               floor_ log_ log1p_ neg_ negative_ reciprocal_ relu_ round_ rsqrt_ sigmoid_ sin_ sinh_ sqrt_
               square_ tan_ tanh_ trunc_ zero_""".split():
    if hasattr(Tensor, _name):
        globals()[_name] = _inplace_function(_name)


def __getattr__(name):
    """Subpackages load on first use (``nnmath.nn``, ``nnmath.utils.data``, ``nnmath.linalg``, ...), and
    so do the top-level functions of :mod:`nnmath.toplevel`."""
    if name in _SUBPACKAGES:
        return importlib.import_module(f"nnmath.{name}")
    if name == "compile":  # nnmath.compile (the function) lives in nnmath.compiler, loaded on first use
        return importlib.import_module("nnmath.compiler").compile
    if name in _TOPLEVEL:
        return _methods.accept_numpy_names(getattr(importlib.import_module("nnmath.toplevel"), name))
    raise AttributeError(f"module 'nnmath' has no attribute {name!r}")


# PyTorch's functions also take NumPy's argument names: ``nnmath.sum(x, axis=0, keepdims=True)``.
for _name, _member in list(globals().items()):
    if not _name.startswith("_"):
        globals()[_name] = _methods.accept_numpy_names(_member)
