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
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout2d(0.25)
            self.dropout2 = nn.Dropout2d(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = lib.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.dropout2(x)
            return F.log_softmax(self.fc2(x), dim=1)
    return Net()


def char_lstm(lib):
    """Embedding(65, 128) -> LSTM(128, 256) -> Linear(256, 65), batch first."""
    nn = lib.nn

    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(65, 128)
            self.rnn = nn.LSTM(128, 256, batch_first=True)
            self.fc = nn.Linear(256, 65)

        def forward(self, x):
            out, _ = self.rnn(self.embed(x))
            return self.fc(out)
    return CharLSTM()


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
