"""A character GPT on Tiny Shakespeare, written as a plain PyTorch program.

    python examples/char_gpt.py [--steps 2000] [--export char_gpt.onnx]   # on nnmath
    python examples/char_gpt.py --pytorch                                  # the same code on PyTorch

The model is built from PyTorch's own layers: token and position embeddings, ``nn.TransformerEncoder``
with pre-norm layers (``norm_first=True``), a tanh-GELU feed-forward network and the causal mask
(``is_causal=True``: position t attends to positions ≤ t), a final LayerNorm, and an output layer that
shares the token embedding's weight. Training samples random windows of the first 90 % of the text and
uses AdamW, a warm-up then cosine ``LambdaLR`` schedule and gradient clipping; the validation loss is
printed as it goes, then a sample of generated text. ``nnmath train char-gpt`` is the full program
(checkpoints, curves, exact resume); this file shows that a PyTorch script runs unchanged.
"""
import argparse
import importlib
import math
import os
import pathlib

TEXT = pathlib.Path(os.environ.get("NNMATH_DATA", "/work/shared/data")) / "tinyshakespeare" / "input.txt"


def build_gpt(torch, vocab_size, block_size=64, n_layer=4, n_head=4, n_embd=128):
    nn = torch.nn

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.block_size = block_size
            self.tok_emb = nn.Embedding(vocab_size, n_embd)
            self.pos_emb = nn.Embedding(block_size, n_embd)
            layer = nn.TransformerEncoderLayer(n_embd, n_head, 4 * n_embd, dropout=0.0,
                                               activation=nn.GELU(approximate="tanh"), batch_first=True,
                                               norm_first=True, bias=False)
            self.blocks = nn.TransformerEncoder(layer, n_layer, norm=nn.LayerNorm(n_embd, bias=False),
                                                enable_nested_tensor=False)
            self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
            self.lm_head.weight = self.tok_emb.weight
            for embedding in (self.tok_emb, self.pos_emb):  # N(0, 1) rows would make the tied logits huge
                nn.init.normal_(embedding.weight, std=0.02)
            self.register_buffer("causal", nn.Transformer.generate_square_subsequent_mask(block_size),
                                 persistent=False)

        def forward(self, idx):
            T = idx.shape[1]
            x = self.tok_emb(idx) + self.pos_emb(torch.arange(T))
            x = self.blocks(x, mask=self.causal[:T, :T], is_causal=True)
            return self.lm_head(x)
    return GPT()


def main(steps=2000, backend="nnmath", text_path=TEXT, batch_size=12, block_size=64, n_layer=4, n_head=4, n_embd=128,
         lr=1e-3, eval_every=250, export=None, prompt="ROMEO:", seed=0, log=print):
    torch = importlib.import_module(backend)
    F = torch.nn.functional
    torch.manual_seed(seed)
    text = pathlib.Path(text_path).read_text()
    chars = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(chars)}
    data = torch.tensor([stoi[ch] for ch in text])
    n = int(0.9 * len(data))
    splits = {"train": data[:n], "val": data[n:]}

    def get_batch(split):
        d = splits[split]
        ix = torch.randint(len(d) - block_size, (batch_size,))
        x = torch.stack([d[i:i + block_size] for i in ix.tolist()])
        y = torch.stack([d[i + 1:i + 1 + block_size] for i in ix.tolist()])
        return x, y

    model = build_gpt(torch, len(chars), block_size, n_layer, n_head, n_embd)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=0.1)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(
        (step + 1) / warmup, 0.1 + 0.45 * (1 + math.cos(math.pi * min(1.0, max(0, step - warmup) / (steps - warmup))))))
    history = []
    for step in range(steps):
        x, y = get_batch("train")
        loss = F.cross_entropy(model(x).view(-1, len(chars)), y.view(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        history.append(loss.item())
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            model.eval()
            with torch.no_grad():
                val = sum(F.cross_entropy(model(x).view(-1, len(chars)), y.view(-1)).item()
                          for x, y in (get_batch("val") for _ in range(10))) / 10
            model.train()
            log(f"step {step + 1}: train loss {loss.item():.4f}, val loss {val:.4f}")
    log(generate(torch, model, chars, stoi, prompt, 300))
    if export:
        torch.onnx.export(model, get_batch("val")[0], export, input_names=["tokens"], output_names=["logits"],
                          dynamic_axes={"tokens": {0: "batch"}, "logits": {0: "batch"}})
        log(f"wrote {export}")
    return model, history


def generate(torch, model, chars, stoi, prompt, length, temperature=0.8, top_k=10):
    """Sample ``length`` characters after ``prompt``: softmax(logits / temperature) over the top_k."""
    model.eval()
    idx = torch.tensor([[stoi[ch] for ch in prompt]])
    with torch.no_grad():
        for _ in range(length):
            logits = model(idx[:, -model.block_size:])[:, -1, :] / temperature
            v, _ = torch.topk(logits, top_k)
            logits[logits < v[:, [-1]]] = -float("inf")
            probs = torch.nn.functional.softmax(logits, dim=-1)
            idx = torch.cat((idx, torch.multinomial(probs, num_samples=1)), dim=1)
    return "".join(chars[i] for i in idx[0].tolist())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--pytorch", action="store_true", help="run on PyTorch instead of nnmath")
    parser.add_argument("--export", help="also write the trained model to this ONNX file")
    args = parser.parse_args()
    main(args.steps, "torch" if args.pytorch else "nnmath", export=args.export)
