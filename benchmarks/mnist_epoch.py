"""One epoch of the seed CNN on real MNIST, nnmath against PyTorch (issue: convolutional networks).

    python benchmarks/mnist_epoch.py                   # a full epoch (938 steps of 64) in each library
    python benchmarks/mnist_epoch.py --max-steps 100   # time the first 100 steps, extrapolate to the epoch

Measures, in one run:

* epoch time: the seed CNN (train mode, Adam lr=1e-3, nll of the log-softmax) over the 60,000 training
  images in batches of 64, data included. nnmath reads them with ``nnmath.vision.datasets.MNIST`` and
  ``transforms.ToTensor`` through its ``DataLoader``. torchvision is not installed, so PyTorch gets a
  ``TensorDataset`` of the same uint8 arrays, converted once to float32 / 255 (what ToTensor computes), through
  PyTorch's ``DataLoader``: PyTorch's per-batch data work is therefore a gather, nnmath's a gather plus the
  conversion. Both start from the same initial weights (``models.build_pair``).
* peak memory of a training step: each library in a fresh subprocess builds the model, Adam and one batch,
  then runs a few steps; reported is the growth of the peak resident set size over those
  steps (Linux's VmHWM, else ``ru_maxrss``), i.e. activations, gradients, optimizer state and workspace, not
  the interpreter or the library.

A ratio is nnmath's / PyTorch's: below 1 means nnmath is faster or smaller. Both libraries run with their
default threads unless ``--threads`` is given (it sets PyTorch's threads and OpenBLAS's through
``OPENBLAS_NUM_THREADS``, which only takes effect when this file is run as a script).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "mnist"
TRAIN_IMAGES = 60000


def _libs():
    import nnmath
    libs = {"nnmath": nnmath}
    try:
        import torch
        libs["torch"] = torch
    except ImportError:
        pass
    return libs


def _arrays(data_dir):
    """The training images (uint8, N × 28 × 28) and labels (int64) as nnmath's MNIST reads them."""
    from nnmath.vision import datasets
    import numpy as np
    train = datasets.MNIST(str(data_dir), train=True)
    return np.asarray(train.data.numpy()), np.asarray(train.targets.numpy())


def _loader(lib, data_dir, images, labels, batch_size, seed=0):
    """Each library's DataLoader over the training set, shuffled by its own seeded generator."""
    if lib.__name__ == "nnmath":
        from nnmath.utils.data import DataLoader
        from nnmath.vision import datasets, transforms
        train = datasets.MNIST(str(data_dir), train=True, transform=transforms.ToTensor())
        return DataLoader(train, batch_size=batch_size, shuffle=True, generator=lib.Generator().manual_seed(seed))
    import torch
    from torch.utils.data import DataLoader, TensorDataset
    x = torch.from_numpy(images[:, None].astype("float32") / 255.0)     # ToTensor, once for the whole set
    train = TensorDataset(x, torch.from_numpy(labels))
    return DataLoader(train, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))


def time_epoch(lib, data_dir, images, labels, batch_size=64, max_steps=None):
    """Seconds for the first ``max_steps`` training steps (all of the epoch when None), and the step count."""
    sys.path.insert(0, str(HERE))
    from models import build_pair, seed_cnn
    model = build_pair(seed_cnn, lib)
    model.train()
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    loader = _loader(lib, data_dir, images, labels, batch_size)
    steps = 0
    start = time.perf_counter()
    for data, target in loader:
        optimizer.zero_grad()
        loss = lib.nn.functional.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
        steps += 1
        if max_steps is not None and steps >= max_steps:
            break
    loss.item()
    return time.perf_counter() - start, steps


