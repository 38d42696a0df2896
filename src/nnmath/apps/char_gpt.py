"""A decoder-only character GPT on Tiny Shakespeare: ``nnmath train char-gpt`` / ``nnmath generate char-gpt``.

The model reads a window of up to ``block_size`` characters and predicts each next one. A character is
the sum of its token embedding and its position's (learned) embedding; ``n_layer`` pre-norm blocks
follow, each x ← x + Attention(LN(x)) and x ← x + MLP(LN(x)), where the attention is causal (position
t sees positions ≤ t: :func:`nnmath.nn.functional.scaled_dot_product_attention` with ``is_causal``) and
the MLP is Linear(C → 4C), GELU (its tanh form; the exact one with ``gelu='none'``, as the reference
configuration's trainer has it), Linear(4C → C); a last LayerNorm and a linear map to the vocabulary,
whose weight is the token embedding's (weight tying), give the logits. Initialisation: N(0, 0.02)
weights, zero biases, and the projections that write into the residual stream scaled by 1/√(2·n_layer).

Training samples random windows of the first 90 % of the text, minimises the mean cross-entropy with
AdamW (weight decay on matrices only, β = (0.9, 0.99)), a linear warm-up then cosine decay of the
learning rate to ``min_lr``, and gradients clipped to norm 1. Every ``eval_interval`` steps the
train and validation losses are estimated on ``eval_iters`` fixed batches, written to
``metrics.csv`` / ``curves.png``, and a checkpoint is saved from which ``--resume`` continues exactly.
At the end the whole validation text is scored (every character, windows of ``block_size``).

``--distributed`` trains on the N processes of an MPI job (``python -m nnmath.distributed.run -n N nnmath
train char-gpt --distributed``, :mod:`nnmath.apps.data_parallel`): every rank draws the same global batch
of ``batch_size`` windows and takes its B/N rows, gradients are averaged (DistributedDataParallel), so N
processes take the steps one process takes; rank 0 alone evaluates, prints and writes files.
"""
from __future__ import annotations

import contextlib
import math
import os
import pathlib
import time

import numpy as np

import nnmath
from nnmath.apps import data_parallel
from nnmath.apps.char_lm import DEFAULT_TEXT, _progress, sample_next
from nnmath.apps.checkpoint import load_checkpoint, save_checkpoint
from nnmath.text import CharVocab, train_val_split
from nnmath.utils.metrics_log import MetricsLogger

#: The configuration of the well-known minimal GPT trainer's CPU run on Tiny Shakespeare (the reference).
REFERENCE = dict(n_layer=4, n_head=4, n_embd=128, block_size=64, batch_size=12, max_iters=2000, lr=1e-3,
                 min_lr=1e-4, warmup_iters=100, dropout=0.0, gelu="none")
#: The default, larger configuration: about 25 minutes on two quiet cores (validation loss 1.53).
DEFAULT = dict(n_layer=4, n_head=6, n_embd=192, block_size=128, batch_size=16, max_iters=3200, lr=2e-3,
               min_lr=2e-4, warmup_iters=200, dropout=0.0)


