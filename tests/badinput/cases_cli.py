"""The ``nnmath`` command line: each call runs ``nnmath.apps.cli.main`` in this process, in an empty
working directory. A failing call becomes :class:`CommandFailed` with what it printed on stderr; its
message is clear when it is one line naming the command and the offending value, and a call that exits
with another status than declared, or writes a file, is marked in the message (so it is not clear).
PyTorch has no command line: these cases run with nnmath only."""
from __future__ import annotations

import contextlib
import io
import os
import types

from differential import Case, scratch

CASES: list[Case] = []


class CommandFailed(Exception):
    """``nnmath ARGS`` exited with a non-zero status; the message is what it printed on stderr."""


def _nnmath(argv, status, setup=None):
    def program(lib):
        from nnmath.apps import cli   # the command line is on floor 7: the library never imports it
        directory = scratch()
        previous = os.getcwd()
        os.chdir(directory)
        made = set(setup(lib) if setup else ())
        stdout, stderr = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                try:
                    code = cli.main(argv)
                except SystemExit as e:
                    code = e.code
        finally:
            os.chdir(previous)
        written = sorted(set(os.listdir(directory)) - made)
        if code == 0 and not status:
            return written
        notes = ([f"[exit status {code}, expected {status}]"] if code != status else []) + \
            ([f"[wrote {written}]"] if written else [])
        raise CommandFailed(stderr.getvalue().strip() + ("\n" + " ".join(notes) if notes else ""))
    return program


# (arguments, the offending value, the status expected: 2 for a value refused when parsed).
BAD_ARGUMENTS = [
    (["demo", "--steps", "-1"], "-1"),
    (["demo", "--steps", "0"], "0"),
    (["demo", "--steps", "1.5"], "1.5"),
    (["demo", "--lr", "-0.1"], "-0.1"),
    (["demo", "--lr", "inf"], "inf"),
    (["demo", "--seed", "-1"], "-1"),
    (["train", "mnist", "--epochs", "0"], "0"),
    (["train", "mnist", "--epochs", "-1"], "-1"),
    (["train", "mnist", "--batch-size", "0"], "0"),
    (["train", "mnist", "--lr", "nan"], "nan"),
    (["train", "mnist", "--lr", "0"], "0"),
    (["train", "mnist", "--limit", "0"], "0"),
    (["train", "mnist", "--resume", "/no/such/checkpoint.safetensors"], "/no/such/checkpoint.safetensors"),
    (["train", "mnist", "--out", "/dev/null/x"], "/dev/null"),
    (["train", "char-lm", "--seq-len", "0"], "0"),
    (["train", "char-lm", "--batch-size", "-4"], "-4"),
    (["train", "char-lm", "--hidden", "0"], "0"),
    (["train", "char-lm", "--layers", "0"], "0"),
    (["train", "char-lm", "--max-steps", "0"], "0"),
    (["train", "char-lm", "--text", "/no/such/text.txt"], "/no/such/text.txt"),
    (["train", "char-lm", "--save", "/no/such/dir/lm.safetensors"], "/no/such/dir"),
    (["train", "speech-digits", "--data", "/no/such/fsdd"], "/no/such/fsdd"),
    (["train", "speech-digits", "--epochs", "0"], "0"),
    (["generate", "char-lm", "--model", "/no/such/model.safetensors"], "/no/such/model.safetensors"),
    (["generate", "char-lm", "--temperature", "-1"], "-1"),
    (["generate", "char-lm", "--top-k", "-3"], "-3"),
    (["generate", "char-lm", "--top-k", "0"], "0"),
    (["generate", "char-lm", "--length", "-5"], "-5"),
    (["generate", "char-lm"], "char_lm.safetensors"),
    (["export", "--model", "mnist-cnn", "--weights", "/no/such/w.safetensors", "--out", "m.onnx"], "/no/such/w"),
    (["export", "--model", "resnet", "--weights", "w", "--out", "m.onnx"], "resnet"),
    (["export", "--model", "mnist-cnn", "--weights", __file__, "--out", "m.onnx", "--opset", "0"], "0"),
    (["train", "mnist", "--fashoin"], "--fashoin"),
    (["train", "resnet"], "resnet"),
    ([], "command"),
]
for argv, value in BAD_ARGUMENTS:
    command = "nnmath " + " ".join(a for a in argv[:2] if not a.startswith("-") and a in (
        "demo", "train", "generate", "export", "mnist", "char-lm", "speech-digits"))
    CASES.append(Case("cli/" + (" ".join(argv) or "no-arguments"), _nnmath(argv, 2), True, (command.strip(),),
                      (value,), torch=False))


