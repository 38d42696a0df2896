"""The layers of ``nnmath.nn``, one file per family as in PyTorch."""
from nnmath.nn.modules.module import Module
