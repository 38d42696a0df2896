"""The ``nnmath`` command line.

    nnmath demo                       the seeds' linear regression, done right (offline, seconds)
    nnmath train mnist [...]          the seed CNN on MNIST / Fashion-MNIST
    nnmath train char-lm [...]        an LSTM language model on Tiny Shakespeare
    nnmath train char-gpt [...]       a character GPT on Tiny Shakespeare
    nnmath train speech-digits [...]  an LSTM on spoken digits
    nnmath generate char-lm [...]     sample text from a trained char-LM
    nnmath generate char-gpt [...]    sample text from a trained char-GPT
    nnmath export [...]               a trained model to ONNX

Every option is declared here with a type from :mod:`nnmath.apps.arguments`, so a bad value stops the
command at parsing, with one line and exit status 2, before anything runs or is written. A command is
a small function that parses nothing itself: it receives the parsed arguments and calls its program in
``nnmath.apps``, imported inside the function (a deferred import), so that building the parser
(``nnmath --help``) loads no program. A command registers itself in ``COMMANDS`` (``nnmath NAME``),
``TRAIN_COMMANDS`` (``nnmath train NAME``) or ``GENERATE_COMMANDS`` (``nnmath generate NAME``) with a
function that adds its options to an argparse parser.

An error while a command runs (a missing or wrong file, a bad data folder, a checkpoint that already
holds every epoch asked for) is printed as one line, ``nnmath train mnist: error: ...``, with exit status
1; ``--debug`` shows the traceback instead. Ctrl-C exits with status 130.
"""
from __future__ import annotations

import argparse
import sys

from nnmath.apps.arguments import (existing_directory, existing_file, non_negative_float, non_negative_int,
                                   output_directory, output_file, positive_float, positive_int, seed)


def _demo_options(p):
    p.add_argument("--steps", type=positive_int, default=1000, help="gradient-descent steps")
    p.add_argument("--lr", type=positive_float, default=0.1, help="learning rate")
    p.add_argument("--seed", type=seed, default=0)


def _demo(args) -> int:
    """The seeds' linear regression done right (nnmath/apps/linear_regression.py)."""
    from nnmath.apps.linear_regression import main  # deferred: see the module docstring
    main(lr=args.lr, steps=args.steps, seed=args.seed)
    return 0


#: ``nnmath NAME``: name -> (help, add_options(parser), run(args) -> exit code)
COMMANDS = {
    "demo": ("fit a line by autodiff and by the normal equations; check the seeds' gradients (offline, seconds)",
             _demo_options, _demo),
}
#: ``nnmath train NAME``: name -> (help, add_options(parser), run(args) -> exit code)
TRAIN_COMMANDS = {}
#: ``nnmath generate NAME``: name -> (help, add_options(parser), run(args) -> exit code)
GENERATE_COMMANDS = {}


def _compile_option(p, what="the training step"):
    p.add_argument("--compile", action="store_true", help=f"run {what} through nnmath.compile (the same losses)")


def _distributed_option(p):
    p.add_argument("--distributed", action="store_true",
                   help="data-parallel over the processes of an MPI job (python -m nnmath.distributed.run -n N "
                        "nnmath train ... --distributed); --batch-size is the global batch")


def _mnist_options(p):
    p.add_argument("--epochs", type=positive_int, default=10)
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--lr", type=positive_float, default=1e-3)
    p.add_argument("--data-dir", help="torchvision root or a folder with the four .gz files (default: "
                                      "$NNMATH_DATA, else ./data; downloads when missing)")
    p.add_argument("--fashion", action="store_true", help="Fashion-MNIST instead of MNIST")
    p.add_argument("--out", type=output_directory, default="runs/mnist",
                   help="directory for weights, curves and checkpoints")
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("--resume", type=existing_file, help="a checkpoint.safetensors to continue from")
    p.add_argument("--limit", type=positive_int, help="use only the first N training and test images")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _compile_option(p)
    _distributed_option(p)


def _train_mnist(args) -> int:
    """The seed CNN on MNIST / Fashion-MNIST (nnmath/apps/mnist.py)."""
    from nnmath.apps.mnist import run  # deferred: see the module docstring
    return run(args)


TRAIN_COMMANDS["mnist"] = ("the seed CNN on MNIST or Fashion-MNIST (--fashion)", _mnist_options, _train_mnist)


