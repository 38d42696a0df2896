"""Spoken digits (FSDD) with the seed's SpeechRecognitionModel: an LSTM over MFCC frames, its last time
step → Linear → 10 digit logits.

Features: 13 MFCCs per 10 ms frame (n_fft 256, hop 80 at 8 kHz, 40 HTK mel bands; nnmath.audio.mfcc),
standardised with the training set's per-coefficient mean and standard deviation, and cut or
zero-padded at the front to ``max_frames`` so the last time step sees the end of the recording.
The split is FSDD's official one (recordings 0–4 of each speaker and digit are the test set).
Each epoch ends with a row of ``out/metrics.csv`` (and ``curves.png``) and a checkpoint in ``out`` from
which ``resume`` continues exactly; the confusion matrix is printed and drawn to ``out/confusion.png``.
"""
from __future__ import annotations

import time

import numpy as np

import nnmath
import nnmath.nn as nn
import nnmath.nn.functional as F
from nnmath import metrics
from nnmath.apps.checkpoint import resume_from
from nnmath.apps.run_files import RunFiles
from nnmath.audio import FSDD, mfcc


class SpeechRecognitionModel(nn.Module):
    """The seed's model: LSTM(input_size → hidden_size, num_layers, batch_first) → Linear on the last step."""

    def __init__(self, vocab_size, input_size, hidden_size, num_layers, dropout=0.3):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, dropout=dropout, batch_first=True)
        self.fc = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, h0, c0):
        output, (hn, cn) = self.lstm(x, (h0, c0))
        return self.fc(output[:, -1, :]), (hn, cn)


def _fixed_length(features: np.ndarray, max_frames: int) -> np.ndarray:
    """The last ``max_frames`` frames, zero-padded at the front when shorter."""
    features = features[-max_frames:]
    return np.pad(features, ((max_frames - len(features), 0), (0, 0)))


def load_features(root=None, n_mfcc=13, max_frames=80):
    """((x_train, y_train), (x_test, y_test)): float32 (N, max_frames, n_mfcc) standardised MFCCs, int64 digits."""
    sets = []
    for train in (True, False):
        dataset = FSDD(root, train=train, transform=lambda x: mfcc(x, 8000, n_mfcc=n_mfcc))
        items = [dataset[i] for i in range(len(dataset))]
        sets.append((np.stack([_fixed_length(f, max_frames) for f, _ in items]), np.array([d for _, d in items])))
    (x_train, y_train), (x_test, y_test) = sets
    frames = x_train.reshape(-1, n_mfcc)
    mean, std = frames.mean(0), frames.std(0) + 1e-8
    standardise = lambda x: ((x - mean) / std).astype(np.float32)
    return (standardise(x_train), y_train), (standardise(x_test), y_test)


def predict(model, x, batch_size=300):
    model.eval()
    predictions = []
    with nnmath.no_grad():
        for start in range(0, len(x), batch_size):
            batch = nnmath.from_numpy(x[start:start + batch_size])
            zeros = nnmath.zeros(model.lstm.num_layers, len(batch), model.lstm.hidden_size)
            logits, _ = model(batch, zeros, zeros)
            predictions.append(logits.numpy().argmax(1))
    model.train()
    return np.concatenate(predictions)


def train(root=None, epochs=15, batch_size=32, hidden_size=128, num_layers=2, dropout=0.3, lr=2e-3, seed=0,
          max_frames=80, out="runs/speech_digits", resume=None, log=print) -> dict:
    """Train on the official training split; report test accuracy per epoch and the final confusion matrix.

    Nothing is written before the features, the model and the checkpoint to resume from are loaded;
    each epoch then writes its row of ``metrics.csv`` and ``curves.png`` before its checkpoint."""
    if epochs < 1:
        raise ValueError(f"speech_digits.train: epochs must be at least 1, got {epochs}")
    nnmath.manual_seed(seed)
    start = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = load_features(root, max_frames=max_frames)
    log(f"features: train {x_train.shape}, test {x_test.shape} ({time.perf_counter() - start:.0f} s)")
    model = SpeechRecognitionModel(10, x_train.shape[2], hidden_size, num_layers, dropout)
    optimizer = nnmath.optim.Adam(model.parameters(), lr=lr)
    history = {"test_accuracy": [], "train_loss": []}
    first_epoch = 0
    if resume:
        first_epoch = resume_from(resume, epochs, model, optimizer)
        log(f"resumed from {resume} after epoch {first_epoch}")
    files = RunFiles(out, log)
    with files.metrics() as curves:
        for epoch in range(first_epoch, epochs):
            order = nnmath.randperm(len(x_train)).numpy()  # the global generator: checkpoints restore it
            losses = []
            for first in range(0, len(order), batch_size):
                rows = order[first:first + batch_size]
                zeros = nnmath.zeros(num_layers, len(rows), hidden_size)
                logits, _ = model(nnmath.from_numpy(x_train[rows]), zeros, zeros)
                loss = F.cross_entropy(logits, nnmath.from_numpy(y_train[rows]))
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 5.0)
                optimizer.step()
                losses.append(loss.item())
            accuracy = float((predict(model, x_test) == y_test).mean())
            history["train_loss"].append(float(np.mean(losses)))
            history["test_accuracy"].append(accuracy)
            log(f"epoch {epoch + 1}: train loss {np.mean(losses):.4f}, test accuracy {100 * accuracy:.1f} % "
                f"({time.perf_counter() - start:.0f} s)")
            files.end_epoch(curves, epoch + 1, dict(train_loss=history["train_loss"][-1], test_accuracy=accuracy),
                            model, optimizer)
    files.save_model(model.state_dict())
    confusion = metrics.confusion_matrix(predict(model, x_test), y_test, num_classes=10)
    history["confusion_matrix"] = confusion.numpy()
    log("confusion matrix (rows: true digit, columns: predicted):\n" + metrics.format_confusion_matrix(confusion))
    files.plot("confusion.png", lambda path: metrics.plot_confusion_matrix(
        confusion, path, title="Spoken digits (FSDD test split)"))
    log(files.summary())
    return history
