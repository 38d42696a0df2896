"""Recurrent layers: one direction of one layer of an Elman RNN, an LSTM or a GRU over a whole sequence.

Every cell computes, at time t, an input projection and a hidden projection of G·H gates

    gxₜ = W_ih xₜ + b_ih          (all T of them in ONE matrix product before the loop)
    ghₜ = W_hh hₜ₋₁ + b_hh        (one (B, H) @ (H, G·H) product per step, all gates fused)

and combines them elementwise (σ is the logistic sigmoid, ⊙ the elementwise product):

    RNN   (G = 1)  hₜ = tanh(gxₜ + ghₜ)   (or relu)
    LSTM  (G = 4)  [i, f, g, o] = [σ, σ, tanh, σ](gxₜ + ghₜ)      (PyTorch's gate order)
                   cₜ = f ⊙ cₜ₋₁ + i ⊙ g,   hₜ = o ⊙ tanh(cₜ)     (with proj_size: hₜ = W_hr (o ⊙ tanh cₜ))
    GRU   (G = 3)  r = σ(gx_r + gh_r),  z = σ(gx_z + gh_z)
                   n = tanh(gx_n + r ⊙ gh_n)                     (gh_n = W_hn hₜ₋₁ + b_hn, as PyTorch)
                   hₜ = (1 − z) ⊙ n + z ⊙ hₜ₋₁

Back-propagation through time (BPTT) runs the steps in reverse with the gradients h̄ₜ (from the
output yₜ and from step t+1) and c̄ₜ. Each cell's local VJP gives the gate gradients āₜ (split into
their input part ḡxₜ and hidden part ḡhₜ) and the direct paths to hₜ₋₁, cₜ₋₁; then

    h̄ₜ₋₁ = W_hhᵀ ḡhₜ + (direct path),   W̄_hh = Σₜ ḡhₜ hₜ₋₁ᵀ,   b̄_hh = Σₜ ḡhₜ
    x̄ₜ = W_ihᵀ ḡxₜ,                      W̄_ih = Σₜ ḡxₜ xₜᵀ,     b̄_ih = Σₜ ḡxₜ

and the three weight sums are each ONE matrix product over all steps after the loop.

Variable-length batches (packed sequences) pass ``batch_sizes``: at step t only the first
``batch_sizes[t]`` rows (sequences sorted by decreasing length) are updated; the others keep their
state, so a finished sequence's state is its final one and, running in reverse, a sequence that has not
started yet still holds its initial state.
"""
from __future__ import annotations

import numpy as np

from nnmath.autograd.function import Function, once_differentiable
from nnmath.backend import get_array_module

__all__ = ["recurrent_layer"]


def _sigmoid_(a):
    """σ(a) = 1/(1 + e⁻ᵃ) in place. Far left e⁻ᵃ overflows to ∞ and σ is 0, as it should be (the
    overflow is not an error here). NumPy's float32 exp takes 2.5 ns a number against tanh's 3.9 (this
    machine), and the form keeps small σ to within a few ulps, where (1 + tanh(a/2))/2 rounds every σ
    below 6·10⁻⁸ to 0."""
    np.negative(a, out=a)
    with np.errstate(over="ignore"):
        np.exp(a, out=a)
    a += a.dtype.type(1)
    return np.reciprocal(a, out=a)


class ElmanCell:
    """hₜ = φ(gx + gh), φ = tanh or relu.  VJP: ā = h̄ₜ ⊙ φ'(·), with tanh' = 1 − hₜ², relu' = [hₜ > 0]."""

    gates = 1
    has_cell = False
    #: step_backward's ḡx and ḡh are one array (both pre-activations are the same sum gx + gh)
    same_gate_grads = True

    def __init__(self, nonlinearity: str):
        self.nonlinearity = nonlinearity

    def step(self, gx, gh, h, c):
        a = gx + gh
        h_new = np.tanh(a) if self.nonlinearity == "tanh" else np.maximum(a, 0)
        return h_new, None, h_new

    def step_backward(self, h_new, h, c, dh, dc):
        if self.nonlinearity == "tanh":
            da = dh * (1 - h_new * h_new)
        else:
            da = dh * (h_new > 0)
        return da, da, None, None