def _char_lm_options(p):
    p.add_argument("--text", type=existing_file, default=None,
                   help="text file (default: Tiny Shakespeare under $NNMATH_DATA)")
    p.add_argument("--epochs", type=positive_int, default=1)
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--seq-len", type=positive_int, default=64)
    p.add_argument("--hidden", type=positive_int, default=256)
    p.add_argument("--layers", type=positive_int, default=1)
    p.add_argument("--lr", type=positive_float, default=2e-3)
    p.add_argument("--max-steps", type=positive_int, default=None)
    p.add_argument("--save", type=output_file, default="char_lm.safetensors")
    p.add_argument("--resume", type=existing_file,
                   help="a NAME.checkpoint.safetensors written after an epoch, to continue from")
    _compile_option(p)


def _train_char_lm(args) -> int:
    """An LSTM language model on Tiny Shakespeare (nnmath/apps/char_lm.py)."""
    from nnmath.apps.char_lm import DEFAULT_TEXT, train  # deferred: see the module docstring
    train(args.text or DEFAULT_TEXT, epochs=args.epochs, batch_size=args.batch_size, seq_len=args.seq_len,
          hidden_dim=args.hidden, num_layers=args.layers, lr=args.lr, max_steps=args.max_steps, save_path=args.save,
          resume=args.resume, compile=args.compile)
    return 0


def _generate_char_lm_options(p):
    p.add_argument("--model", type=existing_file, default="char_lm.safetensors",
                   help="a file written by nnmath train char-lm")
    p.add_argument("--prompt", default="\n")
    p.add_argument("--length", type=non_negative_int, default=500, help="characters to add to the prompt")
    p.add_argument("--temperature", type=non_negative_float, default=0.8,
                   help="divides the logits before sampling; 0 takes the most likely character")
    p.add_argument("--top-k", type=positive_int, default=None, help="sample among the k most likely characters")
    p.add_argument("--seed", type=seed, default=0)


def _generate_char_lm(args) -> int:
    from nnmath.apps.char_lm import load, sample  # deferred: see the module docstring
    model, vocab = load(args.model)
    print(sample(model, vocab, args.prompt, args.length, args.temperature, args.top_k, args.seed))
    return 0


def _speech_digits_options(p):
    p.add_argument("--data", type=existing_directory, default=None,
                   help="FSDD folder holding recordings/ (default: $NNMATH_DATA/fsdd)")
    p.add_argument("--epochs", type=positive_int, default=15)
    p.add_argument("--hidden", type=positive_int, default=128)
    p.add_argument("--layers", type=positive_int, default=2)
    p.add_argument("--lr", type=positive_float, default=2e-3)
    p.add_argument("--out", type=output_directory, default="runs/speech_digits",
                   help="directory for weights, checkpoint and confusion.png")
    p.add_argument("--resume", type=existing_file, help="a checkpoint.safetensors to continue from")


def _train_speech_digits(args) -> int:
    """The seed's speech LSTM on spoken digits (nnmath/apps/speech_digits.py)."""
    from nnmath.apps.speech_digits import train  # deferred: see the module docstring
    train(args.data, epochs=args.epochs, hidden_size=args.hidden, num_layers=args.layers, lr=args.lr,
          out=args.out, resume=args.resume)
    return 0


TRAIN_COMMANDS["char-lm"] = ("an LSTM language model on Tiny Shakespeare (truncated BPTT)", _char_lm_options,
                             _train_char_lm)
TRAIN_COMMANDS["speech-digits"] = ("an LSTM over MFCC frames on spoken digits (FSDD)", _speech_digits_options,
                                   _train_speech_digits)
GENERATE_COMMANDS["char-lm"] = ("sample text from a trained char-LM", _generate_char_lm_options, _generate_char_lm)

#: The models ``nnmath export`` knows: the keys of ``nnmath.apps.export.MODELS`` (a test keeps them equal),
#: named here so that the parser does not import the exporter.
EXPORT_MODELS = ("char-gpt", "char-lm", "mnist-cnn")


def _char_gpt(name):
    """``nnmath/apps/char_gpt.py``'s function ``name`` (options or program), imported when called."""
    def call(argument):
        from nnmath.apps import char_gpt  # deferred: see the module docstring
        return getattr(char_gpt, name)(argument)
    return call


