"""The ``nnmath`` command line.

    nnmath demo                       the seeds' linear regression, done right (offline, seconds)
    nnmath train mnist [...]          the seed CNN on MNIST / Fashion-MNIST
    nnmath train char-lm [...]        an LSTM language model on Tiny Shakespeare
    nnmath train char-gpt [...]       a character GPT on Tiny Shakespeare
    nnmath train speech-digits [...]  an LSTM on spoken digits
    nnmath generate char-lm [...]     sample text from a trained char-LM
    nnmath generate char-gpt [...]    sample text from a trained char-GPT
    nnmath export [...]               a trained model to ONNX

The programs are imported inside the functions below (deferred imports), so importing this module
loads none of them. Each command is a small function that parses nothing itself: it receives the
parsed arguments and calls the program in ``nnmath.apps``. A command registers itself in
``TRAIN_COMMANDS`` (``nnmath train NAME``) or ``COMMANDS`` (``nnmath NAME``) with a function that
adds its options to an argparse parser.
"""
from __future__ import annotations

import argparse
import sys


def _demo_options(p):
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)


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


def _mnist_options(p):
    from nnmath.apps.mnist import add_options  # deferred: see the module docstring
    add_options(p)


def _train_mnist(args) -> int:
    """The seed CNN on MNIST / Fashion-MNIST (nnmath/apps/mnist.py)."""
    from nnmath.apps.mnist import run  # deferred: see the module docstring
    return run(args)


TRAIN_COMMANDS["mnist"] = ("the seed CNN on MNIST or Fashion-MNIST (--fashion)", _mnist_options, _train_mnist)


def _char_lm_options(p):
    p.add_argument("--text", default=None, help="text file (default: Tiny Shakespeare under $NNMATH_DATA)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--save", default="char_lm.safetensors")
    p.add_argument("--resume", help="a NAME.checkpoint.safetensors written after an epoch, to continue from")
    p.add_argument("--compile", action="store_true", help="run the training step through nnmath.compile")


def _train_char_lm(args) -> int:
    """An LSTM language model on Tiny Shakespeare (nnmath/apps/char_lm.py)."""
    from nnmath.apps.char_lm import DEFAULT_TEXT, train  # deferred: see the module docstring
    train(args.text or DEFAULT_TEXT, epochs=args.epochs, batch_size=args.batch_size, seq_len=args.seq_len,
          hidden_dim=args.hidden, num_layers=args.layers, lr=args.lr, max_steps=args.max_steps, save_path=args.save,
          resume=args.resume, compile=args.compile)
    return 0


def _generate_char_lm_options(p):
    p.add_argument("--model", default="char_lm.safetensors")
    p.add_argument("--prompt", default="\n")
    p.add_argument("--length", type=int, default=500)
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)


def _generate_char_lm(args) -> int:
    from nnmath.apps.char_lm import load, sample  # deferred: see the module docstring
    model, vocab = load(args.model)
    print(sample(model, vocab, args.prompt, args.length, args.temperature, args.top_k, args.seed))
    return 0


def _speech_digits_options(p):
    p.add_argument("--data", default=None, help="FSDD folder holding recordings/ (default: $NNMATH_DATA/fsdd)")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--out", default="runs/speech_digits", help="directory for weights, checkpoint and confusion.png")
    p.add_argument("--resume", help="a checkpoint.safetensors to continue from")


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


def _char_gpt(name):
    """``nnmath/apps/char_gpt.py``'s function ``name`` (options or program), imported when called."""
    def call(argument):
        from nnmath.apps import char_gpt  # deferred: see the module docstring
        return getattr(char_gpt, name)(argument)
    return call


TRAIN_COMMANDS["char-gpt"] = ("a decoder-only character GPT on Tiny Shakespeare (--reference: the minimal "
                              "trainer's CPU configuration)", _char_gpt("add_options"), _char_gpt("run"))
GENERATE_COMMANDS["char-gpt"] = ("sample text from a trained char-GPT", _char_gpt("add_generate_options"),
                                 _char_gpt("run_generate"))


def _export_options(p):
    from nnmath.apps.export import add_options  # deferred: see the module docstring
    add_options(p)


def _export(args) -> int:
    """A trained model to ONNX (nnmath/apps/export.py)."""
    from nnmath.apps.export import run  # deferred: see the module docstring
    return run(args)


COMMANDS["export"] = ("a trained model to an ONNX file (nnmath[export])", _export_options, _export)


def _add_group(sub, name, help_text, commands):
    if not commands:
        return
    group = sub.add_parser(name, help=help_text).add_subparsers(dest="target", required=True)
    for target, (help_, add_options, run) in commands.items():
        p = group.add_parser(target, help=help_)
        add_options(p)
        p.set_defaults(func=run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nnmath", description="nnmath: deep learning built on its mathematics")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_, add_options, run) in COMMANDS.items():
        p = sub.add_parser(name, help=help_)
        add_options(p)
        p.set_defaults(func=run)
    _add_group(sub, "train", "train a model", TRAIN_COMMANDS)
    _add_group(sub, "generate", "sample from a trained model", GENERATE_COMMANDS)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
