"""The entropy of a classifier's predictions while it learns: a small MLP on an MNIST subset.

    python examples/math/prediction_entropy.py --data-dir /work/shared/data/mnist [--epochs 5] [--n-samples 5000]

The MLP 784 → 128 → ReLU → 10 gives logits z(x) and the predicted class distribution p(y | x) = softmax(z)_y.
It is trained with Adam on the cross-entropy −log p(y_i | x_i). After each epoch, on held-out test images,
it measures the accuracy and the mean entropy of the predictions (``nnmath.info.entropy``, in bits)

    H̄ = (1/N) Σ_i H(p(· | x_i)),   H(p) = −Σ_y p_y log₂ p_y ∈ [0, log₂ 10 ≈ 3.32].

An untrained network predicts nearly uniform distributions (H̄ close to log₂ 10); training makes the
predictions confident, so H̄ falls while accuracy rises. H̄ is also a calibration check: if the labels
were drawn from the predicted distributions, the expected cross-entropy −log₂ p(y_i | x_i) would equal
H(p(· | x_i)), so a mean test cross-entropy below H̄ means under-confident predictions and one above H̄
over-confident ones (what long training on a small set leads to).

It prints accuracy, mean entropy and test cross-entropy per epoch and writes ``prediction_entropy.png``.
"""
from __future__ import annotations

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

import nnmath  # noqa: E402
import nnmath.nn.functional as F  # noqa: E402
from nnmath import info, nn  # noqa: E402
from nnmath.optim import Adam  # noqa: E402
from nnmath.utils.data import DataLoader, TensorDataset  # noqa: E402


def make_model(hidden: int = 128):
    return nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def evaluate(model, X, labels):
    """Accuracy, mean prediction entropy (bits) and mean cross-entropy (bits) on (X, labels)."""
    with nnmath.no_grad():
        logits = model(X)
        probs = F.softmax(logits, dim=-1)
        entropy = info.entropy(probs, dim=-1, base=2)                 # (N,) bits
        cross_entropy = F.cross_entropy(logits, labels) / math.log(2)
        accuracy = (logits.argmax(-1) == labels).float().mean()
    return float(accuracy), float(entropy.mean()), float(cross_entropy)


def main(out=None, data_dir=None, n_samples: int = 5000, n_test: int = 2000, epochs: int = 5, batch_size: int = 64,
         lr: float = 1e-3, seed: int = 0, print_fn=print):
    out = out if out is not None else os.path.join("runs", "prediction_entropy")
    nnmath.manual_seed(seed)
    X_train, y_train = _common.load_mnist(data_dir, train=True, n=n_samples, seed=seed)
    X_test, y_test = _common.load_mnist(data_dir, train=False, n=n_test, seed=seed)
    X_train, X_test = (nnmath.tensor(a, dtype=nnmath.float32) for a in (X_train, X_test))
    y_train, y_test = nnmath.tensor(y_train), nnmath.tensor(y_test)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True,
                        generator=nnmath.Generator().manual_seed(seed))
    model = make_model()
    optimizer = Adam(model.parameters(), lr=lr)
    history = {"epoch": [], "accuracy": [], "entropy": [], "cross_entropy": [], "train_loss": []}

    def record(epoch, train_loss):
        accuracy, entropy, cross_entropy = evaluate(model, X_test, y_test)
        for key, value in zip(history, (epoch, accuracy, entropy, cross_entropy, train_loss)):
            history[key].append(value)
        print_fn(f"epoch {epoch}: test accuracy {accuracy:.4f}, mean prediction entropy {entropy:.4f} bits, "
                 f"test cross-entropy {cross_entropy:.4f} bits" +
                 ("" if train_loss is None else f", train loss {train_loss:.4f} nats"))

    print_fn(f"MLP 784-128-10 on {len(y_train)} training / {len(y_test)} test images; log2 10 = {math.log2(10):.4f}")
    record(0, None)
    for epoch in range(1, epochs + 1):
        model.train()
        total, count = 0.0, 0
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            count += len(yb)
        model.eval()
        record(epoch, total / count)

    fig, ax_acc = _common.figure(1, 1, figsize=(6.5, 4))
    ax_acc.plot(history["epoch"], history["accuracy"], "o-", color="C0", label="test accuracy")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1))
    ax_h = ax_acc.twinx()
    ax_h.plot(history["epoch"], history["entropy"], "s-", color="C3", label="mean prediction entropy")
    ax_h.plot(history["epoch"], history["cross_entropy"], "^--", color="C1", label="test cross-entropy")
    ax_h.axhline(math.log2(10), color="0.5", ls=":", label="log₂ 10")
    ax_h.set(ylabel="bits", ylim=(0, 3.5))
    lines = ax_acc.get_lines() + ax_h.get_lines()
    ax_acc.legend(lines, [line.get_label() for line in lines], loc="center right", fontsize=8)
    ax_acc.set_title("MLP on MNIST: accuracy and entropy of p(y | x)")
    history["png"] = _common.save_figure(fig, out, "prediction_entropy.png")
    print_fn(f"wrote {history['png']}")
    return history


if __name__ == "__main__":
    parser = _common.parser("prediction_entropy", __doc__, mnist=True)
    parser.add_argument("--n-samples", type=int, default=5000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    main(out=args.out, data_dir=args.data_dir, n_samples=args.n_samples, n_test=args.n_test, epochs=args.epochs,
         seed=args.seed)
