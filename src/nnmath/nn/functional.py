"""``nnmath.nn.functional``: the mathematics behind the layers, as functions (PyTorch's ``F``).

The functions are composed of nnmath ops (:mod:`nnmath.ops`), so their gradients come from the ops'
derivatives; where a layer needs a primitive of its own (``linear``, ``softplus``, convolution,
pooling, embedding, recurrence), it lives in ``ops`` and is re-exported here.

Losses take ``reduction='none' | 'mean' | 'sum'`` (and the legacy ``size_average`` / ``reduce``).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from nnmath import creation, dtypes, ops, special
from nnmath._methods import apply_inplace
from nnmath.autograd import no_grad
from nnmath.backend import get_array_module, on_device_of, to_device
from nnmath.device import CPU
from nnmath.ops import normalization
from nnmath.ops._util import check_same_dtype, write_out
# The layers' primitives, offered here under PyTorch's names (F.linear, F.conv2d, ...).
from nnmath.ops.activation import bernoulli_nll, gelu_tanh, softplus
from nnmath.ops.activation import gelu as gelu_erf
from nnmath.ops.attention import attention
from nnmath.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: F401
from nnmath.ops.embedding import embedding  # noqa: F401
from nnmath.ops.pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d,  # noqa: F401
                                adaptive_max_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d)
from nnmath.ops.products import linear  # noqa: F401
from nnmath.ops.recurrent import recurrent_layer  # noqa: F401  (PyTorch's internal _VF.lstm/gru/rnn_*)
from nnmath.ops.resample import interpolate  # noqa: F401
from nnmath import random
from nnmath.random import rng
from nnmath.tensor import Tensor

# --- linear maps -----------------------------------------------------------------------------------


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """yₖ = x₁ᵀ Wₖ x₂ + bₖ for x₁ (*, in1), x₂ (*, in2), W (out, in1, in2), b (out,)."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear: input1 {tuple(input1.shape)} and input2 {tuple(input2.shape)} must have "
                           f"the same leading dimensions")
    if (input1.shape[-1], input2.shape[-1]) != tuple(weight.shape[1:]):
        raise RuntimeError(f"bilinear: inputs with {input1.shape[-1]} and {input2.shape[-1]} features do not "
                           f"match the weight of shape {tuple(weight.shape)} (out, in1, in2)")
    check_same_dtype("bilinear", input1, input2, weight, bias)
    y = ops.einsum("...i,kij,...j->...k", input1, weight, input2)
    return y if bias is None else y + bias


# --- activations ------------------------------------------------------------------------------------