def char_gpt_class(lib=nnmath):
    """The GPT built from ``lib``'s ``nn``: nnmath's here; ``char_gpt_class(torch)`` gives PyTorch's twin
    (same parameter names) for the parity tests and the benchmark."""
    nn, F = lib.nn, lib.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self, n_embd, n_head, dropout, bias):
            super().__init__()
            self.n_head, self.dropout = n_head, dropout
            self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=bias)   # queries, keys, values in one GEMM
            self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)
            self.resid_dropout = nn.Dropout(dropout)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = (t.reshape(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                       for t in self.c_attn(x).split(C, dim=2))
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0,
                                               is_causal=True)
            return self.resid_dropout(self.c_proj(y.transpose(1, 2).reshape(B, T, C)))

    class MLP(nn.Module):
        def __init__(self, n_embd, dropout, bias, gelu):
            super().__init__()
            self.c_fc = nn.Linear(n_embd, 4 * n_embd, bias=bias)
            self.gelu = nn.GELU(approximate=gelu)
            self.c_proj = nn.Linear(4 * n_embd, n_embd, bias=bias)
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))

    class Block(nn.Module):
        def __init__(self, n_embd, n_head, dropout, bias, gelu):
            super().__init__()
            self.ln_1 = nn.LayerNorm(n_embd, bias=bias)
            self.attn = CausalSelfAttention(n_embd, n_head, dropout, bias)
            self.ln_2 = nn.LayerNorm(n_embd, bias=bias)
            self.mlp = MLP(n_embd, dropout, bias, gelu)

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class CharGPT(nn.Module):
        def __init__(self, vocab_size, block_size=64, n_layer=4, n_head=4, n_embd=128, dropout=0.0, bias=False,
                     gelu="tanh"):
            super().__init__()
            self.block_size = block_size
            self.tok_emb = nn.Embedding(vocab_size, n_embd)
            self.pos_emb = nn.Embedding(block_size, n_embd)
            self.drop = nn.Dropout(dropout)
            self.blocks = nn.ModuleList([Block(n_embd, n_head, dropout, bias, gelu) for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(n_embd, bias=bias)
            self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
            self.lm_head.weight = self.tok_emb.weight  # one matrix reads and writes characters
            for name, p in self.named_parameters():
                if name.endswith("c_proj.weight"):  # writes into the residual stream: 2·n_layer of them add up
                    nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layer))
                elif p.ndim == 2:
                    nn.init.normal_(p, 0.0, 0.02)
                elif name.endswith("bias"):
                    nn.init.zeros_(p)

        def forward(self, idx):
            T = idx.shape[1]
            if T > self.block_size:
                raise ValueError(f"CharGPT: a sequence of {T} characters is longer than block_size={self.block_size}")
            x = self.drop(self.tok_emb(idx) + self.pos_emb(lib.arange(T)))
            for block in self.blocks:
                x = block(x)
            return self.lm_head(self.ln_f(x))
    return CharGPT


CharGPT = char_gpt_class()


