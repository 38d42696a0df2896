"""PCA of MNIST digits by the singular value decomposition of the centred data matrix.

    python examples/math/pca_mnist.py --data-dir /work/shared/data/mnist [--n-samples 2000] [--out runs/pca_mnist]

X is the n × 784 matrix of images (pixels in [0, 1]), μ its column mean and X_c = X − 1μᵀ. The thin SVD
X_c = U S Vᵀ (``nnmath.linalg.svd``, full_matrices=False) diagonalises the sample covariance:

    C = X_cᵀX_c / (n − 1) = V diag(s²/(n − 1)) Vᵀ,

so the rows of Vᵀ are the principal directions (orthonormal, as eigenvectors of C), the variance along
the k-th one is s_k²/(n − 1), and the first k components explain the fraction Σ_{i≤k} s_i² / Σ_i s_i²
of the total variance. The projection onto the first k components, X_c V_k V_kᵀ, is the best rank-k
approximation of X_c (Eckart–Young), with squared error Σ_{i>k} s_i².

It prints the variance explained by the first 10 and 50 components and writes ``pca_mnist.png``: the
first 16 principal directions as 28 × 28 images and the cumulative explained-variance curve.
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

import nnmath  # noqa: E402
from nnmath import linalg  # noqa: E402


def pca(X):
    """Principal directions (rows of Vᵀ), singular values and explained-variance ratios of the rows of X."""
    X = nnmath.tensor(X, dtype=nnmath.float64)
    Xc = X - X.mean(0, keepdim=True)
    _, S, Vh = linalg.svd(Xc, full_matrices=False)
    variance = S ** 2
    return Vh.numpy(), S.numpy(), (variance / variance.sum()).numpy()


def main(out=None, data_dir=None, n_samples: int = 2000, seed: int = 0, print_fn=print):
    out = out if out is not None else os.path.join("runs", "pca_mnist")
    X, _ = _common.load_mnist(data_dir, train=True, n=n_samples, seed=seed)
    components, singular_values, ratio = pca(X)
    cumulative = np.cumsum(ratio)
    print_fn(f"PCA of {X.shape[0]} MNIST training images ({X.shape[1]} pixels)")
    for k in (1, 10, 50):
        k = min(k, len(ratio))
        print_fn(f"variance explained by the first {k:>2} components: {cumulative[k - 1]:.4f}")
    k90 = int(np.searchsorted(cumulative, 0.9)) + 1
    print_fn(f"components needed for 90% of the variance: {k90}")

    fig = _common.figure(figsize=(11, 5))[0]
    left, right = fig.subfigures(1, 2, width_ratios=[1, 1])
    axes = left.subplots(4, 4)
    for k, ax in enumerate(axes.ravel()):
        if k < len(components):
            image = components[k].reshape(28, 28)
            limit = np.abs(image).max()
            ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(f"PC {k + 1}: {ratio[k]:.3f}", fontsize=8)
        ax.axis("off")
    left.suptitle("first 16 principal directions (rows of Vᵀ)")
    ax = right.subplots()
    ks = np.arange(1, len(ratio) + 1)
    ax.plot(ks, cumulative, label="cumulative Σ s_i² / Σ s²")
    ax.plot(ks, ratio, label="per component s_k² / Σ s²")
    for k in (10, 50):
        if k <= len(ratio):
            ax.annotate(f"{k}: {cumulative[k - 1]:.3f}", (k, cumulative[k - 1]),
                        xytext=(k * 2.5, cumulative[k - 1] - 0.12), arrowprops={"arrowstyle": "->"})
    ax.set(xscale="log", xlabel="number of components k", ylabel="fraction of variance", ylim=(0, 1.02),
           title="explained variance")
    ax.grid(alpha=0.3)
    ax.legend(loc="center right")
    path = _common.save_figure(fig, out, "pca_mnist.png")
    print_fn(f"wrote {path}")
    return {"components": components, "singular_values": singular_values, "explained_variance_ratio": ratio,
            "explained_10": float(cumulative[min(10, len(ratio)) - 1]),
            "explained_50": float(cumulative[min(50, len(ratio)) - 1]), "png": path}


if __name__ == "__main__":
    parser = _common.parser("pca_mnist", __doc__, mnist=True)
    parser.add_argument("--n-samples", type=int, default=2000)
    args = parser.parse_args()
    main(out=args.out, data_dir=args.data_dir, n_samples=args.n_samples, seed=args.seed)
