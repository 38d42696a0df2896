"""``nnmath train mnist|char-lm --compile``: the compiled training step gives the eager step's losses and
weights, bit for bit."""
from __future__ import annotations

import os
import pathlib
import warnings

import numpy as np
import pytest

import nnmath
from nnmath.apps import char_lm, mnist
from nnmath.apps.cli import main as cli_main

ROOT = pathlib.Path(__file__).parents[2]
DATA = pathlib.Path(os.environ.get("NNMATH_DATA", ROOT.parent / "shared" / "data")) / "mnist"
TEXT = "the quick brown fox jumps over the lazy dog. " * 40


def test_mnist_training_step_compiled_gives_the_eager_losses():
    rng = np.random.default_rng(0)
    batches = [(nnmath.tensor(rng.random((8, 1, 28, 28), dtype=np.float32)), nnmath.tensor(rng.integers(0, 10, 8)))
               for _ in range(6)]
    runs = []
    for compile in (False, True):
        nnmath.manual_seed(0)
        model = mnist.SeedCNN()
        optimizer = nnmath.optim.Adam(model.parameters(), lr=1e-3)
        step = mnist.training_step(model, optimizer, nnmath.nn.CrossEntropyLoss(), compile)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            losses = [step(x, y).item() for x, y in batches]
        runs.append((losses, model.state_dict()))
    assert step.stats["replays"] == 3
    assert runs[0][0] == runs[1][0]
    for key, value in runs[0][1].items():
        np.testing.assert_array_equal(value.numpy(), runs[1][1][key].numpy(), err_msg=key)


def test_char_lm_compiled_training_gives_the_eager_history(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(TEXT)
    settings = dict(epochs=1, batch_size=4, seq_len=16, embed_dim=8, hidden_dim=16, lr=1e-2, max_steps=12,
                    log=lambda s: None)
    eager = char_lm.train(path, save_path=tmp_path / "a.safetensors", **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        compiled = char_lm.train(path, save_path=tmp_path / "b.safetensors", compile=True, **settings)
    assert compiled == eager


def test_char_lm_cli_accepts_compile(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(TEXT)
    code = cli_main(["train", "char-lm", "--text", str(path), "--batch-size", "4", "--seq-len", "16", "--hidden", "16",
                     "--max-steps", "5", "--save", str(tmp_path / "lm.safetensors"), "--compile"])
    assert code == 0 and (tmp_path / "lm.safetensors").is_file()


@pytest.mark.skipif(not DATA.is_dir(), reason="shared/data/mnist is absent")
def test_mnist_cli_with_compile_writes_the_weights_of_an_eager_run(tmp_path):
    common = ["train", "mnist", "--epochs", "1", "--limit", "320", "--batch-size", "64", "--data-dir", str(DATA),
              "--no-progress"]
    assert cli_main(common + ["--out", str(tmp_path / "eager")]) == 0
    assert cli_main(common + ["--out", str(tmp_path / "compiled"), "--compile"]) == 0
    eager = nnmath.load(tmp_path / "eager" / "model.safetensors")
    compiled = nnmath.load(tmp_path / "compiled" / "model.safetensors")
    for key in eager:
        np.testing.assert_array_equal(eager[key].numpy(), compiled[key].numpy(), err_msg=key)
