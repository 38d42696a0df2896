"""The Transformer (Vaswani et al., 2017): stacks of attention and position-wise feed-forward blocks.

An encoder layer is two residual blocks: x + SelfAttention(x), then x + FeedForward(x), each with
layer normalisation after the sum (``norm_first=False``, the original "post-norm") or on the block's
input (``norm_first=True``, "pre-norm", which trains more stably when deep). A decoder layer adds a
block between them that attends from the target sequence to the encoder's output (the memory).
The feed-forward block is Linear(d_model → dim_feedforward), activation, Linear(dim_feedforward →
d_model). Names, arguments, parameter names and masks are PyTorch's, so state_dicts load both ways.
"""
from __future__ import annotations

import copy
import warnings

import numpy as np

from nnmath.autograd.grad_mode import state
from nnmath.nn import functional as F
from nnmath.nn import init
from nnmath.nn.modules.activation import GELU, MultiheadAttention, ReLU
from nnmath.nn.modules.container import ModuleList
from nnmath.nn.modules.dropout import Dropout
from nnmath.nn.modules.linear import Linear
from nnmath.nn.modules.module import Module
from nnmath.nn.modules.normalization import LayerNorm
from nnmath.ops import shape
from nnmath.tensor import Tensor

__all__ = ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
           "TransformerDecoderLayer"]


def _generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
    """(sz, sz) float mask: 0 on and below the diagonal, −∞ above (position i sees positions j ≤ i)."""
    np_dtype = np.float32 if dtype is None else dtype.np
    return shape.triu(Tensor._make(np.full((sz, sz), -np.inf, dtype=np_dtype)), 1)


def _get_seq_len(src: Tensor, batch_first: bool) -> int:
    return src.shape[0] if src.ndim == 2 else src.shape[1 if batch_first else 0]


def _detect_is_causal_mask(mask: Tensor | None, is_causal: bool | None = None, size: int | None = None) -> bool:
    """``is_causal`` when given; otherwise whether ``mask`` is the square causal mask of ``size`` (float:
    −∞ above the diagonal, 0 elsewhere; bool: True above the diagonal)."""
    if is_causal is not None or mask is None:
        return is_causal is True
    size = size if size is not None else mask.shape[-2]
    above = np.triu(np.ones((size, size), dtype=bool), 1)
    causal = above if mask._data.dtype == np.bool_ else np.where(above, -np.inf, 0.0)
    return tuple(mask.shape) == causal.shape and bool(np.array_equal(mask._data, causal))


def _get_clones(module: Module, n: int) -> ModuleList:
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _get_activation_fn(activation: str):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _left_aligned(padding: np.ndarray) -> bool:
    """Whether every row of a (N, S) key-padding mask (True = padding) is real tokens, then padding."""
    return bool(np.all(padding[:, 1:] >= padding[:, :-1]))


