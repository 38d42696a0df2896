"""Mutual information between each MNIST pixel (binarised) and the digit label, from joint probability tables.

    python examples/math/mutual_information_mnist.py --data-dir /work/shared/data/mnist [--n-samples 10000]

For pixel j, B_j = 1 when its intensity is ≥ ½ (else 0) and Y is the label. Counting the n images gives the
joint table p(b, y) = #{i: B_ij = b, Y_i = y} / n (2 × 10), from which ``nnmath.info`` computes

    I(B_j; Y) = Σ_{b,y} p(b, y) log₂ [p(b, y) / (p(b) p(y))] = H(Y) − H(Y | B_j)     (bits).

It is the expected reduction in uncertainty about the digit from seeing that one pixel, and obeys
0 ≤ I(B_j; Y) ≤ min(H(B_j), H(Y)) ≤ min(1, log₂ 10) bits (H(Y) ≤ log₂ 10 ≈ 3.32 with equality only for
uniform labels; H(B_j) ≤ 1 for a binary variable). These are plug-in estimates, biased upwards by about
(2 − 1)(10 − 1) / (2n ln 2) bits for a pixel that is independent of the label.

It prints H(Y), the largest MI and the most informative pixels, checks the bounds, and writes
``mutual_information_mnist.png``: the 28 × 28 map of I(B_j; Y) next to the mean image.
"""
from __future__ import annotations

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

from nnmath import info  # noqa: E402


def joint_tables(X, labels, threshold: float = 0.5, n_classes: int = 10):
    """p[j, b, y]: the joint distribution of the binarised pixel j and the label, for every pixel j."""
    B = (X >= threshold).astype(np.float64)                  # (n, pixels)
    Y = np.eye(n_classes)[labels]                            # (n, 10) one-hot
    ones = B.T @ Y                                           # counts of B_j = 1 and Y = y
    zeros = Y.sum(0)[None, :] - ones                         # counts of B_j = 0 and Y = y
    return np.stack([zeros, ones], axis=1) / len(labels)     # (pixels, 2, 10)


def pixel_label_information(X, labels, threshold: float = 0.5):
    """I(B_j; Y), H(B_j) for each pixel and H(Y), all in bits, from nnmath.info on the joint tables."""
    tables = joint_tables(X, labels, threshold)
    mi = np.array([float(info.mutual_information(p, base=2)) for p in tables])
    h_pixel = np.array([float(info.entropy(p.sum(1), base=2)) for p in tables])
    h_label = float(info.entropy(tables[0].sum(0), base=2))
    return mi, h_pixel, h_label


def main(out=None, data_dir=None, n_samples: int = 10000, threshold: float = 0.5, top: int = 5, seed: int = 0,
         print_fn=print):
    out = out if out is not None else os.path.join("runs", "mutual_information_mnist")
    X, labels = _common.load_mnist(data_dir, train=True, n=n_samples, seed=seed)
    mi, h_pixel, h_label = pixel_label_information(X, labels, threshold)
    order = np.argsort(mi)[::-1]
    print_fn(f"{len(labels)} MNIST training images, pixels binarised at {threshold}")
    print_fn(f"H(label) = {h_label:.4f} bits (log2 10 = {math.log2(10):.4f})")
    print_fn(f"max I(pixel; label) = {mi.max():.4f} bits at (row, col) = {divmod(int(order[0]), 28)}; "
             f"mean over pixels {mi.mean():.4f} bits; {int((mi < 1e-3).sum())} pixels below 0.001 bits")
    for rank, j in enumerate(order[:top], 1):
        print_fn(f"  #{rank}: pixel (row {j // 28:2d}, col {j % 28:2d})  I = {mi[j]:.4f} bits  "
                 f"H(pixel) = {h_pixel[j]:.4f}  P(on) = {(X[:, j] >= threshold).mean():.3f}")
    bounds_hold = bool((mi >= -1e-12).all() and (mi <= np.minimum(h_pixel, h_label) + 1e-12).all()
                       and h_label <= math.log2(10) + 1e-12)
    print_fn(f"0 ≤ I ≤ min(H(pixel), H(label)) ≤ log2 10 for every pixel: {bounds_hold}")

    fig, (ax_mean, ax_mi) = _common.figure(1, 2, figsize=(10, 4.5))
    ax_mean.imshow(X.mean(0).reshape(28, 28), cmap="gray")
    ax_mean.set_title("mean image")
    image = ax_mi.imshow(mi.reshape(28, 28), cmap="inferno")
    rows, cols = np.divmod(order[:top], 28)
    ax_mi.scatter(cols, rows, marker="o", s=60, facecolors="none", edgecolors="cyan", label=f"top {top}")
    ax_mi.set_title(f"I(pixel ≥ {threshold}; label), bits (max {mi.max():.3f})")
    ax_mi.legend(loc="lower right", fontsize=8)
    fig.colorbar(image, ax=ax_mi, label="bits")
    for ax in (ax_mean, ax_mi):
        ax.set_xticks([])
        ax.set_yticks([])
    path = _common.save_figure(fig, out, "mutual_information_mnist.png")
    print_fn(f"wrote {path}")
    return {"mi": mi, "h_pixel": h_pixel, "h_label": h_label, "top": order[:top], "bounds_hold": bounds_hold,
            "png": path}


if __name__ == "__main__":
    parser = _common.parser("mutual_information_mnist", __doc__, mnist=True)
    parser.add_argument("--n-samples", type=int, default=10000)
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()
    main(out=args.out, data_dir=args.data_dir, n_samples=args.n_samples, threshold=args.threshold, seed=args.seed)