def _char_gpt_options(p):
    p.add_argument("--text", type=existing_file, default=None,
                   help="text file (default: Tiny Shakespeare under $NNMATH_DATA)")
    p.add_argument("--out", type=output_directory, default="runs/char_gpt",
                   help="directory for weights, curves and checkpoints")
    p.add_argument("--reference", action="store_true",
                   help="the minimal GPT trainer's CPU configuration (4 layers, width 128, block 64, batch 12, "
                        "2000 steps at lr 1e-3): the reference to beat")
    for name, kind in (("n_layer", positive_int), ("n_head", positive_int), ("n_embd", positive_int),
                       ("block_size", positive_int), ("batch_size", positive_int), ("max_iters", positive_int),
                       ("lr", positive_float), ("min_lr", non_negative_float), ("warmup_iters", non_negative_int),
                       ("dropout", non_negative_float)):
        p.add_argument("--" + name.replace("_", "-"), type=kind, default=None,
                       help="(default: char_gpt.DEFAULT; with --reference: char_gpt.REFERENCE)")
    p.add_argument("--eval-interval", type=positive_int, default=250)
    p.add_argument("--eval-iters", type=positive_int, default=20)
    p.add_argument("--seed", type=seed, default=1337)
    p.add_argument("--resume", type=existing_file, help="a checkpoint.safetensors to continue from")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _compile_option(p, "forward, backward and clipping")
    _distributed_option(p)


def _generate_char_gpt_options(p):
    p.add_argument("--model", type=existing_file, default="runs/char_gpt/model.safetensors",
                   help="a file written by nnmath train char-gpt")
    p.add_argument("--prompt", default="\n")
    p.add_argument("--length", type=non_negative_int, default=500, help="characters to add to the prompt")
    p.add_argument("--temperature", type=non_negative_float, default=0.8)
    p.add_argument("--top-k", type=positive_int, default=None, help="sample among the k most likely characters")
    p.add_argument("--seed", type=seed, default=0)


TRAIN_COMMANDS["char-gpt"] = ("a decoder-only character GPT on Tiny Shakespeare (--reference: the minimal "
                              "trainer's CPU configuration)", _char_gpt_options, _char_gpt("run"))
GENERATE_COMMANDS["char-gpt"] = ("sample text from a trained char-GPT", _generate_char_gpt_options,
                                 _char_gpt("run_generate"))


def _export_options(p):
    p.add_argument("--model", required=True, choices=EXPORT_MODELS, help="which trained model")
    p.add_argument("--weights", required=True, type=existing_file, help="the file the train command saved")
    p.add_argument("--out", required=True, type=output_file, help="the ONNX file to write")
    p.add_argument("--opset", type=positive_int, default=17, help="the ONNX opset (13 to 20)")


def _export(args) -> int:
    """A trained model to ONNX (nnmath/apps/export.py)."""
    from nnmath.apps.export import run  # deferred: see the module docstring
    return run(args)


COMMANDS["export"] = ("a trained model to an ONNX file (nnmath[export])", _export_options, _export)


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line: ``nnmath train mnist: error: argument --epochs:
    must be a positive integer (1, 2, ...), got '0' (see nnmath train mnist --help)``, exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_command(sub, name, help_, add_options, run):
    p = sub.add_parser(name, help=help_)
    add_options(p)
    p.add_argument("--debug", action="store_true", help="on an error, show the traceback")
    p.set_defaults(func=run, prog=p.prog, parser=p)


def _add_group(sub, name, help_text, commands):
    if not commands:
        return
    group = sub.add_parser(name, help=help_text).add_subparsers(dest="target", required=True)
    for target, (help_, add_options, run) in commands.items():
        _add_command(group, target, help_, add_options, run)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nnmath", description="nnmath: deep learning built on its mathematics")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_, add_options, run) in COMMANDS.items():
        _add_command(sub, name, help_, add_options, run)
    _add_group(sub, "train", "train a model", TRAIN_COMMANDS)
    _add_group(sub, "generate", "sample from a trained model", GENERATE_COMMANDS)
    return parser


#: Errors that are the user's (a file, a folder, a value, a checkpoint that holds every epoch asked for):
#: the library's message is the whole story. Any other exception is a bug.
_USER_ERRORS = (OSError, ValueError, RuntimeError, KeyError)


def describe(error: BaseException) -> str:
    """One line for an error raised while a command runs: its message's first line for a user's error;
    for anything else (a bug), its type too and how to see the traceback."""
    if isinstance(error, OSError) and error.strerror and error.filename:
        return f"error: {error.strerror}: {error.filename!r}"
    message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    first, *rest = str(message).strip().splitlines() or [""]
    more = " (rerun with --debug for details)" if rest else ""
    if isinstance(error, _USER_ERRORS):
        return f"error: {first}{more}"
    return f"internal error: {type(error).__name__}: {first} (a bug: rerun with --debug for the traceback)"


def main(argv=None) -> int:
    args, unknown = build_parser().parse_known_args(argv)
    if unknown:  # named by the command's own parser: "nnmath train mnist: error: unrecognized arguments: ..."
        args.parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if args.debug:
            raise
        print(f"{args.prog}: {describe(error)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
