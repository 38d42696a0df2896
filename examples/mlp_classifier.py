"""Train a 2-128-128-2 MLP on 100 noisy two-moons points without regularisation, with L2, with dropout and
with both; print train and test accuracy and loss, and draw the four decision boundaries.

    python examples/mlp_classifier.py [--out runs/mlp_classifier] [--seed 0] [--steps 1500]

The code lives in ``nnmath/apps/mlp_classifier.py``.
"""
import argparse

from nnmath.apps.mlp_classifier import main

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/mlp_classifier", help="directory for boundaries.png")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and of the initial weights")
    parser.add_argument("--steps", type=int, default=1500, help="full-batch gradient steps per model")
    args = parser.parse_args()
    main(out=args.out, seed=args.seed, steps=args.steps)
