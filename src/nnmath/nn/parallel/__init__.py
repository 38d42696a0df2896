"""``nnmath.nn.parallel``: data-parallel wrappers (PyTorch's ``torch.nn.parallel``)."""
from nnmath.nn.parallel.data_parallel import DataParallel, data_parallel

__all__ = ["DataParallel", "data_parallel"]