def _maybe_inplace(input: Tensor, fn, inplace: bool, op: str) -> Tensor:
    """``fn(input)``, or with PyTorch's ``inplace=True`` the same values written into ``input``'s memory
    (``input`` is returned, its history moved on as by any in-place op)."""
    if not inplace:
        return fn(input)
    return apply_inplace(input, op, fn)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """ReLU(x) = max(x, 0)."""
    return input.relu_() if inplace else ops.relu(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """ReLU6(x) = min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """LeakyReLU(x) = x if x > 0 else negative_slope · x."""
    return _maybe_inplace(input, lambda x: ops.where(x > 0, x, x * negative_slope), inplace, "leaky_relu_")


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """ELU(x) = x if x > 0 else α (eˣ − 1)."""
    return _maybe_inplace(input, lambda x: _elu(x, alpha), inplace, "elu_")


def _elu(x: Tensor, alpha: float) -> Tensor:
    # expm1 of min(x, 0): the unused branch never overflows, so its zero gradient stays finite.
    return ops.where(x > 0, x, ops.expm1(ops.clamp_max(x, 0.0)) * alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """SELU(x) = λ · ELU(x, α), λ ≈ 1.0507, α ≈ 1.6733 (self-normalising)."""
    return _maybe_inplace(input, lambda x: _elu(x, _SELU_ALPHA) * _SELU_SCALE, inplace, "selu_")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """CELU(x) = max(0, x) + min(0, α (e^(x/α) − 1))."""
    return _maybe_inplace(input, lambda x: ops.where(x > 0, x, ops.expm1(ops.clamp_max(x, 0.0) / alpha) * alpha),
                          inplace, "celu_")


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """GELU(x) = x Φ(x) = x/2 · (1 + erf(x/√2));  approximate='tanh':
    x/2 · (1 + tanh(√(2/π) (x + 0.044715 x³)))."""
    if approximate == "none":
        return gelu_erf(input)
    if approximate == "tanh":
        return gelu_tanh(input)
    raise RuntimeError(f"gelu: approximate argument must be either 'none' or 'tanh', got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """SiLU(x) = x σ(x)."""
    return _maybe_inplace(input, lambda x: x * ops.sigmoid(x), inplace, "silu_")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """Mish(x) = x tanh(softplus(x))."""
    return _maybe_inplace(input, lambda x: x * ops.tanh(softplus(x)), inplace, "mish_")


def sigmoid(input: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e⁻ˣ)."""
    return ops.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """tanh(x)."""
    return ops.tanh(input)


def logsigmoid(input: Tensor) -> Tensor:
    """log σ(x) = −softplus(−x)."""
    return -softplus(-input)


def softsign(input: Tensor) -> Tensor:
    """Softsign(x) = x / (1 + |x|)."""
    return input / (1.0 + ops.abs(input))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """Hardtanh(x) = min(max(x, min_val), max_val); gradient 1 strictly inside, 0 elsewhere (as PyTorch)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return _maybe_inplace(input, lambda x: _hardtanh(x, min_val, max_val), inplace, "hardtanh_")


def _hardtanh(x: Tensor, min_val: float, max_val: float) -> Tensor:
    inside = (x > min_val) & (x < max_val)
    return ops.where(inside, x, ops.clamp(x.detach(), min_val, max_val))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """Hardsigmoid(x) = ReLU6(x + 3) / 6."""
    return _maybe_inplace(input, lambda x: _hardtanh(x + 3.0, 0.0, 6.0) / 6.0, inplace, "hardsigmoid_")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """Hardswish(x) = x · ReLU6(x + 3) / 6."""
    return _maybe_inplace(input, lambda x: x * hardsigmoid(x), inplace, "hardswish_")


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(x)ᵢ = e^(xᵢ) / Σⱼ e^(xⱼ) along ``dim``."""
    return ops.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log softmax(x)ᵢ = xᵢ − log Σⱼ e^(xⱼ) along ``dim`` (log-sum-exp, stable)."""
    return ops.log_softmax(input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmin(x) = softmax(−x)."""
    return ops.softmax(-input, dim, dtype)


# --- dropout ----------------------------------------------------------------------------------------


def _check_probability(p: float, op: str = "dropout", input: Tensor | None = None) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    if input is not None and not dtypes.is_inexact_np(input._data.dtype):
        raise RuntimeError(f"{op}: expected a floating point input, got {input.dtype} (the scaled result "
                           f"can't be cast to the input's dtype)")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """y = x ⊙ m / (1 − p), mᵢ ~ Bernoulli(1 − p), in training; y = x otherwise (E[y] = x)."""
    _check_probability(p, "dropout", input)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _maybe_inplace(input, lambda x: x * 0.0, inplace, "dropout_")
    keep = random.bernoulli(input.shape, 1.0 - p)  # PyTorch's draws: the same seed drops the same units
    dt = input._data.dtype.type
    mask = Tensor._make(on_device_of(keep.astype(input._data.dtype) * (dt(1) / dt(1.0 - p)), input._data))
    return _maybe_inplace(input, lambda x: x * mask, inplace, "dropout_")


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance: dropped units are set to α' = −λα and
    the result is rescaled by a (x ⊙ m + α'(1 − m)) + b so that mean and variance are preserved."""
    _check_probability(p, "alpha_dropout", input)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    alpha_prime = -_SELU_ALPHA * _SELU_SCALE
    keep = on_device_of(random.bernoulli(input.shape, 1.0 - p).astype(input._data.dtype), input._data)
    a = (1.0 - p + p * alpha_prime ** 2 * (1.0 - p)) ** -0.5
    b = -a * alpha_prime * p
    shift = Tensor._make(((1.0 - keep) * alpha_prime * a + b).astype(input._data.dtype))
    return _maybe_inplace(input, lambda x: x * Tensor._make(keep * a) + shift, inplace, "alpha_dropout_")


def _channel_dropout(input, p, training, inplace, spatial, op, generator=None):
    _check_probability(p, op, input)
    if not training or p == 0.0:
        return input
    if spatial == 1 and input.ndim not in (2, 3):
        raise RuntimeError(f"{op}: expected a 2-D or 3-D input (C, L) or (N, C, L), got size {tuple(input.shape)}")
    if spatial == 2 and input.ndim not in (3, 4):
        warnings.warn(f"{op}: received a {input.ndim}-D input; dropout2d drops whole channels of 3-D or 4-D "
                      f"inputs. As PyTorch, the mask covers the first two dimensions (so a 2-D input is dropped "
                      f"element-wise); use dropout for that.", UserWarning, stacklevel=3)
    # PyTorch's rule: dropout1d takes a 2-D input as unbatched (C, L); dropout2d always masks the
    # first two dimensions, so a 3-D input is read as (N, C, L) (PyTorch issue 77081).
    unbatched = (spatial == 1 and input.ndim == 2) or (spatial == 3 and input.ndim == 4)
    channels = input.shape[:1] if unbatched else input.shape[:2]
    dt = input._data.dtype
    if p == 1.0:
        return _maybe_inplace(input, lambda x: x * 0.0, inplace, op + "_")
    keep = random.bernoulli(tuple(channels) + (1,) * (input.ndim - len(channels)), 1.0 - p, generator)
    mask = Tensor._make(on_device_of(keep.astype(dt) * (dt.type(1) / dt.type(1.0 - p)), input._data))
    return _maybe_inplace(input, lambda x: x * mask, inplace, op + "_")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: each (n, c) feature map is kept with probability 1 − p (and scaled by
    1/(1 − p)) or zeroed. Input (N, C, H, W). As PyTorch, the mask always covers the first two
    dimensions: a 3-D input is read as (N, C, L), a 2-D one is dropped element-wise (with a warning)."""
    return _channel_dropout(input, p, training, inplace, 2, "dropout2d")


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L)."""
    return _channel_dropout(input, p, training, inplace, 1, "dropout1d")


# --- shapes and encodings ----------------------------------------------------------------------------


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 class indices of shape (*) -> int64 one-hot vectors of shape (*, num_classes);
    ``num_classes=-1`` uses max(tensor) + 1."""
    if tensor._data.dtype != np.int64:
        raise RuntimeError(f"one_hot is only applicable to index tensor of dtype int64, got {tensor.dtype}")
    indices = tensor._data
    if indices.size and indices.min() < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative, got {indices.min()}")
    if num_classes == -1:
        if indices.size == 0:
            raise RuntimeError("one_hot: can not infer total number of classes from empty tensor")
        num_classes = int(indices.max()) + 1
    elif indices.size and indices.max() >= num_classes:
        raise RuntimeError(f"one_hot: class values must be smaller than num_classes: got {indices.max()} "
                           f"with num_classes={num_classes}")
    return Tensor._make((indices[..., None] == get_array_module(indices).arange(num_classes)).astype(np.int64))


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad)/2 dimensions; ``pad = (left, right, top, bottom, ...)`` from the last
    dimension backwards. Modes: constant, reflect, replicate, circular."""
    return ops.pad(input, pad, mode, value)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """y = x / max(‖x‖_p, eps) along ``dim``."""
    y = input / ops.clamp_min(ops.norm(input, p, dim, keepdim=True), eps)
    return y if out is None else write_out("normalize", y, out)


def _check_broadcast(name: str, a: Tensor, b: Tensor) -> None:
    try:
        np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError:
        raise RuntimeError(f"{name}: shapes {tuple(a.shape)} and {tuple(b.shape)} do not broadcast (each pair of "
                           f"trailing sizes must be equal or one of them 1)") from None


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """cos(x₁, x₂) = Σ (x₁ / max(‖x₁‖, ε)) (x₂ / max(‖x₂‖, ε)) along ``dim`` (inputs broadcast)."""
    _check_broadcast("cosine_similarity", x1, x2)
    x1, x2 = ops.broadcast_tensors(x1, x2)
    unit1 = x1 / ops.clamp_min(ops.norm(x1, 2, dim, keepdim=True), eps)
    unit2 = x2 / ops.clamp_min(ops.norm(x2, 2, dim, keepdim=True), eps)
    return (unit1 * unit2).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """d(x₁, x₂) = ‖x₁ − x₂ + ε‖_p along the last dimension."""
    return ops.norm(x1 - x2 + eps, p, -1, keepdim=keepdim)


# --- normalisation -----------------------------------------------------------------------------------


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """y = (x − E[x]) / √(Var[x] + ε) ⊙ γ + β over the last len(normalized_shape) dimensions
    (biased variance)."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(normalized_shape):]) != normalized_shape:
        raise RuntimeError(f"layer_norm: input of shape {tuple(input.shape)} does not end with normalized_shape "
                           f"{list(normalized_shape)}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != normalized_shape:
            raise RuntimeError(f"layer_norm: expected {name} to be of same shape as normalized_shape, but got {name} "
                               f"of shape {list(p.shape)} and normalized_shape = {list(normalized_shape)}")
    check_same_dtype("layer_norm", input, weight, bias)
    return normalization.layer_norm(input, len(normalized_shape), weight, bias, eps)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """y = x / √(mean(x²) + ε) ⊙ γ over the last len(normalized_shape) dimensions (no centring);
    ε defaults to the machine epsilon of the input's dtype, as PyTorch."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(normalized_shape):]) != normalized_shape:
        raise RuntimeError(f"rms_norm: input of shape {tuple(input.shape)} does not end with normalized_shape "
                           f"{list(normalized_shape)}")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(-len(normalized_shape), 0))
    y = input * ops.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return y if weight is None else y * weight


def _channel_shape(input: Tensor) -> tuple:
    """Shape that broadcasts a per-channel vector of length C against an (N, C, *) input."""
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """y = (x − μ) / √(σ² + ε) ⊙ γ + β per channel of an (N, C, *) input.

    Training: μ, σ² are the batch's mean and biased variance over all dimensions but C, and the running
    statistics (when given) are updated in place: r ← (1 − momentum) r + momentum · batch, with the
    unbiased variance for ``running_var``. Evaluation: μ, σ² are the running statistics.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C, *), got shape {tuple(input.shape)}")
    shape = _channel_shape(input)
    if training:
        dims = (0,) + tuple(range(2, input.ndim))
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError(f"batch_norm: Expected more than 1 value per channel when training, got input size "
                             f"{tuple(input.shape)}")
        mean = input.mean(dims, keepdim=True)
        centred = input - mean
        var = (centred * centred).mean(dims, keepdim=True)
        if running_mean is not None:
            _update_running(running_mean, mean, momentum, 1.0)
        if running_var is not None:
            _update_running(running_var, var, momentum, count / (count - 1))
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var are required when training=False")
        centred = input - running_mean.reshape(shape)
        var = running_var.reshape(shape)
    y = centred * ops.rsqrt(var + eps)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _update_running(running: Tensor, batch_stat: Tensor, momentum: float, correction: float) -> None:
    with no_grad():
        batch = batch_stat._data.reshape(-1) * correction
        running._data[...] = (1.0 - momentum) * running._data + momentum * batch
        running._vc.value += 1


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """y = (x − μ_g) / √(σ²_g + ε) ⊙ γ + β, statistics over each group of C / num_groups channels
    (and all spatial positions) of an (N, C, *) input."""
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise RuntimeError(f"group_norm: expected an (N, C, *) input with C divisible by num_groups={num_groups}, "
                           f"got shape {tuple(input.shape)}")
    grouped = input.reshape(input.shape[0], num_groups, -1)
    mean = grouped.mean(-1, keepdim=True)
    centred = grouped - mean
    var = (centred * centred).mean(-1, keepdim=True)
    y = (centred * ops.rsqrt(var + eps)).reshape(tuple(input.shape))
    shape = _channel_shape(input)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


# --- attention ---------------------------------------------------------------------------------------


def _float_mask(mask: Tensor, dtype) -> Tensor:
    """A boolean "may attend" mask as the additive mask 0 (True) / −∞ (False); a float mask as is."""
    if mask._data.dtype == np.bool_:
        return Tensor._make(np.where(mask._data, 0.0, -np.inf).astype(dtype))
    return mask


def _attention_weights_shape(query: Tensor, key: Tensor, value: Tensor, enable_gqa: bool) -> tuple:
    """PyTorch's checks of scaled_dot_product_attention's inputs, with messages naming the shapes;
    returns the shape (…, L, S) of the attention weights."""
    name = "scaled_dot_product_attention"
    shapes = f"query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}"
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(f"{name}: query, key and value must have at least 2 dimensions (…, sequence, "
                           f"features); got {shapes}")
    if len({query._data.dtype, key._data.dtype, value._data.dtype}) > 1:
        raise RuntimeError(f"{name}: expected query, key and value to have the same dtype, got {query.dtype}, "
                           f"{key.dtype} and {value.dtype}")
    if query._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected floating point query, key and value, got {query.dtype}")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"{name}: query and key must have the same feature size (last dimension); got {shapes}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"{name}: key and value must have the same sequence length (dimension -2); got {shapes}")
    batch_q, batch_k, batch_v = tuple(query.shape[:-2]), tuple(key.shape[:-2]), tuple(value.shape[:-2])
    if enable_gqa and min(query.ndim, key.ndim, value.ndim) >= 3:
        if key.shape[-3] != value.shape[-3] or query.shape[-3] % key.shape[-3]:
            raise RuntimeError(f"{name}: with enable_gqa, key and value need the same number of heads (dimension "
                               f"-3), and it must divide the query's; got {shapes}")
        # each group of query heads shares one key/value head: key and value count as having Hq heads
        batch_k, batch_v = batch_k[:-1] + batch_q[-1:], batch_v[:-1] + batch_q[-1:]
    try:
        return np.broadcast_shapes(batch_q, batch_k, batch_v) + (query.shape[-2], key.shape[-2])
    except ValueError:
        raise RuntimeError(f"{name}: the batch dimensions of {shapes} do not broadcast (for key/value heads that "
                           f"divide the query's, pass enable_gqa=True)") from None


def _check_attn_mask(attn_mask: Tensor, query: Tensor, weights_shape: tuple) -> None:
    if attn_mask._data.dtype != np.bool_ and attn_mask._data.dtype != query._data.dtype:
        raise RuntimeError(f"scaled_dot_product_attention: attn_mask must be bool or of the query's dtype "
                           f"{query.dtype}, got {attn_mask.dtype}")
    try:
        fits = np.broadcast_shapes(tuple(attn_mask.shape), weights_shape) == weights_shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"scaled_dot_product_attention: attn_mask of shape {tuple(attn_mask.shape)} does not "
                           f"broadcast to the attention weights' shape {weights_shape} (…, L, S)")


def _grouped_heads(query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None):
    """Grouped-query attention as broadcasting: query heads (…, Hkv·G, L, E) -> (…, Hkv, G, L, E), and
    each key/value head gets a size-1 group axis, so head h reads key/value head h // G (no copies)."""
    groups = query.shape[-3] // key.shape[-3]
    query = query.unflatten(-3, (key.shape[-3], groups))
    key, value = key.unsqueeze(-3), value.unsqueeze(-3)
    if mask is not None and mask.ndim >= 3:
        mask = mask.unflatten(-3, (key.shape[-4], groups)) if mask.shape[-3] != 1 else mask.unsqueeze(-3)
    return query, key, value, mask


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q Kᵀ · scale + M) V: each query's output is the average of the values weighted by the
    softmax of its scores against the keys (one primitive, :class:`nnmath.ops.attention.ScaledDotProductAttention`,
    whose docstring states the VJP).

    Args:
        query: (N, …, Hq, L, E);  key: (N, …, H, S, E);  value: (N, …, H, S, Ev) (batch dims broadcast)
        attn_mask: broadcastable to (N, …, Hq, L, S): bool (True = may attend) or float, added to the scores
        dropout_p: dropout on the attention weights (always applied when > 0: pass 0.0 in evaluation)
        is_causal: query i sees keys j ≤ i only (the top-left aligned lower triangle); not together
            with ``attn_mask`` (PyTorch's documented rule)
        scale: s, default 1/√E
        enable_gqa: key and value may have fewer heads H dividing Hq; query head h uses head h // (Hq/H)

    A query row whose keys are all masked gives 0 (and 0 gradients), as PyTorch.
    Returns (N, …, Hq, L, Ev).
    """
    weights_shape = _attention_weights_shape(query, key, value, enable_gqa)
    if attn_mask is not None:
        _check_attn_mask(attn_mask, query, weights_shape)
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: pass either attn_mask or is_causal=True, not both (fold the "
                           "causal mask into attn_mask instead)")
    _check_probability(dropout_p, "scaled_dot_product_attention: dropout")
    mask = None
    if attn_mask is not None:
        mask = _float_mask(attn_mask, query._data.dtype)
        mask = mask.reshape((1,) * (2 - mask.ndim) + tuple(mask.shape)) if mask.ndim < 2 else mask
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    seed = int(rng().integers(2 ** 63)) if dropout_p > 0 else 0
    grouped = enable_gqa and min(query.ndim, key.ndim) >= 3 and key.shape[-3] != query.shape[-3]
    if grouped:
        query, key, value, mask = _grouped_heads(query, key, value, mask)
    out = attention(query, key, value, mask, float(scale), bool(is_causal), float(dropout_p), seed)
    return out.flatten(-4, -3) if grouped else out


def _none_or_dtype(input: Tensor | None):
    return None if input is None else input.dtype


def _canonical_mask(mask: Tensor | None, mask_name: str, other_type, other_name: str, target_type,
                    check_other: bool = True) -> Tensor | None:
    """MultiheadAttention's masks as additive float masks: a bool mask (True = masked out) becomes
    −∞ / 0 of ``target_type``; a float mask is kept. Warns, as PyTorch, when the two masks' types differ."""
    if mask is None:
        return None
    kind = mask._data.dtype.kind
    if kind not in "bf":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported (got {mask.dtype})")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      f"instead.", stacklevel=3)
    if kind == "b":
        return Tensor._make(np.where(mask._data, -np.inf, 0.0).astype(target_type.np))
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """Whether the input is batched ((L, N, E)) or not ((L, E)); raises, as PyTorch, on other ranks."""
    if query.ndim not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D query "
                             f"tensor of shape {tuple(query.shape)}")
    batched = query.ndim == 3
    kind = "batched (3-D)" if batched else "unbatched (2-D)"
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {query.ndim}-D but found "
                             f"{key.ndim}-D and {value.ndim}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or {query.ndim - 1}-D "
                             f"but found {key_padding_mask.ndim}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.ndim not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                                 f"{attn_mask.ndim}-D tensor instead")
        expected = (num_heads, query.shape[0], key.shape[0])
        if not batched and attn_mask.ndim == 3 and tuple(attn_mask.shape) != expected:
            raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {tuple(attn_mask.shape)}")
    return batched


