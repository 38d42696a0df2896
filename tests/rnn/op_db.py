"""Op-table entries for the sequence-model primitives: embedding lookup/scatter and the recurrent layer."""
from __future__ import annotations

import numpy as np

from nnmath.ops.embedding import EmbeddingLookup, EmbeddingScatter
from nnmath.ops.recurrent import RecurrentLayer
from opinfo import OpInfo, Sample, set_special_points

IDS = np.array([[0, 2, 2], [4, 1, 0]])


def embedding(m, weight, ids, **kwargs):
    if m.__name__ == "torch":
        return m.nn.functional.embedding(ids, weight, **kwargs)
    from nnmath.ops.embedding import embedding as ours
    return ours(ids, weight, **kwargs)


def embedding_samples(rng):
    weight = rng.uniform(-1, 1, (5, 3))
    return [Sample((weight, IDS)), Sample((weight, IDS[0])), Sample((weight, np.array(3)))]


def embedding_gradient_rule_samples(rng):
    weight = rng.uniform(-1, 1, (5, 3))
    return [Sample((weight, IDS), dict(padding_idx=2)),
            Sample((weight, IDS[0]), dict(scale_grad_by_freq=True)),
            Sample((weight, IDS), dict(padding_idx=0, scale_grad_by_freq=True))]


def embedding_backward(m, gy, ids, num_weights=5, padding_idx=-1):
    """The table's gradient as a function of the output gradient: PyTorch's embedding_dense_backward."""
    if m.__name__ == "torch":
        return m.ops.aten.embedding_dense_backward(gy, ids, num_weights, padding_idx, False)
    from nnmath.ops.embedding import _gradient_scale
    scale = _gradient_scale(ids._data, None if padding_idx < 0 else padding_idx, False, gy._data.dtype)
    return EmbeddingScatter.apply(gy, ids._data, num_weights, scale)


def embedding_backward_samples(rng):
    return [Sample((rng.uniform(-1, 1, (2, 3, 3)), IDS)),
            Sample((rng.uniform(-1, 1, (2, 3, 3)), IDS), dict(padding_idx=0))]


MODULES = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}


def recurrent(m, x, h0, c0, w_ih, w_hh, b_ih, b_hh, mode="LSTM", reverse=False):
    """One direction of one layer, with every weight and both states as differentiable inputs; the
    reference is torch's module under torch.func.functional_call with the same tensors."""
    hx = (h0, c0) if mode == "LSTM" else h0
    if m.__name__ == "torch":
        kwargs = dict(nonlinearity=mode[4:].lower()) if mode.startswith("RNN") else {}
        module = getattr(m.nn, MODULES[mode])(x.shape[2], h0.shape[1], bidirectional=reverse, **kwargs).to(x.dtype)
        params = {n: p for n, p in zip(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"],
                                       [w_ih, w_hh, b_ih, b_hh])}
        if reverse:  # torch has no reverse-only layer: run both directions, keep the reverse one
            params.update({n + "_reverse": p for n, p in params.items()})
            hx = tuple(s.expand(2, *s.shape) for s in hx) if mode == "LSTM" else hx.expand(2, *hx.shape)
            hx = tuple(s.contiguous() for s in hx) if mode == "LSTM" else hx.contiguous()
        else:
            hx = tuple(s.unsqueeze(0) for s in hx) if mode == "LSTM" else hx.unsqueeze(0)
        y, h_n = m.func.functional_call(module, params, (x, hx))
        h_n = h_n if mode == "LSTM" else (h_n,)
        H = h0.shape[1]
        if reverse:
            return (y[..., H:],) + tuple(s[1] for s in h_n)
        return (y,) + tuple(s[0] for s in h_n)
    from nnmath.ops.recurrent import recurrent_layer
    y, h_n, c_n = recurrent_layer(mode, x, h0, c0 if mode == "LSTM" else None, w_ih, w_hh, b_ih, b_hh,
                                  reverse=reverse)
    return (y, h_n) if c_n is None else (y, h_n, c_n)


def recurrent_samples(rng):
    T, B, I, H = 3, 2, 2, 2
    samples = []
    for mode, gates in [("LSTM", 4), ("GRU", 3), ("RNN_TANH", 1), ("RNN_RELU", 1)]:
        for reverse in (False, True):
            low = 0.2 if mode == "RNN_RELU" else -1.0  # positive inputs keep relu away from its kink
            arrays = tuple(rng.uniform(low, 1, s) for s in
                           [(T, B, I), (B, H), (B, H), (gates * H, I), (gates * H, H), (gates * H,), (gates * H,)])
            samples.append(Sample(arrays, dict(mode=mode, reverse=reverse)))
    return samples


OP_DB = [
    OpInfo("nn.functional.embedding", embedding, embedding_samples, covers=(EmbeddingLookup,)),
    # padding_idx and scale_grad_by_freq change the gradient on purpose (it is no longer the derivative
    # of the forward), so only PyTorch parity applies, not gradcheck.
    OpInfo("nn.functional.embedding.gradient_rules", embedding, embedding_gradient_rule_samples,
           covers=(EmbeddingLookup,), gradcheck=False),
    OpInfo("embedding_backward", embedding_backward, embedding_backward_samples, covers=(EmbeddingScatter,)),
    # The BPTT backward is NumPy code (once_differentiable): no second derivative is claimed.
    OpInfo("recurrent_layer", recurrent, recurrent_samples, covers=(RecurrentLayer,), gradgrad=False),
]


SPECIAL = {
    "nn.functional.embedding": "linear in the table (a lookup)",
    "nn.functional.embedding.gradient_rules": "not a derivative: PyTorch's gradient rules, compared as values",
    "embedding_backward": "linear in the output gradient (a scatter-add)",
    "recurrent_layer": ("the cells are smooth (tanh, sigmoid) except RNN_RELU's kink, whose convention relu′(0) = 0 "
                        "is the one sampled at 0 by the relu and nn.relu entries"),
}

set_special_points(OP_DB, SPECIAL)