def configure_optimizer(model, lr, weight_decay=0.1, betas=(0.9, 0.99), lib=nnmath):
    """AdamW with weight decay on the matrices (weights, embeddings) and none on biases and norms."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}]
    return lib.optim.AdamW(groups, lr=lr, betas=betas)


def learning_rate(step: int, lr: float, min_lr: float, warmup_iters: int, decay_iters: int) -> float:
    """Linear warm-up to ``lr`` over ``warmup_iters`` steps, then cosine decay to ``min_lr`` at ``decay_iters``."""
    if step < warmup_iters:
        return lr * (step + 1) / (warmup_iters + 1)
    if step > decay_iters:
        return min_lr
    progress = (step - warmup_iters) / max(1, decay_iters - warmup_iters)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (lr - min_lr)


def random_windows(ids: np.ndarray, block_size: int, batch_size: int, rng: np.random.Generator):
    """(inputs, targets) int64 arrays (batch_size, block_size) from random offsets: targets are shifted by one."""
    starts = rng.integers(0, len(ids) - block_size, batch_size)
    windows = np.stack([ids[s:s + block_size + 1] for s in starts])
    return windows[:, :-1], windows[:, 1:]


def _loss(model, x: np.ndarray, y: np.ndarray, lib=nnmath):
    """Mean cross-entropy of the next characters y given the windows x (``lib``: nnmath or torch)."""
    return _next_character_loss(model, lib.from_numpy(x), lib.from_numpy(y), lib)


def _next_character_loss(model, x, y, lib=nnmath):
    """:func:`_loss` of tensors."""
    logits = model(x)
    return lib.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def gradient_step(net, parameters, grad_clip, compile=False):
    """Forward, loss, backward and gradient clipping of one batch, as a function of the (inputs, targets)
    tensors returning the loss; with ``compile``, run through :func:`nnmath.compile` (the same losses,
    bit for bit). The optimizer's step stays outside: the learning rate changes at every step (warm-up,
    cosine decay), and a replay, which takes hyperparameters as constants, would be traced again each time."""
    def step(x, y):
        loss = _next_character_loss(net, x, y)
        loss.backward()
        nnmath.nn.utils.clip_grad_norm_(parameters, grad_clip)
        return loss
    return nnmath.compile(step) if compile else step


def estimate_losses(model, splits: dict, block_size: int, batch_size: int, eval_iters: int, seed: int,
                    lib=nnmath) -> dict:
    """Mean loss over ``eval_iters`` batches per split, drawn from a generator seeded with ``seed``: the
    same batches at every evaluation (and the training stream is not touched)."""
    model.eval()
    losses = {}
    with lib.no_grad():
        for name, ids in splits.items():
            rng = np.random.default_rng(seed)
            losses[name] = float(np.mean([_loss(model, *random_windows(ids, block_size, batch_size, rng), lib).item()
                                          for _ in range(eval_iters)]))
    model.train()
    return losses


def full_loss(model, ids: np.ndarray, block_size: int, batch_size: int = 64, lib=nnmath) -> float:
    """Mean next-character loss over the whole text, in consecutive windows of ``block_size``."""
    count = (len(ids) - 1) // block_size
    inputs = ids[:count * block_size].reshape(count, block_size)
    targets = ids[1:count * block_size + 1].reshape(count, block_size)
    model.eval()
    total = 0.0
    with lib.no_grad():
        for start in range(0, count, batch_size):
            x, y = inputs[start:start + batch_size], targets[start:start + batch_size]
            total += _loss(model, x, y, lib).item() * x.size
    model.train()
    return total / (count * block_size)


def train(text_path=DEFAULT_TEXT, out="runs/char_gpt", n_layer=4, n_head=4, n_embd=128, block_size=64, batch_size=12,
          max_iters=2000, lr=1e-3, min_lr=1e-4, warmup_iters=100, lr_decay_iters=None, weight_decay=0.1, beta2=0.99,
          dropout=0.0, gelu="tanh", grad_clip=1.0, eval_interval=250, eval_iters=20, val_fraction=0.1, seed=1337,
          resume=None, progress=True, log=print, distributed=False, compile=False) -> dict:
    """Train the GPT for steps up to ``max_iters``; returns the history (step losses, evaluations, the
    validation loss over the whole validation text). The learning rate decays until ``lr_decay_iters``
    (default ``max_iters``).

    With ``distributed``, this process is one of the N of an MPI job: ``batch_size`` is the global batch,
    of which each rank takes B/N windows; the history's evaluations and validation loss are rank 0's.
    With ``compile``, forward, backward and clipping run through :func:`nnmath.compile` (the same losses)."""
    run = data_parallel.start(distributed)
    log = run.on_main(log)
    out = run.output_folder(out)
    nnmath.manual_seed(seed)
    text = pathlib.Path(text_path).read_text()
    vocab = CharVocab.from_text(text)
    train_ids, val_ids = train_val_split(vocab.encode(text), val_fraction)
    config = dict(vocab_size=vocab.size, block_size=block_size, n_layer=n_layer, n_head=n_head, n_embd=n_embd,
                  dropout=dropout, gelu=gelu)
    model = CharGPT(**config)
    optimizer = configure_optimizer(model, lr, weight_decay, (0.9, beta2))
    checkpoint = out / "checkpoint.safetensors"
    # The batches: the global generator's stream after initialisation, the same on every rank; a
    # distributed run draws them from a copy, and its ranks' dropout from their own global generators.
    batches = nnmath.random.default_generator
    if run.distributed:
        batches = nnmath.Generator().set_state(batches.get_state())
    step = 0
    if resume:
        extra = load_checkpoint(resume, model, optimizer, restore_rng=not run.distributed)["extra"]
        step = extra["step"]
        if "batches" in extra:
            batches.set_state(extra["batches"])
        log(f"resumed from {resume} at step {step}")
    if run.distributed:
        run.seed_rank(seed, step)
    net = run.wrap(model)
    gradients = gradient_step(net, list(model.parameters()), grad_clip, compile)
    log(f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters, {len(train_ids)} training and "
        f"{len(val_ids)} validation characters")
    history = {"step_loss": [], "eval": []}
    splits = {"train": train_ids, "val": val_ids}
    start, start_cpu = time.perf_counter(), time.process_time()
    steps = range(step, max_iters)
    bar = _progress(steps, max_iters - step, "char-gpt") if progress and run.main else steps
    with MetricsLogger(out) if run.main else contextlib.nullcontext() as curves:
        for step in bar:
            rate = learning_rate(step, lr, min_lr, warmup_iters, lr_decay_iters or max_iters)
            for group in optimizer.param_groups:
                group["lr"] = rate
            x, y = random_windows(train_ids, block_size, batch_size, batches.numpy)
            optimizer.zero_grad(set_to_none=True)
            loss = gradients(nnmath.from_numpy(run.own_rows(x)), nnmath.from_numpy(run.own_rows(y)))
            optimizer.step()
            history["step_loss"].append(run.sum(loss.item() / run.world)[0])
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{history['step_loss'][-1]:.3f}", lr=f"{rate:.1e}")
            if run.main and ((step + 1) % eval_interval == 0 or step + 1 == max_iters):  # the others wait
                losses = estimate_losses(model, splits, block_size, batch_size, eval_iters, seed + 1)
                history["eval"].append((step + 1, losses["train"], losses["val"]))
                log(f"step {step + 1}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f} "
                    f"({_minutes(start, start_cpu)})")
                curves.log(step + 1, train_loss=losses["train"], val_loss=losses["val"], lr=rate)
                curves.plot()
                save_checkpoint(checkpoint, model, optimizer, extra={"step": step + 1, "batches": batches.get_state()})
    history["minutes"] = (time.perf_counter() - start) / 60
    if run.main:
        history["val_loss"] = full_loss(model, val_ids, block_size)
        log(f"validation loss over the whole validation text: {history['val_loss']:.4f} nats/char "
            f"({_minutes(start, start_cpu)})")
        nnmath.save({"model": model.state_dict(), "vocab": "".join(vocab.itos), "config": config},
                    str(out / "model.safetensors"))
        log(f"saved {out / 'model.safetensors'}, {out / 'metrics.csv'}, {out / 'curves.png'}")
    run.close()
    return history


def _minutes(start: float, start_cpu: float) -> str:
    """Wall-clock and CPU minutes since the start (they differ when other work shares the cores)."""
    return (f"{(time.perf_counter() - start) / 60:.1f} min, {(time.process_time() - start_cpu) / 60:.1f} CPU-min, "
            f"load {os.getloadavg()[0]:.1f}")


def load(path):
    """(model, vocab) from a ``model.safetensors`` written by :func:`train`."""
    saved = nnmath.load(str(path))
    model = CharGPT(**saved["config"])
    model.load_state_dict(saved["model"])
    model.eval()
    return model, CharVocab(saved["vocab"])


def generate(model, vocab, prompt="\n", length=500, temperature=0.8, top_k=None, seed=0) -> str:
    """Continue ``prompt`` one character at a time: the model reads the last ``block_size`` characters and
    the next one is drawn from softmax(logits / temperature), restricted to the ``top_k`` most likely."""
    rng = np.random.default_rng(seed)
    ids = list(vocab.encode(prompt))
    with nnmath.no_grad():
        for _ in range(length):
            context = np.asarray(ids[-model.block_size:], dtype=np.int64)[None, :]
            logits = model(nnmath.from_numpy(context))[0, -1].numpy()
            ids.append(sample_next(logits, temperature, top_k, rng))
    return vocab.decode(ids)


def run(args) -> int:
    config = dict(REFERENCE if args.reference else DEFAULT)
    config.update({name: getattr(args, name) for name in config if getattr(args, name, None) is not None})
    try:
        train(args.text or DEFAULT_TEXT, args.out, eval_interval=args.eval_interval, eval_iters=args.eval_iters,
              seed=args.seed, resume=args.resume, progress=not args.no_progress, distributed=args.distributed,
              compile=args.compile, **config)
    except KeyboardInterrupt:
        return 130
    return 0


def run_generate(args) -> int:
    model, vocab = load(args.model)
    print(generate(model, vocab, args.prompt, args.length, args.temperature, args.top_k, args.seed))
    return 0
