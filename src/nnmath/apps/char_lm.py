"""A character-level LSTM language model on Tiny Shakespeare (the seed's RNNModel, predicting every step).

Training is truncated back-propagation through time: the text is cut into ``batch_size`` contiguous
streams; each window of ``seq_len`` characters starts from the hidden state the previous window ended
with, detached, so gradients flow ``seq_len`` steps back while the state carries the whole stream.
The loss is the mean cross-entropy of the next character; perplexity = exp(loss). Gradients are
clipped to a global norm of ``clip``. The weights and the vocabulary are saved with ``nnmath.save``.
"""
from __future__ import annotations

import math
import os
import pathlib
import time

import numpy as np

import nnmath
import nnmath.nn as nn
import nnmath.nn.functional as F
from nnmath._atomic import remove_stale_temp_files
from nnmath.apps.checkpoint import resume_from, save_checkpoint
from nnmath.serialization import FileFormatError
from nnmath.text import CharVocab, batchify, bptt_batches, train_val_split

DEFAULT_TEXT = pathlib.Path(os.environ.get("NNMATH_DATA", "/work/shared/data")) / "tinyshakespeare" / "input.txt"


def char_lstm_class(lib=nnmath):
    """Embedding → LSTM (batch_first) → Linear over every time step: logits for the next character.
    Built from ``lib``'s ``nn``: nnmath's here; ``char_lstm_class(torch)`` gives PyTorch's twin for
    the benchmarks."""
    nn = lib.nn

    class CharLSTM(nn.Module):
        def __init__(self, vocab_size, embed_dim=128, hidden_dim=256, num_layers=1, dropout=0.0):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, embed_dim)
            self.rnn = nn.LSTM(embed_dim, hidden_dim, num_layers, dropout=dropout, batch_first=True)
            self.fc = nn.Linear(hidden_dim, vocab_size)

        def forward(self, x, state=None):
            output, state = self.rnn(self.embed(x), state)
            return self.fc(output), state
    return CharLSTM


CharLSTM = char_lstm_class()


def _progress(iterable, total, desc):
    try:
        from tqdm import tqdm
        return tqdm(iterable, total=total, desc=desc, leave=False)
    except ImportError:
        return iterable


def _detach(state):
    return tuple(s.detach() for s in state)


def training_step(model, optimizer, vocab_size, clip, compile=False):
    """One window of truncated BPTT as a function ``(x, y, state) -> (loss, detached final state)``:
    forward from ``state``, loss, backward, gradient clipping, update; with ``compile``, run through
    :func:`nnmath.compile` (the same losses, bit for bit)."""
    def step(x, y, state):
        logits, state = model(x, state)
        loss = F.cross_entropy(logits.reshape(-1, vocab_size), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        return loss, _detach(state)
    return nnmath.compile(step) if compile else step


def evaluate(model, streams, seq_len) -> float:
    """Mean next-character cross-entropy over the validation streams (state carried across windows)."""
    model.eval()
    total, count, state = 0.0, 0, None
    with nnmath.no_grad():
        for x, y in bptt_batches(streams, seq_len):
            logits, state = model(x, state)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
            count += y.numel()
    model.train()
    return total / count


def train(text_path=DEFAULT_TEXT, epochs=1, batch_size=32, seq_len=64, embed_dim=128, hidden_dim=256,
          num_layers=1, dropout=0.0, lr=2e-3, clip=5.0, max_steps=None, val_fraction=0.1, seed=0,
          save_path="char_lm.safetensors", resume=None, log=print, compile=False) -> dict:
    """Train, report validation loss and perplexity after each epoch, save, and return the history.

    After each epoch a checkpoint (weights, optimizer, random streams) is written next to ``save_path``
    (``NAME.checkpoint.safetensors``); ``resume`` names one to continue from, exactly. With ``compile``,
    the training step runs through :func:`nnmath.compile` (the same losses as without)."""
    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("seq_len", seq_len)):
        if value < 1:
            raise ValueError(f"char_lm.train: {name} must be at least 1, got {value}")
    nnmath.manual_seed(seed)
    text = pathlib.Path(text_path).read_text()
    vocab = CharVocab.from_text(text)
    train_ids, val_ids = train_val_split(vocab.encode(text), val_fraction)
    train_streams, val_streams = _streams(train_ids, val_ids, batch_size)
    model = CharLSTM(vocab.size, embed_dim, hidden_dim, num_layers, dropout)
    optimizer = nnmath.optim.Adam(model.parameters(), lr=lr)
    history = {"step_loss": [], "train_loss": [], "val_loss": [], "val_perplexity": []}
    steps_per_epoch = math.ceil((train_streams.shape[1] - 1) / seq_len)
    step = 0
    checkpoint = _checkpoint_path(save_path)
    first_epoch = 0
    if resume:
        first_epoch = resume_from(resume, epochs, model, optimizer)
        log(f"resumed from {resume} after epoch {first_epoch}")
    if save_path:
        _remove_stale_temp_files(save_path, checkpoint)
    train_step = training_step(model, optimizer, vocab.size, clip, compile)
    for epoch in range(first_epoch, epochs):
        state, start, losses = None, time.perf_counter(), []
        for x, y in _progress(bptt_batches(train_streams, seq_len), steps_per_epoch, f"epoch {epoch + 1}"):
            loss, state = train_step(x, y, state)
            losses.append(loss.item())
            history["step_loss"].append(losses[-1])
            step += 1
            if max_steps is not None and step >= max_steps:
                break
        val_loss = evaluate(model, val_streams, seq_len)
        history["train_loss"].append(float(np.mean(losses)))
        history["val_loss"].append(val_loss)
        history["val_perplexity"].append(math.exp(val_loss))
        log(f"epoch {epoch + 1}: train loss {np.mean(losses):.4f}, validation loss {val_loss:.4f}, "
            f"perplexity {math.exp(val_loss):.2f} ({len(losses)} steps, {time.perf_counter() - start:.0f} s)")
        if checkpoint is not None:
            save_checkpoint(checkpoint, model, optimizer, epoch=epoch + 1)
        if max_steps is not None and step >= max_steps:
            break
    if save_path:
        config = dict(embed_dim=embed_dim, hidden_dim=hidden_dim, num_layers=num_layers)
        nnmath.save({"model": model.state_dict(), "vocab": "".join(vocab.itos), "config": config}, str(save_path))
        log(f"saved {save_path}")
    return history


