"""The seed CNN (seed 000 §5.2) trained on MNIST or Fashion-MNIST: ``nnmath train mnist``.

conv 3×3 (1→32) → ReLU → conv 3×3 (32→64) → ReLU → max-pool 2 → dropout 0.25 → flatten (9216)
→ linear 128 → ReLU → dropout 0.5 → linear 10 → log-softmax, trained with Adam on the
cross-entropy, as the seed does. Each epoch ends with an evaluation on the test set, a row in
``metrics.csv`` and ``curves.png``, and a checkpoint from which ``--resume`` continues exactly
(weights, optimizer, random streams and the data order). At the end the weights are saved to
``model.safetensors`` and the confusion matrix is printed and drawn to ``confusion.png``.
When TensorBoard's writer is installed (``nnmath[viz]``), ``OUT/tensorboard`` also receives, per
epoch, the losses, the accuracy, the learning rate, each layer's gradient norm and weight histograms.

``--distributed`` trains on the N processes of an MPI job (``python -m nnmath.distributed.run -n N
nnmath train mnist --distributed``) with the same global batch (:mod:`nnmath.apps.data_parallel`).
"""
from __future__ import annotations

import contextlib
import os
import time

import nnmath
import nnmath.nn as nn
import nnmath.nn.functional as F
from nnmath import metrics
from nnmath.apps import data_parallel
from nnmath.apps.checkpoint import resume_from
from nnmath.apps.run_files import RunFiles
from nnmath.utils.data import DataLoader, Subset
from nnmath.utils.tensorboard import SummaryWriter
from nnmath.vision import datasets, transforms

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]


