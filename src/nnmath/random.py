"""Random numbers: one global :class:`Generator`, reseeded by :func:`manual_seed`.

The same seed gives the same numbers on every run (NumPy's PCG64 stream); they are not the same
numbers PyTorch draws, whose generator is a different algorithm.
"""
from __future__ import annotations

import numpy as np


class Generator:
    """A random-number generator: PyTorch's ``Generator`` API over NumPy's PCG64."""

    def __init__(self, device="cpu"):
        self._seed = 67280421310721  # PyTorch's default seed, so a fresh Generator is deterministic
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> "Generator":
        seed = int(seed)
        if seed < 0:
            seed &= 0xFFFF_FFFF_FFFF_FFFF
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy and return the seed used."""
        s = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        """The generator's full state (a JSON-serialisable dict), for exact resume."""
        return {"seed": self._seed, "bit_generator": self._rng.bit_generator.state}

    def set_state(self, state: dict) -> "Generator":
        self._seed = int(state["seed"])
        bg = np.random.PCG64()
        bg.state = state["bit_generator"]
        self._rng = np.random.Generator(bg)
        return self

    @property
    def numpy(self) -> np.random.Generator:
        """The underlying ``numpy.random.Generator``."""
        return self._rng


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator: the same seed gives the same sequence of random tensors."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def rng(generator: Generator | None = None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (or the global one)."""
    return (generator or default_generator)._rng
