"""Products of tensors: matrix products (with batch broadcasting), outer and Einstein sums.

For y = A B the chain rule gives Ā = Ȳ Bᵀ and B̄ = Aᵀ Ȳ: the derivative of a linear map is
the map itself, transposed. Batch dimensions broadcast; the engine sums their gradients back.
"""
from __future__ import annotations

import string

import numpy as np

from nnmath.autograd.function import Function
from nnmath.autograd.grad_mode import state
from nnmath.ops._util import accepts_out, broadcast_error, check_same_dtype
from nnmath.ops.reduction import norm, sum
from nnmath.ops.shape import broadcast_to, permute, reshape, squeeze, unsqueeze
from nnmath.tensor import Tensor, wrap_dim


class Matmul(Function):
    """Forward:  Y = A B   (``@``: 1-D operands are a row / column vector; leading dims broadcast)
    VJP:      Ā = Ȳ Bᵀ,  B̄ = Aᵀ Ȳ"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.ndims = a.ndim, b.ndim
        # Ā reads only B, B̄ only A (a constant input leaves the weight free to change in place).
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[0] else None)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        a_ndim, b_ndim = ctx.ndims
        if a_ndim == 1 and b_ndim == 1:
            return (gy * b if b is not None else None), (gy * a if a is not None else None)
        g2 = gy
        if a_ndim == 1:
            g2 = unsqueeze(g2, -2)
        if b_ndim == 1:
            g2 = unsqueeze(g2, -1)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = matmul(g2, (unsqueeze(b, -1) if b_ndim == 1 else b).mT)
            if a_ndim == 1:
                ga = squeeze(ga, -2)
        if ctx.needs_input_grad[1]:
            gb = matmul((unsqueeze(a, 0) if a_ndim == 1 else a).mT, g2)
            if b_ndim == 1:
                gb = squeeze(gb, -1)
        return ga, gb


def _matmul_error(a, b, op):
    sa, sb = tuple(a.shape), tuple(b.shape)
    if a.ndim == 0 or b.ndim == 0:
        return RuntimeError(f"{op}: both arguments need at least 1 dimension; got {sa} @ {sb}")
    k1 = sa[-1]
    k2 = sb[-2] if b.ndim > 1 else sb[0]
    if k1 != k2:
        return RuntimeError(f"{op}: {sa} @ {sb}: inner sizes {k1} and {k2} differ")
    return RuntimeError(f"{op}: {sa} @ {sb}: batch dimensions {sa[:-2]} and {sb[:-2]} do not broadcast")


@accepts_out(exact_dtype=True)
def matmul(input, other, *, out=None):
    """Matrix product with NumPy/PyTorch ``@`` semantics (vectors, matrices, broadcast batches)."""
    return _matmul(input, other, "matmul")


def _matmul(a, b, op):
    """``matmul`` whose errors name ``op`` (mm, bmm, mv, dot call it)."""
    for x in (a, b):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}: expected Tensors, got {type(x).__name__}")
    check_same_dtype(op, a, b)
    if a._data.dtype.kind == "b":
        raise RuntimeError(f"{op}: not implemented for bool tensors")
    try:
        return Matmul.apply(a, b)
    except ValueError:
        raise _matmul_error(a, b, op) from None


@accepts_out(exact_dtype=True)
def mm(input, mat2, *, out=None):
    """(n, k) @ (k, m) matrix product; both must be 2-D."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D matrices, got shapes {tuple(input.shape)} and {tuple(mat2.shape)}")
    return _matmul(input, mat2, "mm")


@accepts_out(exact_dtype=True)
def bmm(input, mat2, *, out=None):
    """(b, n, k) @ (b, k, m) batched matrix product; both must be 3-D with equal batch size."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"bmm: expected 3-D tensors, got shapes {tuple(input.shape)} and {tuple(mat2.shape)}")
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {tuple(input.shape)} and {tuple(mat2.shape)}")
    return _matmul(input, mat2, "bmm")


@accepts_out(exact_dtype=True)
def mv(input, vec, *, out=None):
    """(n, m) @ (m,) matrix-vector product."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv: expected a matrix and a vector, got {tuple(input.shape)} and {tuple(vec.shape)}")
    return _matmul(input, vec, "mv")


