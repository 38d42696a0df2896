"""DataLoader epoch time with worker processes: MNIST images through a costly per-item transform.

    python benchmarks/dataloader_workers.py                        # 10,000 images, num_workers 0 and 2
    python benchmarks/dataloader_workers.py --images 60000 --workers 0 1 2 4

Each item of ``nnmath.vision.datasets.MNIST`` (the real training images from shared/data) goes through
RandomRotation(15), RandomCrop(28, padding=2), Resize(56) (bilinear), ToTensor and Normalize — work in
Python and NumPy per image, the case where worker processes pay off. One epoch in batches of 64 is timed
for each ``num_workers``, after a warm-up epoch (worker start-up is included in each timed epoch, as in
training without ``persistent_workers``). Reported: seconds per epoch, images per second, the speed-up
over ``num_workers=0``, and whether every configuration yielded the same batches (labels in order, and
the images equal when the seeds are equal: they are not, since worker w draws from base_seed + w).
"""
from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "src"))

import nnmath  # noqa: E402
from nnmath.utils.data import DataLoader, Subset  # noqa: E402
from nnmath.vision import datasets, transforms  # noqa: E402

DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "mnist"


def _dataset(root: pathlib.Path, images: int):
    transform = transforms.Compose([transforms.RandomRotation(15), transforms.RandomCrop(28, padding=2),
                                    transforms.Resize(56), transforms.ToTensor(),
                                    transforms.Normalize((0.1307,), (0.3081,))])
    return Subset(datasets.MNIST(str(root), train=True, transform=transform), range(images))


def _epoch(dataset, workers: int) -> tuple[float, list[int]]:
    loader = DataLoader(dataset, batch_size=64, num_workers=workers, generator=nnmath.Generator().manual_seed(0))
    start = time.perf_counter()
    labels = [label for _, y in loader for label in y.tolist()]
    return time.perf_counter() - start, labels


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=pathlib.Path, default=pathlib.Path(os.environ.get("NNMATH_DATA", DEFAULT_DATA)))
    parser.add_argument("--images", type=int, default=10000)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    args = parser.parse_args(argv)
    dataset = _dataset(args.data, args.images)
    print(f"{args.images} MNIST images, batch 64, {os.cpu_count()} cores; transform: {dataset.dataset.transform}")
    _epoch(dataset, 0)  # warm-up: page in the data and the code
    baseline, reference_labels = None, None
    print(f"{'num_workers':>11} {'epoch s':>8} {'images/s':>9} {'speed-up':>8}  same batches")
    for workers in args.workers:
        seconds, labels = _epoch(dataset, workers)
        baseline = baseline or seconds
        reference_labels = reference_labels or labels
        print(f"{workers:>11} {seconds:>8.2f} {args.images / seconds:>9.0f} {baseline / seconds:>7.2f}x  "
              f"{labels == reference_labels}")


if __name__ == "__main__":
    main()
