"""``nnmath`` on bad input: every value is checked when parsed (one line, exit 2), errors while a command
runs are one line (exit 1, ``--debug`` for the traceback), a run that cannot start writes nothing, and
building the parser imports no program."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

import nnmath
from nnmath.apps import char_lm, cli, export, mnist
from nnmath.vision import datasets
from fake_data import fake_mnist

SRC = pathlib.Path(nnmath.__file__).parents[1]


def _run(argv, capsys):
    """(exit status, stdout, stderr) of ``nnmath argv`` in this process."""
    try:
        status = cli.main(argv)
    except SystemExit as e:
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


def _one_line_error(err: str, *fragments):
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# Values refused when parsed (status 2, one line naming the option and the value, nothing written) are
# cases of the bad-input suite: tests/badinput/cases_cli.py.


def test_valid_values_are_taken(tmp_path):
    args = cli.build_parser().parse_args(
        ["train", "mnist", "--epochs", "3", "--lr", "1e-3", "--seed", str(2 ** 64 - 1), "--limit", "5", "--out",
         str(tmp_path / "new" / "run"), "--resume", __file__])
    assert (args.epochs, args.lr, args.seed, args.limit, args.resume) == (3, 1e-3, 2 ** 64 - 1, 5, __file__)
    args = cli.build_parser().parse_args(["generate", "char-lm", "--model", __file__, "--length", "0",
                                          "--temperature", "0", "--top-k", "1"])
    assert (args.length, args.temperature, args.top_k) == (0, 0.0, 1)
    assert not (tmp_path / "new").exists()  # parsing writes nothing


def test_a_directory_given_as_a_file_is_refused(capsys, tmp_path):
    status, _, err = _run(["generate", "char-lm", "--model", str(tmp_path)], capsys)
    assert status == 2
    _one_line_error(err, "--model", "is a directory, expected a file")


def test_the_export_models_named_by_the_parser_are_the_exporters():
    assert sorted(cli.EXPORT_MODELS) == sorted(export.MODELS)


# --- errors while a command runs ----------------------------------------------------------------------
def _tiny_mnist_run(tmp_path, **kwargs):
    data = tmp_path / "data"
    fake_mnist(data, n_train=16, n_test=8)
    settings = dict(epochs=1, batch_size=8, data_dir=str(data), progress=False, log=lambda *a: None)
    return data, {**settings, **kwargs}


def test_a_model_file_of_another_program_is_one_line(capsys, tmp_path):
    nnmath.save(mnist.SeedCNN().state_dict(), tmp_path / "cnn.safetensors")
    status, _, err = _run(["generate", "char-lm", "--model", str(tmp_path / "cnn.safetensors")], capsys)
    assert status == 1
    _one_line_error(err, "nnmath generate char-lm: error:", "is not a model file of nnmath train char-lm",
                    "'config', 'model', 'vocab'", "conv1.bias")


def _tiny_char_lm(tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("abcab" * 100)
    char_lm.train(text, epochs=1, batch_size=2, seq_len=8, embed_dim=4, hidden_dim=4, max_steps=2,
                  save_path=tmp_path / "lm.safetensors", log=lambda *a: None)
    return tmp_path / "lm.safetensors"


def test_a_prompt_outside_the_vocabulary_is_one_line(capsys, tmp_path):
    model = _tiny_char_lm(tmp_path)
    capsys.readouterr()  # the training's progress bar
    status, _, err = _run(["generate", "char-lm", "--model", str(model), "--prompt", "abz"], capsys)
    assert status == 1
    _one_line_error(err, "error: character 'z' is not in the vocabulary of 3 characters")
    status, _, err = _run(["generate", "char-lm", "--model", str(model), "--prompt", ""], capsys)
    assert status == 1
    _one_line_error(err, "error: sample: the prompt is empty")


def test_greedy_generation_with_temperature_zero(capsys, tmp_path):
    model = _tiny_char_lm(tmp_path)
    capsys.readouterr()  # the training's progress bar
    status, out, _ = _run(["generate", "char-lm", "--model", str(model), "--prompt", "ab", "--length", "5",
                           "--temperature", "0"], capsys)
    assert status == 0 and out.startswith("ab") and len(out.rstrip("\n")) == 7


def test_a_text_too_short_for_the_batch_is_one_line_and_writes_nothing(capsys, tmp_path):
    (tmp_path / "short.txt").write_text("abcdefghij")
    status, _, err = _run(["train", "char-lm", "--text", str(tmp_path / "short.txt"), "--batch-size", "8",
                           "--save", str(tmp_path / "lm.safetensors")], capsys)
    assert status == 1
    _one_line_error(err, "the training text (9 characters) is too short for batch_size 8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.txt"]


def test_a_data_folder_without_mnist_is_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])  # no network: refused at once
    monkeypatch.delenv("NNMATH_DATA", raising=False)
    status, _, err = _run(["train", "mnist", "--data-dir", str(tmp_path / "empty"), "--out", str(tmp_path / "out"),
                           "--no-progress"], capsys)
    assert status == 1
    _one_line_error(err, "nnmath train mnist: error: MNIST: could not download", "by hand", "(rerun with --debug")
    assert not (tmp_path / "out").exists()


def test_resuming_a_finished_run_is_refused_and_keeps_its_files(capsys, tmp_path):
    data, settings = _tiny_mnist_run(tmp_path)
    mnist.train(out=tmp_path / "run", **settings)
    before = {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir() if p.is_file()}
    status, _, err = _run(["train", "mnist", "--epochs", "1", "--data-dir", str(data), "--out", str(tmp_path / "run"),
                           "--resume", str(tmp_path / "run" / "checkpoint.safetensors"), "--no-progress"], capsys)
    assert status == 1
    _one_line_error(err, "nothing to train", "already holds 1 epoch(s), and 1 were asked for")
    assert {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir() if p.is_file()} == before


def test_a_weights_file_given_as_a_checkpoint_is_one_line(capsys, tmp_path):
    data, settings = _tiny_mnist_run(tmp_path)
    nnmath.save(mnist.SeedCNN().state_dict(), tmp_path / "model.safetensors")
    status, _, err = _run(["train", "mnist", "--epochs", "2", "--data-dir", str(data), "--out", str(tmp_path / "run"),
                           "--resume", str(tmp_path / "model.safetensors")], capsys)
    assert status == 1
    _one_line_error(err, "is not an nnmath checkpoint")
    assert not (tmp_path / "run").exists()


def test_debug_shows_the_traceback(tmp_path):
    nnmath.save({"x": nnmath.zeros(1)}, tmp_path / "x.safetensors")
    with pytest.raises(Exception, match="is not a model file"):
        cli.main(["generate", "char-lm", "--model", str(tmp_path / "x.safetensors"), "--debug"])


def test_a_bug_is_reported_as_an_internal_error(capsys, monkeypatch):
    def broken(args):
        raise AttributeError("'NoneType' object has no attribute 'shape'")
    monkeypatch.setitem(cli.COMMANDS, "demo", (cli.COMMANDS["demo"][0], cli.COMMANDS["demo"][1], broken))
    status, _, err = _run(["demo"], capsys)
    assert status == 1
    _one_line_error(err, "nnmath demo: internal error: AttributeError:", "rerun with --debug for the traceback")


def test_a_missing_file_at_run_time_names_it(capsys):
    assert cli.describe(FileNotFoundError(2, "No such file or directory", "/x/y")) == \
        "error: No such file or directory: '/x/y'"


# --- a run writes only what it has: files, permissions, the summary ----------------------------------
def test_a_run_writes_its_files_with_the_umask_and_names_only_those(tmp_path):
    pytest.importorskip("matplotlib")
    _, settings = _tiny_mnist_run(tmp_path)
    lines = []
    mnist.train(out=tmp_path / "run", **{**settings, "log": lines.append})
    (tmp_path / "plain").write_bytes(b"")
    mode = os.stat(tmp_path / "plain").st_mode & 0o777
    files = [p for p in (tmp_path / "run").iterdir() if p.is_file()]
    assert sorted(p.name for p in files) == ["checkpoint.safetensors", "confusion.png", "curves.png", "metrics.csv",
                                             "model.safetensors"]
    assert {p.name: os.stat(p).st_mode & 0o777 for p in files} == {p.name: mode for p in files}
    summary = lines[-1]
    assert summary.startswith("saved ") and all(str(p) in summary for p in files)


# --- the parser imports no program -------------------------------------------------------------------
def _apps_imported(code: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(sorted(m for m in sys.modules "
                             "if m.startswith('nnmath.apps.')))"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip().splitlines()[-1])


def test_help_imports_no_program():
    code = ("from nnmath.apps import cli\ntry:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "cli.build_parser().parse_args(['train', 'mnist'])")
    assert _apps_imported(code) == ["nnmath.apps.arguments", "nnmath.apps.cli"]


def test_demo_imports_only_the_demo():
    code = "from nnmath.apps import cli\ncli.main(['demo', '--steps', '2'])"
    assert _apps_imported(code) == ["nnmath.apps.arguments", "nnmath.apps.cli", "nnmath.apps.linear_regression"]
