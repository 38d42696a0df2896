"""``nnmath.nn.parallel``: data-parallel wrappers (PyTorch's ``torch.nn.parallel``): ``DataParallel``
(threads in one process) and ``DistributedDataParallel`` (processes of an MPI job; importing it needs
no MPI, wrapping a model needs an initialised process group, :func:`nnmath.distributed.init_process_group`).
"""
from nnmath.nn.parallel.data_parallel import DataParallel, data_parallel
from nnmath.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]
