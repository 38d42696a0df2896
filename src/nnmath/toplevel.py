"""PyTorch's top-level functions whose mathematics lives in nnmath's subpackages (``linalg``,
``nn.functional``), with PyTorch's top-level signatures, and the few process-wide switches.

``nnmath.svd`` returns V (not Vᴴ) and reduced factors unless ``some=False``; ``nnmath.embedding``
takes the weight first; ``nnmath.batch_norm`` takes weight and bias before the running statistics;
``nnmath.dropout`` takes ``train`` positionally; all as in PyTorch. The facade loads this module on
first use of one of its names, so ``import nnmath`` stays fast.
"""
from __future__ import annotations

import warnings

import numpy as np

from nnmath import dtypes, linalg, ops, tensor_types
from nnmath.nn import functional as F
from nnmath.ops._util import return_type
from nnmath.ops.shape import meshgrid, reshape, stack
from nnmath.tensor import Tensor

det, slogdet, logdet, matrix_power, matrix_exp = (linalg.det, linalg.slogdet, linalg.logdet, linalg.matrix_power,
                                                  linalg.matrix_exp)
inverse, pinverse = linalg.inv, linalg.pinv
cosine_similarity, pairwise_distance = F.cosine_similarity, F.pairwise_distance
conv1d, conv2d, conv_transpose1d, conv_transpose2d = F.conv1d, F.conv2d, F.conv_transpose1d, F.conv_transpose2d
max_pool1d, max_pool2d, avg_pool1d = F.max_pool1d, F.max_pool2d, F.avg_pool1d
adaptive_avg_pool1d, adaptive_max_pool1d = F.adaptive_avg_pool1d, F.adaptive_max_pool1d
selu, celu, bilinear = F.selu, F.celu, F.bilinear
binary_cross_entropy_with_logits, kl_div, cosine_embedding_loss = (F.binary_cross_entropy_with_logits, F.kl_div,
                                                                   F.cosine_embedding_loss)


_SVD = return_type("svd", ("U", "S", "V"))


def svd(input, some=True, compute_uv=True):
    """A = U diag(S) Vᵀ: (U, S, V), reduced (k = min(m, n) columns) unless ``some=False``; with
    ``compute_uv=False``, U and V are zero matrices (PyTorch's old interface)."""
    if not compute_uv:
        s = linalg.svdvals(input)
        m, n = input.shape[-2], input.shape[-1]
        lead = tuple(input.shape[:-2])
        k = min(m, n)
        u = Tensor._make(np.zeros(lead + ((m, k) if some else (m, m)), input._data.dtype))
        v = Tensor._make(np.zeros(lead + ((n, k) if some else (n, n)), input._data.dtype))
        return _SVD(u, s, v)
    u, s, vh = linalg.svd(input, full_matrices=not some)
    return _SVD(u, s, ops.transpose(vh, -2, -1))



def cross(input, other, dim=None):
    """The cross product of 3-vectors along ``dim``; without ``dim``, along the first dimension of
    size 3 (PyTorch's deprecated default, which warns)."""
    if dim is None:
        shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
        sizes = [i for i, n in enumerate(shape) if n == 3]
        if not sizes:
            raise RuntimeError(f"cross: no dimension of size 3 in input of shape {tuple(shape)}")
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated; pass dim "
                      "(here the first dimension of size 3 is used)", UserWarning, stacklevel=2)
        dim = sizes[0]
    return linalg.cross(input, other, dim=dim)


def dist(input, other, p=2):
    """‖input − other‖_p over all elements."""
    return ops.norm(input - other, p)


def dropout(input, p, train):
    """``F.dropout(input, p, training=train)`` (PyTorch's top-level argument order)."""
    return F.dropout(input, p, train)


def alpha_dropout(input, p, train):
    return F.alpha_dropout(input, p, train)


