"""RNN, LSTM and GRU against PyTorch with the same weights (copied from the torch module's state_dict
through NumPy): outputs, final states and every gradient, for each option."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import nnmath
from nnmath.nn.modules.rnn import GRU, LSTM, RNN
from nnmath.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch = pytest.importorskip("torch")

I, H, T, B = 3, 4, 5, 2


def _twin(torch_module, our_class, **kwargs):
    """(torch module in float64, nnmath module with its weights) for the same constructor arguments."""
    theirs = torch_module.double()
    ours = our_class(**kwargs, dtype=nnmath.float64)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _both(array, requires_grad=True):
    return (nnmath.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def _assert_close(ours, theirs, what):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-9, atol=1e-10,
                               err_msg=what)


def _flatten(out):
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _flatten(o)]
    return [out]


def _compare(ours_out, theirs_out, ours_module, theirs_module, leaves):
    """Outputs equal; then for one random linear loss, every parameter's and input's gradient equal."""
    ours_out, theirs_out = _flatten(ours_out), _flatten(theirs_out)
    assert len(ours_out) == len(theirs_out)
    rng = np.random.default_rng(3)
    loss_ours, loss_theirs = 0, 0
    for i, (a, b) in enumerate(zip(ours_out, theirs_out)):
        _assert_close(a, b, f"output {i}")
        weights = rng.standard_normal(tuple(b.shape))
        loss_ours = loss_ours + (a * nnmath.tensor(weights)).sum()
        loss_theirs = loss_theirs + (b * torch.tensor(weights)).sum()
    loss_ours.backward()
    loss_theirs.backward()
    theirs_params = dict(theirs_module.named_parameters())
    for name, p in ours_module.named_parameters():
        _assert_close(p.grad, theirs_params[name].grad, f"gradient of {name}")
    for i, (a, b) in enumerate(leaves):
        _assert_close(a.grad, b.grad, f"gradient of input {i}")


CONFIGS = list(itertools.product([1, 2], [False, True], [False, True], [True, False]))


@pytest.mark.parametrize("num_layers,bidirectional,batch_first,bias", CONFIGS)
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"])
@pytest.mark.parametrize("with_state", [False, True])
def test_layer_matches_torch(kind, num_layers, bidirectional, batch_first, bias, with_state):
    kwargs = dict(input_size=I, hidden_size=H, num_layers=num_layers, bidirectional=bidirectional,
                  batch_first=batch_first, bias=bias)
    if kind.startswith("RNN"):
        kwargs["nonlinearity"] = kind[4:].lower()
    torch_class, our_class = {"LSTM": (torch.nn.LSTM, LSTM), "GRU": (torch.nn.GRU, GRU)}.get(kind, (torch.nn.RNN, RNN))
    ours, theirs = _twin(torch_class(**kwargs), our_class, **kwargs)
    rng = np.random.default_rng(0)
    x_ours, x_theirs = _both(rng.standard_normal((B, T, I) if batch_first else (T, B, I)))
    leaves = [(x_ours, x_theirs)]
    our_args, their_args = [x_ours], [x_theirs]
    if with_state:
        D = 2 if bidirectional else 1
        states = [_both(rng.standard_normal((num_layers * D, B, H))) for _ in range(2 if kind == "LSTM" else 1)]
        leaves += states
        if kind == "LSTM":
            our_args.append((states[0][0], states[1][0]))
            their_args.append((states[0][1], states[1][1]))
        else:
            our_args.append(states[0][0])
            their_args.append(states[0][1])
    _compare(ours(*our_args), theirs(*their_args), ours, theirs, leaves)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_lstm_with_projection_matches_torch(bidirectional, num_layers):
    kwargs = dict(input_size=I, hidden_size=H, proj_size=2, num_layers=num_layers, bidirectional=bidirectional)
    ours, theirs = _twin(torch.nn.LSTM(**kwargs), LSTM, **kwargs)
    assert "weight_hr_l0" in dict(ours.named_parameters())
    D = 2 if bidirectional else 1
    rng = np.random.default_rng(1)
    x, h0, c0 = (_both(rng.standard_normal(s)) for s in [(T, B, I), (num_layers * D, B, 2), (num_layers * D, B, H)])
    _compare(ours(x[0], (h0[0], c0[0])), theirs(x[1], (h0[1], c0[1])), ours, theirs, [x, h0, c0])


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_unbatched_input_matches_torch(kind):
    torch_class, our_class = {"LSTM": (torch.nn.LSTM, LSTM), "GRU": (torch.nn.GRU, GRU)}[kind]
    ours, theirs = _twin(torch_class(I, H, 2), our_class, input_size=I, hidden_size=H, num_layers=2)
    x = _both(np.random.default_rng(2).standard_normal((T, I)))
    _compare(ours(x[0]), theirs(x[1]), ours, theirs, [x])


@pytest.mark.parametrize("enforce_sorted,lengths", [(True, [5, 3, 2]), (False, [2, 5, 3])])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_packed_sequence_matches_torch(kind, bidirectional, enforce_sorted, lengths):
    torch_class, our_class = {"LSTM": (torch.nn.LSTM, LSTM), "GRU": (torch.nn.GRU, GRU)}[kind]
    kwargs = dict(input_size=I, hidden_size=H, num_layers=2, bidirectional=bidirectional, batch_first=True)
    ours, theirs = _twin(torch_class(**kwargs), our_class, **kwargs)
    rng = np.random.default_rng(4)
    x = _both(rng.standard_normal((3, T, I)))
    h0 = _both(rng.standard_normal((2 * (2 if bidirectional else 1), 3, H)))
    c0 = _both(rng.standard_normal(h0[0].shape))
    state = [(h0[0], c0[0]), (h0[1], c0[1])] if kind == "LSTM" else [h0[0], h0[1]]
    packed_ours = pack_padded_sequence(x[0], lengths, batch_first=True, enforce_sorted=enforce_sorted)
    packed_theirs = torch.nn.utils.rnn.pack_padded_sequence(x[1], torch.tensor(lengths), batch_first=True,
                                                            enforce_sorted=enforce_sorted)

    out_ours, h_ours = ours(packed_ours, state[0])
    out_theirs, h_theirs = theirs(packed_theirs, state[1])
    np.testing.assert_array_equal(out_ours.batch_sizes.numpy(), out_theirs.batch_sizes.numpy())
    padded_ours = pad_packed_sequence(out_ours, batch_first=True)[0]
    padded_theirs = torch.nn.utils.rnn.pad_packed_sequence(out_theirs, batch_first=True)[0]
    leaves = [x, h0] + ([c0] if kind == "LSTM" else [])
    _compare((padded_ours, h_ours), (padded_theirs, h_theirs), ours, theirs, leaves)


def test_a_nearly_closed_lstm_gate_keeps_its_small_value_as_pytorch():
    """σ(−30) ≈ 9.4·10⁻¹⁴ through the output gate, float32: the gate's own value (no rounding to 0, as
    (1 + tanh(a/2))/2 would give), so h matches PyTorch's in relative terms."""
    ours, theirs = LSTM(1, 1), torch.nn.LSTM(1, 1)
    biases = np.array([0.0, 10.0, 0.0, -30.0], dtype=np.float32)  # gates i, f, g, o
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.tensor(biases if name == "bias_ih_l0" else np.zeros(tuple(p.shape), np.float32)))
    ours.load_state_dict({k: nnmath.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x, h0, c0 = np.zeros((1, 1, 1), np.float32), np.zeros((1, 1, 1), np.float32), np.ones((1, 1, 1), np.float32)
    h_ours = ours(nnmath.tensor(x), (nnmath.tensor(h0), nnmath.tensor(c0)))[0].detach().numpy()
    h_theirs = theirs(torch.tensor(x), (torch.tensor(h0), torch.tensor(c0)))[0].detach().numpy()
    assert 0 < h_theirs.item() < 1e-12
    np.testing.assert_allclose(h_ours, h_theirs, rtol=1e-5)