class _TransformerLayer(Module):
    """What the encoder and decoder layers share: the feed-forward block, the layer norms and dropouts
    (registered in PyTorch's order, after the attention modules) and the self-attention block."""

    def _add_feed_forward(self, d_model, dim_feedforward, dropout, activation, layer_norm_eps, norm_first, bias,
                          dtype, blocks: int) -> None:
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        for i in range(1, blocks + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        for i in range(1, blocks + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))
        self._blocks = blocks
        self.activation = _get_activation_fn(activation) if isinstance(activation, str) else activation

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal: bool = False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return getattr(self, f"dropout{self._blocks}")(x)


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention and a feed-forward network, each a residual block with layer normalisation:

    norm_first=False:  x = LN₁(x + SA(x));  x = LN₂(x + FF(x))
    norm_first=True:   x = x + SA(LN₁(x));  x = x + FF(LN₂(x))
    with SA(x) = Dropout(MultiheadAttention(x, x, x)) and FF(x) = Dropout(W₂ Dropout(act(W₁ x + b₁)) + b₂).

    Args:
        d_model: the width E of the inputs and outputs
        nhead: attention heads
        dim_feedforward: the hidden width of the feed-forward network (default: 2048)
        dropout: dropout probability (default: 0.1)
        activation: "relu" or "gelu" or a callable (default: F.relu)
        layer_norm_eps: ε of the layer norms (default: 1e-5)
        batch_first: (N, S, E) instead of (S, N, E) (default: False)
        norm_first: pre-norm instead of post-norm (default: False)
        bias: the linear layers and layer norms learn additive biases (default: True)

    Forward arguments: ``src, src_mask=None, src_key_padding_mask=None, is_causal=False`` (masks as in
    :class:`MultiheadAttention`).

    Shape:
        src (S, N, E), (N, S, E) with batch_first, or (S, E) -> output, same shape

    Attributes:
        self_attn (MultiheadAttention), linear1 (E → dim_feedforward), linear2 (dim_feedforward → E),
        norm1, norm2 (LayerNorm(E)), dropout, dropout1, dropout2, each initialised as its own class

    Example::

        >>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32, batch_first=True)
        >>> layer(nnmath.randn(2, 5, 16)).shape
        nnmath.Size([2, 5, 16])
    """

    __constants__ = ["norm_first"]

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation=F.relu, layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype)
        self._add_feed_forward(d_model, dim_feedforward, dropout, activation, layer_norm_eps, norm_first, bias, dtype, 2)
        if self.activation is F.relu or isinstance(self.activation, ReLU):
            self.activation_relu_or_gelu = 1
        elif self.activation is F.gelu or isinstance(self.activation, GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x



class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention over the target, attention from the target to the memory, and a feed-forward
    network, each a residual block with layer normalisation:

    norm_first=False:  x = LN₁(x + SA(x));  x = LN₂(x + MHA(x, m));  x = LN₃(x + FF(x))
    norm_first=True:   x = x + SA(LN₁(x));  x = x + MHA(LN₂(x), m);  x = x + FF(LN₃(x))

    Args: as :class:`TransformerEncoderLayer`.

    Forward arguments: ``tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False``.

    Shape:
        tgt (T, N, E), memory (S, N, E) ((N, T, E), (N, S, E) with batch_first; (T, E), (S, E)
        unbatched) -> output like tgt

    Attributes:
        self_attn, multihead_attn (MultiheadAttention), linear1, linear2, norm1, norm2, norm3, dropout,
        dropout1, dropout2, dropout3

    Example::

        >>> layer = nn.TransformerDecoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> layer(nnmath.randn(6, 2, 16), nnmath.randn(5, 2, 16)).shape
        nnmath.Size([6, 2, 16])
    """

    __constants__ = ["norm_first"]

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation=F.relu, layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias,
                                            dtype=dtype)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias,
                                                 dtype=dtype)
        self._add_feed_forward(d_model, dim_feedforward, dropout, activation, layer_norm_eps, norm_first, bias, dtype, 3)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False, memory_is_causal: bool = False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal: bool = False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                is_causal=is_causal, need_weights=False)[0]
        return self.dropout2(x)


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` applied in turn, then ``norm`` if given.

    Args:
        encoder_layer: a :class:`TransformerEncoderLayer` (deep-copied ``num_layers`` times)
        num_layers: how many
        norm: a final normalisation module (default: None)
        enable_nested_tensor: PyTorch's fast path for padded batches; as there, in evaluation without
            gradients and with a left-aligned ``src_key_padding_mask`` the padded positions of the
            output are 0 (before ``norm``) (default: True)
        mask_check: check that the padding mask is left-aligned before taking that path (default: True)

    Forward arguments: ``src, mask=None, src_key_padding_mask=None, is_causal=None`` (None: detect
    whether ``mask`` is the causal mask).

    Shape:
        src (S, N, E), (N, S, E) with batch_first, or (S, E) -> output, same shape

    Example::

        >>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> encoder = nn.TransformerEncoder(layer, num_layers=2)
        >>> encoder(nnmath.randn(5, 2, 16)).shape
        nnmath.Size([5, 2, 16])
    """

    __constants__ = ["norm"]

    def __init__(self, encoder_layer, num_layers: int, norm=None, enable_nested_tensor: bool = True,
                 mask_check: bool = True):
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = _why_not_nested(encoder_layer)
        if enable_nested_tensor and why_not:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False because {why_not}",
                          stacklevel=2)
            self.use_nested_tensor = False

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal: bool | None = None):
        first_layer = self.layers[0]
        seq_len = _get_seq_len(src, first_layer.self_attn.batch_first)
        is_causal = _detect_is_causal_mask(mask, is_causal, seq_len)
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, is_causal=is_causal, src_key_padding_mask=src_key_padding_mask)
        if self._padded_positions_are_zero(src, mask, src_key_padding_mask):
            kept = src_key_padding_mask._data == 0  # PyTorch keeps the positions whose mask is 0 / False
            output = output * Tensor._make(kept[..., None].astype(output._data.dtype))
        if self.norm is not None:
            output = self.norm(output)
        return output

    def _padded_positions_are_zero(self, src, mask, padding) -> bool:
        """The conditions under which PyTorch runs the layers on a nested tensor (the real tokens only)
        and pads the result with zeros."""
        if not self.use_nested_tensor or self.layers[0].training or src.ndim != 3 or padding is None:
            return False
        if mask is not None or (self.mask_check and not _left_aligned(padding._data != 0)):
            return False
        return not (state.enabled and any(p.requires_grad for p in self.layers[0].parameters())) and \
            not (state.enabled and src.requires_grad)


def _why_not_nested(layer) -> str:
    """Why PyTorch's nested-tensor fast path cannot be used with this layer ("" when it can)."""
    if not isinstance(layer, TransformerEncoderLayer):
        return "encoder_layer was not TransformerEncoderLayer"
    attn = layer.self_attn
    reasons = [(layer.norm_first, "encoder_layer.norm_first was True"),
               (not attn.batch_first, "encoder_layer.self_attn.batch_first was not True(use batch_first for better "
                                      "inference performance)"),
               (not attn._qkv_same_embed_dim, "encoder_layer.self_attn._qkv_same_embed_dim was not True"),
               (attn.in_proj_bias is None, "encoder_layer.self_attn was passed bias=False"),
               (not layer.activation_relu_or_gelu, "encoder_layer.activation_relu_or_gelu was not True"),
               (layer.norm1.eps != layer.norm2.eps, "encoder_layer.norm1.eps was not equal to encoder_layer.norm2.eps"),
               (attn.num_heads % 2 == 1, "encoder_layer.self_attn.num_heads is odd")]
    return next((why for failed, why in reasons if failed), "")


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer`` applied in turn to the target (each attending to the
    same memory), then ``norm`` if given.

    Forward arguments: ``tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False``.

    Shape:
        tgt (T, N, E), memory (S, N, E) (batch first or unbatched as the layer) -> output like tgt

    Example::

        >>> layer = nn.TransformerDecoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> decoder = nn.TransformerDecoder(layer, num_layers=2)
        >>> decoder(nnmath.randn(6, 2, 16), nnmath.randn(5, 2, 16)).shape
        nnmath.Size([6, 2, 16])
    """

    __constants__ = ["norm"]

    def __init__(self, decoder_layer, num_layers: int, norm=None):
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool | None = None, memory_is_causal: bool = False):
        seq_len = _get_seq_len(tgt, self.layers[0].self_attn.batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """An encoder–decoder Transformer: memory = Encoder(src), output = Decoder(tgt, memory), each a
    stack of layers followed by a LayerNorm.

    Args:
        d_model: the width E (default: 512)
        nhead: attention heads (default: 8)
        num_encoder_layers, num_decoder_layers: stack depths (default: 6 each)
        dim_feedforward: hidden width of the feed-forward networks (default: 2048)
        dropout: (default: 0.1)
        activation: "relu", "gelu" or a callable (default: F.relu)
        custom_encoder, custom_decoder: modules used instead of the stacks (default: None)
        layer_norm_eps: (default: 1e-5);  batch_first: (default: False);  norm_first: (default: False)
        bias: the linear layers and layer norms learn additive biases (default: True)

    Forward arguments: ``src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
    src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
    src_is_causal=None, tgt_is_causal=None, memory_is_causal=False``.

    Shape:
        src (S, N, E), tgt (T, N, E) ((N, S, E), (N, T, E) with batch_first; (S, E), (T, E) unbatched)
        -> output (T, N, E) like tgt

    Attributes:
        encoder (TransformerEncoder), decoder (TransformerDecoder); every parameter with more than one
        dimension is re-initialised xavier-uniform

    Example::

        >>> model = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=2,
        ...                        dim_feedforward=32)
        >>> tgt = nnmath.randn(6, 2, 16)
        >>> model(nnmath.randn(5, 2, 16), tgt, tgt_mask=model.generate_square_subsequent_mask(6)).shape
        nnmath.Size([6, 2, 16])
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6, num_decoder_layers: int = 6,
                 dim_feedforward: int = 2048, dropout: float = 0.1, activation=F.relu, custom_encoder=None,
                 custom_decoder=None, layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        options = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            encoder_layer = TransformerEncoderLayer(*options, dtype=dtype)
            encoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers, encoder_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(*options, dtype=dtype)
            decoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal: bool | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False):
        batched = src.ndim == 3
        batch_dim = 0 if self.batch_first else 1
        if batched and src.shape[batch_dim] != tgt.shape[batch_dim]:
            raise RuntimeError(f"the batch number of src and tgt must be equal (got src {tuple(src.shape)} and tgt "
                               f"{tuple(tgt.shape)} with batch_first={self.batch_first})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(f"the feature number of src and tgt must be equal to d_model={self.d_model} (got src "
                               f"{tuple(src.shape)} and tgt {tuple(tgt.shape)})")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """(sz, sz) float mask: 0 on and below the diagonal, −∞ above (position i sees j ≤ i)."""
        return _generate_square_subsequent_mask(sz, device, dtype)

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