def _streams(train_ids, val_ids, batch_size):
    """The training and validation ids as ``batch_size`` streams each, each stream at least two characters
    long (an input and its next character)."""
    streams = []
    for name, ids in (("training", train_ids), ("validation", val_ids)):
        if len(ids) < 2 * batch_size:
            raise ValueError(f"char_lm.train: the {name} text ({len(ids)} characters) is too short for "
                             f"batch_size {batch_size}: each of the {batch_size} streams needs at least 2 "
                             f"characters (use a longer text or a smaller batch size)")
        streams.append(batchify(ids, batch_size))
    return streams


def _remove_stale_temp_files(save_path, checkpoint):
    """The temporary files of ``save_path`` and ``checkpoint`` that a killed run left behind."""
    path = pathlib.Path(save_path)
    remove_stale_temp_files(path.parent, names=[path.name, checkpoint.name])


def _checkpoint_path(save_path):
    if not save_path:
        return None
    path = pathlib.Path(save_path)
    return path.with_name(path.name.removesuffix(".safetensors") + ".checkpoint.safetensors")


def load(path):
    """(model, vocab) from a file written by :func:`train`."""
    checkpoint = nnmath.load(str(path))
    _check_model_file(path, checkpoint, {"model", "vocab", "config"}, "nnmath train char-lm")
    vocab = CharVocab(checkpoint["vocab"])
    model = CharLSTM(vocab.size, **checkpoint["config"])
    model.load_state_dict(checkpoint["model"])
    model.eval()
    return model, vocab


def _check_model_file(path, saved, keys: set, program: str) -> None:
    """Refuse a file that is not a model of ``program``: the entries ``keys`` must all be there."""
    missing = keys - set(saved) if isinstance(saved, dict) else keys
    if missing:
        held = sorted(saved)[:3] if isinstance(saved, dict) else type(saved).__name__
        raise FileFormatError(f"{str(path)!r} is not a model file of {program} (it has no {sorted(missing)} "
                              f"entries; it holds {held}{', ...' if len(saved) > 3 else ''})")


def check_sampling(vocab, prompt, length, temperature, top_k) -> None:
    """The arguments of a sampler: a non-empty prompt in the vocabulary, length ≥ 0, temperature ≥ 0
    (0: the most likely character), top_k ≥ 1 or None."""
    if not prompt:
        raise ValueError("sample: the prompt is empty; give at least one character to start from")
    vocab.encode(prompt)  # a KeyError naming the first character outside the vocabulary
    if length < 0:
        raise ValueError(f"sample: length must be at least 0, got {length}")
    if not temperature >= 0:
        raise ValueError(f"sample: temperature must be at least 0 (0: the most likely character), got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"sample: top_k must be at least 1 or None, got {top_k}")


def sample_next(logits: np.ndarray, temperature: float, top_k: int | None, rng: np.random.Generator) -> int:
    """One id drawn from softmax(logits / temperature), restricted to the ``top_k`` largest logits when given."""
    scores = logits.astype(np.float64) / max(temperature, 1e-8)
    if top_k is not None and top_k < scores.size:
        scores[scores < np.sort(scores)[-top_k]] = -np.inf
    probabilities = np.exp(scores - scores.max())
    probabilities /= probabilities.sum()
    return int(rng.choice(scores.size, p=probabilities))


def sample(model, vocab, prompt="\n", length=300, temperature=0.8, top_k=None, seed=0) -> str:
    """Continue ``prompt`` by sampling each next character from softmax(logits / temperature),
    restricted to the ``top_k`` most likely characters when given."""
    check_sampling(vocab, prompt, length, temperature, top_k)
    rng = np.random.default_rng(seed)
    out = list(prompt)
    with nnmath.no_grad():
        logits, state = model(nnmath.from_numpy(vocab.encode(prompt)[None, :]))
        for _ in range(length):
            next_id = sample_next(logits[0, -1].numpy(), temperature, top_k, rng)
            out.append(vocab.itos[next_id])
            logits, state = model(nnmath.tensor([[next_id]]), state)
    return "".join(out)