def _in_projection(query, key, value, embed_dim, in_proj_weight, in_proj_bias, separate_weights):
    """q, k, v = x W_qᵀ + b_q, ...: one GEMM for self-attention (query is key is value), else one per input."""
    biases = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
    if separate_weights is not None:
        for (name, x), W in zip((("query", query), ("key", key), ("value", value)), separate_weights):
            if tuple(W.shape) != (embed_dim, x.shape[-1]):
                raise AssertionError(f"expecting {name} weights shape of {(embed_dim, x.shape[-1])}, but got "
                                     f"{tuple(W.shape)}")
        return tuple(linear(x, W, b) for x, W, b in zip((query, key, value), separate_weights, biases))
    if query is key and key is value:
        return linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
    weights = in_proj_weight.chunk(3)
    return tuple(linear(x, W, b) for x, W, b in zip((query, key, value), weights, biases))


def _heads(x: Tensor, head_dim: int) -> Tensor:
    """(S, N, E) -> (N·H, S, E/H): each head's slice of the features becomes a batch entry."""
    return x.reshape(x.shape[0], -1, head_dim).transpose(0, 1)  # −1 = N·H: an exported graph keeps N free


def _append_key(mask: Tensor | None) -> Tensor | None:
    """One more key (bias_k or the zero key) is visible to every query: pad the masks with a 0 column."""
    return None if mask is None else ops.pad(mask, (0, 1))


