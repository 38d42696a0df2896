"""``nnmath train char-gpt --distributed``: 2 processes, each taking half of every global batch of
windows, train the GPT as 1 process (no --distributed) does with the whole batch; rank 0 alone writes;
a checkpoint of the 2-process run resumes on 1 process and ends where the unbroken run ends.

Tolerance: the runs differ only by the order of float32 additions (each rank's mean over its half, then
the average of the two halves). Observed: weights within 6·10⁻⁹ after 6 AdamW steps (a few float32 ulps
of weights of size ~0.02); they are held to 10⁻⁶, while training on other batches moves them by ~lr =
10⁻³ per step (the last test shows the check refusing a run on half the batch). Logged losses: 10⁻⁵
relative.
"""
from __future__ import annotations

import csv

import numpy as np
import pytest

import nnmath
from nnmath.apps import char_gpt
from nnmath.apps.cli import build_parser

from conftest import launch, requires_mpi, succeeded
from mpi_programs import TINY_GPT

pytestmark = requires_mpi

STEPS = 6


@pytest.fixture(scope="module")
def text(tmp_path_factory):
    """A small text with some structure: words drawn from a fixed list."""
    rng = np.random.default_rng(0)
    words = "to be or not that is the question whether tis nobler in mind suffer".split()
    path = tmp_path_factory.mktemp("text") / "text.txt"
    path.write_text(" ".join(rng.choice(words, 600)) + "\n")
    return path


@pytest.fixture(scope="module")
def one(text, tmp_path_factory):
    """The reference: one process, no --distributed, the whole global batch."""
    out = tmp_path_factory.mktemp("one")
    char_gpt.train(text, out, max_iters=STEPS, progress=False, log=lambda *a: None, **TINY_GPT)
    return out


def _rows(out):
    with open(out / "metrics.csv") as file:
        return list(csv.DictReader(file))


def _weights(out):
    return {name: t.numpy() for name, t in nnmath.load(str(out / "model.safetensors"))["model"].items()}


def assert_same_run(a, b):
    """Same weights (1e-6) and the same evaluations (1e-5 relative) in the output folders a and b."""
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for name in wa:
        np.testing.assert_allclose(wa[name], wb[name], rtol=0, atol=1e-6, err_msg=name)
    assert [r["step"] for r in _rows(a)] == [r["step"] for r in _rows(b)] == ["3", "6"]
    for ra, rb in zip(_rows(a), _rows(b)):
        for key in ("train_loss", "val_loss"):
            assert float(ra[key]) == pytest.approx(float(rb[key]), rel=1e-5), key


def test_two_processes_take_the_steps_of_one_and_rank_0_alone_writes(text, one, tmp_path):
    succeeded(launch(2, "char_gpt_app", text, tmp_path / "two", STEPS))
    assert not (tmp_path / "two_rank_1").exists()
    assert_same_run(one, tmp_path / "two")


def test_a_two_process_checkpoint_resumes_on_one_process(text, one, tmp_path):
    two = tmp_path / "two"
    succeeded(launch(2, "char_gpt_app", text, two, STEPS // 2))
    succeeded(launch(1, "char_gpt_app", text, two, STEPS, two / "checkpoint.safetensors"))
    assert_same_run(one, two)


def test_the_check_refuses_a_run_on_half_the_batch(text, one, tmp_path):
    """What one rank alone would train on (B/2 windows per step) is not the global-batch run."""
    half = dict(TINY_GPT, batch_size=TINY_GPT["batch_size"] // 2)
    char_gpt.train(text, tmp_path, max_iters=STEPS, progress=False, log=lambda *a: None, **half)
    with pytest.raises(AssertionError):
        assert_same_run(one, tmp_path)


def test_the_command_line_has_the_flag():
    args = build_parser().parse_args(["train", "char-gpt", "--distributed", "--batch-size", "8"])
    assert args.distributed and args.batch_size == 8
    assert not build_parser().parse_args(["train", "char-gpt"]).distributed
