"""Programs built on nnmath, the top floor: nothing in the library imports them.

- ``cli``: the ``nnmath`` command line (``nnmath train mnist``, ``nnmath demo``, ...).
- ``mnist``, ``char_lm``, ``speech_digits``: the training programs behind ``nnmath train``.
- ``linear_regression``, ``mlp_classifier``: the demos behind ``nnmath demo`` and ``examples/``.
- ``checkpoint``: checkpoints for an exact ``--resume``; ``export``: ``nnmath export`` to ONNX.
"""
