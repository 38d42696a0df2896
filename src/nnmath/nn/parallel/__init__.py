"""``nnmath.nn.parallel``: data parallelism over processes (``DistributedDataParallel``).

Importing it needs no MPI; wrapping a model needs an initialised process group
(:func:`nnmath.distributed.init_process_group`).
"""
from nnmath.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
