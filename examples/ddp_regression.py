"""A PyTorch DistributedDataParallel program that runs on nnmath with only its imports changed.

    python -m nnmath.distributed.run -n 2 examples/ddp_regression.py [--steps 20] [--out params.npz]
    mpiexec -n 2 python examples/ddp_regression.py                       (the same, without the wrapper)

With the four ``torch`` imports below instead of nnmath's, ``torchrun --nproc-per-node 2
examples/ddp_regression.py`` runs it on PyTorch (gloo) and ends with the same parameters (the weights
and data come from NumPy with fixed seeds; the data is not shuffled, since the two libraries draw
different permutations). Rank 0 prints the loss and saves the final parameters with ``--out``.
"""
import argparse
import os

import numpy as np

import nnmath as torch                                           # import torch
import nnmath.distributed as dist                                # import torch.distributed as dist
from nnmath.nn.parallel import DistributedDataParallel as DDP   # from torch.nn.parallel import ...
from nnmath.utils.data import DataLoader, DistributedSampler, TensorDataset  # from torch.utils.data import ...


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--global-batch", type=int, default=32)
    parser.add_argument("--out", default=None, help="save the final parameters here (.npz)")
    args = parser.parse_args()

    dist.init_process_group(backend="gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))   # set by torchrun and by nnmath.distributed.run

    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 8)).astype(np.float32)
    y = np.sin(x @ rng.standard_normal((8, 1))).astype(np.float32)
    dataset = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    sampler = DistributedSampler(dataset, shuffle=False)
    loader = DataLoader(dataset, batch_size=args.global_batch // world, sampler=sampler)

    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1))
    with torch.no_grad():
        for p in model.parameters():        # the same start in both libraries (rank 0's is broadcast)
            p.copy_(torch.from_numpy(0.3 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    model = DDP(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    step, epoch = 0, 0
    while step < args.steps:
        sampler.set_epoch(epoch)
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(inputs), targets)
            loss.backward()
            optimizer.step()
            step += 1
            if rank == 0 and step % 10 == 0:
                print(f"step {step}: loss on rank 0's share {loss.item():.5f} (local rank {local_rank} of {world})")
            if step == args.steps:
                break
        epoch += 1
    if rank == 0 and args.out:
        np.savez(args.out, **{name: p.detach().numpy() for name, p in model.module.named_parameters()})
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
