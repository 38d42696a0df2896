"""Cells, Embedding, pad/pack utilities and error messages, against PyTorch where it has the same API;
the seed programs' models build, run and train with ``import nnmath.nn as nn``."""
from __future__ import annotations

import pathlib

import numpy as np
import pytest

import nnmath
from nnmath.nn.modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from nnmath.nn.modules.sparse import Embedding
from nnmath.nn.utils import rnn as rnn_utils

torch = pytest.importorskip("torch")


def _load_torch_weights(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.double().state_dict().items()})


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_torch(cell, batched):
    ours = {"RNNCell": RNNCell, "LSTMCell": LSTMCell, "GRUCell": GRUCell}[cell](3, 4, dtype=nnmath.float64)
    theirs = getattr(torch.nn, cell)(3, 4)
    _load_torch_weights(ours, theirs)
    rng = np.random.default_rng(0)
    shape = (2, 3) if batched else (3,)
    x = rng.standard_normal(shape)
    h = rng.standard_normal(shape[:-1] + (4,))
    hx = (h, h * 0.5) if cell == "LSTMCell" else h
    as_ours = (lambda a: tuple(nnmath.tensor(v) for v in a)) if cell == "LSTMCell" else nnmath.tensor
    as_theirs = (lambda a: tuple(torch.tensor(v) for v in a)) if cell == "LSTMCell" else torch.tensor
    out_ours, out_theirs = ours(nnmath.tensor(x), as_ours(hx)), theirs(torch.tensor(x), as_theirs(hx))
    if cell != "LSTMCell":
        out_ours, out_theirs = (out_ours,), (out_theirs,)
    for a, b in zip(out_ours, out_theirs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    sum(o.sum() for o in out_ours).backward()
    sum(o.sum() for o in out_theirs).backward()
    np.testing.assert_allclose(ours.weight_hh.grad.numpy(), theirs.weight_hh.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_parameter_names_shapes_and_init_match_torch():
    ours, theirs = LSTM(3, 8, num_layers=2, bidirectional=True, proj_size=2), torch.nn.LSTM(3, 8, 2, bidirectional=True, proj_size=2)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    bound = 1 / np.sqrt(8)
    for p in ours.parameters():
        values = p.detach().numpy()
        assert values.min() >= -bound and values.max() <= bound and values.std() > bound / 3
    assert repr(GRU(3, 4, 2, batch_first=True)) == repr(torch.nn.GRU(3, 4, 2, batch_first=True))


def test_dropout_between_layers_only_in_training():
    lstm = LSTM(3, 4, num_layers=2, dropout=0.5)
    x = nnmath.randn(5, 2, 3)
    lstm.eval()
    first, _ = lstm(x)
    second, _ = lstm(x)
    np.testing.assert_array_equal(first.detach().numpy(), second.detach().numpy())
    lstm.train()
    assert not np.allclose(lstm(x)[0].detach().numpy(), first.detach().numpy())


def test_first_derivative_with_create_graph_works_and_the_second_raises_clearly():
    lstm = LSTM(2, 3)
    x = nnmath.randn(4, 1, 2, requires_grad=True)
    out, _ = lstm(x)
    g, = nnmath.autograd.grad(out.sum(), x, create_graph=True)
    plain, = nnmath.autograd.grad(lstm(x)[0].sum(), x)
    np.testing.assert_array_equal(g.detach().numpy(), plain.numpy())
    assert g.requires_grad
    with pytest.raises(RuntimeError, match="RecurrentLayer.backward is once_differentiable"):
        nnmath.autograd.grad((g * g).sum(), x)


def test_second_derivative_through_a_cotangent_raises_clearly():
    lstm = LSTM(2, 3)
    x = nnmath.randn(4, 1, 2, requires_grad=True)
    out, _ = lstm(x)
    cotangent = nnmath.ones(*out.shape, requires_grad=True)
    g, = nnmath.autograd.grad(out, x, cotangent, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


# --- error messages -------------------------------------------------------------------------------
def test_wrong_input_feature_size_names_expected_and_got():
    with pytest.raises(RuntimeError, match="Expected 3, got 5"):
        LSTM(3, 4)(nnmath.randn(2, 1, 5))


def test_wrong_input_rank():
    with pytest.raises(ValueError, match="2D or 3D.*got 4D"):
        GRU(3, 4)(nnmath.randn(2, 1, 1, 3))


def test_wrong_hidden_shape_names_expected_and_got():
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(2, 1, 4\), got \[1, 1, 4\]"):
        RNN(3, 4, num_layers=2)(nnmath.randn(2, 1, 3), nnmath.zeros(1, 1, 4))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(1, 1, 4\), got \[1, 1, 5\]"):
        LSTM(3, 4)(nnmath.randn(2, 1, 3), (nnmath.zeros(1, 1, 4), nnmath.zeros(1, 1, 5)))
    with pytest.raises(RuntimeError, match="2-D"):
        LSTM(3, 4)(nnmath.randn(2, 3), (nnmath.zeros(1, 1, 4), nnmath.zeros(1, 1, 4)))


def test_out_of_range_token_names_id_and_table_size():
    with pytest.raises(IndexError, match="index 10 is out of range for num_embeddings=10"):
        Embedding(10, 3)(nnmath.tensor([1, 10]))
    with pytest.raises(IndexError, match="index -1"):
        Embedding(10, 3)(nnmath.tensor([-1]))


# --- Embedding ------------------------------------------------------------------------------------
def test_padding_row_is_zero_and_gets_no_gradient():
    emb = Embedding(5, 3, padding_idx=1)
    assert not emb.weight.detach().numpy()[1].any()
    emb(nnmath.tensor([[1, 2, 1], [0, 1, 4]])).sum().backward()
    grad = emb.weight.grad.numpy()
    assert not grad[1].any() and (grad[[0, 2, 4]] == 1).all() and not grad[3].any()


def test_max_norm_renormalises_looked_up_rows_in_place_as_torch():
    table = np.random.default_rng(0).standard_normal((6, 4)) * 3
    ours = Embedding.from_pretrained(nnmath.tensor(table.copy()), max_norm=1.5)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table.copy()), max_norm=1.5)
    ids = [[0, 2, 2], [5, 0, 1]]
    np.testing.assert_allclose(ours(nnmath.tensor(ids)).numpy(), theirs(torch.tensor(ids)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-12)
    assert np.allclose(ours.weight.detach().numpy()[3], table[3])  # not looked up: unchanged


def test_from_pretrained_freezes_by_default_and_shares_the_table():
    table = nnmath.randn(4, 2)
    frozen = Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    assert Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    np.testing.assert_array_equal(frozen(nnmath.tensor([3])).numpy(), table.numpy()[[3]])


# --- pad / pack -------------------------------------------------------------------------------------
def _sequences(lib, lengths, features=2):
    rng = np.random.default_rng(1)
    return [lib.tensor(rng.standard_normal((n, features))) for n in lengths]


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, padding_side):
    ours = rnn_utils.pad_sequence(_sequences(nnmath, [2, 4, 1]), batch_first, -1.0, padding_side)
    theirs = torch.nn.utils.rnn.pad_sequence(_sequences(torch, [2, 4, 1]), batch_first, -1.0, padding_side)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("enforce_sorted,lengths", [(True, [4, 2, 1]), (False, [2, 4, 1])])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_round_trip_matches_torch(enforce_sorted, lengths, batch_first):
    ours = rnn_utils.pack_sequence(_sequences(nnmath, lengths), enforce_sorted=enforce_sorted)
    theirs = torch.nn.utils.rnn.pack_sequence(_sequences(torch, lengths), enforce_sorted=enforce_sorted)
    for a, b in zip(ours, theirs):
        if b is None:
            assert a is None
        else:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    padded_ours, lengths_ours = rnn_utils.pad_packed_sequence(ours, batch_first, 7.0, total_length=6)
    padded_theirs, lengths_theirs = torch.nn.utils.rnn.pad_packed_sequence(theirs, batch_first, 7.0, total_length=6)
    np.testing.assert_array_equal(padded_ours.numpy(), padded_theirs.numpy())
    np.testing.assert_array_equal(lengths_ours.numpy(), lengths_theirs.numpy())


def test_pack_padded_sequence_requires_sorted_lengths_when_enforced():
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(nnmath.zeros(3, 2, 1), [1, 3])


def test_gradient_flows_through_packing():
    sequences = [s.requires_grad_() for s in _sequences(nnmath, [3, 1])]
    padded, _ = rnn_utils.pad_packed_sequence(rnn_utils.pack_sequence(sequences))
    (padded * 2).sum().backward()
    assert all((s.grad.numpy() == 2).all() for s in sequences)


# --- the seed programs ------------------------------------------------------------------------------
SEEDS = pathlib.Path("/work/shared/seed_programs")


def _seed_class(filename, name):
    if not (SEEDS / filename).exists():
        pytest.skip("seed programs not present")
    import nnmath.nn
    source = (SEEDS / filename).read_text().replace("import torch.nn as nn", "import nnmath.nn as nn")
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


def _one_step_decreases_loss(model, inputs, target, h0, c0):
    import nnmath.nn.functional as F
    optimizer = nnmath.optim.Adam(model.parameters(), lr=1e-2)
    model.eval()  # no dropout: the two losses are of the same function
    losses = []
    for _ in range(2):
        logits, (hn, cn) = model(inputs, h0, c0)
        loss = F.cross_entropy(logits, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert tuple(hn.shape) == tuple(h0.shape) and tuple(cn.shape) == tuple(c0.shape)
    assert losses[1] < losses[0]


def test_seed_rnn_language_model_builds_runs_and_trains():
    RNNModel = _seed_class("seed002_rnn_language_model.py", "RNNModel")
    model = RNNModel(vocab_size=11, embed_dim=6, hidden_dim=8, num_layers=2)
    x = nnmath.randint(0, 11, (4, 7))
    _one_step_decreases_loss(model, x, nnmath.randint(0, 11, (4,)), nnmath.zeros(2, 4, 8), nnmath.zeros(2, 4, 8))


def test_seed_speech_model_builds_runs_and_trains():
    SpeechRecognitionModel = _seed_class("seed002_speech_lstm.py", "SpeechRecognitionModel")
    model = SpeechRecognitionModel(vocab_size=10, input_size=5, hidden_size=8, num_layers=2)
    x = nnmath.randn(4, 9, 5)
    _one_step_decreases_loss(model, x, nnmath.tensor([0, 3, 9, 3]), nnmath.zeros(2, 4, 8), nnmath.zeros(2, 4, 8))