class LSTMCell:
    """The LSTM cell (see the module docstring). VJP, with tc = tanh(cₜ):

        ō = h̄ₜ ⊙ tc,   c̄ = c̄ₜ + h̄ₜ ⊙ o ⊙ (1 − tc²),
        ī = c̄ ⊙ g,   f̄ = c̄ ⊙ cₜ₋₁,   ḡ = c̄ ⊙ i,   c̄ₜ₋₁ = c̄ ⊙ f,
        ā = [ī ⊙ i(1 − i),  f̄ ⊙ f(1 − f),  ḡ ⊙ (1 − g²),  ō ⊙ o(1 − o)]
    """

    gates = 4
    has_cell = True
    same_gate_grads = True

    def step(self, gx, gh, h, c):
        a = gh
        a += gx  # gh is this step's own array: the gates are computed in it, in place
        H = c.shape[1]
        _sigmoid_(a[:, :2 * H])
        np.tanh(a[:, 2 * H:3 * H], out=a[:, 2 * H:3 * H])
        _sigmoid_(a[:, 3 * H:])
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        c_new = f * c
        c_new += i * g
        tc = np.tanh(c_new)
        return o * tc, c_new, (a, tc)

    def step_backward(self, cache, h, c, dh, dc):
        act, tc = cache
        H = tc.shape[1]
        i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
        dc_total = tc * tc
        _one_minus(dc_total, o, dh, out=dc_total)
        dc_total += dc
        dc = dc_total
        da = np.empty_like(act)  # each gate's ā written into its block, one pass per factor
        _one_minus(i, i, g, dc, out=da[:, :H])
        _one_minus(f, f, c, dc, out=da[:, H:2 * H])
        _one_minus(g * g, i, dc, out=da[:, 2 * H:3 * H])
        _one_minus(o, o, tc, dh, out=da[:, 3 * H:])
        return da, da, None, dc * f


def _one_minus(x, *factors, out=None):
    """(1 − x) ⊙ f₁ ⊙ f₂ ⊙ … in ``out`` (or a new array; ``x`` may be it)."""
    out = np.subtract(x.dtype.type(1), x, out=out)
    for factor in factors:
        out *= factor
    return out


class GRUCell:
    """The GRU cell (see the module docstring). VJP:

        n̄ = h̄ₜ ⊙ (1 − z),   z̄ = h̄ₜ ⊙ (hₜ₋₁ − n),   direct h̄ₜ₋₁ = h̄ₜ ⊙ z,
        ā_n = n̄ ⊙ (1 − n²),  r̄ = ā_n ⊙ gh_n,
        ḡx = [r̄ ⊙ r(1 − r), z̄ ⊙ z(1 − z), ā_n],   ḡh = [r̄ ⊙ r(1 − r), z̄ ⊙ z(1 − z), ā_n ⊙ r]
    """

    gates = 3
    has_cell = False
    same_gate_grads = False  # the candidate's ḡh is scaled by the reset gate

    def step(self, gx, gh, h, c):
        H = h.shape[1]
        rz = _sigmoid_(gx[:, :2 * H] + gh[:, :2 * H])
        r, z = rz[:, :H], rz[:, H:]
        gh_n = gh[:, 2 * H:]
        n = np.tanh(gx[:, 2 * H:] + r * gh_n)
        return n + z * (h - n), None, (rz, n, gh_n)

    def step_backward(self, cache, h, c, dh, dc):
        rz, n, gh_n = cache
        H = n.shape[1]
        r, z = rz[:, :H], rz[:, H:]
        da_n = dh * (1 - z) * (1 - n * n)
        dgx = get_array_module(n).empty((n.shape[0], 3 * H), dtype=n.dtype)
        dgx[:, :H] = da_n * gh_n * r * (1 - r)
        dgx[:, H:2 * H] = dh * (h - n) * z * (1 - z)
        dgx[:, 2 * H:] = da_n
        dgh = dgx.copy()
        dgh[:, 2 * H:] *= r
        return dgx, dgh, dh * z, None


CELLS = {"RNN_TANH": ElmanCell("tanh"), "RNN_RELU": ElmanCell("relu"), "LSTM": LSTMCell(), "GRU": GRUCell()}


def _affine(x2d, W, b):
    y = x2d @ W.T
    if b is not None:
        y += b
    return y


def _with_rows(head, full, n):
    """``full`` with its first n rows replaced by ``head`` (a new array: saved states stay intact)."""
    return head if n == full.shape[0] else np.concatenate([head, full[n:]])


