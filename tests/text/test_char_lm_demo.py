"""A tiny char-LM run: the loss decreases in a few steps, the file saves, loads and samples."""
from __future__ import annotations

import numpy as np

from nnmath.apps.char_lm import load, sample, train

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


def test_resumed_training_equals_an_uninterrupted_run(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(TEXT)
    settings = dict(batch_size=4, seq_len=16, embed_dim=8, hidden_dim=16, lr=1e-2, dropout=0.0, log=lambda s: None)
    straight = train(path, epochs=3, save_path=tmp_path / "a.safetensors", **settings)
    train(path, epochs=2, save_path=tmp_path / "b.safetensors", **settings)
    resumed = train(path, epochs=3, save_path=tmp_path / "b.safetensors",
                    resume=tmp_path / "b.checkpoint.safetensors", **settings)
    assert resumed["val_loss"] == straight["val_loss"][2:]
    a, _ = load(tmp_path / "a.safetensors")
    b, _ = load(tmp_path / "b.safetensors")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=name)
