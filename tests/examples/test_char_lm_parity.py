"""The char-LM trained by nnmath and by PyTorch, from the same weights on the same batches in the same
order (truncated BPTT, gradient clipping, Adam), follows the same loss curve and reaches the same
validation loss, up to float32 noise."""
import pathlib

import numpy as np
import pytest

import nnmath
from nnmath.apps.char_lm import char_lstm_class
from nnmath.text import CharVocab, batchify, bptt_batches, train_val_split

TEXT = pathlib.Path(__file__).parents[2].parent / "shared" / "data" / "tinyshakespeare" / "input.txt"
pytestmark = pytest.mark.skipif(not TEXT.is_file(), reason="shared/data/tinyshakespeare is absent")

STEPS, BATCH, SEQ = 30, 16, 32


def _train(lib, model, train_streams, val_streams, vocab_size):
    """STEPS steps of the demo's training loop in ``lib``; returns the step losses and the validation loss."""
    F = lib.nn.functional
    optimizer = lib.optim.Adam(model.parameters(), lr=2e-3)
    state, losses = None, []
    for step, (x, y) in enumerate(bptt_batches(train_streams, SEQ)):
        if step == STEPS:
            break
        x, y = lib.tensor(x.numpy()), lib.tensor(y.numpy())
        logits, state = model(x, None if state is None else tuple(s.detach() for s in state))
        loss = F.cross_entropy(logits.reshape(-1, vocab_size), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        losses.append(loss.item())
    with lib.no_grad():
        x, y = next(iter(bptt_batches(val_streams, SEQ)))
        logits, _ = model(lib.tensor(x.numpy()))
        val = F.cross_entropy(logits.reshape(-1, vocab_size), lib.tensor(y.numpy()).reshape(-1)).item()
    return np.array(losses), val


def test_same_loss_curve_and_validation_loss_as_pytorch():
    torch = pytest.importorskip("torch")
    text = TEXT.read_text()[:200_000]
    vocab = CharVocab.from_text(text)
    train_ids, val_ids = train_val_split(vocab.encode(text), 0.1)
    train_streams, val_streams = batchify(train_ids, BATCH), batchify(val_ids, BATCH)
    nnmath.manual_seed(0)
    ours = char_lstm_class(nnmath)(vocab.size, 32, 64)
    theirs = char_lstm_class(torch)(vocab.size, 32, 64)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        our_losses, our_val = _train(nnmath, ours, train_streams, val_streams, vocab.size)
        their_losses, their_val = _train(torch, theirs, train_streams, val_streams, vocab.size)
    finally:
        torch.set_num_threads(threads)
    assert our_losses[-1] < our_losses[0] - 0.5          # it learns: from ln 65 ≈ 4.17 downwards
    # Measured: the two curves differ by at most 1.5e-7 relative over the 30 steps (float32's epsilon is
    # 1.2e-7) and the validation losses by 7e-8; the bounds are about ten times that.
    np.testing.assert_allclose(our_losses, their_losses, rtol=2e-6)
    assert our_val == pytest.approx(their_val, rel=1e-6)
