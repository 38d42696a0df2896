"""``nnmath export``: a model trained by an ``nnmath train`` command, to an ONNX file.

    nnmath export --model char-lm --weights char_lm.safetensors --out char_lm.onnx
    nnmath export --model char-gpt --weights runs/char_gpt/model.safetensors --out char_gpt.onnx

The batch (and, for sequence models, the time) axis of the inputs and outputs stays dynamic.
"""
from __future__ import annotations

import nnmath
from nnmath.apps import char_gpt
from nnmath.apps.char_lm import load
from nnmath.apps.mnist import SeedCNN
from nnmath.onnx import export


def _char_lm(weights):
    """The char-LM of ``nnmath train char-lm``, with a batch of token ids as the example input."""
    model, _ = load(weights)
    tokens = nnmath.zeros(2, 8, dtype=nnmath.int64)  # batch 2, not 1: a size-1 axis hides which one is the batch
    return model, tokens, ["tokens"], ["logits", "h_n", "c_n"], \
        {"tokens": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"},
         "h_n": {1: "batch"}, "c_n": {1: "batch"}}


def _char_gpt(weights):
    """The char-GPT of ``nnmath train char-gpt``: a batch of windows of ``block_size`` token ids (the
    sequence length is fixed at the block size: position embeddings are looked up for it)."""
    model, _ = char_gpt.load(weights)
    tokens = nnmath.zeros(2, model.block_size, dtype=nnmath.int64)
    return model, tokens, ["tokens"], ["logits"], {"tokens": {0: "batch"}, "logits": {0: "batch"}}


def _mnist_cnn(weights):
    """The seed CNN of ``nnmath train mnist``, with a batch of 28x28 images as the example input."""
    model = SeedCNN()
    model.load_state_dict(nnmath.load(weights))
    images = nnmath.zeros(2, 1, 28, 28)
    return model, images, ["images"], ["log_probs"], {"images": {0: "batch"}, "log_probs": {0: "batch"}}


#: model name -> loader(weights) -> (model, example input, input names, output names, dynamic axes)
MODELS = {"char-lm": _char_lm, "char-gpt": _char_gpt, "mnist-cnn": _mnist_cnn}


def run(args) -> int:
    model, example, input_names, output_names, dynamic_axes = MODELS[args.model](args.weights)
    export(model, example, args.out, input_names=input_names, output_names=output_names,
           dynamic_axes=dynamic_axes, opset_version=args.opset)
    print(f"wrote {args.out}: inputs {input_names}, outputs {output_names}")
    return 0
