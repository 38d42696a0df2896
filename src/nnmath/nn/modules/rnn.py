"""Recurrent layers: RNN, LSTM, GRU (multi-layer, bidirectional, packed sequences) and their cells.

The mathematics (cells, back-propagation through time) lives in :mod:`nnmath.ops.recurrent`; the
modules here hold the weights under PyTorch's names and run one shared multi-layer / bidirectional
driver, so a PyTorch ``state_dict`` loads and gives the same outputs.
"""
from __future__ import annotations

import math
import warnings

from nnmath import creation, ops
from nnmath.autograd import no_grad
from nnmath.backend import on_device_of
from nnmath.nn import functional as F
from nnmath.nn.modules.module import Module
from nnmath.nn.parameter import Parameter
from nnmath.nn.utils.rnn import PackedSequence, packed_from_padded, padded_from_packed
from nnmath.ops.recurrent import CELLS
from nnmath.random import rng
from nnmath.tensor import Tensor

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]



def _empty_parameter(shape, factory) -> Parameter:
    return Parameter(creation.empty(*shape, **factory))


def _reset_uniform(parameters, hidden_size: int) -> None:
    """Every weight and bias ~ U(−1/√hidden_size, 1/√hidden_size), as PyTorch."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    with no_grad():
        for p in parameters:
            p._data[...] = on_device_of(rng().uniform(-bound, bound, p.shape), p._data)


def _check_shape(what: str, tensor: Tensor, expected: tuple) -> None:
    if tuple(tensor.shape) != tuple(expected):
        raise RuntimeError(f"Expected {what} size {tuple(expected)}, got {list(tensor.shape)}")


class RNNBase(Module):
    """The shared multi-layer, optionally bidirectional recurrent network (see :class:`RNN`,
    :class:`LSTM`, :class:`GRU` for the cells' equations).

    Layer l > 0 reads the concatenated outputs of both directions of layer l − 1, with dropout
    (probability ``dropout``, training mode only) between layers but not after the last.
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        factory = {"dtype": dtype} if dtype is not None else {}
        if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             f"element being zeroed, got {dropout}")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers=1")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"hidden_size must be a positive integer, got {hidden_size}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"num_layers must be a positive integer, got {num_layers}")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError(f"{type(self).__name__}: proj_size has to be smaller than hidden_size, got proj_size "
                             f"{proj_size} and hidden_size {hidden_size}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        gate_size = CELLS[mode].gates * hidden_size
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {"weight_ih": (gate_size, layer_input_size), "weight_hh": (gate_size, real_hidden_size)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                for name, shape in shapes.items():
                    setattr(self, name + suffix, _empty_parameter(shape, factory))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_uniform(self.parameters(), self.hidden_size)

    @property
    def all_weights(self) -> list:
        """The parameters per layer and direction: [[w_ih, w_hh, b_ih, b_hh, (w_hr)], ...]."""
        per_direction = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional else 1))
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i:i + per_direction]] for i in range(0, len(names), per_direction)]

    def _layer_weights(self, layer: int, direction: int) -> tuple:
        """(weight_ih, weight_hh, bias_ih, bias_hh, weight_hr), None where absent."""
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        return tuple(getattr(self, name + suffix, None)
                     for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"))

    # --- input and state checking --------------------------------------------------------------------
    def _check_input(self, input: Tensor, packed: bool) -> None:
        expected_dim = 2 if packed else 3
        if input.dim() not in (expected_dim, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D (input of shape "
                             f"(seq_len, batch, input_size)), got {input.dim()}D tensor of shape {list(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")

    def _state_sizes(self, batch: int) -> tuple:
        """Expected shapes of h_0 and (for LSTM) c_0 for a batch of size ``batch``."""
        layers = self.num_layers * (2 if self.bidirectional else 1)
        h_shape = (layers, batch, self.proj_size if self.proj_size > 0 else self.hidden_size)
        return h_shape, (layers, batch, self.hidden_size)

    def _initial_states(self, hx, batch: int, batched: bool, like: Tensor, sorted_indices):
        """(h_0, c_0 or None) as (layers, batch, ·) tensors: checked, zero by default, batch-sorted."""
        h_shape, c_shape = self._state_sizes(batch)
        is_lstm = self.mode == "LSTM"
        if hx is None:
            zeros = lambda shape: creation.zeros(*shape, dtype=like.dtype, device=like.device)
            return zeros(h_shape), (zeros(c_shape) if is_lstm else None)
        states = tuple(hx) if is_lstm else (hx,)
        if is_lstm and len(states) != 2:
            raise RuntimeError(f"LSTM: expected hx to be a tuple (h_0, c_0), got {len(states)} tensors")
        names = ("hidden[0]", "hidden[1]") if is_lstm else ("hidden",)
        checked = []
        for name, state, shape in zip(names, states, (h_shape, c_shape)):
            if not batched:
                if state.dim() != 2:
                    raise RuntimeError(f"For unbatched 2-D input, {name} should also be 2-D but got "
                                       f"{state.dim()}-D tensor of shape {list(state.shape)}")
                state = state.unsqueeze(1)
            elif state.dim() != 3:
                raise RuntimeError(f"For batched 3-D input, {name} should also be 3-D but got "
                                   f"{state.dim()}-D tensor of shape {list(state.shape)}")
            _check_shape(name if is_lstm else "hidden", state, shape)
            if sorted_indices is not None:
                state = ops.index_select(state, 1, sorted_indices)
            checked.append(state)
        return checked[0], (checked[1] if is_lstm else None)

    # --- the driver ---------------------------------------------------------------------------------
    def _run_layers(self, x: Tensor, h0: Tensor, c0, batch_sizes):
        """All layers and directions over x (T, B, input_size): (output, h_n, c_n or None)."""
        num_directions = 2 if self.bidirectional else 1
        layer_input, h_n, c_n = x, [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                y, h, c = F.recurrent_layer(self.mode, layer_input, h0[k], None if c0 is None else c0[k],
                                          *self._layer_weights(layer, direction), reverse=direction == 1,
                                          batch_sizes=batch_sizes)
                outputs.append(y)
                h_n.append(h)
                c_n.append(c)
            layer_input = outputs[0] if num_directions == 1 else ops.cat(outputs, dim=2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
        return layer_input, ops.stack(h_n), (None if c0 is None else ops.stack(c_n))

    def forward(self, input, hx=None):
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes_t, sorted_indices, unsorted_indices = input
            self._check_input(data, packed=True)
            batch_sizes = batch_sizes_t._data
            batch = int(batch_sizes[0])
            x = padded_from_packed(data, batch_sizes, batch_sizes.size)
            batched = True
        else:
            self._check_input(input, packed=False)
            batch_sizes, sorted_indices, unsorted_indices = None, None, None
            batched = input.dim() == 3
            if not batched:
                x = input.unsqueeze(1)
            else:
                x = input.transpose(0, 1) if self.batch_first else input
            batch = x.shape[1]
        h0, c0 = self._initial_states(hx, batch, batched, x, sorted_indices)
        output, h_n, c_n = self._run_layers(x, h0, c0, batch_sizes)
        if packed:
            output = PackedSequence(packed_from_padded(output, batch_sizes), batch_sizes_t,
                                    sorted_indices, unsorted_indices)
            if unsorted_indices is not None:
                h_n = ops.index_select(h_n, 1, unsorted_indices)
                c_n = None if c_n is None else ops.index_select(c_n, 1, unsorted_indices)
        elif not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, (h_n if c_n is None else (h_n, c_n))

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        return text


class RNN(RNNBase):
    r"""Elman RNN:  hₜ = tanh(W_ih xₜ + b_ih + W_hh hₜ₋₁ + b_hh)   (or relu with ``nonlinearity='relu'``).

    Backward (BPTT): with āₜ = h̄ₜ ⊙ (1 − hₜ²),  h̄ₜ₋₁ = W_hhᵀ āₜ (+ the gradient from the output yₜ₋₁),
    W̄_hh = Σₜ āₜ hₜ₋₁ᵀ,  W̄_ih = Σₜ āₜ xₜᵀ,  x̄ₜ = W_ihᵀ āₜ.

    Args:
        input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
        dropout=0.0, bidirectional=False

    Shape:
        input (L, N, H_in) or (N, L, H_in) with batch_first, or (L, H_in) unbatched, or a PackedSequence;
        h_0 (D·num_layers, N, H_out). Returns (output (L, N, D·H_out), h_n (D·num_layers, N, H_out)).

    Attributes:
        weight_ih_l[k], weight_hh_l[k], bias_ih_l[k], bias_hh_l[k] (and ``_reverse``), all ~ U(−√k, √k),
        k = 1/hidden_size.

    Example::

        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, h_n = rnn(nnmath.randn(5, 3, 10), nnmath.randn(2, 3, 20))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, device=device, dtype=dtype)


class LSTM(RNNBase):
    r"""Long short-term memory (gate order i, f, g, o as PyTorch):

        iₜ = σ(W_ii xₜ + b_ii + W_hi hₜ₋₁ + b_hi)      fₜ = σ(W_if xₜ + b_if + W_hf hₜ₋₁ + b_hf)
        gₜ = tanh(W_ig xₜ + b_ig + W_hg hₜ₋₁ + b_hg)   oₜ = σ(W_io xₜ + b_io + W_ho hₜ₋₁ + b_ho)
        cₜ = fₜ ⊙ cₜ₋₁ + iₜ ⊙ gₜ                         hₜ = oₜ ⊙ tanh(cₜ)   (× W_hr with proj_size)

    The four gates are one (4H, ·) matrix: all inputs are projected in one product before the loop
    and each step is one (N, H) @ (H, 4H) product. Backward (BPTT) with tc = tanh(cₜ):
    c̄ = c̄ₜ + h̄ₜ ⊙ oₜ ⊙ (1 − tc²),  ī = c̄ ⊙ gₜ,  f̄ = c̄ ⊙ cₜ₋₁,  ḡ = c̄ ⊙ iₜ,  ō = h̄ₜ ⊙ tc,  c̄ₜ₋₁ = c̄ ⊙ fₜ,
    each gate's pre-activation gradient times σ' = σ(1 − σ) or tanh' = 1 − tanh², then
    h̄ₜ₋₁ = W_hhᵀ ā. The backward is NumPy code: it cannot be differentiated again (create_graph
    through an LSTM raises).

    Args:
        input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
        bidirectional=False, proj_size=0

    Shape:
        input (L, N, H_in) / (N, L, H_in) / (L, H_in) / PackedSequence; (h_0, c_0) of shapes
        (D·num_layers, N, H_out) and (D·num_layers, N, H_cell). Returns (output, (h_n, c_n)).

    Attributes:
        weight_ih_l[k] (4H, ·), weight_hh_l[k] (4H, H_out), bias_ih_l[k], bias_hh_l[k] (4H,),
        weight_hr_l[k] (proj_size, H) with proj_size > 0; all ~ U(−1/√H, 1/√H).

    Example::

        >>> lstm = nn.LSTM(10, 20, 2, batch_first=True)
        >>> output, (h_n, c_n) = lstm(nnmath.randn(3, 5, 10))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    r"""Gated recurrent unit (gate order r, z, n as PyTorch):

        rₜ = σ(W_ir xₜ + b_ir + W_hr hₜ₋₁ + b_hr)      zₜ = σ(W_iz xₜ + b_iz + W_hz hₜ₋₁ + b_hz)
        nₜ = tanh(W_in xₜ + b_in + rₜ ⊙ (W_hn hₜ₋₁ + b_hn))
        hₜ = (1 − zₜ) ⊙ nₜ + zₜ ⊙ hₜ₋₁

    Backward (BPTT): n̄ = h̄ₜ ⊙ (1 − zₜ),  z̄ = h̄ₜ ⊙ (hₜ₋₁ − nₜ),  ā_n = n̄ ⊙ (1 − nₜ²),
    r̄ = ā_n ⊙ (W_hn hₜ₋₁ + b_hn),  h̄ₜ₋₁ = h̄ₜ ⊙ zₜ + W_hhᵀ [r̄ σ'_r, z̄ σ'_z, ā_n ⊙ rₜ].

    Args and shapes as :class:`RNN`. Attributes: weight_ih_l[k] (3H, ·), weight_hh_l[k] (3H, H),
    bias_ih_l[k], bias_hh_l[k] (3H,), all ~ U(−1/√H, 1/√H).

    Example::

        >>> gru = nn.GRU(10, 20, bidirectional=True)
        >>> output, h_n = gru(nnmath.randn(5, 3, 10))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


class RNNCellBase(Module):
    """One time step of a recurrent cell: weight_ih (G·H, I), weight_hh (G·H, H), bias_ih, bias_hh (G·H,),
    all ~ U(−1/√H, 1/√H). It runs the same primitive as the layers, over a sequence of length one."""

    def __init__(self, mode, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        factory = {"dtype": dtype} if dtype is not None else {}
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gate_size = CELLS[mode].gates * hidden_size
        self.weight_ih = _empty_parameter((gate_size, input_size), factory)
        self.weight_hh = _empty_parameter((gate_size, hidden_size), factory)
        if bias:
            self.bias_ih = _empty_parameter((gate_size,), factory)
            self.bias_hh = _empty_parameter((gate_size,), factory)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_uniform(self.parameters(), self.hidden_size)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        return text

    def _step(self, input, hx):
        """(h', c' or None) for input (I,) or (B, I) and hx = h or (h, c) or None."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        shape = (x.shape[0], self.hidden_size)
        if hx is None:
            states = [creation.zeros(*shape, dtype=x.dtype, device=x.device)] * (2 if self.mode == "LSTM" else 1)
        else:
            states = list(hx) if self.mode == "LSTM" else [hx]
            states = [s if batched else s.unsqueeze(0) for s in states]
            for i, s in enumerate(states):
                _check_shape(f"hidden[{i}]" if self.mode == "LSTM" else "hidden", s, shape)
        _, h, c = F.recurrent_layer(self.mode, x.unsqueeze(0), states[0], states[1] if len(states) == 2 else None,
                                  self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        if not batched:
            h = h.squeeze(0)
            c = None if c is None else c.squeeze(0)
        return h, c


class RNNCell(RNNCellBase):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu). Input (B, I) or (I,); returns h' (B, H)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, bias,
                         device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx)[0]


class LSTMCell(RNNCellBase):
    """One LSTM step (equations in :class:`LSTM`): (h', c') from input and (h, c)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx)


class GRUCell(RNNCellBase):
    """One GRU step (equations in :class:`GRU`): h' from input and h."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx)[0]