def _attn_mask_3d(attn_mask, tgt_len: int, src_len: int, batch_heads: int):
    """A 2-D (L, S) mask as (1, L, S); a 3-D one must be (N·H, L, S)."""
    if attn_mask is None:
        return None
    expected = (tgt_len, src_len) if attn_mask.ndim == 2 else (batch_heads, tgt_len, src_len)
    if tuple(attn_mask.shape) != expected:
        raise RuntimeError(f"The shape of the {attn_mask.ndim}D attn_mask is {tuple(attn_mask.shape)}, but should be "
                           f"{expected}.")
    return attn_mask.unsqueeze(0) if attn_mask.ndim == 2 else attn_mask


def _check_key_padding_mask(key_padding_mask, bsz: int, src_len: int) -> None:
    if key_padding_mask is not None and tuple(key_padding_mask.shape) != (bsz, src_len):
        raise AssertionError(f"Expected key_padding_mask of shape {(bsz, src_len)} (batch, source length, counting "
                             f"bias_k and the zero key), but got {tuple(key_padding_mask.shape)}")


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
                                 bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
                                 out_proj_bias: Tensor | None, training: bool = True,
                                 key_padding_mask: Tensor | None = None, need_weights: bool = True,
                                 attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
                                 q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
                                 v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
                                 static_v: Tensor | None = None, average_attn_weights: bool = True,
                                 is_causal: bool = False) -> tuple:
    """Multi-head attention of :class:`nnmath.nn.MultiheadAttention`, step by step as PyTorch:

    q, k, v = projections of query, key, value (W_q, W_k, W_v and biases); each is split into
    ``num_heads`` heads of E/H features; headᵢ = softmax(qᵢ kᵢᵀ / √(E/H) + M) vᵢ; the heads are
    concatenated and projected: out = concat(head₁, …, head_H) W_oᵀ + b_o. ``bias_k``/``bias_v`` append
    one learned key/value, ``add_zero_attn`` one zero key/value; ``key_padding_mask`` (N, S) masks keys
    per sample, ``attn_mask`` (L, S) or (N·H, L, S) per query; bool masks mean True = masked out.

    With ``need_weights`` the weights softmax(…) are formed and returned (averaged over heads when
    ``average_attn_weights``); otherwise the heads go through :func:`scaled_dot_product_attention`.
    Shapes: query (L, N, E) or (L, E); key, value (S, N, E_k/E_v) or (S, E_k/E_v); returns
    ((L, N, E) or (L, E), weights (N, L, S) / (N, H, L, S) or None).
    """
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        self_attention = query is key and key is value
        query = query.unsqueeze(1)
        key, value = (query, query) if self_attention else (key.unsqueeze(1), value.unsqueeze(1))
        key_padding_mask = None if key_padding_mask is None else key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    key_padding_mask, attn_mask, is_causal = _mha_masks(key_padding_mask, attn_mask, is_causal, need_weights,
                                                        query.dtype)
    head_dim = _mha_head_dim(key, value, embed_dim, embed_dim_to_check, num_heads, use_separate_proj_weight)
    separate = (q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight else None
    q, k, v = _in_projection(query, key, value, embed_dim, in_proj_weight, in_proj_bias, separate)
    batch_heads = bsz * num_heads
    attn_mask = _attn_mask_3d(attn_mask, tgt_len, key.shape[0], batch_heads)
    if bias_k is not None or bias_v is not None:
        if bias_k is None or bias_v is None or static_k is not None or static_v is not None:
            raise AssertionError("bias_k and bias_v must be given together, and not with static_k or static_v")
        k, v = ops.cat([k, bias_k.repeat(1, bsz, 1)]), ops.cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask, key_padding_mask = _append_key(attn_mask), _append_key(key_padding_mask)
    q = _heads(q, head_dim)
    k = _heads(k, head_dim) if static_k is None else _static(static_k, "static_k", batch_heads, head_dim)
    v = _heads(v, head_dim) if static_v is None else _static(static_v, "static_v", batch_heads, head_dim)
    if add_zero_attn:
        zeros = Tensor._make(np.zeros((batch_heads, 1, head_dim), dtype=k._data.dtype))
        k, v = ops.cat([k, zeros], 1), ops.cat([v, zeros], 1)
        attn_mask, key_padding_mask = _append_key(attn_mask), _append_key(key_padding_mask)
    attn_mask = _merge_key_padding(attn_mask, key_padding_mask, bsz, num_heads, k.shape[1])
    dropout_p = dropout_p if training else 0.0
    if need_weights:
        out, weights = _attention_with_weights(q, k, v, attn_mask, dropout_p, bsz, num_heads, average_attn_weights)
    else:
        out, weights = _attention_by_sdpa(q, k, v, attn_mask, dropout_p, is_causal, bsz, num_heads), None
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, -1, embed_dim)
    if not batched:
        out = out.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return out, weights


