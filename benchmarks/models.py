"""The benchmarked networks, written once against PyTorch's API so the same code builds them in
nnmath and in PyTorch; weights are copied from the nnmath model so both compute the same thing."""
from __future__ import annotations

import numpy as np


def copy_weights(src, dst, dst_lib):
    """Load ``src``'s state_dict (nnmath) into ``dst`` (either library) through NumPy."""
    state = {k: dst_lib.tensor(np.array(v.numpy())) for k, v in src.state_dict().items()}
    dst.load_state_dict(state)


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))


def seed_cnn(lib):
    """The CNN of seed 000 §5.2 (conv 32, conv 64, max-pool, dropout, fc 128, fc 10, log-softmax)."""
    from nnmath.apps.mnist import seed_cnn_class
    return seed_cnn_class(lib)()


def char_lstm(lib):
    """Embedding(65, 128) -> LSTM(128, 256) -> Linear(256, 65), batch first (the char-LM demo's model)."""
    from nnmath.apps.char_lm import char_lstm_class
    return char_lstm_class(lib)(65, 128, 256)


def build_pair(factory, lib, cache={}):
    """The nnmath model for ``lib``; PyTorch's gets the same initial weights."""
    import nnmath
    if factory not in cache:
        nnmath.manual_seed(0)
        cache[factory] = factory(nnmath)
    if lib is nnmath:
        return cache[factory]
    model = factory(lib)
    copy_weights(cache[factory], model, lib)
    return model


def training_step(model, lib, make_optimizer, x, y, loss_fn):
    opt = make_optimizer(model.parameters())

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def char_gpt(lib):
    """The char-GPT of ``nnmath train char-gpt --reference``: 4 layers, 4 heads, width 128, block 64."""
    from nnmath.apps.char_gpt import char_gpt_class
    return char_gpt_class(lib)(65, block_size=64, n_layer=4, n_head=4, n_embd=128)
