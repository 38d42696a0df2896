"""Seed 000's MNIST program run by PyTorch itself, for comparison with nnmath's run of the same program.

torchvision is not installable here, so the images come from nnmath.vision's MNIST reader (the same
bytes, scaled to [0, 1] as ToTensor does) through a torch TensorDataset; everything else is the seed's
code: the model, Adam(lr=1e-3), CrossEntropyLoss on the log-softmax output, batch 64, shuffled, 10 epochs,
and the test loop without model.eval() (dropout stays active while testing, as the seed has it).

    python benchmarks/seed000_torch_reference.py --data-dir ../shared/data/mnist [--seed 0] [--epochs 10]
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn as nn

from nnmath.apps.mnist import seed_cnn_class
from nnmath.vision import datasets


def _tensors(root, train):
    data = datasets.MNIST(root, train=train)
    images = torch.from_numpy(data.data.numpy().astype(np.float32) / 255.0).unsqueeze(1)
    return torch.utils.data.TensorDataset(images, torch.from_numpy(data.targets.numpy()))


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    train_loader = torch.utils.data.DataLoader(_tensors(args.data_dir, True), batch_size=64, shuffle=True)
    test_loader = torch.utils.data.DataLoader(_tensors(args.data_dir, False), batch_size=64, shuffle=False)
    model = seed_cnn_class(torch)()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        for data, target in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(data), target)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch + 1}: last loss {loss.item():.4f}", flush=True)
    with torch.no_grad():
        correct = total = 0
        for data, target in test_loader:
            _, predicted = torch.max(model(data).data, 1)
            total += target.size(0)
            correct += (predicted == target).sum().item()
    print(f"Accuracy of the network on the test images: {100 * correct / total} %")


if __name__ == "__main__":
    main()
