"""Losses as modules; each ``forward`` calls the function of the same name in
:mod:`nnmath.nn.functional`, where the formula and its gradient are documented.

``reduction``: 'none' (one loss per element), 'mean' (default) or 'sum'. Class weights and
``pos_weight`` are buffers, so they appear in the ``state_dict`` as in PyTorch.
"""
from __future__ import annotations

from nnmath.nn import functional as F
from nnmath.nn.modules.module import Module


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        self.reduction = F._reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """ℓ = (x − y)², reduced;  ∂ℓ/∂x = 2 (x − y).

    Args:
        reduction: 'none' | 'mean' | 'sum' (default: 'mean')

    Shape:
        input (*), target (*) same shape -> scalar, or (*) with 'none'

    Example::

        >>> nn.MSELoss()(nnmath.tensor([1.0, 2.0]), nnmath.tensor([1.0, 4.0]))
        tensor(2.)
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """ℓ = |x − y|, reduced;  ∂ℓ/∂x = sign(x − y).

    Args:
        reduction: 'none' | 'mean' | 'sum' (default: 'mean')

    Shape:
        input (*), target (*) same shape -> scalar, or (*) with 'none'

    Example::

        >>> nn.L1Loss()(nnmath.tensor([1.0, 2.0]), nnmath.tensor([1.0, 4.0]))
        tensor(1.)
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """ℓ = ½ d²/β if |d| < β else |d| − ½β (d = x − y), reduced;  ∂ℓ/∂x = d/β inside, sign(d) outside.

    Args:
        reduction: 'none' | 'mean' | 'sum' (default: 'mean')
        beta: where the loss turns from quadratic to linear (default: 1.0)

    Shape:
        input (*), target (*) same shape -> scalar, or (*) with 'none'

    Example::

        >>> nn.SmoothL1Loss()(nnmath.tensor([0.0]), nnmath.tensor([3.0]))
        tensor(2.5000)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """ℓ = ½ d² if |d| ≤ δ else δ (|d| − ½δ) (d = x − y), reduced;  ∂ℓ/∂x = d inside, δ sign(d) outside.

    Args:
        reduction: 'none' | 'mean' | 'sum' (default: 'mean')
        delta: δ (default: 1.0)

    Shape:
        input (*), target (*) same shape -> scalar, or (*) with 'none'

    Example::

        >>> nn.HuberLoss(delta=2.0)(nnmath.tensor([0.0]), nnmath.tensor([3.0]))
        tensor(4.)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """ℓ = −w (y log x + (1 − y) log(1 − x)) (logs clamped at −100), reduced;
    ∂ℓ/∂x = w (x − y) / (x (1 − x)).

    Args:
        weight: rescaling weight broadcast against the input (optional)
        reduction: 'none' | 'mean' | 'sum' (default: 'mean')

    Shape:
        input (*) probabilities in [0, 1], target (*) same shape -> scalar, or (*) with 'none'

    Example::

        >>> nn.BCELoss()(nnmath.tensor([0.5]), nnmath.tensor([1.0]))
        tensor(0.6931)
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """ℓ = w ((1 − y) x + (1 + (p − 1) y) softplus(−x)) = −w (p y log σ(x) + (1 − y) log(1 − σ(x))),
    computed stably from the logits x;  ∂ℓ/∂x = w ((1 + (p − 1) y) σ(x) − p y).

    Args:
        weight: rescaling weight broadcast against the input (optional)
        reduction: 'none' | 'mean' | 'sum' (default: 'mean')
        pos_weight: p, the weight of positive examples, broadcast along the class dimension (optional)

    Shape:
        input (*) logits, target (*) same shape -> scalar, or (*) with 'none'

    Example::

        >>> nn.BCEWithLogitsLoss()(nnmath.tensor([0.0]), nnmath.tensor([1.0]))
        tensor(0.6931)
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class NLLLoss(_WeightedLoss):
    """ℓᵢ = −w[yᵢ] x[i, yᵢ] for log-probabilities x; 'mean' divides by Σᵢ w[yᵢ] over non-ignored targets;
    ∂ℓᵢ/∂x[i, c] = −w[yᵢ] [c = yᵢ].

    Args:
        weight: per-class weight of shape (C,) (optional)
        ignore_index: target value that contributes nothing (default: -100)
        reduction: 'none' | 'mean' | 'sum' (default: 'mean')

    Shape:
        input (N, C), (C,) or (N, C, d₁, ...); target (N,), () or (N, d₁, ...) int64 in [0, C)

    Example::

        >>> nn.NLLLoss()(nnmath.tensor([[-1.0, -2.0]]), nnmath.tensor([1]))
        tensor(2.)
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """ℓᵢ = −Σ_c w_c qᵢ_c log softmax(xᵢ)_c, q the one-hot target or given class probabilities, smoothed
    as q ← (1 − ε) q + ε/C;  ∂ℓᵢ/∂xᵢ = softmax(xᵢ) Σ_c w_c qᵢ_c − w ⊙ qᵢ.

    Args:
        weight: per-class weight of shape (C,) (optional)
        ignore_index: class-index target value that contributes nothing (default: -100)
        reduction: 'none' | 'mean' | 'sum' (default: 'mean'; with class indices, 'mean' divides by the
            summed weights of the non-ignored targets)
        label_smoothing: ε in [0, 1] (default: 0.0)

    Shape:
        input (N, C), (C,) or (N, C, d₁, ...) logits; target int64 (N,), () or (N, d₁, ...) in [0, C),
        or float probabilities of the input's shape

    Example::

        >>> nn.CrossEntropyLoss()(nnmath.zeros(2, 4), nnmath.tensor([0, 3]))
        tensor(1.3863)
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class KLDivLoss(_Loss):
    """ℓ = y (log y − x) for log-probabilities x (y given as log y when ``log_target``);  ∂ℓ/∂x = −y.

    Args:
        reduction: 'none' | 'batchmean' | 'mean' | 'sum' (default: 'mean'; 'batchmean' is the true KL
            divergence: the sum divided by the batch size)
        log_target: the target is given in log space (default: False)

    Shape:
        input (*), target (*) same shape -> scalar, or (*) with 'none'

    Example::

        >>> p = nnmath.tensor([[0.5, 0.5]])
        >>> nn.KLDivLoss(reduction="batchmean")(p.log(), p)
        tensor(0.)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class GaussianNLLLoss(Module):
    """ℓ = ½ (log max(σ², ε) + (x − y)² / max(σ², ε)) (+ ½ log 2π when ``full``);
    ∂ℓ/∂x = (x − y)/σ²,  ∂ℓ/∂σ² = ½ (1/σ² − (x − y)²/σ⁴).

    Args:
        full: include the constant term (default: False)
        eps: lower clamp of the variance (default: 1e-6)
        reduction: 'none' | 'mean' | 'sum' (default: 'mean')

    Shape:
        input (N, *), target (N, *), var (N, *) or with the last dimension 1 or omitted

    Example::

        >>> nn.GaussianNLLLoss()(nnmath.zeros(2), nnmath.zeros(2), nnmath.ones(2))
        tensor(0.)
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__()
        self.full = full
        self.eps = eps
        self.reduction = reduction

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """ℓ = 1 − cos(x₁, x₂) if y = 1, max(0, cos(x₁, x₂) − margin) if y = −1.

    Args:
        margin: in [−1, 1] (default: 0.0)
        reduction: 'none' | 'mean' | 'sum' (default: 'mean')

    Shape:
        input1 (N, D), input2 (N, D), target (N,) of ±1 -> scalar, or (N,) with 'none'

    Example::

        >>> x = nnmath.ones(1, 3)
        >>> nn.CosineEmbeddingLoss()(x, x, nnmath.tensor([1]))
        tensor(0.)
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """ℓ = max(0, −y (x₁ − x₂) + margin): y = 1 when x₁ should rank higher, −1 when x₂ should.

    Args:
        margin: (default: 0.0);  reduction: 'none' | 'mean' | 'sum' (default: 'mean')

    Shape:
        input1 (N) or (), input2 and target the same -> scalar, or input1's shape with 'none'

    Example::

        >>> nn.MarginRankingLoss()(nnmath.tensor([1.0]), nnmath.tensor([2.0]), nnmath.tensor([1.0]))
        tensor(1.)
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """ℓ = x where y = 1 and max(0, margin − x) where y = −1, for x a distance between two inputs.

    Args:
        margin: (default: 1.0);  reduction: 'none' | 'mean' | 'sum' (default: 'mean')

    Shape:
        input (*), target (*) of ±1 -> scalar, or (*) with 'none'

    Example::

        >>> nn.HingeEmbeddingLoss()(nnmath.tensor([0.3, 0.4]), nnmath.tensor([1.0, -1.0]))
        tensor(0.4500)
    """

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """ℓ = log(1 + e^(−y x)), y ∈ {1, −1}: two-class logistic loss.

    Shape:
        input (*), target (*) -> scalar, or (*) with 'none'

    Example::

        >>> nn.SoftMarginLoss()(nnmath.zeros(2), nnmath.ones(2))
        tensor(0.6931)
    """

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """ℓ = −(1/C) Σ_c w_c [y_c log σ(x_c) + (1 − y_c) log σ(−x_c)] per sample: independent binary
    decisions for C labels.

    Args:
        weight: per-class w (C,) (a buffer);  reduction: 'none' | 'mean' | 'sum' (default: 'mean')

    Shape:
        input (N, C), target (N, C) of 0/1 -> scalar, or (N,) with 'none'

    Example::

        >>> nn.MultiLabelSoftMarginLoss()(nnmath.zeros(1, 2), nnmath.ones(1, 2))
        tensor(0.6931)
    """

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """ℓ = max(d(a, p) − d(a, n) + margin, 0), d the p-norm pairwise distance: an anchor nearer its
    positive than its negative by a margin.

    Args:
        margin (1.0), p (2), eps (1e-6), swap (False: use min(d(a, n), d(p, n)) when True),
        reduction: 'none' | 'mean' | 'sum' (default: 'mean')

    Shape:
        anchor, positive, negative (N, D) -> scalar, or (N,) with 'none'

    Example::

        >>> a = nnmath.zeros(1, 2)
        >>> nn.TripletMarginLoss()(a, a, a)
        tensor(1.)
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                 size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                     swap=self.swap, reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """ℓ = eˣ − y x (log_input, x the log-rate) or x − y log(x + eps); with ``full`` Stirling's term
    y log y − y + ½ log(2π y) where y > 1.

    Shape:
        input (*), target (*) -> scalar, or (*) with 'none'

    Example::

        >>> nn.PoissonNLLLoss()(nnmath.zeros(2), nnmath.ones(2))
        tensor(1.)
    """

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None, eps: float = 1e-8,
                 reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full, eps=self.eps,
                                  reduction=self.reduction)
