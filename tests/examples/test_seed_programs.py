"""The seeds' PyTorch programs, with only their import lines changed, run on nnmath."""
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import nnmath

ROOT = pathlib.Path(__file__).parents[2]
SEEDS = ROOT.parent / "shared" / "seed_programs"
SWAPPED = ROOT / "examples" / "seed_programs"
DATA = ROOT.parent / "shared" / "data"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, SWAPPED / "swap_imports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared/seed_programs is not beside the checkout")
@pytest.mark.parametrize("name", ["seed000_mnist_cnn_torch.py", "seed002_cnn_net.py",
                                  "seed002_rnn_language_model.py", "seed002_speech_lstm.py"])
def test_committed_copies_differ_from_the_seeds_only_in_imports(name):
    swap = _load("swap_imports")
    assert (SWAPPED / name).read_text() == swap.swap((SEEDS / name).read_text(), name)


def _seed_net_class():
    """The Net class of seed 000, taken from the swapped program without running its training."""
    source = (SWAPPED / "seed000_mnist_cnn_torch.py").read_text()
    head = source.split("# 加载数据集")[0]
    namespace = {}
    exec(compile(head, "seed000_mnist_cnn_torch.py", "exec"), namespace)
    return namespace["Net"]


@pytest.mark.skipif(not (DATA / "mnist").is_dir(), reason="shared/data/mnist is absent")
def test_seed000_network_trains_on_real_mnist_images():
    from nnmath.vision import datasets, transforms
    train = datasets.MNIST(str(DATA / "mnist"), train=True, transform=transforms.ToTensor())
    loader = nnmath.utils.data.DataLoader(train, batch_size=32, shuffle=True)
    model = _seed_net_class()()
    optimizer = nnmath.optim.Adam(model.parameters(), lr=0.001)
    criterion = nnmath.nn.CrossEntropyLoss()
    losses = []
    for step, (data, target) in enumerate(loader):
        optimizer.zero_grad()
        loss = criterion(model(data), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step == 29:
            break
    assert data.shape == (32, 1, 28, 28) and data.dtype == nnmath.float32
    # ln 10 ≈ 2.30 is chance level; 30 Adam steps on real digits get well below it.
    assert np.mean(losses[:3]) > 2.0 and np.mean(losses[-5:]) < 1.5


def test_seed002_classes_build_and_run():
    import nnmath.nn as nn
    namespace = {}
    for name in ["seed002_cnn_net.py", "seed002_rnn_language_model.py", "seed002_speech_lstm.py"]:
        exec(compile((SWAPPED / name).read_text(), name, "exec"), namespace)
    net = namespace["Net"]()
    assert net(nnmath.rand(2, 1, 28, 28)).shape == (2, 10)
    lm = namespace["RNNModel"](vocab_size=30, embed_dim=8, hidden_dim=16, num_layers=2)
    x = nnmath.randint(0, 30, (4, 7))
    out, (h, c) = lm(x, nnmath.zeros(2, 4, 16), nnmath.zeros(2, 4, 16))
    assert out.shape == (4, 30) and h.shape == c.shape == (2, 4, 16)
    speech = namespace["SpeechRecognitionModel"](vocab_size=10, input_size=13, hidden_size=16, num_layers=2)
    out, _ = speech(nnmath.randn(3, 20, 13), nnmath.zeros(2, 3, 16), nnmath.zeros(2, 3, 16))
    assert out.shape == (3, 10)
    assert isinstance(net, nn.Module)


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "mnist").is_dir(), reason="shared/data/mnist is absent")
def test_seed000_program_reaches_99_percent(tmp_path):
    """The full program: 10 epochs of Adam on MNIST (tens of minutes on 2 cores)."""
    env = dict(os.environ, NNMATH_DATA=str(DATA), PYTHONUNBUFFERED="1")
    run = subprocess.run([sys.executable, str(SWAPPED / "seed000_mnist_cnn_torch.py")], cwd=tmp_path, env=env,
                         capture_output=True, text=True, check=True)
    accuracy = float(re.search(r"test images: ([0-9.]+) %", run.stdout).group(1))
    assert accuracy >= 99.0, run.stdout[-2000:]
