"""Text for language models: a character vocabulary and batches for truncated back-propagation through time.

Truncated BPTT on one long text: the id stream is cut into ``batch_size`` contiguous streams (the
rows of a (batch_size, N) matrix), and training walks along them in windows of ``seq_len``; window k's
row b continues exactly where window k − 1's row b stopped, so the hidden state carried (detached)
from one window to the next is the state of the same text. Targets are the inputs shifted by one
character.
"""
from __future__ import annotations

import numpy as np

from nnmath import creation
from nnmath.tensor import Tensor

__all__ = ["CharVocab", "batchify", "bptt_batches", "train_val_split"]


class CharVocab:
    """The characters of a text, sorted, with their ids: ``stoi[ch] = id``, ``itos[id] = ch``."""

    def __init__(self, chars):
        self.itos = sorted(set(chars))
        self.stoi = {ch: i for i, ch in enumerate(self.itos)}

    @classmethod
    def from_text(cls, text: str) -> "CharVocab":
        return cls(text)

    @property
    def size(self) -> int:
        return len(self.itos)

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> np.ndarray:
        """int64 ids of ``text``; a character outside the vocabulary raises a KeyError naming it."""
        try:
            return np.fromiter((self.stoi[ch] for ch in text), dtype=np.int64, count=len(text))
        except KeyError as e:
            raise KeyError(f"character {e.args[0]!r} is not in the vocabulary of {self.size} characters") from None

    def decode(self, ids) -> str:
        values = ids._data if isinstance(ids, Tensor) else np.asarray(ids)
        return "".join(self.itos[int(i)] for i in values.reshape(-1))


def train_val_split(ids: np.ndarray, val_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """The first (1 − val_fraction) of the stream for training, the rest for validation (no shuffling:
    the validation text is unseen text that follows the training text)."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    cut = int(len(ids) * (1 - val_fraction))
    return ids[:cut], ids[cut:]


def batchify(ids: np.ndarray, batch_size: int) -> np.ndarray:
    """(batch_size, N): ``batch_size`` contiguous streams, the tail that does not fill a row dropped."""
    per_row = len(ids) // batch_size
    if per_row < 2:
        raise ValueError(f"a text of {len(ids)} characters is too short for {batch_size} streams")
    return np.ascontiguousarray(ids[:per_row * batch_size].reshape(batch_size, per_row))


def bptt_batches(streams: np.ndarray, seq_len: int):
    """Yield (inputs, targets) int64 tensors of shape (batch, ≤ seq_len), walking along the streams:
    targets[:, t] = inputs[:, t + 1], and the next window starts where this one's targets end."""
    length = streams.shape[1]
    for start in range(0, length - 1, seq_len):
        stop = min(start + seq_len, length - 1)
        yield creation.from_numpy(streams[:, start:stop].copy()), creation.from_numpy(streams[:, start + 1:stop + 1].copy())