class RecurrentLayer(Function):
    """One direction of one recurrent layer over a padded sequence x of shape (T, B, I).

    Forward:  the recurrence of the module docstring from (h₀, c₀); returns (y, h_T) for RNN/GRU and
              (y, h_T, c_T) for LSTM, y of shape (T, B, H) (zeros past a packed sequence's end).
    VJP:      back-propagation through time, as in the module docstring, in NumPy.

    The backward is ``once_differentiable``: asking for a second derivative (create_graph=True through
    this op) raises a RuntimeError rather than returning a wrong one.
    """

    @staticmethod
    def forward(ctx, mode, reverse, batch_sizes, x, h0, c0, W_ih, W_hh, b_ih, b_hh, W_hr):
        cell = CELLS[mode]
        T, B, _ = x.shape
        gx_all = _affine(x.reshape(T * B, -1), W_ih, b_ih).reshape(T, B, -1)
        h, c = h0, c0
        y = get_array_module(x).zeros((T, B, h0.shape[1]), dtype=x.dtype)
        tape = []
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            n = B if batch_sizes is None else int(batch_sizes[t])
            h_prev = h[:n]
            c_prev = None if c is None else c[:n]
            gh = _affine(h_prev, W_hh, b_hh)
            h_raw, c_new, cache = cell.step(gx_all[t, :n], gh, h_prev, c_prev)
            h_new = h_raw if W_hr is None else h_raw @ W_hr.T
            y[t, :n] = h_new
            tape.append((t, n, h_prev, c_prev, h_raw, cache))
            h = _with_rows(h_new, h, n)
            if c is not None:
                c = _with_rows(c_new, c, n)
        ctx.cell, ctx.tape, ctx.shapes = cell, tape, (T, B, h0.shape[1], gx_all.shape[2])
        ctx.save_for_backward(*(v for v in (x, W_ih, W_hh, W_hr) if v is not None))
        return (y, h) if c is None else (y, h, c)

    @staticmethod
    @once_differentiable
    def backward(ctx, gy, gh_n, gc_n=None):
        saved = [v._data for v in ctx.saved_tensors]
        x, W_ih, W_hh = saved[:3]
        W_hr = saved[3] if len(saved) == 4 else None
        T, B, H_out, GH = ctx.shapes
        module = get_array_module(x)
        dgx_all = module.zeros((T, B, GH), dtype=x.dtype)
        dgh_all = dgx_all if ctx.cell.same_gate_grads else module.zeros((T, B, GH), dtype=x.dtype)
        h_prev_all = module.zeros((T, B, H_out), dtype=x.dtype)
        dh, dc = gh_n, gc_n
        dW_hr = None if W_hr is None else np.zeros_like(W_hr)
        for t, n, h_prev, c_prev, h_raw, cache in reversed(ctx.tape):
            dh_t = dh[:n] + gy[t, :n]
            if W_hr is not None:
                dW_hr += dh_t.T @ h_raw
                dh_t = dh_t @ W_hr
            dgx, dgh, dh_direct, dc_prev = ctx.cell.step_backward(
                cache, h_prev, c_prev, dh_t, None if dc is None else dc[:n])
            dgx_all[t, :n] = dgx
            if dgh_all is not dgx_all:
                dgh_all[t, :n] = dgh
            h_prev_all[t, :n] = h_prev
            dh_prev = dgh @ W_hh
            if dh_direct is not None:
                dh_prev += dh_direct
            dh = _with_rows(dh_prev, dh, n)
            if dc is not None:
                dc = _with_rows(dc_prev, dc, n)
        needs = ctx.needs_input_grad
        dgx_rows, dgh_rows = dgx_all.reshape(T * B, GH), dgh_all.reshape(T * B, GH)
        dx = (dgx_rows @ W_ih).reshape(x.shape) if needs[3] else None
        dW_ih = dgx_rows.T @ x.reshape(T * B, -1) if needs[6] else None
        dW_hh = dgh_rows.T @ h_prev_all.reshape(T * B, H_out) if needs[7] else None
        db_ih = dgx_rows.sum(0) if needs[8] else None
        db_hh = (db_ih.copy() if db_ih is not None and dgh_all is dgx_all else dgh_rows.sum(0)) if needs[9] else None
        return (None, None, None, dx, dh if needs[4] else None, dc if needs[5] else None,
                dW_ih, dW_hh, db_ih, db_hh, dW_hr if needs[10] else None)


def recurrent_layer(mode, input, h0, c0, weight_ih, weight_hh, bias_ih=None, bias_hh=None, weight_hr=None,
                    reverse=False, batch_sizes=None):
    """One direction of one layer: ``mode`` in RNN_TANH, RNN_RELU, LSTM, GRU; input (T, B, I),
    h0 (B, H_out), c0 (B, H) for LSTM else None. Returns (output (T, B, H_out), h_n, c_n or None)."""
    outs = RecurrentLayer.apply(mode, reverse, batch_sizes, input, h0, c0, weight_ih, weight_hh,
                                bias_ih, bias_hh, weight_hr)
    return (outs[0], outs[1], outs[2] if len(outs) == 3 else None)