def seed_cnn_class(lib=nnmath):
    """The network of seed 000 §5.2, unchanged, built from ``lib``'s ``nn``: nnmath's here; the same
    code gives PyTorch's twin for the parity tests and benchmarks (``seed_cnn_class(torch)``)."""
    nn, F = lib.nn, lib.nn.functional

    class SeedCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout2d(0.25)
            self.dropout2 = nn.Dropout2d(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = lib.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.dropout2(x)
            return F.log_softmax(self.fc2(x), dim=1)
    return SeedCNN


SeedCNN = seed_cnn_class()


def _datasets(data_dir, fashion, limit):
    cls = datasets.FashionMNIST if fashion else datasets.MNIST
    root = data_dir or os.environ.get("NNMATH_DATA") or "data"
    train = cls(root, train=True, transform=transforms.ToTensor(), download=True)
    test = cls(root, train=False, transform=transforms.ToTensor(), download=True)
    if limit:
        train, test = Subset(train, range(min(limit, len(train)))), Subset(test, range(min(limit, len(test))))
    return train, test


def _progress(loader, desc, enabled):
    if not enabled:
        return loader
    try:
        from tqdm import tqdm
    except ImportError:
        return loader
    return tqdm(loader, desc=desc, unit="batch", leave=False, dynamic_ncols=True)


#: Images per forward pass in evaluation. The seed's 1,000-image test batches at once would hold about
#: 400 MB of activations (two 147 MB outputs of the second convolution and its ReLU beside the first's)
#: and a 660 MB im2col; 64 images, the default training batch, reuse the training step's buffers
#: (measured peak resident memory of ``train mnist``: 1.48 GB with whole batches, 0.50 GB with 64).
EVAL_CHUNK = 64


def evaluate(model, loader):
    """Mean test loss, accuracy and the predicted classes (for the confusion matrix). Each batch goes
    through the model in pieces of ``EVAL_CHUNK`` images (the sums, hence the results, are the same)."""
    model.eval()
    total, correct, count, predictions, targets = 0.0, 0, 0, [], []
    with nnmath.no_grad():
        for batch, batch_target in loader:
            for data, target in zip(batch.split(EVAL_CHUNK), batch_target.split(EVAL_CHUNK)):
                output = model(data)
                total += F.nll_loss(output, target, reduction="sum").item()
                predicted = output.argmax(1)
                correct += (predicted == target).sum().item()
                count += target.shape[0]
                predictions.append(predicted)
                targets.append(target)
    model.train()
    return total / count, correct / count, nnmath.cat(predictions), nnmath.cat(targets)


def _log_to_tensorboard(writer, epoch, model, optimizer, scalars, grad_norms):
    if writer is None:
        return
    for name, value in scalars.items():
        writer.add_scalar(name, value, epoch)
    writer.add_scalar("lr", optimizer.param_groups[0]["lr"], epoch)
    for name, norm in grad_norms.items():
        writer.add_scalar(f"grad_norm/{name}", norm, epoch)
    for name, p in model.named_parameters():
        writer.add_histogram(f"weights/{name}", p.detach(), epoch)
    writer.flush()


def _grad_norms(model):
    """‖∂L/∂θ‖₂ of each parameter after the last step of the epoch: where the gradient signal goes."""
    return {name: p.grad.norm().item() for name, p in model.named_parameters() if p.grad is not None}


def training_step(model, optimizer, criterion, compile=False):
    """One step (forward, loss, backward, update) as a function of (data, target) returning the loss;
    with ``compile``, run through :func:`nnmath.compile` (the same losses, bit for bit)."""
    def step(data, target):
        optimizer.zero_grad()
        loss = criterion(model(data), target)
        loss.backward()
        optimizer.step()
        return loss
    return nnmath.compile(step) if compile else step


def _train_epoch(step, loader, desc, progress):
    losses, seen, start = [], 0, time.perf_counter()
    bar = _progress(loader, desc, progress)
    for data, target in bar:
        loss = step(data, target)
        losses.append(loss.item())
        seen += target.shape[0]
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{losses[-1]:.4f}", img_per_s=f"{seen / (time.perf_counter() - start):.0f}")
    return sum(losses) / max(len(losses), 1), seen / (time.perf_counter() - start)


def _evaluate_on_all_ranks(model, loader, run):
    """Test loss, accuracy and confusion matrix of the whole test set: each rank scores its shard, and
    the sums of losses and of confusion counts are added over the ranks."""
    test_loss, _, predicted, target = evaluate(model, loader)
    confusion = run.sum_tensor(metrics.confusion_matrix(predicted, target, num_classes=10))
    if run.distributed:
        loss_sum, count = run.sum(test_loss * target.shape[0], target.shape[0])
        test_loss = loss_sum / count
    counts = confusion.numpy()
    accuracy = counts.trace().item() / counts.sum().item()
    return test_loss, accuracy, confusion


def train(epochs=10, batch_size=64, lr=1e-3, data_dir=None, fashion=False, out="runs/mnist", seed=0,
          resume=None, limit=None, progress=True, log=print, distributed=False, compile=False) -> dict:
    """Train the seed CNN; returns the history of test accuracy and the final confusion matrix.

    Nothing is written before the data, the model and the checkpoint to resume from are loaded: a run
    that fails to start leaves ``out`` as it was. Each epoch then appends its row to ``metrics.csv``
    before its checkpoint is replaced, so the metrics never lag the checkpoint a run resumes from.

    With ``distributed``, this process is one of the N of an MPI job: ``batch_size`` is the global
    batch, each rank takes its share of it, gradients are averaged (DistributedDataParallel), and
    rank 0 alone prints and writes files. With ``compile``, the training step runs through
    :func:`nnmath.compile` (the same losses and weights as without)."""
    if epochs < 1:
        raise ValueError(f"mnist.train: epochs must be at least 1, got {epochs}")
    run = data_parallel.start(distributed)
    log = run.on_main(log)
    nnmath.manual_seed(seed)
    train_set, test_set = _datasets(data_dir, fashion, limit)
    train_loader = DataLoader(train_set, **run.loader_options(train_set, batch_size, seed))
    test_loader = DataLoader(run.shard(test_set), batch_size=1000)
    model = SeedCNN()
    optimizer = nnmath.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    first_epoch = 0
    if resume:
        first_epoch = resume_from(resume, epochs, model, optimizer, dataloader=train_loader,
                                  restore_rng=not run.distributed)
        log(f"resumed from {resume} after epoch {first_epoch}")
    files = RunFiles(out, log) if run.main else None
    net = run.wrap(model)
    step = training_step(net, optimizer, criterion, compile)
    history = []
    with files.metrics() if run.main else contextlib.nullcontext() as curves:
        writer = _tensorboard(files, log) if run.main else None
        try:
            for epoch in range(first_epoch, epochs):
                run.begin_epoch(train_loader, seed, epoch)
                train_loss, speed = _train_epoch(step, train_loader, f"epoch {epoch + 1}/{epochs}",
                                                 progress and run.main)
                train_loss, speed = run.sum(train_loss / run.world, speed)
                test_loss, accuracy, confusion = _evaluate_on_all_ranks(model, test_loader, run)
                history.append(accuracy)
                log(f"epoch {epoch + 1}/{epochs}: train loss {train_loss:.4f}, test loss {test_loss:.4f}, "
                    f"test accuracy {100 * accuracy:.2f} % ({speed:.0f} images/s"
                    f"{f' on {run.world} processes' if run.distributed else ''})")
                if run.main:
                    scalars = dict(train_loss=train_loss, test_loss=test_loss, test_accuracy=accuracy)
                    _log_to_tensorboard(writer, epoch + 1, model, optimizer, scalars, _grad_norms(model))
                    files.end_epoch(curves, epoch + 1, scalars, model, optimizer, train_loader)
        except KeyboardInterrupt:
            if run.main:
                log(files.interrupted("nnmath train mnist"))
            raise
        finally:
            if writer is not None:
                writer.close()
    if run.main:
        files.save_model(model.state_dict())
        _report_confusion(confusion, files, fashion, log)
        log(files.summary())
    run.close()
    return {"accuracy": history, "confusion": confusion}


def _tensorboard(files, log):
    try:
        writer = SummaryWriter(str(files.out / "tensorboard"))
    except ImportError as e:
        log(f"(no TensorBoard logs: {e})")
        return None
    files.written.append(files.out / "tensorboard")
    return writer


def _report_confusion(confusion, files, fashion, log):
    names = FASHION_CLASSES if fashion else None
    log(metrics.format_confusion_matrix(confusion, names))
    files.plot("confusion.png", lambda path: metrics.plot_confusion_matrix(confusion, path, names))


def run(args) -> int:
    try:
        train(args.epochs, args.batch_size, args.lr, args.data_dir, args.fashion, args.out, args.seed,
              args.resume, args.limit, not args.no_progress, distributed=args.distributed, compile=args.compile)
    except KeyboardInterrupt:
        return 130
    return 0
