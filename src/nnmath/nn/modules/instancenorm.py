"""Instance normalisation: each sample's channels normalised on their own over the spatial dimensions
(Ulyanov et al. 2016, for style transfer)."""
from __future__ import annotations

import warnings

from nnmath.nn import functional as F
from nnmath.nn.modules.normalization import _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_NormBase):
    """y = (x − μ_{n,c}) / √(σ²_{n,c} + ε) ⊙ γ + β, with μ, σ² (biased) of sample n's channel c over
    its spatial positions. With ``track_running_stats`` the running statistics are the average over
    the batch of the per-sample ones (momentum as batch norm) and evaluation uses them."""

    spatial = 1

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def forward(self, input):
        if input.ndim not in (self.spatial + 1, self.spatial + 2):
            raise ValueError(f"{self._get_name()}: expected {self.spatial + 1}D (unbatched) or {self.spatial + 2}D "
                             f"(batched) input, got {input.ndim}D input of shape {tuple(input.shape)}")
        unbatched = input.ndim == self.spatial + 1
        x = input.unsqueeze(0) if unbatched else input
        if x.shape[1] != self.num_features:
            if self.affine:
                raise ValueError(f"{self._get_name()}: expected input's size at dim=1 to match num_features "
                                 f"({self.num_features}), but got: {x.shape[1]}")
            warnings.warn(f"input's size at dim=1 does not match num_features. You can silence this warning by "
                          f"not passing in num_features, which is not used because affine=False", UserWarning,
                          stacklevel=2)
        use_input_stats = self.training or not self.track_running_stats
        y = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias, use_input_stats,
                            self.momentum if self.momentum is not None else 0.0, self.eps)
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of a (N, C, L) or (C, L) input over L.

    Args:
        num_features: C
        eps: ε added to the variance (default: 1e-5)
        momentum: weight of the new statistic in the running average (default: 0.1)
        affine: learn γ (ones) and β (zeros) (default: False)
        track_running_stats: keep running statistics for evaluation (default: False)

    Shape:
        input (N, C, L) or (C, L) -> output, same shape

    Attributes:
        weight, bias: γ, β of shape (C,) when affine;  running_mean, running_var,
        num_batches_tracked when track_running_stats (as BatchNorm1d)

    Example::

        >>> nn.InstanceNorm1d(100)(nnmath.randn(20, 100, 40)).shape
        nnmath.Size([20, 100, 40])
    """
    spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of a (N, C, H, W) or (C, H, W) input over (H, W); arguments and
    attributes as :class:`InstanceNorm1d`.

    Shape:
        input (N, C, H, W) or (C, H, W) -> output, same shape

    Example::

        >>> nn.InstanceNorm2d(3, affine=True)(nnmath.randn(2, 3, 8, 8)).shape
        nnmath.Size([2, 3, 8, 8])
    """
    spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of a (N, C, D, H, W) or (C, D, H, W) input over (D, H, W); arguments and
    attributes as :class:`InstanceNorm1d`.

    Example::

        >>> nn.InstanceNorm3d(2)(nnmath.randn(1, 2, 3, 3, 3)).shape
        nnmath.Size([1, 2, 3, 3, 3])
    """
    spatial = 3
