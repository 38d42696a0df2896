"""Variable-length sequences for recurrent layers: padding and packing, as ``torch.nn.utils.rnn``.

A batch of B sequences of lengths L₁ ≥ L₂ ≥ … ≥ L_B is *packed* time step by time step: step t holds
the t-th element of every sequence still running, ``batch_sizes[t] = #{b : L_b > t}`` rows, so
``data`` has Σ_b L_b rows and no padding. ``sorted_indices`` records how an unsorted batch was
ordered by decreasing length (``unsorted_indices`` undoes it). Every conversion here is an indexing
op, so gradients flow through packing and unpacking.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from nnmath import creation, ops
from nnmath.tensor import Tensor

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence",
           "unpad_sequence", "unpack_sequence"]


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Packed time steps of a batch of sequences (build it with :func:`pack_padded_sequence` or
    :func:`pack_sequence`, never by hand).

    Attributes:
        data (Tensor): (Σ lengths, *) the elements, time step by time step
        batch_sizes (Tensor): int64 (max length,), how many sequences are running at each step
        sorted_indices (Tensor or None): the batch order by decreasing length
        unsorted_indices (Tensor or None): its inverse permutation
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> "PackedSequence":
        return self._replace(data=self.data.to(*args, **kwargs))

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def _invert_permutation(permutation: Tensor) -> Tensor:
    order = permutation._data
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size, dtype=order.dtype)
    return creation.from_numpy(inverse)


def _lengths_array(lengths) -> np.ndarray:
    values = lengths._data if isinstance(lengths, Tensor) else np.asarray(lengths)
    return values.astype(np.int64).reshape(-1)


def batch_sizes_of(lengths: np.ndarray) -> np.ndarray:
    """batch_sizes[t] = #{b : L_b > t} for t < max L (lengths sorted or not)."""
    return (lengths[None, :] > np.arange(lengths.max())[:, None]).sum(1).astype(np.int64)


def packed_positions(batch_sizes: np.ndarray, batch: int) -> np.ndarray:
    """For each packed row, its flat position t·B + b in a (T, B) time-major padded layout."""
    return np.concatenate([t * batch + np.arange(n) for t, n in enumerate(batch_sizes)])


def padded_from_packed(data: Tensor, batch_sizes: np.ndarray, total_length: int, padding_value=0.0) -> Tensor:
    """Packed rows (N, *) -> time-major padded (total_length, B, *), ``padding_value`` past each end."""
    batch = int(batch_sizes[0])
    feature_shape = tuple(data.shape[1:])
    filler = creation.full((1, *feature_shape), padding_value, dtype=data.dtype)
    source = ops.cat([data, filler])
    where = np.full(total_length * batch, data.shape[0], dtype=np.int64)  # every slot reads the filler...
    where[packed_positions(batch_sizes, batch)] = np.arange(data.shape[0])  # ...unless packed data is there
    return source[where].reshape(total_length, batch, *feature_shape)


def packed_from_padded(padded: Tensor, batch_sizes: np.ndarray) -> Tensor:
    """Time-major padded (T, B, *) -> the packed rows (N, *) of the sequences running at each step."""
    T, B = padded.shape[0], padded.shape[1]
    return padded.reshape(T * B, *padded.shape[2:])[packed_positions(batch_sizes, B)]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *) with batch_first) of sequences of ``lengths``.

    With ``enforce_sorted=True`` the lengths must decrease; otherwise the batch is sorted here and
    the order is remembered in ``sorted_indices``.
    """
    lengths = _lengths_array(lengths)
    batch_dim = 0 if batch_first else 1
    if lengths.size != input.shape[batch_dim]:
        raise ValueError(f"pack_padded_sequence: expected {input.shape[batch_dim]} lengths (the batch size), "
                         f"got {lengths.size}")
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError(f"pack_padded_sequence: every length must be positive, got {lengths.tolist()}")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                               f"True (got {lengths.tolist()}). You can pass `enforce_sorted=False` to "
                               "pack_padded_sequence and/or pack_sequence to sidestep this requirement if "
                               "you do not need ONNX exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = creation.from_numpy(order)
        lengths = lengths[order]
        input = ops.index_select(input, batch_dim, sorted_indices)
    if lengths.max() > input.shape[1 - batch_dim]:
        raise RuntimeError(f"pack_padded_sequence: a length of {lengths.max()} exceeds the padded length "
                           f"{input.shape[1 - batch_dim]}")
    if batch_first:
        input = input.transpose(0, 1)
    batch_sizes = batch_sizes_of(lengths)
    data = packed_from_padded(input[:batch_sizes.size], batch_sizes)
    return PackedSequence(data, creation.from_numpy(batch_sizes), sorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo :func:`pack_padded_sequence`: returns (padded (T, B, *) or (B, T, *), lengths (B,) int64),
    in the batch's original order; ``total_length`` pads T further (it must be ≥ the longest length)."""
    data, batch_sizes = sequence.data, sequence.batch_sizes._data
    max_length = batch_sizes.size
    if total_length is not None:
        if total_length < max_length:
            raise ValueError(f"Expected total_length to be at least the length of the longest sequence "
                             f"in input, but got total_length={total_length} and max sequence length being "
                             f"{max_length}")
        max_length = total_length
    padded = padded_from_packed(data, batch_sizes, max_length, padding_value)
    lengths = (batch_sizes[None, :] > np.arange(int(batch_sizes[0]))[:, None]).sum(1).astype(np.int64)
    if sequence.unsorted_indices is not None:
        padded = ops.index_select(padded, 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices._data]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, creation.from_numpy(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of shapes (Lᵢ, *) into (max L, B, *) (or (B, max L, *)), padding with
    ``padding_value`` on the ``padding_side`` ('right' or 'left')."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
    sequences = list(sequences)
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        widths = (missing, 0) if padding_side == "left" else (0, missing)
        padded.append(ops.pad(s, (0, 0) * (s.ndim - 1) + widths, value=padding_value))
    return ops.stack(padded, dim=0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of unpadded sequences of a padded batch (the inverse of :func:`pad_sequence`)."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[b, :int(n)] for b, n in enumerate(_lengths_array(lengths))]


def pack_sequence(sequences, enforce_sorted=True) -> PackedSequence:
    """Pack a list of sequences of shapes (Lᵢ, *): ``pack_padded_sequence(pad_sequence(sequences), lengths)``."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence):
    """The list of sequences of a PackedSequence (the inverse of :func:`pack_sequence`)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
