"""A tiny char-LM run: the loss decreases in a few steps, the file saves, loads and samples."""
from __future__ import annotations

import numpy as np

from nnmath.demos.char_lm import load, sample, train

TEXT = "the quick brown fox jumps over the lazy dog. " * 40


def test_tiny_char_lm_learns_saves_and_samples(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(TEXT)
    history = train(path, epochs=1, batch_size=4, seq_len=16, embed_dim=8, hidden_dim=16, lr=1e-2,
                    max_steps=25, save_path=tmp_path / "lm.safetensors", log=lambda s: None)
    losses = history["step_loss"]
    assert np.mean(losses[-5:]) < np.mean(losses[:5]) - 0.3
    model, vocab = load(tmp_path / "lm.safetensors")
    text = sample(model, vocab, "the ", length=20, top_k=3)
    assert text.startswith("the ") and len(text) == 24 and set(text) <= set(TEXT)
