"""Evaluating a classifier: accuracy, the confusion matrix, per-class precision and recall.

For true labels yᵢ and predictions ŷᵢ over K classes, the confusion matrix is
C[a, b] = #{i : yᵢ = a, ŷᵢ = b} (rows: truth, columns: prediction). Then
    accuracy      = Σₐ C[a, a] / Σ C
    precision(a)  = C[a, a] / Σ_b C[b, a]      (of those predicted a, the share truly a)
    recall(a)     = C[a, a] / Σ_b C[a, b]      (of those truly a, the share predicted a)
    F1(a)         = 2 · precision · recall / (precision + recall)
A class never predicted (or never present) has precision (or recall) 0 by convention.
"""
from __future__ import annotations

import numpy as np

from nnmath._atomic import atomic_write
from nnmath._optional import require
from nnmath.tensor import Tensor


def _labels(x, name: str) -> np.ndarray:
    a = x._data if isinstance(x, Tensor) else np.asarray(x)
    if a.dtype.kind == "f" and a.ndim >= 2:
        return a.argmax(axis=1).reshape(-1)
    if a.dtype.kind not in "iub":
        raise TypeError(f"{name}: expected integer class labels or (N, C) scores, got dtype {a.dtype} "
                        f"with shape {a.shape}")
    return a.reshape(-1).astype(np.int64)


def _pair(output, target, op):
    pred, true = _labels(output, op), _labels(target, op)
    if pred.shape != true.shape:
        raise ValueError(f"{op}: {pred.shape[0]} predictions but {true.shape[0]} targets")
    return pred, true


def accuracy(output, target) -> float:
    """The fraction of predictions equal to the target. ``output``: (N, C) scores or (N,) labels."""
    pred, true = _pair(output, target, "accuracy")
    return float((pred == true).mean()) if true.size else float("nan")


def confusion_matrix(output, target, num_classes: int | None = None) -> Tensor:
    """C[a, b] = number of samples of true class a predicted as b (an int64 (K, K) tensor)."""
    pred, true = _pair(output, target, "confusion_matrix")
    k = num_classes if num_classes is not None else int(max(pred.max(initial=-1), true.max(initial=-1)) + 1)
    for name, labels in (("predictions", pred), ("targets", true)):
        if labels.size and (labels.min() < 0 or labels.max() >= k):
            raise ValueError(f"confusion_matrix: {name} contain class {int(labels.max())} outside "
                             f"[0, {k}) for num_classes={k}")
    counts = np.bincount(true * k + pred, minlength=k * k).reshape(k, k)
    return Tensor._make(counts.astype(np.int64))


def _safe_ratio(num, den):
    return np.divide(num, den, out=np.zeros(num.shape, dtype=np.float64), where=den > 0)


def precision_recall_f1(confusion) -> dict:
    """Per-class precision, recall, F1 and support (the number of true samples) from a confusion matrix."""
    c = (confusion._data if isinstance(confusion, Tensor) else np.asarray(confusion)).astype(np.float64)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"precision_recall_f1: expected a square confusion matrix, got shape {c.shape}")
    hits = np.diag(c)
    precision = _safe_ratio(hits, c.sum(axis=0))
    recall = _safe_ratio(hits, c.sum(axis=1))
    f1 = _safe_ratio(2 * precision * recall, precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1, "support": c.sum(axis=1).astype(np.int64)}


def format_confusion_matrix(confusion, class_names=None) -> str:
    """The confusion matrix and per-class precision / recall as a text table."""
    c = confusion._data if isinstance(confusion, Tensor) else np.asarray(confusion)
    names = [str(n) for n in (class_names or range(c.shape[0]))]
    width = max(6, max(len(n) for n in names), len(str(int(c.max(initial=0)))) + 1)
    stats = precision_recall_f1(c)
    lines = ["true \\ predicted".ljust(width + 2) + "".join(n.rjust(width) for n in names)
             + "  precision  recall"]
    for i, name in enumerate(names):
        lines.append(name.ljust(width + 2) + "".join(str(int(v)).rjust(width) for v in c[i])
                     + f"  {stats['precision'][i]:9.4f}  {stats['recall'][i]:6.4f}")
    return "\n".join(lines)


def plot_confusion_matrix(confusion, path, class_names=None, title="Confusion matrix"):
    """Write the confusion matrix as a PNG heat map (needs matplotlib: ``pip install 'nnmath[viz]'``),
    atomically and with the permissions the umask gives a new file; returns ``path``."""
    require("matplotlib", "viz", "plot_confusion_matrix")
    from matplotlib.figure import Figure  # optional dependency (viz); no pyplot: no GUI backend, no global state

    c = confusion._data if isinstance(confusion, Tensor) else np.asarray(confusion)
    names = [str(n) for n in (class_names or range(c.shape[0]))]
    fig = Figure(figsize=(1 + 0.6 * len(names), 1 + 0.6 * len(names)), layout="tight")
    ax = fig.subplots()
    ax.imshow(c, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for (i, j), v in np.ndenumerate(c):
        ax.text(j, i, str(int(v)), ha="center", va="center",
                color="white" if v > c.max() / 2 else "black", fontsize=8)
    atomic_write(path, lambda file: fig.savefig(file, format="png", dpi=100))
    return path
