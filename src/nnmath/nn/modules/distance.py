"""Distances between paired vectors, as modules (math in :mod:`nnmath.nn.functional`)."""
from __future__ import annotations

from nnmath.nn import functional as F
from nnmath.nn.modules.module import Module

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """cos(x₁, x₂) = x₁·x₂ / (max(‖x₁‖, ε) max(‖x₂‖, ε)) along ``dim``.

    Args:
        dim: the dimension of the vectors (default: 1);  eps: ε (default: 1e-8)

    Shape:
        input1 (*₁, D, *₂), input2 broadcastable to it -> output (*₁, *₂)

    Example::

        >>> nn.CosineSimilarity()(nnmath.ones(2, 3), nnmath.ones(2, 3))
        tensor([1., 1.])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """‖x₁ − x₂ + ε‖_p along the last dimension.

    Args:
        p: the norm's degree (default: 2);  eps: ε (default: 1e-6);  keepdim (default: False)

    Shape:
        input1 (N, D) or (D,), input2 the same -> output (N) or ()

    Example::

        >>> nn.PairwiseDistance()(nnmath.zeros(1, 2), nnmath.zeros(1, 2))
        tensor([1.4142e-06])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
