"""``nnmath.nn``: modules (layers, containers, losses), ``functional``, ``init`` and ``utils``.

A layer is thin: it holds its parameters, sets them in ``reset_parameters()``, and its ``forward``
calls :mod:`nnmath.nn.functional`, where the mathematics lives.
"""
from nnmath.nn import functional, init, utils  # noqa: F401
from nnmath.nn.modules import *  # noqa: F401,F403
from nnmath.nn.modules import Module
from nnmath.nn.parameter import Parameter
from nnmath.nn import parallel  # noqa: F401
from nnmath.nn.parallel import DataParallel  # noqa: F401