def _mha_masks(key_padding_mask, attn_mask, is_causal: bool, need_weights: bool, dtype):
    """The masks as additive float masks, and whether the causal hint can go to scaled_dot_product_attention."""
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask",
                                       dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module method "
                           "`generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        return None, None, True  # scaled_dot_product_attention applies the causal mask itself
    attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", dtype, check_other=False)
    return key_padding_mask, attn_mask, is_causal and key_padding_mask is None  # a merged mask is not causal


def _mha_head_dim(key, value, embed_dim: int, embed_dim_to_check: int, num_heads: int, separate: bool) -> int:
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    if embed_dim % num_heads:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if separate and tuple(key.shape[:2]) != tuple(value.shape[:2]):
        raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
                             f"{tuple(value.shape[:2])}")
    if not separate and tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}")
    return embed_dim // num_heads


def _merge_key_padding(attn_mask, key_padding_mask, bsz: int, num_heads: int, src_len: int):
    """attn_mask (1 or N·H, L, S) + key_padding_mask (N, S) repeated for each head: (N·H, 1, S)."""
    _check_key_padding_mask(key_padding_mask, bsz, src_len)
    if key_padding_mask is None:
        return attn_mask
    per_head = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
    per_head = per_head.reshape(bsz * num_heads, 1, src_len)
    return per_head if attn_mask is None else attn_mask + per_head


def _attention_with_weights(q, k, v, attn_mask, dropout_p: float, bsz: int, num_heads: int, average: bool):
    """The heads (N·H, L, E/H) attended with explicit weights softmax(q kᵀ/√d + M), which are returned
    ((N, L, S) averaged over heads, or (N, H, L, S)); a fully masked row gives NaN, as PyTorch."""
    weights = ops.matmul(q * math.sqrt(1.0 / float(q.shape[-1])), k.transpose(-2, -1))
    if attn_mask is not None:
        weights = attn_mask + weights
    weights = ops.softmax(weights, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, p=dropout_p)
    out = ops.matmul(weights, v).transpose(0, 1).reshape(-1, num_heads * q.shape[-1])
    weights = weights.reshape(bsz, num_heads, q.shape[1], k.shape[1])
    return out, weights.mean(1) if average else weights


def _attention_by_sdpa(q, k, v, attn_mask, dropout_p: float, is_causal: bool, bsz: int, num_heads: int):
    """The heads (N·H, L, E/H) through scaled_dot_product_attention as (N, H, L, E/H); returns (L·N, E)."""
    if attn_mask is not None:
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1 else \
            attn_mask.reshape(bsz, num_heads, -1, k.shape[1])
    q, k, v = (x.reshape(-1, num_heads, x.shape[1], x.shape[2]) for x in (q, k, v))
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    return out.permute(2, 0, 1, 3).reshape(-1, num_heads * out.shape[-1])


def _static(x: Tensor, name: str, batch_heads: int, head_dim: int) -> Tensor:
    if x.shape[0] != batch_heads or x.shape[2] != head_dim:
        raise AssertionError(f"expecting {name} of shape ({batch_heads}, S, {head_dim}) (batch·heads, source "
                             f"length, head dim), but got {tuple(x.shape)}")
    return x


# --- losses ------------------------------------------------------------------------------------------


