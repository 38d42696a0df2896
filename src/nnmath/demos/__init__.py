"""Small self-contained programs behind ``nnmath demo`` and the scripts in ``examples/``."""
