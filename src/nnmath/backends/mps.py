"""``nnmath.backends.mps``: Apple's Metal backend, which nnmath does not have."""


def is_available() -> bool:
    """Whether tensors can run on an Apple GPU (MPS): False."""
    return False


def is_built() -> bool:
    """Whether this build has MPS support: False."""
    return False