# Errors found while a command runs: one line, status 1.
def _cnn_weights(lib):
    from nnmath.apps import mnist
    lib.save(mnist.SeedCNN().state_dict(), "cnn.safetensors")
    return ["cnn.safetensors"]


def _finished_run(lib):
    from fake_data import fake_mnist
    from nnmath.apps.checkpoint import save_checkpoint
    from nnmath.apps import mnist
    fake_mnist("data", n_train=8, n_test=4)
    os.makedirs("run")
    model = mnist.SeedCNN()
    loader = types.SimpleNamespace(generator=lib.Generator())  # what the checkpoint reads of a DataLoader
    save_checkpoint("run/checkpoint.safetensors", model, lib.optim.Adam(model.parameters()), epoch=2,
                    dataloader=loader)
    return ["data", "run"]


def _short_text(lib):
    with open("short.txt", "w") as file:
        file.write("abcdefghij")
    return ["short.txt"]


def _tiny_char_lm(lib):
    from nnmath.apps import char_lm
    with open("text.txt", "w") as file:
        file.write("abcab" * 40)
    with open(os.devnull, "w") as quiet, contextlib.redirect_stderr(quiet):
        char_lm.train("text.txt", epochs=1, batch_size=2, seq_len=8, embed_dim=4, hidden_dim=4, max_steps=1,
                      save_path="lm.safetensors", log=lambda *a: None)
    return ["text.txt", "lm.safetensors", "lm.checkpoint.safetensors"]


def _empty_folder(lib):
    os.makedirs("empty")
    return ["empty"]


RUNTIME = [
    (["generate", "char-lm", "--model", "cnn.safetensors"], _cnn_weights, "cnn.safetensors"),
    (["export", "--model", "char-lm", "--weights", "cnn.safetensors", "--out", "lm.onnx"], _cnn_weights,
     "cnn.safetensors"),
    (["train", "mnist", "--epochs", "2", "--resume", "run/checkpoint.safetensors", "--data-dir", "data",
      "--out", "run"], _finished_run, "2 epoch"),
    (["train", "char-lm", "--text", "short.txt", "--batch-size", "8", "--save", "lm.safetensors"], _short_text,
     "9 characters"),
    (["generate", "char-lm", "--model", "lm.safetensors", "--prompt", "abz"], _tiny_char_lm, "'z'"),
    (["generate", "char-lm", "--model", "lm.safetensors", "--prompt", ""], _tiny_char_lm, "empty"),
    (["train", "speech-digits", "--data", "empty"], _empty_folder, "empty"),
]
for argv, setup, value in RUNTIME:
    command = "nnmath " + " ".join(a for a in argv[:2] if not a.startswith("-"))
    CASES.append(Case("cli/" + " ".join(argv), _nnmath(argv, 1, setup), True,
                      (command.replace(" --model", "").strip(),), (value,) if value else (), torch=False))

VALID = [
    (["--help"], None),
    (["train", "mnist", "--help"], None),
    (["generate", "char-lm", "--help"], None),
    (["demo", "--steps", "3"], None),
    (["generate", "char-lm", "--model", "lm.safetensors", "--prompt", "ab", "--length", "0", "--temperature", "0"],
     _tiny_char_lm),
]
for argv, setup in VALID:
    CASES.append(Case("cli/" + " ".join(argv) + " (valid)", _nnmath(argv, 0, setup), False, torch=False))