def _reduction(size_average, reduce, reduction: str) -> str:
    """The ``reduction`` meant by PyTorch's legacy ``size_average`` / ``reduce`` arguments."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction (use 'none', 'mean' or 'sum')")


def _check_same_shape(name: str, input: Tensor, target: Tensor) -> None:
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{name}: target of shape {tuple(target.shape)} differs from input of shape "
                         f"{tuple(input.shape)}; they must have the same shape")


def _check_float_target(name: str, target: Tensor) -> None:
    if not dtypes.is_inexact_np(target._data.dtype):
        raise RuntimeError(f"{name}: expected a floating point target, got {target.dtype} "
                           f"(convert with target.float())")


def _warn_broadcast(name: str, input: Tensor, target: Tensor) -> None:
    """A target of another shape than the input is broadcast with a warning (PyTorch's), or refused when
    the shapes do not broadcast."""
    _check_broadcast(name, input, target)
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"{name}: using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      f"Please ensure they have the same size.", stacklevel=3)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """ℓ = (x − y)²;  ∂ℓ/∂x = 2 (x − y)."""
    _warn_broadcast("mse_loss", input, target)
    diff = input - target
    loss = diff * diff
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, _reduction(size_average, reduce, reduction))


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """ℓ = |x − y|;  ∂ℓ/∂x = sign(x − y)."""
    _warn_broadcast("l1_loss", input, target)
    loss = ops.abs(input - target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, _reduction(size_average, reduce, reduction))


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """ℓ = ½ d² / β if |d| < β else |d| − ½ β, d = x − y;  ∂ℓ/∂x = d / β inside, sign(d) outside."""
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    _warn_broadcast("smooth_l1_loss", input, target)
    diff = input - target
    distance = ops.abs(diff)
    if beta == 0.0:
        loss = distance
    else:
        loss = ops.where(distance < beta, diff * diff * (0.5 / beta), distance - 0.5 * beta)
    return _reduce(loss, _reduction(size_average, reduce, reduction))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """ℓ = ½ d² if |d| ≤ δ else δ (|d| − ½ δ), d = x − y;  ∂ℓ/∂x = d inside, δ sign(d) outside."""
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got {delta}")
    _warn_broadcast("huber_loss", input, target)
    diff = input - target
    distance = ops.abs(diff)
    loss = ops.where(distance <= delta, diff * diff * 0.5, (distance - 0.5 * delta) * delta)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss.to(input.dtype), reduction)  # PyTorch's huber_loss keeps the input's dtype


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """ℓ = −w (y log x + (1 − y) log(1 − x)), each log clamped at −100 as PyTorch;
    ∂ℓ/∂x = w (x − y) / max(x (1 − x), 10⁻¹²) (finite at x = 0 and 1, as PyTorch)."""
    _check_same_shape("binary_cross_entropy", input, target)
    _check_float_target("binary_cross_entropy", target)
    if target._data.dtype != input._data.dtype:
        raise RuntimeError(f"binary_cross_entropy: found target dtype {target.dtype} but expected the input's "
                           f"{input.dtype}")
    if not _in_unit_interval(input._data):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1 (NaN is "
                           "not); apply sigmoid first, or use binary_cross_entropy_with_logits")
    if not _in_unit_interval(target._data):
        raise RuntimeError("binary_cross_entropy: all elements of target should be between 0 and 1")
    loss = bernoulli_nll(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, _reduction(size_average, reduce, reduction))


def _in_unit_interval(a: np.ndarray) -> bool:
    return bool(((a >= 0) & (a <= 1)).all())


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """ℓ = −w (p y log σ(x) + (1 − y) log(1 − σ(x))) = w ((1 − y) x + (1 + (p − 1) y) softplus(−x)),
    stable for any x (p = pos_weight);  ∂ℓ/∂x = w ((1 + (p − 1) y) σ(x) − p y)."""
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    _check_float_target("binary_cross_entropy_with_logits", target)
    log_weight = 1.0 if pos_weight is None else 1.0 + (pos_weight - 1.0) * target
    loss = (1.0 - target) * input + log_weight * softplus(-input)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, _reduction(size_average, reduce, reduction))


def _check_class_targets(name: str, input: Tensor, target: Tensor) -> None:
    """Class-index targets: integer dtype, shape = input's without the class dimension, values in [0, C)."""
    if target._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"{name}: expected a target of class indices of dtype int64 (or uint8), got "
                           f"{target.dtype}; convert it with target.long(); for class probabilities pass a "
                           f"float target of the input's shape to cross_entropy")
    expected = tuple(input.shape[:1]) + tuple(input.shape[2:]) if input.ndim >= 2 else ()
    if tuple(target.shape) != expected:
        if input.ndim >= 2 and target.ndim >= 1 and target.shape[0] != input.shape[0]:
            raise ValueError(f"{name}: expected input batch_size ({input.shape[0]}) to match target batch_size "
                             f"({target.shape[0]})")
        raise RuntimeError(f"{name}: target of shape {tuple(target.shape)} does not match input of shape "
                           f"{tuple(input.shape)}; expected target shape {expected}")


def _class_dim(input: Tensor) -> int:
    return 1 if input.ndim >= 2 else 0


def _target_weights(name: str, input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int):
    """Per-element weight w[yᵢ] (0 where yᵢ = ignore_index) and the targets with ignored ones made valid."""
    num_classes = input.shape[_class_dim(input)]
    labels = target._data
    kept = labels != ignore_index
    bad = kept & ((labels < 0) | (labels >= num_classes))
    if bad.any():
        raise IndexError(f"{name}: target {labels[bad].flat[0]} is out of bounds for {num_classes} classes "
                         f"(valid: 0 to {num_classes - 1}, or ignore_index={ignore_index})")
    safe = np.where(kept, labels, 0)
    dtype = input._data.dtype
    if weight is None:
        weights = kept.astype(dtype)
    else:
        if tuple(weight.shape) != (num_classes,):
            raise RuntimeError(f"{name}: weight of shape {tuple(weight.shape)} should have one entry per class "
                               f"({num_classes})")
        weights = np.where(kept, weight._data[safe], 0).astype(dtype)
    return weights, safe


