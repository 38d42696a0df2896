"""The character GPT (``nnmath train char-gpt``) and its plain-PyTorch twin in examples/char_gpt.py:
a short run learns, resumes exactly, generates, exports to ONNX; from the same weights on the same
batches nnmath and PyTorch follow the same loss curve. The full trainings are slow tests."""
import pathlib
import sys

import numpy as np
import pytest

import nnmath
from nnmath.apps import char_gpt
from nnmath.text import CharVocab, train_val_split

ROOT = pathlib.Path(__file__).parents[2]
TEXT = char_gpt.DEFAULT_TEXT  # $NNMATH_DATA/tinyshakespeare/input.txt (default /work/shared/data)
needs_text = pytest.mark.skipif(not TEXT.is_file(), reason=f"{TEXT} is absent")
TINY = dict(n_layer=2, n_head=2, n_embd=32, block_size=16, batch_size=8, lr=3e-3, min_lr=3e-4, warmup_iters=5,
            eval_iters=2, progress=False, log=lambda *a: None)
SENTENCE = "the quick brown fox jumps over the lazy dog. " * 60


@pytest.fixture
def text(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(SENTENCE)
    return path


def test_a_short_run_learns_saves_generates_and_draws_its_curve(tmp_path, text):
    history = char_gpt.train(text, tmp_path / "run", max_iters=60, eval_interval=30, **TINY)
    losses = history["step_loss"]
    assert np.mean(losses[-10:]) < np.mean(losses[:5]) - 1.0  # from ln 28 ≈ 3.3 towards the repeated sentence
    assert history["eval"][-1][2] < history["eval"][0][2]
    assert history["val_loss"] == pytest.approx(history["eval"][-1][2], abs=0.5)
    with open(tmp_path / "run" / "curves.png", "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"
    model, vocab = char_gpt.load(tmp_path / "run" / "model.safetensors")
    assert model.lm_head.weight is model.tok_emb.weight  # tied, after loading too
    sample = char_gpt.generate(model, vocab, "the ", length=40, temperature=0.5, top_k=3)
    assert sample.startswith("the ") and len(sample) == 44 and set(sample) <= set(SENTENCE)


def test_the_reference_configuration_has_the_exact_gelu_and_the_saved_model_keeps_it(tmp_path, text):
    assert char_gpt.REFERENCE["gelu"] == "none" and char_gpt.DEFAULT.get("gelu", "tanh") == "tanh"
    char_gpt.train(text, tmp_path / "run", max_iters=2, eval_interval=2, gelu="none", **TINY)
    model, _ = char_gpt.load(tmp_path / "run" / "model.safetensors")
    assert {block.mlp.gelu.approximate for block in model.blocks} == {"none"}


def test_resume_continues_exactly(tmp_path, text):
    settings = dict(TINY, max_iters=20, lr_decay_iters=20, eval_interval=10, dropout=0.1)
    straight = char_gpt.train(text, tmp_path / "a", **settings)
    char_gpt.train(text, tmp_path / "b", **dict(settings, max_iters=10))  # stopped after the first checkpoint
    resumed = char_gpt.train(text, tmp_path / "b", resume=tmp_path / "b" / "checkpoint.safetensors", **settings)
    assert resumed["step_loss"] == straight["step_loss"][10:]
    a, _ = char_gpt.load(tmp_path / "a" / "model.safetensors")
    b, _ = char_gpt.load(tmp_path / "b" / "model.safetensors")
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=name)


def test_learning_rate_warms_up_then_decays_to_min_lr():
    rates = [char_gpt.learning_rate(step, 1e-3, 1e-4, 10, 100) for step in range(120)]
    assert rates[0] == pytest.approx(1e-3 / 11) and rates[9] == pytest.approx(1e-3 * 10 / 11)
    assert rates[10] == pytest.approx(1e-3) and all(a >= b for a, b in zip(rates[10:], rates[11:]))
    assert rates[55] == pytest.approx(5.5e-4) and rates[100] == pytest.approx(1e-4) and rates[119] == 1e-4


def test_weight_decay_only_on_matrices():
    model = char_gpt.CharGPT(20, block_size=8, n_layer=1, n_head=2, n_embd=8)
    decayed, plain = char_gpt.configure_optimizer(model, 1e-3).param_groups
    assert decayed["weight_decay"] == 0.1 and plain["weight_decay"] == 0.0
    assert all(p.ndim == 2 for p in decayed["params"]) and all(p.ndim == 1 for p in plain["params"])
    assert len(decayed["params"]) + len(plain["params"]) == len(list(model.parameters()))


def test_onnx_export_matches_onnxruntime(tmp_path, text):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from nnmath.apps import export
    char_gpt.train(text, tmp_path / "run", max_iters=2, eval_interval=2, **TINY)
    args = type("Args", (), dict(model="char-gpt", weights=str(tmp_path / "run" / "model.safetensors"),
                                 out=str(tmp_path / "gpt.onnx"), opset=17))
    assert export.run(args) == 0
    onnx.checker.check_model(str(tmp_path / "gpt.onnx"))
    model, _ = char_gpt.load(tmp_path / "run" / "model.safetensors")
    session = ort.InferenceSession(str(tmp_path / "gpt.onnx"))
    for batch in (1, 5):  # the batch axis is dynamic
        tokens = np.random.default_rng(batch).integers(0, 28, (batch, 16))
        with nnmath.no_grad():
            expected = model(nnmath.tensor(tokens)).numpy()
        got, = session.run(None, {"tokens": tokens})
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)  # float32, two summation orders


