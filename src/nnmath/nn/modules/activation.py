"""Activation functions as modules, and ``MultiheadAttention`` (where PyTorch keeps it); each ``forward``
calls :mod:`nnmath.nn.functional`.

Every module maps an input of any shape (*) to an output of the same shape (softmax-type modules act
along ``dim``).
"""
from __future__ import annotations

from nnmath import creation
from nnmath.nn import functional as F
from nnmath.nn import init
from nnmath.nn.modules.linear import NonDynamicallyQuantizableLinear
from nnmath.nn.modules.module import Module
from nnmath.nn.parameter import Parameter


def _inplace_repr(inplace: bool, prefix: str = "") -> str:
    if not inplace:
        return prefix
    return f"{prefix}, inplace=True" if prefix else "inplace=True"


class ReLU(Module):
    """ReLU(x) = max(x, 0).

    Args:
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.ReLU()(nnmath.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class LeakyReLU(Module):
    """LeakyReLU(x) = x if x > 0 else negative_slope · x.

    Args:
        negative_slope: slope for x < 0 (default: 0.01)
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.LeakyReLU(0.1)(nnmath.tensor([-1.0, 2.0]))
        tensor([-0.1000,  2.0000])
    """

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"negative_slope={self.negative_slope}")


class ELU(Module):
    """ELU(x) = x if x > 0 else α (eˣ − 1).

    Args:
        alpha: α (default: 1.0)
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.ELU()(nnmath.zeros(2))
        tensor([0., 0.])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"alpha={self.alpha}")


