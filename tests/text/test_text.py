"""nnmath.text: the character vocabulary and truncated-BPTT batches."""
from __future__ import annotations

import numpy as np
import pytest

from nnmath import text


def test_vocab_round_trip_and_sorted_ids():
    vocab = text.CharVocab.from_text("hello world")
    assert vocab.itos == sorted(set("hello world")) and vocab.size == len(vocab) == 8
    assert vocab.decode(vocab.encode("low roll")) == "low roll"
    assert vocab.stoi[" "] == 0
    with pytest.raises(KeyError, match="'z'"):
        vocab.encode("z")


def test_bptt_windows_continue_each_stream_and_targets_are_shifted():
    ids = np.arange(23)
    streams = text.batchify(ids, 2)
    assert streams.shape == (2, 11) and streams[1, 0] == 11
    windows = list(text.bptt_batches(streams, 4))
    inputs = np.concatenate([x.numpy() for x, _ in windows], axis=1)
    targets = np.concatenate([y.numpy() for _, y in windows], axis=1)
    np.testing.assert_array_equal(inputs, streams[:, :-1])
    np.testing.assert_array_equal(targets, streams[:, 1:])
    assert [x.shape[1] for x, _ in windows] == [4, 4, 2]


def test_train_val_split_keeps_order():
    train, val = text.train_val_split(np.arange(10), 0.2)
    assert train.tolist() == list(range(8)) and val.tolist() == [8, 9]
