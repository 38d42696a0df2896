"""DDP's bucket assignment against PyTorch's own (no MPI needed)."""
import numpy as np
import pytest

import nnmath
from nnmath.nn.parallel.distributed import _assign_buckets

LAYOUTS = {
    "seed CNN": [(288, "float32"), (32, "float32"), (18432, "float32"), (64, "float32"), (1179648, "float32"),
                 (128, "float32"), (1280, "float32"), (10, "float32")],
    "mixed dtypes": [(300000, "float32"), (10, "float64"), (300000, "float32"), (5, "float64"), (400000, "float64")],
    "many small": [(50000, "float32")] * 30,
}


@pytest.mark.parametrize("layout", LAYOUTS, ids=list(LAYOUTS))
@pytest.mark.parametrize("limits", [(1 << 20, 25 << 20), (100_000, 100_000), (1 << 20, 1 << 20)])
def test_buckets_are_pytorchs(layout, limits):
    torch = pytest.importorskip("torch")
    import torch.distributed as torch_dist
    shapes = LAYOUTS[layout]
    theirs, _ = torch_dist._compute_bucket_assignment_by_size(
        [torch.zeros(n, dtype=getattr(torch, dtype)) for n, dtype in shapes], list(limits), [False] * len(shapes))
    named = [(str(i), nnmath.from_numpy(np.zeros(n, dtype))) for i, (n, dtype) in enumerate(shapes)]
    assert _assign_buckets(named, limits) == [list(b) for b in theirs]
