import pytest

import nnmath
from nnmath.parallel import _loaded_blas


def test_set_num_threads_reaches_numpys_blas():
    if _loaded_blas()[0] is None:
        pytest.skip("NumPy's BLAS has no known thread setter")
    before = nnmath.get_num_threads()
    try:
        nnmath.set_num_threads(1)
        assert nnmath.get_num_threads() == 1
        nnmath.set_num_threads(2)
        assert nnmath.get_num_threads() == 2
    finally:
        nnmath.set_num_threads(before)


def test_nonpositive_thread_count_is_refused():
    with pytest.raises(ValueError, match="must be positive, got 0"):
        nnmath.set_num_threads(0)
