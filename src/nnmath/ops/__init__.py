"""The differentiable ops, grouped by the mathematics they implement.

Each module holds its primitives (one :class:`~nnmath.autograd.Function` each: forward, VJP and the
formula of both) and the public functions built on them. The modules import each other in one
direction, in this order (each only from those above it):

- :mod:`~nnmath.ops._util`       operand promotion, dimension arguments, clear shape errors
- :mod:`~nnmath.ops.shape`       reshape, permute, concatenate, split, flip (``broadcast_to``/``sum_to``
  and ``cast`` are the engine's own, in :mod:`nnmath.autograd.fit`)
- :mod:`~nnmath.ops.strided`     views by strides (as_strided, diagonal, unfold, view_as_real) and the
  write through a view that autograd records on its base (CopySlices)
- :mod:`~nnmath.ops.comparison`  comparisons, logic, predicates (no gradient), ``nonzero``
- :mod:`~nnmath.ops.elementwise` functions of one variable, piecewise functions, ``where``
- :mod:`~nnmath.ops.arithmetic`  + − × ÷, powers, atan2, hypot
- :mod:`~nnmath.ops.indexing`    indexing, gather, scatter
- :mod:`~nnmath.ops.padding`     constant, reflect, replicate and circular padding
- :mod:`~nnmath.ops.sorting`     sort, top-k, unique, counting (gradient through the selected values)
- :mod:`~nnmath.ops.reduction`   sums, means, variances, extremes, medians, log-sum-exp, norms, cdist
- :mod:`~nnmath.ops.products`    matrix products, the linear layer's y = xWᵀ + b, Einstein sums
- :mod:`~nnmath.ops.activation`  sigmoid, tanh, ReLU, softplus, softmax, log-softmax, binary cross-entropy,
  GELU (tanh)
- :mod:`~nnmath.ops.normalization` layer normalisation as one op
- :mod:`~nnmath.ops.attention`   scaled dot-product attention as one op
- :mod:`~nnmath.ops._window`, :mod:`~nnmath.ops.conv`, :mod:`~nnmath.ops.pooling`  sliding windows,
  convolution and pooling
- :mod:`~nnmath.ops.resample`    interpolation
- :mod:`~nnmath.ops.embedding`, :mod:`~nnmath.ops.recurrent`  embedding lookup, recurrent layers

This package's namespace gathers the tensor functions (``nnmath.ops.exp``), which the ``nnmath``
facade re-exports; the layer-level functions (conv, pooling, embedding, recurrence, interpolation)
and attention and layer normalisation are reached through :mod:`nnmath.nn.functional`.
"""
from nnmath.ops.activation import *  # noqa: F401,F403
from nnmath.ops.arithmetic import *  # noqa: F401,F403
from nnmath.ops.comparison import *  # noqa: F401,F403
from nnmath.ops.elementwise import *  # noqa: F401,F403
from nnmath.ops.indexing import *  # noqa: F401,F403
from nnmath.ops.padding import *  # noqa: F401,F403
from nnmath.ops.products import *  # noqa: F401,F403
from nnmath.ops.reduction import *  # noqa: F401,F403
from nnmath.ops.shape import *  # noqa: F401,F403
from nnmath.ops.sorting import *  # noqa: F401,F403
from nnmath.ops.strided import *  # noqa: F401,F403
