"""A variational autoencoder on an MNIST subset, with a 2-dimensional latent space.

    python examples/math/vae.py --data-dir /work/shared/data/mnist [--epochs 5] [--n-samples 5000]

Generative model: z ~ N(0, I₂), x | z ~ Bernoulli(σ(f_θ(z))) per pixel (images binarised at ½), f_θ an MLP
2 → 256 → 784. Inference model: q_φ(z | x) = N(μ_φ(x), diag(exp(log σ²_φ(x)))), an MLP 784 → 256 → (2 + 2).
Both are trained by maximising the ELBO of each image,

    log p(x) ≥ ELBO(x) = E_q[log p(x | z)] − KL(q(z | x) ‖ N(0, I)),

with one reparameterised sample z = μ + σ ⊙ ε (``Normal(mu, sigma).rsample()``), the Bernoulli
log-likelihood −BCE(logits, x) summed over pixels, and the Gaussian KL in closed form
(``kl_divergence``: ½ Σ (μ² + σ² − 1 − log σ²)). It prints the mean training ELBO per epoch and the
test ELBO (nats per image; log p(x) of a test image is at least that on average), and writes ``vae.png``:
test reconstructions, decoded grid of the latent plane and the test means μ(x) coloured by digit.
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

import nnmath  # noqa: E402
import nnmath.nn.functional as F  # noqa: E402
from nnmath import nn  # noqa: E402
from nnmath.distributions import Normal, kl_divergence  # noqa: E402
from nnmath.optim import Adam  # noqa: E402
from nnmath.utils.data import DataLoader, TensorDataset  # noqa: E402


class VAE(nn.Module):
    def __init__(self, latent: int = 2, hidden: int = 256):
        super().__init__()
        self.latent = latent
        self.encoder = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 784))

    def posterior(self, x):
        """q(z | x) = N(μ(x), diag σ(x)²)."""
        h = self.encoder(x)
        mu, log_var = h[:, :self.latent], h[:, self.latent:]
        return Normal(mu, (0.5 * log_var).exp())

    def elbo(self, x):
        """ELBO of each image in the batch (nats), one reparameterised sample."""
        q = self.posterior(x)
        z = q.rsample()
        logits = self.decoder(z)
        log_lik = -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
        prior = Normal(nnmath.zeros_like(z), nnmath.ones_like(z))
        return log_lik - kl_divergence(q, prior).sum(-1)


def main(out=None, data_dir=None, n_samples: int = 5000, n_test: int = 1000, epochs: int = 5, batch_size: int = 100,
         lr: float = 1e-3, seed: int = 0, print_fn=print):
    out = out if out is not None else os.path.join("runs", "vae")
    nnmath.manual_seed(seed)
    X_train, _ = _common.load_mnist(data_dir, train=True, n=n_samples, seed=seed)
    X_test, y_test = _common.load_mnist(data_dir, train=False, n=n_test, seed=seed)
    X_train = nnmath.tensor((X_train >= 0.5).astype(np.float32))
    X_test = nnmath.tensor((X_test >= 0.5).astype(np.float32))
    loader = DataLoader(TensorDataset(X_train), batch_size=batch_size, shuffle=True,
                        generator=nnmath.Generator().manual_seed(seed))
    model = VAE()
    optimizer = Adam(model.parameters(), lr=lr)
    history = {"train_elbo": [], "test_elbo": []}
    print_fn(f"VAE 784-256-2 on {n_samples} binarised training images; ELBO in nats per image "
             f"(784 ln 2 = {784 * np.log(2):.1f} for a coin flip per pixel)")
    for epoch in range(1, epochs + 1):
        total = 0.0
        for (xb,) in loader:
            elbo = model.elbo(xb).mean()
            optimizer.zero_grad()
            (-elbo).backward()
            optimizer.step()
            total += elbo.item() * len(xb)
        with nnmath.no_grad():
            test_elbo = float(model.elbo(X_test).mean())
        history["train_elbo"].append(total / len(X_train))
        history["test_elbo"].append(test_elbo)
        print_fn(f"epoch {epoch}: train ELBO {history['train_elbo'][-1]:.2f}, test ELBO {test_elbo:.2f} nats")

    with nnmath.no_grad():
        q = model.posterior(X_test)
        means = q.mean.numpy()
        recon = F.sigmoid(model.decoder(q.mean)).numpy()
        ticks = np.linspace(-2.5, 2.5, 12)
        grid_z = nnmath.tensor(np.array([[a, b] for b in ticks[::-1] for a in ticks], dtype=np.float32))
        decoded = F.sigmoid(model.decoder(grid_z)).numpy()
    history["latent_means"] = means

    fig = _common.figure(figsize=(15, 5))[0]
    left, middle, right = fig.subfigures(1, 3)
    pairs = np.concatenate([X_test.numpy()[:8].reshape(8, 28, 28), recon[:8].reshape(8, 28, 28)], axis=2)
    ax = left.subplots()
    ax.imshow(pairs.reshape(-1, 56), cmap="gray")
    ax.set_title("test images | reconstructions σ(f(μ(x)))")
    ax.axis("off")
    ax = middle.subplots()
    mosaic = decoded.reshape(12, 12, 28, 28).transpose(0, 2, 1, 3).reshape(12 * 28, 12 * 28)
    ax.imshow(mosaic, cmap="gray")
    ax.set_title("decoder over the latent grid z ∈ [−2.5, 2.5]²")
    ax.axis("off")
    ax = right.subplots()
    scatter = ax.scatter(means[:, 0], means[:, 1], c=y_test, cmap="tab10", s=6)
    right.colorbar(scatter, ax=ax, label="digit", ticks=range(10))
    ax.set(xlabel="z₁", ylabel="z₂", title="μ(x) of the test images")
    history["png"] = _common.save_figure(fig, out, "vae.png")
    print_fn(f"wrote {history['png']}")
    return history


if __name__ == "__main__":
    parser = _common.parser("vae", __doc__, mnist=True)
    parser.add_argument("--n-samples", type=int, default=5000)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    main(out=args.out, data_dir=args.data_dir, n_samples=args.n_samples, n_test=args.n_test, epochs=args.epochs,
         seed=args.seed)
