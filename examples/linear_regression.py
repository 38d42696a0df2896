"""Fit y = 2x + 1 + noise (seed 001's data) with autodiff and with the normal equations, and show
with finite differences that the hand-written gradients of seeds 001 and 004 are wrong.

    python examples/linear_regression.py

The code lives in ``nnmath/apps/linear_regression.py`` so that ``nnmath demo`` runs it too.
"""
from nnmath.apps.linear_regression import main

if __name__ == "__main__":
    main()
