"""``nnmath.utils.data``: datasets, samplers and the ``DataLoader`` that batches them (PyTorch's API)."""
from nnmath.utils.data._worker import WorkerInfo, get_worker_info
from nnmath.utils.data.dataloader import DataLoader, default_collate, default_convert
from nnmath.utils.data.dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset,
                                       random_split)
from nnmath.utils.data.distributed import DistributedSampler
from nnmath.utils.data.sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                                       SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "DistributedSampler",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler",
           "TensorDataset", "WeightedRandomSampler", "WorkerInfo", "default_collate", "default_convert",
           "get_worker_info", "random_split"]