@accepts_out(exact_dtype=True)
def dot(input, other, *, out=None):
    """Σᵢ aᵢ bᵢ of two 1-D tensors."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"dot: expected 1-D tensors, got {tuple(input.shape)} and {tuple(other.shape)}")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"dot: sizes {input.shape[0]} and {other.shape[0]} differ")
    return _matmul(input, other, "dot")


@accepts_out
def outer(input, vec2, *, out=None):
    """(aᵢ bⱼ): the outer product of two vectors."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: expected 1-D tensors, got {tuple(input.shape)} and {tuple(vec2.shape)}")
    return unsqueeze(input, 1) * vec2


ger = outer


def inner(input, other):
    """Σ over the last dimension of both: y[i…, j…] = Σₖ a[i…, k] b[j…, k] (a product when either is 0-D)."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    n = input.shape[-1]
    if other.shape[-1] != n:
        raise RuntimeError(f"inner: the last dimensions must match, got shapes {tuple(input.shape)} and "
                           f"{tuple(other.shape)}")
    rows = matmul(reshape(input, (-1, n)), reshape(other, (-1, n)).mT)
    return reshape(rows, tuple(input.shape[:-1]) + tuple(other.shape[:-1]))


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """β·input + α·(mat1 @ mat2)."""
    out = mm(mat1, mat2)
    if alpha != 1:
        out = out * alpha
    return out + (input if beta == 1 else input * beta)


class Einsum(Function):
    """Forward:  y = einsum(equation, x₁, …, xₙ)   (a sum of products over repeated indices)
    VJP:      x̄ₖ = einsum(ȳ and every xⱼ with j ≠ k, back to xₖ's subscripts): the product is
              linear in each operand, so its derivative is the same sum with xₖ replaced by ȳ.
              Indices that appear only in xₖ were summed out; their gradient is a broadcast."""

    @staticmethod
    def forward(ctx, spec, *operands):
        ins, out = spec
        ctx.spec = spec
        ctx.shapes = [x.shape for x in operands]
        # x̄ₖ reads every operand but xₖ: save an operand only when another one needs its gradient.
        needed = [any(ctx.needs_input_grad[k + 1] for k in range(len(operands)) if k != j)
                  for j in range(len(operands))]
        ctx.save_for_backward(*(x if need else None for x, need in zip(operands, needed)))
        return np.einsum(",".join(ins) + "->" + out, *operands, optimize=len(operands) > 2)

    @staticmethod
    def backward(ctx, gy):
        ins, out = ctx.spec
        xs = ctx.saved_tensors
        grads = [None]
        for k, sub in enumerate(ins):
            if not ctx.needs_input_grad[k + 1]:
                grads.append(None)
                continue
            others = [(s, x) for j, (s, x) in enumerate(zip(ins, xs)) if j != k]
            present = set(out).union(*[s for s, _ in others])
            target = "".join(ch for ch in sub if ch in present)
            g = einsum(",".join([out] + [s for s, _ in others]) + "->" + target, gy, *[x for _, x in others])
            if target != sub:
                shape = [ctx.shapes[k][i] if ch in present else 1 for i, ch in enumerate(sub)]
                g = broadcast_to(reshape(g, shape), ctx.shapes[k])
            grads.append(g)
        return tuple(grads)


class Linear(Function):
    """Forward:  y = x Wᵀ + b        (x: (*, in), W: (out, in), b: (out,); one GEMM)
    VJP:      x̄ = ȳ W,   W̄ = ȳᵀ x,   b̄ = Σ ȳ   (ȳ and x flattened to 2-D over the leading dims)"""

    @staticmethod
    def forward(ctx, x, W, b):
        ctx.x_shape, ctx.W_shape = x.shape, W.shape
        # x̄ reads only W, W̄ only x: a constant input saves nothing of W (which an optimizer may then
        # change in place between two backward passes).
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, W if ctx.needs_input_grad[0] else None)
        rows = x.reshape(-1, x.shape[-1]) if x.ndim > 2 else x  # one GEMM over all leading dims, not one each
        y = rows @ W.T
        if b is not None:
            y += b
        return y.reshape(x.shape[:-1] + (W.shape[0],)) if x.ndim > 2 else y

    @staticmethod
    def backward(ctx, gy):
        x, W = ctx.saved_tensors
        need_x, need_W, need_b = ctx.needs_input_grad
        dtype = gy._data.dtype
        if (not state.enabled and dtype.kind in "fc" and dtype.itemsize >= 4
                and all(t is None or t._data.dtype == dtype for t in (x, W))):
            # No graph of the derivative is recorded: the same products on the arrays, without an op
            # (a Tensor, a node) per reshape, transpose and product. (16-bit floats stay on the ops,
            # which compute in float32.)
            return tuple(None if g is None else Tensor._make(g) for g in _linear_vjp_arrays(ctx, x, W, gy._data))
        gy_rows = gy.reshape(-1, ctx.W_shape[0])
        gx = (gy_rows.matmul(W).reshape(ctx.x_shape) if len(ctx.x_shape) > 2 else gy.matmul(W)) if need_x else None
        gW = gy_rows.t().matmul(x.reshape(-1, ctx.W_shape[1])) if need_W else None
        gb = gy_rows.sum(0) if need_b else None
        return gx, gW, gb


def _linear_vjp_arrays(ctx, x, W, gy):
    """x̄ = ȳ W, W̄ = ȳᵀ x, b̄ = Σ ȳ on arrays (the NumPy calls the ops of :meth:`Linear.backward` make)."""
    need_x, need_W, need_b = ctx.needs_input_grad
    gy_rows = gy.reshape(-1, ctx.W_shape[0])
    gx = ((gy_rows @ W._data).reshape(ctx.x_shape) if len(ctx.x_shape) > 2 else gy @ W._data) if need_x else None
    gW = gy_rows.T @ x._data.reshape(-1, ctx.W_shape[1]) if need_W else None
    gb = gy_rows.sum(axis=0) if need_b else None
    return gx, gW, gb


def linear(input, weight, bias=None):
    """y = x Wᵀ + b for x of shape (*, in_features), W (out_features, in_features), b (out_features,)."""
    if input.shape[-1:] != weight.shape[-1:]:
        raise RuntimeError(f"linear: input of shape {tuple(input.shape)} has {input.shape[-1:] and input.shape[-1]} "
                           f"features in its last dimension; the weight of shape {tuple(weight.shape)} expects "
                           f"{weight.shape[-1]}")
    check_same_dtype("linear", input, weight, bias)
    out_shape = tuple(input.shape[:-1]) + tuple(weight.shape[:1])
    if bias is not None and broadcast_error("linear", tuple(bias.shape), out_shape) is not None:
        raise RuntimeError(f"linear: the bias of shape {tuple(bias.shape)} does not fit the output of shape "
                           f"{out_shape} (out_features = {weight.shape[0]}: the bias should have shape "
                           f"({weight.shape[0]},))")
    return Linear.apply(input, weight, bias)


def _parse_einsum(equation: str, operands):
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
    else:
        lhs, out = eq, None
    ins = lhs.split(",")
    if len(ins) != len(operands):
        raise RuntimeError(f"einsum: equation {equation!r} names {len(ins)} operands but {len(operands)} were given")
    used = set(ch for ch in eq if ch.isalpha())
    spare = [c for c in string.ascii_letters if c not in used]
    ell_dims = 0
    for s, x in zip(ins, operands):
        if "..." in s:
            ell_dims = max(ell_dims, x.ndim - (len(s) - 3))
    ell = "".join(spare[:ell_dims])
    expanded = []
    for s, x in zip(ins, operands):
        if "..." in s:
            n = x.ndim - (len(s) - 3)
            s = s.replace("...", ell[ell_dims - n:] if n else "")
        if len(s) != x.ndim:
            raise RuntimeError(f"einsum: subscripts {s!r} have {len(s)} letters but the operand has shape "
                               f"{tuple(x.shape)}")
        expanded.append(s)
    if out is None:
        counts = {}
        for s in expanded:
            for ch in s:
                counts[ch] = counts.get(ch, 0) + 1
        out = ell + "".join(sorted(ch for ch, c in counts.items() if c == 1 and ch not in ell))
    else:
        out = out.replace("...", ell)
    for s in expanded:
        if len(set(s)) != len(s):
            raise NotImplementedError(f"einsum: repeated subscripts within one operand ({s!r}, a "
                                      f"diagonal) are not supported; use nnmath.diagonal")
    _check_einsum_sizes(equation, expanded, operands)
    return tuple(expanded), out


def _check_einsum_sizes(equation, subscripts, operands):
    """Each subscript has one size across the operands (or size 1, which broadcasts)."""
    seen = {}
    for i, (s, x) in enumerate(zip(subscripts, operands)):
        for ch, size in zip(s, x.shape):
            first = seen.setdefault(ch, (size, i))
            if size != first[0] and 1 not in (size, first[0]):
                raise RuntimeError(f"einsum: {equation!r}: subscript {ch!r} has size {first[0]} in operand "
                                   f"{first[1]} (shape {tuple(operands[first[1]].shape)}) but size {size} in operand "
                                   f"{i} (shape {tuple(x.shape)})")
            if first[0] == 1:
                seen[ch] = (size, i)


def einsum(equation, *operands):
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``; ``...`` stands for batch dims."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    check_same_dtype("einsum", *operands)
    spec = _parse_einsum(equation, operands)
    try:
        return Einsum.apply(spec, *operands)
    except ValueError as e:
        shapes = ", ".join(str(tuple(o.shape)) for o in operands)
        raise RuntimeError(f"einsum: {equation!r} does not fit operands of shapes {shapes}: {e}") from None


def _scaled_sum(input, product, beta, alpha):
    """β·input + α·product, with β = 0 ignoring input (NaN included), as PyTorch's add* ops."""
    out = product if alpha == 1 else product * alpha
    if beta == 0:
        return broadcast_to(out * 1, tuple(np.broadcast_shapes(tuple(input.shape), tuple(out.shape))))
    return out + (input if beta == 1 else input * beta)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """β·input + α·(mat @ vec)."""
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """β·input + α·(vec1 ⊗ vec2), the outer product."""
    return _scaled_sum(input, outer(vec1, vec2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """β·input + α·(batch1 @ batch2), batch by batch."""
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """β·input + α·Σᵦ batch1[b] @ batch2[b]."""
    return _scaled_sum(input, sum(bmm(batch1, batch2), 0), beta, alpha)


def chain_matmul(*matrices):
    """The product of the matrices, left to right."""
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    out = matrices[0]
    for m in matrices[1:]:
        out = mm(out, m)
    return out


def kron(input, other):
    """The Kronecker product: block (i, j) of the result is input[i, j] · other (any number of dims)."""
    nd = max(input.ndim, other.ndim)
    a = reshape(input, (1,) * (nd - input.ndim) + tuple(input.shape))
    b = reshape(other, (1,) * (nd - other.ndim) + tuple(other.shape))
    a_spread = reshape(a, tuple(x for n in a.shape for x in (n, 1)))
    b_spread = reshape(b, tuple(x for n in b.shape for x in (1, n)))
    product = a_spread * b_spread
    return reshape(product, tuple(m * n for m, n in zip(a.shape, b.shape)))


@accepts_out
def tensordot(a, b, dims=2, out=None):
    """Σ over the paired dimensions of a·b: ``dims`` = n pairs a's last n with b's first n; or two
    lists of dimensions to pair."""
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot: expects dims >= 0, but got dims={dims}")
        dims_a, dims_b = list(range(a.ndim - int(dims), a.ndim)), list(range(int(dims)))
    else:
        dims_a, dims_b = dims
        dims_a = [dims_a] if isinstance(dims_a, (int, np.integer)) else list(dims_a)
        dims_b = [dims_b] if isinstance(dims_b, (int, np.integer)) else list(dims_b)
    dims_a = [wrap_dim(d, a.ndim, "tensordot") for d in dims_a]
    dims_b = [wrap_dim(d, b.ndim, "tensordot") for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"tensordot: contracted dimensions need to match, but first has size "
                               f"{a.shape[da]} in dim {da} and second has size {b.shape[db]} in dim {db}")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    k = int(np.prod([a.shape[d] for d in dims_a]))
    left = reshape(permute(a, free_a + dims_a), (-1, k))
    right = reshape(permute(b, dims_b + free_b), (k, -1))
    return reshape(mm(left, right), tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b))


__all__ = [
    "matmul",
    "mm",
    "bmm",
    "mv",
    "dot",
    "outer",
    "ger",
    "inner",
    "addmm",
    "einsum",
    "addmv",
    "addr",
    "baddbmm",
    "addbmm",
    "chain_matmul",
    "kron",
    "tensordot",
]