def embedding(weight, input, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` picked by the indices ``input`` (weight first, as PyTorch's top level)."""
    return F.embedding(input, weight, None if padding_idx is None or padding_idx < 0 else padding_idx,
                       scale_grad_by_freq=scale_grad_by_freq)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled=True):
    """``F.batch_norm`` with PyTorch's top-level argument order (affine parameters first)."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    return F.group_norm(input, num_groups, weight, bias, eps)


def cartesian_prod(*tensors):
    """All tuples (a, b, …) from the 1-D inputs, one per row, in lexicographic order."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, -1) for g in grids], 1)


def block_diag(*tensors):
    """The block-diagonal matrix with the inputs (0-, 1- or 2-D; a vector is one row) as its blocks."""
    mats = [reshape(t, (1, -1)) if t.ndim < 2 else t for t in tensors]
    if any(m.ndim != 2 for m in mats):
        raise RuntimeError("block_diag: input tensors must have 2 or fewer dimensions")
    dt = np.result_type(*[m._data.dtype for m in mats]) if mats else np.float32
    width = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        before = Tensor._make(np.zeros((m.shape[0], left), dt))
        after = Tensor._make(np.zeros((m.shape[0], width - left - m.shape[1]), dt))
        rows.append(ops.cat([before, m.to(dtypes.from_numpy_dtype(dt)), after], 1))
        left += m.shape[1]
    return ops.cat(rows, 0) if rows else Tensor._make(np.zeros((0, 0), np.float32))



# --- numbers of a dtype ---------------------------------------------------------------------------

class finfo:
    """Machine limits of a floating dtype: ``bits``, ``eps``, ``max``, ``min``, ``tiny`` (=
    ``smallest_normal``), ``resolution``, ``dtype``."""

    def __init__(self, type=None):
        d = dtypes.get_default_dtype() if type is None else dtypes.to_dtype(type)
        if not (d.is_floating_point or d.is_complex):
            raise TypeError(f"finfo: {d} is not a floating point dtype")
        info = dtypes.finfo_np(d.np)
        self.bits, self.eps, self.max, self.min = info.bits, float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = float(info.resolution)
        self.dtype = d.name

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype: ``bits``, ``max``, ``min``, ``dtype``."""

    def __init__(self, type):
        d = dtypes.to_dtype(type)
        if d.is_floating_point or d.is_complex:
            raise TypeError(f"iinfo: {d} is not an integer dtype")
        info = np.iinfo(np.int8 if d.np == np.bool_ else d.np)
        self.bits, self.max, self.min, self.dtype = info.bits, int(info.max), int(info.min), d.name

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


# --- predicates ----------------------------------------------------------------------------------

def is_complex(input) -> bool:
    return input._data.dtype.kind == "c"


def is_signed(input) -> bool:
    return input.dtype.is_signed


def is_nonzero(input) -> bool:
    """The truth of a one-element tensor (an error for any other number of elements)."""
    if input.numel() != 1:
        raise RuntimeError(f"is_nonzero: a tensor with {input.numel()} elements cannot be converted to a "
                           f"boolean; it needs exactly one")
    return bool(input._data.reshape(()))


def is_same_size(input, other) -> bool:
    return tuple(input.shape) == tuple(other.shape)


def typename(obj) -> str:
    """The legacy type name of a tensor (``'nnmath.FloatTensor'``), else the object's class name."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=None, requires_grad=False):
    """A 0-D tensor holding the number ``s`` (the default float dtype unless ``dtype`` says)."""
    d = dtypes.get_default_dtype() if dtype is None else dtypes.to_dtype(dtype)
    out = Tensor._make(np.asarray(s, d.np))
    return out.requires_grad_(requires_grad)


def detach(input):
    return input.detach()


# --- function transforms ----------------------------------------------------------------------------

def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` applied to each slice along ``in_dims`` of its tensor arguments (None: not batched),
    the results stacked along ``out_dims``: the batched function PyTorch's vmap builds, computed
    here slice by slice."""
    def batched(*args):
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap: in_dims has {len(dims)} entries for {len(args)} arguments")
        sizes = {a.shape[d] for a, d in zip(args, dims) if d is not None and isinstance(a, Tensor)}
        if len(sizes) != 1:
            raise ValueError(f"vmap: the mapped dimensions must have one size, got {sorted(sizes)}")
        n = sizes.pop()
        results = [func(*[ops.select(a, d, i) if d is not None and isinstance(a, Tensor) else a
                          for a, d in zip(args, dims)]) for i in range(n)]
        if isinstance(results[0], tuple):
            outs = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(results[0])
            return tuple(stack([r[k] for r in results], outs[k]) for k in range(len(results[0])))
        return stack(results, out_dims)
    return batched


# --- process-wide switches --------------------------------------------------------------------------

_SWITCHES = {"deterministic": False, "deterministic_warn_only": False, "matmul_precision": "highest"}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Record the request; nnmath's algorithms are deterministic (NumPy on the CPU) either way."""
    _SWITCHES["deterministic"], _SWITCHES["deterministic_warn_only"] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _SWITCHES["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _SWITCHES["deterministic_warn_only"]


def set_float32_matmul_precision(precision):
    """'highest', 'high' or 'medium' (TF32/bf16 on GPUs); nnmath's float32 products are full float32."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"set_float32_matmul_precision: expected 'highest', 'high' or 'medium', got {precision!r}")
    _SWITCHES["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _SWITCHES["matmul_precision"]


def set_default_tensor_type(t):
    """The legacy way to set the default floating dtype: a float legacy type or its name."""
    d = tensor_types.dtype_of(t)
    if not d.is_floating_point:
        raise TypeError(f"set_default_tensor_type: only floating-point types are supported as the default "
                        f"type, got {t}")
    dtypes.set_default_dtype(d)

