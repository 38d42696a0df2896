"""``nnmath train mnist``'s test pass: a large test batch goes through the network in pieces (its
activations for 1,000 images at once took ~400 MB), with the same loss, accuracy and predictions."""
import numpy as np
import pytest

import nnmath
import nnmath.nn.functional as F
from nnmath.apps import mnist
from nnmath.utils.data import DataLoader, TensorDataset


def test_evaluation_forwards_at_most_eval_chunk_images_and_gives_the_whole_batch_results(monkeypatch):
    rng = np.random.default_rng(0)
    images = nnmath.tensor(rng.random((130, 1, 28, 28), dtype=np.float32))
    labels = nnmath.tensor(rng.integers(0, 10, 130))
    nnmath.manual_seed(0)
    model = mnist.SeedCNN()
    seen = []
    model.register_forward_pre_hook(lambda module, args: seen.append(args[0].shape[0]))
    monkeypatch.setattr(mnist, "EVAL_CHUNK", 50)
    loss, accuracy, predicted, target = mnist.evaluate(model, DataLoader(TensorDataset(images, labels),
                                                                         batch_size=130))
    assert seen == [50, 50, 30] and model.training
    with nnmath.no_grad():
        whole = model.eval()(images)
    assert loss == pytest.approx(F.nll_loss(whole, labels).item(), rel=1e-5)  # float32 sums in another order
    assert nnmath.equal(predicted, whole.argmax(1)) and nnmath.equal(target, labels)
    assert accuracy == (whole.argmax(1) == labels).sum().item() / 130