def _peak_rss_mb():
    """This process's peak resident set size. Linux's VmHWM belongs to the current program image; ru_maxrss
    would also keep the high-water mark of the parent copied by fork, since a subprocess starts as a fork."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024        # KiB on Linux


def _memory_child(lib_name, batch_file, steps):
    """Run in a fresh process: peak-RSS growth (MB) over ``steps`` training steps, as JSON on stdout."""
    import numpy as np
    lib = __import__(lib_name)
    from nnmath.apps.mnist import seed_cnn_class
    batch = np.load(batch_file)
    model = seed_cnn_class(lib)()
    model.train()
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    data, target = lib.tensor(batch["x"]), lib.tensor(batch["y"])
    before = _peak_rss_mb()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = lib.nn.functional.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
    loss.item()
    after = _peak_rss_mb()
    print(json.dumps({"before_mb": before, "peak_mb": after, "step_mb": after - before}))


def step_memory(lib_name, images, labels, batch_size=64, steps=3):
    """Peak-RSS growth of ``steps`` training steps of ``lib_name`` on the first batch, in a fresh process."""
    import numpy as np
    with tempfile.TemporaryDirectory() as folder:
        batch_file = os.path.join(folder, "batch.npz")
        np.savez(batch_file, x=images[:batch_size, None].astype(np.float32) / 255.0,
                 y=labels[:batch_size].astype(np.int64))
        out = subprocess.run([sys.executable, "-W", "ignore", __file__, "--memory-child", lib_name, batch_file,
                              str(steps)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _row(name, ours, theirs, unit, fmt="{:10.2f}"):
    cells = [fmt.format(v) + f" {unit}" if v is not None else "n/a" for v in (ours, theirs)]
    ratio = f"{ours / theirs:6.2f}x" if theirs else "   n/a"
    print(f"{name:44s} {cells[0]:>16s} {cells[1]:>16s} {ratio:>7s}", flush=True)
    return {"name": name, "nnmath": ours, "torch": theirs, "ratio": ours / theirs if theirs else None}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.environ.get("NNMATH_DATA", str(DEFAULT_DATA)),
                        help="folder with the four MNIST .gz files")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-steps", type=int, help="time only this many steps and extrapolate to the epoch")
    parser.add_argument("--memory-steps", type=int, default=3, help="training steps in the memory probe")
    parser.add_argument("--threads", type=int, help="threads for PyTorch and OpenBLAS (default: theirs)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.threads:
        os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)   # read when NumPy first loads OpenBLAS
    if args.memory_child:
        _memory_child(args.memory_child[0], args.memory_child[1], int(args.memory_child[2]))
        return

    libs = _libs()
    if args.threads and "torch" in libs:
        libs["torch"].set_num_threads(args.threads)
    images, labels = _arrays(args.data)
    epoch_steps = math.ceil(len(images) / args.batch_size)
    load = os.getloadavg()
    threads = libs["torch"].get_num_threads() if "torch" in libs else None
    print(f"{os.cpu_count()} cpus, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, torch threads "
          f"{threads}, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '-')}; "
          f"epoch = {len(images)} images = {epoch_steps} steps of {args.batch_size}")

    measured = {}
    for name, lib in libs.items():
        seconds, steps = time_epoch(lib, args.data, images, labels, args.batch_size, args.max_steps)
        measured[name] = (seconds, steps)
        print(f"  {name}: {steps} steps in {seconds:.2f} s measured ({seconds / steps * 1e3:.1f} ms/step)",
              flush=True)
    memory = {name: step_memory(name, images, labels, args.batch_size, args.memory_steps) for name in libs}
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")

    print(f"{'benchmark':44s} {'nnmath':>16s} {'torch':>16s} {'ratio':>7s}")
    rows = []

    def both(value):
        return value("nnmath"), (value("torch") if "torch" in libs else None)

    steps = measured["nnmath"][1]
    rows.append(_row(f"seed CNN train, {steps} steps measured", *both(lambda n: measured[n][0]), "s"))
    rows.append(_row("  per step (b=64, data included)", *both(lambda n: measured[n][0] / measured[n][1] * 1e3),
                     "ms"))
    if steps < epoch_steps:
        rows.append(_row(f"  epoch ({epoch_steps} steps), extrapolated",
                         *both(lambda n: measured[n][0] / measured[n][1] * epoch_steps), "s"))
    rows.append(_row(f"peak RSS growth, {args.memory_steps} train steps", *both(lambda n: memory[n]["step_mb"]),
                     "MB", "{:10.1f}"))
    rows.append(_row("  peak RSS of that process", *both(lambda n: memory[n]["peak_mb"]), "MB", "{:10.1f}"))
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"rows": rows, "load_average": load}, indent=2))
    return rows


if __name__ == "__main__":
    main()