@needs_text
@pytest.mark.parametrize("gelu", ["tanh", "none"])
def test_same_loss_curve_as_pytorch_over_50_steps(gelu):
    """From the same weights, on the same 50 batches of Tiny Shakespeare, with warm-up and cosine decay,
    AdamW and clipping, nnmath's and PyTorch's losses agree to float32 noise at every step, with either
    GELU (the exact one is the reference configuration's)."""
    torch = pytest.importorskip("torch")
    ids = CharVocab.from_text(TEXT.read_text()[:200_000])
    train_ids, _ = train_val_split(ids.encode(TEXT.read_text()[:200_000]), 0.1)
    config = dict(block_size=32, n_layer=2, n_head=4, n_embd=64, gelu=gelu)
    nnmath.manual_seed(0)
    ours = char_gpt.char_gpt_class(nnmath)(ids.size, **config)
    theirs = char_gpt.char_gpt_class(torch)(ids.size, **config)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(0)
    batches = [char_gpt.random_windows(train_ids, 32, 8, rng) for _ in range(50)]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        curves = [_train(lib, model, batches) for lib, model in ((nnmath, ours), (torch, theirs))]
    finally:
        torch.set_num_threads(threads)
    ours_curve, theirs_curve = curves
    assert ours_curve[-1] < ours_curve[0] - 1.0
    # Measured (seeds 0–2): at most 2.3e-7 relative apart over the 50 steps (float32 epsilon 1.2e-7); bound ~10×.
    np.testing.assert_allclose(ours_curve, theirs_curve, rtol=3e-6)


def _train(lib, model, batches):
    optimizer = char_gpt.configure_optimizer(model, 2e-3, lib=lib)
    losses = []
    for step, (x, y) in enumerate(batches):
        for group in optimizer.param_groups:
            group["lr"] = char_gpt.learning_rate(step, 2e-3, 2e-4, 10, len(batches))
        logits = model(lib.tensor(x))
        loss = lib.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), lib.tensor(y).reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses)


def test_the_plain_pytorch_example_runs_learns_and_exports(tmp_path, text):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import char_gpt as example
    finally:
        sys.path.pop(0)
    lines = []
    model, history = example.main(steps=60, text_path=text, block_size=16, n_layer=2, n_head=2, n_embd=32, lr=3e-3,
                                  eval_every=30, export=tmp_path / "example.onnx", prompt="the ", log=lines.append)
    assert np.mean(history[-10:]) < np.mean(history[:5]) - 1.0
    assert lines[-2].startswith("the ") and len(lines[-2]) == 304  # the sample, before "wrote ..."
    tokens = np.random.default_rng(0).integers(0, 28, (3, 16))
    with nnmath.no_grad():
        expected = model(nnmath.tensor(tokens)).numpy()
    got, = ort.InferenceSession(str(tmp_path / "example.onnx")).run(None, {"tokens": tokens})
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


# --- the full runs (minutes): python -m pytest --runslow tests/examples/test_char_gpt.py ------------------------

@pytest.mark.slow
@needs_text
def test_reference_configuration_reaches_the_reference_val_loss(tmp_path):
    """The minimal GPT trainer's CPU configuration (4 layers, 4 heads, width 128, block 64, batch 12, 2000
    AdamW steps at lr 1e-3, warm-up 100, cosine to 1e-4, β₂ 0.99, no dropout, exact GELU) reports ≈ 1.88
    there, from 20 random validation batches, an estimate whose noise is about ±0.02: that trainer itself,
    run on this machine, gave 1.8857, 1.8735 and 1.8962 at three seeds (1.8982, 1.8909, 1.9081 on the whole
    validation text). Measured here: 1.8935 on 20 batches (1.9040 on the whole validation text); with the
    tanh GELU 1.8919, which PyTorch running this same program from the same weights on the same batches
    (benchmarks/char_gpt_torch_reference.py) printed as well."""
    history = char_gpt.train(TEXT, tmp_path, progress=False, **char_gpt.REFERENCE)
    assert history["eval"][-1][2] <= 1.88 + 0.02


@pytest.mark.slow
@needs_text
def test_default_configuration_beats_the_char_lstm_within_30_minutes(tmp_path):
    """Measured on the 2-core machine: 1.5298 over the whole validation text (1.5212 on 20 batches) after
    3,200 steps, in 24.7 minutes; the char-LSTM reached 1.636."""
    history = char_gpt.train(TEXT, tmp_path, progress=False, **char_gpt.DEFAULT)
    assert history["val_loss"] <= 1.55 and history["minutes"] <= 30
