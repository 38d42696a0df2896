import numpy as np

import nnmath as nm
from nnmath.apps import mlp_classifier as demo

REGULARISED = ["L2", "dropout", "L2 + dropout"]


def test_regularisation_closes_the_train_test_gap(tmp_path):
    out = demo.main(out=str(tmp_path), print_fn=lambda *a: None)
    results = out["results"]
    none = results["none"]
    gap = {name: r["train_accuracy"] - r["test_accuracy"] for name, r in results.items()}
    # Margins checked with the default settings on seeds 0–7 (seed 0 here; float32 results move by about
    # 0.01 with the BLAS's thread count). Unregularised: train accuracy 0.97–1.00 although 15 % of the
    # training labels are flipped (the true boundary scores about 0.85), gap 0.10–0.19. Every regulariser
    # shrinks the gap by 0.04 or more. L2 and L2 + dropout raise test accuracy by 0.017–0.127; dropout
    # alone by 0.019–0.121 on seeds 1–7 but only 0.003–0.007 on seed 0, within the thread-count noise,
    # so here it is held to "no worse".
    assert none["train_accuracy"] >= 0.9
    assert gap["none"] >= 0.08
    for name in REGULARISED:
        assert gap[name] <= gap["none"] - 0.03, name
        gain = 0.01 if "L2" in name else -0.01
        assert results[name]["test_accuracy"] >= none["test_accuracy"] + gain, name
    with open(out["png"], "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"


def test_l2_penalty_is_sgd_weight_decay_of_twice_lambda():
    (x, y), _ = demo.make_data(seed=1, n_train=20, n_test=1)
    strength, lr = 0.05, 0.1
    nm.manual_seed(0)
    penalised, decayed = demo.mlp(0.0, hidden=8), demo.mlp(0.0, hidden=8)
    decayed.load_state_dict(penalised.state_dict())
    demo.train(penalised, x, y, strength, steps=3, lr=lr)
    weights = demo.weight_matrices(decayed)
    others = [p for p in decayed.parameters() if all(p is not W for W in weights)]
    optimizer = nm.optim.SGD([{"params": weights, "weight_decay": 2 * strength}, {"params": others}],
                             lr=lr, momentum=0.9)
    for _ in range(3):
        loss = nm.nn.functional.cross_entropy(decayed(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for (name, a), b in zip(penalised.state_dict().items(), decayed.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
