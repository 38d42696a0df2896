"""``nnmath.backends.openmp``: whether OpenMP parallelises the kernels."""


def is_available() -> bool:
    """False: nnmath's kernels are NumPy's, threaded (if at all) by its BLAS (:func:`nnmath.set_num_threads`).
    PyTorch, built with OpenMP, answers True."""
    return False
