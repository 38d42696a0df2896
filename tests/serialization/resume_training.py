"""A small training run that draws from every random stream a real one does (initialisation, dropout,
DataLoader shuffling with its own generator, np.random and random augmentation), for the exact-resume
test. Run: ``python resume_training.py --epochs N --out PARAMS [--seed S] [--resume CKPT] [--save CKPT]``."""
import argparse
import random

import numpy as np

import nnmath
from nnmath.apps.checkpoint import load_checkpoint, save_checkpoint
from nnmath.utils.data import DataLoader, TensorDataset


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume")
    parser.add_argument("--save")
    args = parser.parse_args(argv)

    nnmath.manual_seed(args.seed)
    np.random.seed(args.seed)
    random.seed(args.seed)
    data_rng = np.random.default_rng(42)  # the data set itself is fixed, whatever the seed
    x = nnmath.tensor(data_rng.standard_normal((40, 4)).astype(np.float32))
    y = nnmath.tensor(data_rng.standard_normal((40, 1)).astype(np.float32))
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True,
                        generator=nnmath.Generator().manual_seed(args.seed + 7))
    nn = nnmath.nn
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 1))
    optimizer = nnmath.optim.Adam(model.parameters(), lr=0.01)
    scheduler = nnmath.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.8)

    start = 0
    if args.resume:
        start = load_checkpoint(args.resume, model, optimizer, scheduler, dataloader=loader)["epoch"]
    for _ in range(start, args.epochs):
        model.train()
        for xb, yb in loader:
            noise = nnmath.tensor(np.random.standard_normal(xb.shape).astype(np.float32))
            xb = xb + 0.05 * noise * random.random()
            loss = nn.functional.mse_loss(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
    if args.save:
        save_checkpoint(args.save, model, optimizer, scheduler, epoch=args.epochs, dataloader=loader)
    nnmath.save(model.state_dict(), args.out)


if __name__ == "__main__":
    main()
