"""``nnmath train mnist|char-lm|char-gpt --compile``: the compiled training step gives the eager step's losses and
weights, bit for bit."""
from __future__ import annotations

import os
import pathlib
import warnings

import numpy as np
import pytest

import nnmath
from nnmath.apps import char_gpt, char_lm, mnist
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



GPT = dict(n_layer=1, n_head=2, n_embd=16, block_size=16, batch_size=4, lr=3e-3, min_lr=3e-4, warmup_iters=4,
           eval_interval=6, eval_iters=1, progress=False, log=lambda *a: None)


def test_char_gpt_gradient_step_is_replayed_with_the_eager_losses():
    rng = np.random.default_rng(0)
    batches = [tuple(nnmath.from_numpy(rng.integers(0, 20, (4, 16))) for _ in range(2)) for _ in range(5)]
    runs = []
    for compile in (False, True):
        nnmath.manual_seed(0)
        model = char_gpt.CharGPT(20, block_size=16, n_layer=1, n_head=2, n_embd=16)
        optimizer = char_gpt.configure_optimizer(model, 1e-2)
        step = char_gpt.gradient_step(model, list(model.parameters()), 1.0, compile)
        losses = []
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            for i, (x, y) in enumerate(batches):
                for group in optimizer.param_groups:
                    group["lr"] = 1e-2 / (i + 1)         # a schedule: the optimizer's step is outside the replay
                optimizer.zero_grad(set_to_none=True)
                losses.append(step(x, y).item())
                optimizer.step()
        runs.append((losses, model.state_dict()))
    assert step.stats["replays"] == 3
    assert runs[0][0] == runs[1][0]
    for key, value in runs[0][1].items():
        np.testing.assert_array_equal(value.numpy(), runs[1][1][key].numpy(), err_msg=key)


def test_char_gpt_compiled_training_gives_the_eager_history(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(TEXT)
    eager = char_gpt.train(path, tmp_path / "eager", max_iters=12, **GPT)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        compiled = char_gpt.train(path, tmp_path / "compiled", max_iters=12, compile=True, **GPT)
    assert compiled["step_loss"] == eager["step_loss"] and compiled["eval"] == eager["eval"]
    assert compiled["val_loss"] == eager["val_loss"]


def test_char_gpt_with_attention_dropout_runs_eagerly_with_the_reason_and_the_eager_losses(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(TEXT)
    settings = dict(GPT, max_iters=6, dropout=0.1)
    eager = char_gpt.train(path, tmp_path / "eager", **settings)
    with pytest.warns(RuntimeWarning, match="a NumPy sampler drew from an nnmath generator"):
        compiled = char_gpt.train(path, tmp_path / "compiled", compile=True, **settings)
    assert compiled["step_loss"] == eager["step_loss"]


def test_char_gpt_cli_accepts_compile(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(TEXT)
    code = cli_main(["train", "char-gpt", "--text", str(path), "--out", str(tmp_path / "run"), "--n-layer", "1",
                     "--n-head", "2", "--n-embd", "16", "--block-size", "16", "--batch-size", "4", "--max-iters", "4",
                     "--eval-interval", "4", "--eval-iters", "1", "--no-progress", "--compile"])
    assert code == 0 and (tmp_path / "run" / "model.safetensors").is_file()