def _weighted_reduce(loss: Tensor, weights: np.ndarray, reduction: str) -> Tensor:
    """'mean' divides by the sum of the weights of the non-ignored targets, as PyTorch."""
    if reduction == "mean":
        return loss.sum() / Tensor._make(weights.sum().astype(loss._data.dtype))
    return _reduce(loss, reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """ℓᵢ = −w[yᵢ] x[i, yᵢ] for log-probabilities x of shape (N, C), (C,) or (N, C, d₁, ...);
    'mean' = Σᵢ ℓᵢ / Σᵢ w[yᵢ] over non-ignored targets;  ∂ℓᵢ/∂x[i, c] = −w[yᵢ] [c = yᵢ]."""
    _check_class_targets("nll_loss", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    weights, safe = _target_weights("nll_loss", input, target, weight, ignore_index)
    dim = _class_dim(input)
    picked = ops.gather(input, dim, Tensor._make(np.expand_dims(safe, dim))).squeeze(dim)
    loss = -picked * Tensor._make(weights)
    return _weighted_reduce(loss, weights, reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """ℓᵢ = −Σ_c w_c qᵢ_c log softmax(xᵢ)_c with q the one-hot target (class indices) or the given class
    probabilities, smoothed as q ← (1 − ε) q + ε / C;  ∂ℓᵢ/∂xᵢ = softmax(xᵢ) Σ_c w_c qᵢ_c − w ⊙ qᵢ.

    With class indices, 'mean' divides by Σᵢ w[yᵢ] over non-ignored targets; with probabilities, by the
    number of elements.
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    reduction = _reduction(size_average, reduce, reduction)
    dim = _class_dim(input)
    log_p = ops.log_softmax(input, dim)
    if target._data.dtype.kind == "f" and tuple(target.shape) == tuple(input.shape):  # else: class indices
        return _cross_entropy_probabilities(log_p, target, weight, reduction, label_smoothing)
    if label_smoothing == 0.0:
        return nll_loss(log_p, target, weight, ignore_index=ignore_index, reduction=reduction)
    _check_class_targets("cross_entropy", input, target)
    weights, safe = _target_weights("cross_entropy", input, target, weight, ignore_index)
    picked = ops.gather(log_p, dim, Tensor._make(np.expand_dims(safe, dim))).squeeze(dim)
    num_classes = input.shape[dim]
    class_weighted = log_p if weight is None else log_p * weight.reshape((-1,) + (1,) * (input.ndim - dim - 1))
    kept = Tensor._make((target._data != ignore_index).astype(input._data.dtype))
    smooth = -class_weighted.sum(dim) * kept / num_classes
    loss = -picked * Tensor._make(weights) * (1.0 - label_smoothing) + smooth * label_smoothing
    return _weighted_reduce(loss, weights, reduction)


def _cross_entropy_probabilities(log_p: Tensor, target: Tensor, weight, reduction: str,
                                 label_smoothing: float) -> Tensor:
    _check_same_shape("cross_entropy (class probabilities)", log_p, target)
    dim = _class_dim(log_p)
    num_classes = log_p.shape[dim]
    if label_smoothing > 0.0:
        target = target * (1.0 - label_smoothing) + label_smoothing / num_classes
    terms = log_p * target
    if weight is not None:
        terms = terms * weight.reshape((-1,) + (1,) * (log_p.ndim - dim - 1))
    return _reduce(-terms.sum(dim), reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """ℓ = y (log y − x) for log-probabilities x (y given as log y when ``log_target``), 0 where y = 0;
    ∂ℓ/∂x = −y.  'batchmean' divides the sum by the batch size (the true KL divergence)."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_broadcast("kl_div", input, target)
    if log_target:
        loss = ops.exp(target) * (target - input)
    else:
        loss = special.xlogy(target, target) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size. "
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition.",
                      stacklevel=2)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """ℓ = ½ (log max(σ², ε) + (x − y)² / max(σ², ε)) (+ ½ log 2π when ``full``);
    ∂ℓ/∂x = (x − y) / σ²,  ∂ℓ/∂σ² = ½ (1/σ² − (x − y)²/σ⁴) (the clamp passes the gradient, as PyTorch)."""
    if not isinstance(var, Tensor):
        var = Tensor._make(np.full_like(input._data, var))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError(f"gaussian_nll_loss: var of shape {tuple(var.shape)} is of incorrect size for input "
                             f"of shape {tuple(input.shape)}")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid")
    if (var._data < 0).any():
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    # max(σ², ε) with the gradient of σ² itself: the clamp shifts the value by a constant.
    shift = np.maximum(var._data, eps) - var._data
    var = var + Tensor._make(shift)
    diff = input - target
    loss = 0.5 * (ops.log(var) + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """ℓ = 1 − cos(x₁, x₂) if y = 1;  max(0, cos(x₁, x₂) − margin) if y = −1 (cosine along the last dim)."""
    cos = cosine_similarity(input1, input2, dim=-1, eps=1e-8)
    _check_broadcast("cosine_embedding_loss", cos, target)
    positive = target == 1
    loss = ops.where(positive, 1.0 - cos, ops.clamp_min(cos - margin, 0.0))
    return _reduce(loss, _reduction(size_average, reduce, reduction))


# --- the rest of PyTorch's activations ------------------------------------------------------------------

def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """y = x where x > threshold, else ``value``."""
    return _maybe_inplace(input, lambda x: ops.where(x > threshold, x, creation.full_like(x, value)), inplace,
                          "threshold_")


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return globals()["threshold"](input, threshold, value, inplace=True)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """y = x where |x| > λ, else 0."""
    return ops.where(ops.abs(input) > lambd, input, creation.zeros_like(input))


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """y = x − λ for x > λ, x + λ for x < −λ, 0 in between (y = x − clamp(x, −λ, λ))."""
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be {lambd}")
    return input - ops.clamp(input, -lambd, lambd)


def tanhshrink(input: Tensor) -> Tensor:
    """y = x − tanh x."""
    return input - ops.tanh(input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """The gated linear unit: with x split in halves a, b along ``dim``, y = a ⊙ σ(b)."""
    if input.ndim == 0 or input.shape[dim] % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {dim} of shape "
                           f"{tuple(input.shape)} is not")
    a, b = ops.chunk(input, 2, dim)
    return a * ops.sigmoid(b)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """y = x for x > 0, else a · x, with a learnt slope per channel (dimension 1) or one for all."""
    if weight.numel() != 1 and (input.ndim < 2 or input.shape[1] != weight.numel()):
        raise RuntimeError(f"prelu: mismatch of parameter numbers ({weight.numel()}) and input channels "
                           f"({input.shape[1] if input.ndim >= 2 else 1}) for input of shape {tuple(input.shape)}")
    slope = weight.reshape((-1,) + (1,) * (input.ndim - 2)) if weight.numel() != 1 and input.ndim >= 2 else \
        weight.reshape(())
    return ops.where(input > 0, input, input * slope)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomised leaky ReLU: y = x for x ≥ 0, else a · x with a ~ U(lower, upper) drawn per element
    in training (PyTorch's draws: one double per non-positive element, in order), a = (lower + upper)/2
    in evaluation."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    negative = to_device(input._data <= 0, CPU)  # the slopes are drawn on the host, PyTorch's stream
    slopes = np.ones(input.shape, input._data.dtype)
    slopes[negative] = random.uniform((int(negative.sum()),), np.float64, lower, upper).astype(input._data.dtype)
    return _maybe_inplace(input, lambda x: x * Tensor._make(on_device_of(slopes, input._data)), inplace, "rrelu_")


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


# --- pixel shuffling, instance normalisation, bags of embeddings -------------------------------------------

def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C·r², H, W) -> (*, C, H·r, W·r): each group of r² channels becomes an r × r block of pixels."""
    r = int(upscale_factor)
    if input.ndim < 3 or input.shape[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                           f"of upscale_factor ({r}), but input of shape {tuple(input.shape)} is not")
    *lead, c, h, w = input.shape
    x = input.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    n = len(lead)
    x = x.permute(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return x.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H·r, W·r) -> (*, C·r², H, W): the inverse of :func:`pixel_shuffle`."""
    r = int(downscale_factor)
    if input.ndim < 3 or input.shape[-2] % r or input.shape[-1] % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by downscale_factor ({r}), "
                           f"got input of shape {tuple(input.shape)}")
    *lead, c, h, w = input.shape
    x = input.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    n = len(lead)
    x = x.permute(tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return x.reshape(tuple(lead) + (c * r * r, h // r, w // r))


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """y = (x − μ) / √(σ² + ε) ⊙ γ + β with μ, σ² per sample and channel over the spatial dimensions
    (batch normalisation of each (n, c) slice on its own). Running statistics, when given, are
    updated with the average over the batch of the per-sample statistics."""
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected an input of shape (N, C, *), got shape {tuple(input.shape)}")
    n, c = input.shape[:2]
    folded = input.reshape((1, n * c) + tuple(input.shape[2:]))

    def repeated(t):
        return None if t is None else t.repeat(n)
    mean_n, var_n = repeated(running_mean), repeated(running_var)
    out = batch_norm(folded, mean_n, var_n, repeated(weight), repeated(bias), use_input_stats, momentum, eps)
    if use_input_stats:
        for running, per_sample in ((running_mean, mean_n), (running_var, var_n)):
            if running is not None:
                with no_grad():
                    running._data[...] = per_sample._data.reshape(n, c).mean(0)
                    running._vc.value += 1
    return out.reshape(tuple(input.shape))


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm=None, norm_type=2.0,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sums, means or maxima of bags of embeddings: bag b holds the rows of ``weight`` picked by the ids
    of row b of a 2-D ``input``, or by the ids from offsets[b] to offsets[b+1] of a 1-D one. Ids equal
    to ``padding_idx`` are left out (an empty bag gives zeros); ``per_sample_weights`` scale each row
    (mode 'sum' only)."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag: mode has to be one of sum, mean or max, got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights only supported with mode='sum', got mode={mode!r}")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: if input is 2D, then offsets has to be None")
        bags = input.shape[0]
        starts = np.arange(bags) * input.shape[1]
        ids = input.reshape(-1)
        weights = None if per_sample_weights is None else per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None or offsets.ndim != 1:
            raise ValueError("embedding_bag: offsets has to be a 1D tensor when input is 1D")
        starts = offsets._data.astype(np.int64)
        if include_last_offset:
            starts = starts[:-1]
        bags, ids, weights = len(starts), input, per_sample_weights
    else:
        raise ValueError(f"embedding_bag: input has to be 1D or 2D, got shape {tuple(input.shape)}")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    rows = embedding(ids, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq)
    if weights is not None:
        rows = rows * weights.reshape(-1, 1)
    ends = np.append(starts[1:], ids.shape[0])
    member = np.zeros((bags, ids.shape[0]), bool)
    for b, (s, e) in enumerate(zip(starts, ends)):
        member[b, s:e] = True
    if padding_idx is not None:
        member &= ids._data[None, :] != padding_idx
    if mode == "max":
        picked = [rows[member[b]].amax(0) if member[b].any() else creation.zeros_like(rows[0]) for b in range(bags)]
        return ops.stack(picked, 0) if picked else rows[:0]
    matrix = member.astype(rows._data.dtype)
    if mode == "mean":
        matrix = matrix / np.maximum(matrix.sum(1, keepdims=True), 1)
    return Tensor._make(matrix) @ rows


# --- resampling aliases, distances, margin losses, Gumbel-softmax -------------------------------------------

def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None) -> Tensor:
    """The deprecated name of :func:`interpolate` (PyTorch warns, as here)."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.", UserWarning,
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use nn.functional.interpolate instead.",
                  UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use nn.functional.interpolate instead.",
                  UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """The p-norm distances between the rows of an (N, M) input, for each pair i < j in row-major
    order: a vector of N(N − 1)/2."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    rows, cols = np.triu_indices(input.shape[0], 1)
    return ops.norm(input[rows] - input[cols], p, -1)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """ℓ = max(0, −y (x₁ − x₂) + margin), y ∈ {1, −1} saying which input should rank higher."""
    loss = ops.clamp_min(-target * (input1 - input2) + margin, 0.0)
    return _reduce(loss, _reduction(size_average, reduce, reduction))


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """ℓ = x where y = 1, max(0, margin − x) where y = −1 (x a distance)."""
    margin_term = ops.clamp_min(margin - input, 0.0)
    loss = ops.where(target == 1, input, creation.zeros_like(input)) + \
        ops.where(target == -1, margin_term, creation.zeros_like(input))
    return _reduce(loss, _reduction(size_average, reduce, reduction))


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """ℓ = log(1 + e^(−y x)), y ∈ {1, −1} (the logistic loss)."""
    loss = softplus(-target * input)
    return _reduce(loss, _reduction(size_average, reduce, reduction))


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """ℓ = −(1/C) Σ_c [y_c log σ(x_c) + (1 − y_c) log σ(−x_c)] (w_c-weighted), per sample of (N, C)."""
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(-1) / input.shape[-1]
    return _reduce(loss, _reduction(size_average, reduce, reduction))


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """ℓ = max(d(a, p) − d(a, n) + margin, 0) with d the pairwise p-norm distance (eps added to the
    difference); ``swap`` uses min(d(a, n), d(p, n))."""
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ops.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    loss = ops.clamp_min(margin + d_pos - d_neg, 0.0)
    return _reduce(loss, _reduction(size_average, reduce, reduction))


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """ℓ = eˣ − y x (log_input) or x − y log(x + eps); ``full`` adds Stirling's y log y − y + ½ log(2π y)
    where y > 1."""
    loss = ops.exp(input) - target * input if log_input else input - target * ops.log(input + eps)
    if full:
        y = target
        stirling = y * ops.log(y) - y + 0.5 * ops.log(2 * math.pi * y)
        loss = loss + ops.where(y > 1, stirling, creation.zeros_like(stirling))
    return _reduce(loss, _reduction(size_average, reduce, reduction))


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """softmax((logits + g) / τ) with g = −log E, E ~ Exp(1) (Gumbel noise, PyTorch's draws); ``hard``
    returns the one-hot argmax in the forward pass with the soft gradient (straight-through)."""
    noise = Tensor._make(on_device_of(-np.log(random.exponential(tuple(logits.shape), logits._data.dtype)),
                                      logits._data))
    y_soft = softmax((logits + noise) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft._data.argmax(dim)
    y_hard = get_array_module(y_soft._data).zeros(y_soft.shape, y_soft._data.dtype)
    np.put_along_axis(y_hard, np.expand_dims(index, dim), 1.0, axis=dim)
    return Tensor._make(y_hard) - y_soft.detach() + y_soft


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of a (N, C, D, H, W) input: each (n, c) volume kept with probability 1 − p (and
    scaled by 1/(1 − p)) or zeroed."""
    return _channel_dropout(input, p, training, inplace, 3, "dropout3d")
