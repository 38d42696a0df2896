"""The char-GPT reference run of ``nnmath train char-gpt --reference``, done by PyTorch itself: the same
initial weights (nnmath's, copied), the same 2,000 batches in the same order, the same AdamW, schedule
and clipping. What PyTorch reaches is what nnmath's run should reach, up to float32 rounding.

    python benchmarks/char_gpt_torch_reference.py [--steps 2000] [--threads 1]
"""
from __future__ import annotations

import argparse
import pathlib
import time

import torch

import nnmath
from nnmath.apps.char_gpt import (DEFAULT_TEXT, REFERENCE, CharGPT, _loss, char_gpt_class, configure_optimizer,
                                  estimate_losses, full_loss, learning_rate, random_windows)
from nnmath.text import CharVocab, train_val_split


def main(steps: int, seed: int = 1337, text_path=DEFAULT_TEXT):
    text = pathlib.Path(text_path).read_text()
    vocab = CharVocab.from_text(text)
    train_ids, val_ids = train_val_split(vocab.encode(text), 0.1)
    c = REFERENCE
    config = dict(vocab_size=vocab.size, block_size=c["block_size"], n_layer=c["n_layer"], n_head=c["n_head"],
                  n_embd=c["n_embd"], dropout=c["dropout"], gelu=c["gelu"])
    nnmath.manual_seed(seed)  # as nnmath train char-gpt: the initial weights, then the batches, from one stream
    ours = CharGPT(**config)
    model = char_gpt_class(torch)(**config)
    model.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    batches = nnmath.random.rng()
    optimizer = configure_optimizer(model, c["lr"], lib=torch)
    start = time.perf_counter()
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, c["lr"], c["min_lr"], c["warmup_iters"], steps)
        loss = _loss(model, *random_windows(train_ids, c["block_size"], c["batch_size"], batches), lib=torch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if (step + 1) % 250 == 0 or step + 1 == steps:
            losses = estimate_losses(model, {"train": train_ids, "val": val_ids}, c["block_size"], c["batch_size"],
                                     20, seed + 1, lib=torch)
            print(f"step {step + 1}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f} "
                  f"({(time.perf_counter() - start) / 60:.1f} min)", flush=True)
    print(f"validation loss over the whole validation text: {full_loss(model, val_ids, c['block_size'], lib=torch):.4f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=REFERENCE["max_iters"])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    main(args.steps)