class CELU(Module):
    """CELU(x) = max(0, x) + min(0, α (e^(x/α) − 1)).

    Args:
        alpha: α (default: 1.0)
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.CELU()(nnmath.zeros(2))
        tensor([0., 0.])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"alpha={self.alpha}")


class SELU(Module):
    """SELU(x) = λ · ELU(x, α), λ ≈ 1.0507, α ≈ 1.6733.

    Args:
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.SELU()(nnmath.zeros(2))
        tensor([0., 0.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.selu(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class GELU(Module):
    """GELU(x) = x Φ(x) = x/2 · (1 + erf(x/√2)); with approximate='tanh',
    x/2 · (1 + tanh(√(2/π) (x + 0.044715 x³))).

    Args:
        approximate: 'none' (default) or 'tanh'

    Example::

        >>> nn.GELU()(nnmath.zeros(2))
        tensor([0., 0.])
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """SiLU(x) = x σ(x) (also called swish).

    Args:
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.SiLU()(nnmath.zeros(2))
        tensor([0., 0.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.silu(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Mish(Module):
    """Mish(x) = x tanh(softplus(x)).

    Args:
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.Mish()(nnmath.zeros(2))
        tensor([0., 0.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.mish(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e⁻ˣ).

    Example::

        >>> nn.Sigmoid()(nnmath.zeros(2))
        tensor([0.5000, 0.5000])
    """

    def forward(self, input):
        return F.sigmoid(input)


class LogSigmoid(Module):
    """LogSigmoid(x) = log σ(x) = −softplus(−x).

    Example::

        >>> nn.LogSigmoid()(nnmath.zeros(1))
        tensor([-0.6931])
    """

    def forward(self, input):
        return F.logsigmoid(input)


class Tanh(Module):
    """tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ).

    Example::

        >>> nn.Tanh()(nnmath.zeros(2))
        tensor([0., 0.])
    """

    def forward(self, input):
        return F.tanh(input)


class Softplus(Module):
    """Softplus(x) = log(1 + e^(βx)) / β; x itself where βx > threshold.

    Args:
        beta: β (default: 1.0)
        threshold: above it the function is linear (default: 20.0)

    Example::

        >>> nn.Softplus()(nnmath.zeros(1))
        tensor([0.6931])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """Softsign(x) = x / (1 + |x|).

    Example::

        >>> nn.Softsign()(nnmath.tensor([1.0]))
        tensor([0.5000])
    """

    def forward(self, input):
        return F.softsign(input)


class Hardtanh(Module):
    """Hardtanh(x) = min(max(x, min_val), max_val).

    Args:
        min_val: lower bound (default: -1.0)
        max_val: upper bound (default: 1.0)
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.Hardtanh()(nnmath.tensor([-2.0, 0.5]))
        tensor([-1.0000,  0.5000])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"min_val={self.min_val}, max_val={self.max_val}")


class ReLU6(Hardtanh):
    """ReLU6(x) = min(max(x, 0), 6).

    Args:
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.ReLU6()(nnmath.tensor([-1.0, 7.0]))
        tensor([0., 6.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Hardsigmoid(Module):
    """Hardsigmoid(x) = ReLU6(x + 3) / 6.

    Args:
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.Hardsigmoid()(nnmath.zeros(1))
        tensor([0.5000])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardsigmoid(input, self.inplace)


class Hardswish(Module):
    """Hardswish(x) = x · ReLU6(x + 3) / 6.

    Args:
        inplace: overwrite the input (default: False)

    Example::

        >>> nn.Hardswish()(nnmath.zeros(1))
        tensor([0.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardswish(input, self.inplace)


class _SoftmaxBase(Module):
    """Shared by the softmax-type modules: a ``dim`` and its repr."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    """softmax(x)ᵢ = e^(xᵢ) / Σⱼ e^(xⱼ) along ``dim``.

    Args:
        dim: the dimension that sums to one

    Example::

        >>> nn.Softmax(dim=1)(nnmath.zeros(1, 4))
        tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    def forward(self, input):
        return F.softmax(input, self.dim)


class Softmin(_SoftmaxBase):
    """softmin(x) = softmax(−x) along ``dim``.

    Args:
        dim: the dimension that sums to one

    Example::

        >>> nn.Softmin(dim=1)(nnmath.zeros(1, 2))
        tensor([[0.5000, 0.5000]])
    """

    def forward(self, input):
        return F.softmin(input, self.dim)


class LogSoftmax(_SoftmaxBase):
    """log softmax(x)ᵢ = xᵢ − log Σⱼ e^(xⱼ) along ``dim`` (stable).

    Args:
        dim: the dimension of the classes

    Example::

        >>> nn.LogSoftmax(dim=1)(nnmath.zeros(1, 2))
        tensor([[-0.6931, -0.6931]])
    """

    def forward(self, input):
        return F.log_softmax(input, self.dim)


class MultiheadAttention(Module):
    """MultiHead(Q, K, V) = concat(head₁, …, head_h) W_oᵀ + b_o,
    headᵢ = softmax((Q W_qⁱᵀ + b_qⁱ)(K W_kⁱᵀ + b_kⁱ)ᵀ / √d + M) (V W_vⁱᵀ + b_vⁱ),  d = embed_dim / num_heads.

    Each head attends with its own d-dimensional slice of the projected queries, keys and values; the
    heads are concatenated and projected back to ``embed_dim`` (Vaswani et al., 2017). The computation
    is :func:`nnmath.nn.functional.multi_head_attention_forward`.

    Args:
        embed_dim: E, the model's width (the queries' features and the output's)
        num_heads: h, parallel heads (E must be divisible by h)
        dropout: dropout on the attention weights in training (default: 0.0)
        bias: learn b_q, b_k, b_v and b_o (default: True)
        add_bias_kv: append a learned key and value (``bias_k``, ``bias_v``) to the sequences (default: False)
        add_zero_attn: append a key and value of zeros (default: False)
        kdim, vdim: the keys' and values' features (default: embed_dim); when they differ from E the
            projections are ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``, else one ``in_proj_weight``
        batch_first: inputs and output are (N, L, E) instead of (L, N, E) (default: False)

    Forward arguments: ``query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False``. ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or
    (N·h, L, S) are bool (True = not allowed to attend) or float (added to the scores); ``is_causal`` is a
    hint that ``attn_mask`` is the causal mask.

    Shape:
        query (L, N, E), (N, L, E) with batch_first, or (L, E) unbatched; key (S, N, kdim); value (S, N, vdim)
        -> output like query; weights (N, L, S) averaged over heads, or (N, h, L, S), or None when
        ``need_weights=False``

    Attributes:
        in_proj_weight: (3E, E) = [W_q; W_k; W_v], xavier-uniform (or q_proj_weight (E, E),
            k_proj_weight (E, kdim), v_proj_weight (E, vdim), each xavier-uniform)
        in_proj_bias: (3E,), zeros
        out_proj: Linear(E, E), its weight initialised as Linear's and its bias zeros
        bias_k, bias_v: (1, 1, E), xavier-normal (with add_bias_kv)

    Example::

        >>> attention = nn.MultiheadAttention(16, 4, batch_first=True)
        >>> x = nnmath.randn(2, 5, 16)
        >>> out, weights = attention(x, x, x)
        >>> out.shape, weights.shape
        (nnmath.Size([2, 5, 16]), nnmath.Size([2, 5, 5]))
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None, dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError(f"embed_dim must be divisible by num_heads (got {embed_dim} and {num_heads})")
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(creation.empty(3 * embed_dim, embed_dim, dtype=dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(creation.empty(embed_dim, embed_dim, dtype=dtype))
            self.k_proj_weight = Parameter(creation.empty(embed_dim, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(creation.empty(embed_dim, self.vdim, dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(creation.empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(creation.empty(1, 1, embed_dim, dtype=dtype))
            self.bias_v = Parameter(creation.empty(1, 1, embed_dim, dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True, attn_mask=None,
                average_attn_weights: bool = True, is_causal: bool = False):
        batched = query.ndim == 3
        if self.batch_first and batched:
            # transposed together, so that self-attention stays recognisable (query is key is value)
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (x.transpose(1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = {} if self._qkv_same_embed_dim else dict(
            use_separate_proj_weight=True, q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight)
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias, self.bias_k,
            self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, average_attn_weights=average_attn_weights, is_causal=is_causal, **separate)
        if self.batch_first and batched:
            out = out.transpose(1, 0)
        return out, weights
