"""The differentiable ops, grouped by the mathematics they implement.

- :mod:`~nnmath.ops.arithmetic`  + − × ÷ and powers
- :mod:`~nnmath.ops.elementwise` functions of one variable, piecewise functions, casts
- :mod:`~nnmath.ops.activation`  sigmoid, tanh, ReLU, softmax, log-softmax
- :mod:`~nnmath.ops.reduction`   sums, means, variances, extremes, log-sum-exp, norms
- :mod:`~nnmath.ops.matmul`      matrix products, outer products, Einstein sums
- :mod:`~nnmath.ops.shape`       reshape, permute, broadcast, concatenate, split, pad
- :mod:`~nnmath.ops.indexing`    indexing, gather, scatter
- :mod:`~nnmath.ops.comparison`  comparisons, logic, sorting (no gradient, or through indices)
- :mod:`~nnmath.ops.attention`   scaled dot-product attention (used by ``nn.functional``)
- :mod:`~nnmath.ops.normalization` layer normalisation (used by ``nn.functional``)
"""
from nnmath.ops.activation import *  # noqa: F401,F403
from nnmath.ops.arithmetic import *  # noqa: F401,F403
from nnmath.ops.comparison import *  # noqa: F401,F403
from nnmath.ops.elementwise import *  # noqa: F401,F403
from nnmath.ops.indexing import *  # noqa: F401,F403
from nnmath.ops.matmul import *  # noqa: F401,F403
from nnmath.ops.reduction import *  # noqa: F401,F403
from nnmath.ops.shape import *  # noqa: F401,F403
