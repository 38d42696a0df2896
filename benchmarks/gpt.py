"""W5: a character GPT's training step, and causal attention forward + backward at several sequence
lengths (issue: attention and Transformers)."""
from __future__ import annotations

import numpy as np

from harness import Case
from models import build_pair, char_gpt


def _gpt_step(lib):
    """One step of ``nnmath train char-gpt --reference``: batch 12 × 64 characters, cross-entropy, AdamW
    (decay on matrices only), gradient clipping to norm 1."""
    from nnmath.apps.char_gpt import configure_optimizer
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.integers(0, 65, (12, 64)))
    y = lib.tensor(rng.integers(0, 65, (12, 64)))
    model = build_pair(char_gpt, lib)
    optimizer = configure_optimizer(model, 1e-3, lib=lib)
    F = lib.nn.functional

    def step():
        loss = F.cross_entropy(model(x).reshape(-1, 65), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    return step


def _attention(length):
    """F.scaled_dot_product_attention(is_causal=True) on (12, 4, length, 32), forward and backward."""
    def setup(lib):
        rng = np.random.default_rng(0)
        q, k, v = (lib.tensor(rng.standard_normal((12, 4, length, 32), dtype=np.float32), requires_grad=True)
                   for _ in range(3))
        cotangent = lib.tensor(rng.standard_normal((12, 4, length, 32), dtype=np.float32))

        def step():
            lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True).backward(cotangent)
            grads = q.grad, k.grad, v.grad
            q.grad = k.grad = v.grad = None
            return grads          # what the step computes (a compiled step keeps only what is observable)
        return step
    return setup


CASES = [Case("char-GPT train step (4x128, block 64, b=12, AdamW)", _gpt_step, unit="ms")] + \
    [Case(f"causal attention fwd+bwd (12x4 heads, T={t}, d=32)", _attention(t), unit="ms") for t in (64, 128, 256, 512)]
