"""Train an LSTM character language model on Tiny Shakespeare, then sample from it.

    python examples/char_lm.py [epochs]
"""
import sys

from nnmath.apps.char_lm import load, sample, train

if __name__ == "__main__":
    train(epochs=int(sys.argv[1]) if len(sys.argv) > 1 else 1, save_path="char_lm.safetensors")
    model, vocab = load("char_lm.safetensors")
    print(sample(model, vocab, "ROMEO:", 500, temperature=0.8, top_k=10))
