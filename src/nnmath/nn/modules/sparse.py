"""``Embedding``: a learned table of vectors looked up by integer id (math in :mod:`nnmath.ops.embedding`)."""
from __future__ import annotations

from nnmath import creation
from nnmath.backend import on_device_of
from nnmath.autograd import no_grad
from nnmath.nn import functional as F
from nnmath.nn.modules.module import Module
from nnmath.nn.parameter import Parameter
from nnmath import random

__all__ = ["Embedding", "EmbeddingBag"]


def _checked_padding_idx(padding_idx, num_embeddings: int):
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise AssertionError(f"padding_idx must be within num_embeddings: got padding_idx={padding_idx} for "
                             f"num_embeddings={num_embeddings}")
    return padding_idx + num_embeddings if padding_idx < 0 else padding_idx


def _normal_with_zero_padding_row(weight, padding_idx) -> None:
    """weight ~ N(0, 1) in place, on its device, and its ``padding_idx`` row zero (both embeddings' init)."""
    with no_grad():
        weight._data[...] = on_device_of(random.normal(tuple(weight.shape), weight._data.dtype), weight._data)
        if padding_idx is not None:
            weight._data[padding_idx] = 0


class Embedding(Module):
    r"""y[...] = weight[input[...]]: one learned row of ``weight`` per integer id.

    The gradient of the table is the scatter-add of the output gradients into the rows that were read:
    W̄[k] = Σ_{i : idsᵢ = k} ȳᵢ (zero for ``padding_idx``; divided by k's count with
    ``scale_grad_by_freq``).

    Args:
        num_embeddings (int): size of the table (ids are 0 … num_embeddings − 1)
        embedding_dim (int): size of each vector
        padding_idx (int, optional): this row is zero-initialised and gets no gradient
        max_norm (float, optional): rows looked up with norm > max_norm are rescaled in place to max_norm
        norm_type (float): the p of the p-norm for max_norm (default 2)
        scale_grad_by_freq (bool): divide gradients by the ids' frequency in the mini-batch
        sparse (bool): sparse gradients are not supported (must be False)
        _weight (Tensor, optional): initial table (used by :meth:`from_pretrained`)
        _freeze (bool): whether the table is frozen (requires_grad=False)

    Shape:
        input: (*) integer ids; output: (*, embedding_dim)

    Attributes:
        weight (Tensor): (num_embeddings, embedding_dim), initialised from N(0, 1)

    Example::

        >>> emb = nn.Embedding(10, 3, padding_idx=0)
        >>> emb(nnmath.tensor([[1, 2, 0]])).shape
        nnmath.Size([1, 3, 3])
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = _checked_padding_idx(padding_idx, num_embeddings)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            kwargs = {"dtype": dtype} if dtype is not None else {}
            self.weight = Parameter(creation.empty(num_embeddings, embedding_dim, **kwargs), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise AssertionError(f"Shape of weight {list(_weight.shape)} does not match num_embeddings and "
                                     f"embedding_dim ({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """weight ~ N(0, 1), with the padding row set to zero."""
        _normal_with_zero_padding_row(self.weight, self.padding_idx)

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            text += ", scale_grad_by_freq=True"
        return text

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False) -> "Embedding":
        """An Embedding whose table is ``embeddings`` (2-D; shared, not copied); frozen unless freeze=False.
        The padding row keeps its given values (only its gradient is zero)."""
        if embeddings.dim() != 2:
            raise AssertionError(f"Embeddings parameter is expected to be 2-dimensional, got "
                                 f"{embeddings.dim()}-D of shape {list(embeddings.shape)}")
        rows, cols = embeddings.shape
        return cls(rows, cols, _weight=embeddings, _freeze=freeze, padding_idx=padding_idx, max_norm=max_norm,
                   norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


class EmbeddingBag(Module):
    r"""Sums, means or maxima of bags of embeddings, without materialising the rows one by one
    (math in ``F.embedding_bag``): bag b of a 2-D input is its row b; of a 1-D input, the ids from
    offsets[b] to offsets[b+1].

    mode 'sum': y_b = Σᵢ wᵢ · weight[idᵢ] (wᵢ = per_sample_weights, else 1); 'mean': the average of the
    bag's rows; 'max': their elementwise maximum. Ids equal to ``padding_idx`` are left out.

    Args:
        num_embeddings (int): size of the table
        embedding_dim (int): size of each vector
        max_norm, norm_type, scale_grad_by_freq: as :class:`Embedding`
        mode (str): 'sum', 'mean' (default) or 'max'
        sparse (bool): sparse gradients are not supported (must be False)
        include_last_offset (bool): offsets has one more entry, the end of the last bag
        padding_idx (int, optional): ids left out of every bag; that row is zero-initialised

    Shape:
        input (B, N) with offsets None, or (M,) with offsets (B,) (or (B + 1,)) -> output (B, embedding_dim)

    Attributes:
        weight: (num_embeddings, embedding_dim), initialised from N(0, 1)

    Example::

        >>> bag = nn.EmbeddingBag(10, 3, mode="sum")
        >>> bag(nnmath.tensor([1, 2, 4, 5, 4, 3, 2, 9]), nnmath.tensor([0, 4])).shape
        nnmath.Size([2, 3])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm=None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False, _weight=None,
                 include_last_offset: bool = False, padding_idx=None, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset
        self.padding_idx = _checked_padding_idx(padding_idx, num_embeddings)
        if _weight is None:
            kwargs = {"dtype": dtype} if dtype is not None else {}
            self.weight = Parameter(creation.empty(num_embeddings, embedding_dim, **kwargs))
            self.reset_parameters()
        else:
            self.weight = Parameter(_weight)

    def reset_parameters(self) -> None:
        """weight ~ N(0, 1), with the padding row set to zero."""
        _normal_with_zero_padding_row(self.weight, self.padding_idx)

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                               self.mode, self.sparse, per_sample_weights, self.include_last_offset,
                               self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        text += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, max_norm=None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                        include_last_offset: bool = False, padding_idx=None):
        """A bag whose table is ``embeddings`` (2-D), frozen unless ``freeze=False``."""
        if embeddings.ndim != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        bag = cls(rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings,
                  include_last_offset, padding_idx)
        bag.weight.requires_grad = not freeze
        return bag
