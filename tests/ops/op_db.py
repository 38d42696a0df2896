"""The op table of nnmath's core ops (``nnmath.ops``). Entries are generated into tests by
``tests/test_op_db.py``.

Domains keep samples away from the points where an op is not differentiable (kinks of abs, relu and
clamp; ties of max/min; singularities of log, sqrt and div): gradcheck's central differences
straddle such a point and measure an average of two one-sided slopes. Tie rules are tested
separately, against PyTorch, in ``test_edge_cases.py``.
"""
from __future__ import annotations

import numpy as np

from nnmath import special
from nnmath.autograd import fit
from nnmath.ops import activation, arithmetic, elementwise, indexing, padding, reduction, shape, strided
from nnmath.ops.products import Einsum, Matmul
from opinfo import BINARY_SHAPES, UNARY_SHAPES, OpInfo, Sample, point, points, positive, set_special_points, uniform


def unary(rng, low=-1.0, high=1.0):
    return [Sample(uniform(rng, s, low=low, high=high)) for s in UNARY_SHAPES]


def binary(rng, low=-1.0, high=1.0):
    return [Sample(uniform(rng, a, b, low=low, high=high)) for a, b in BINARY_SHAPES]


def on(low, high, make=unary):
    """A sampler like ``make`` on [low, high)."""
    return lambda rng: make(rng, low=low, high=high)


def away_from_zero(rng, *shapes, margin=0.2):
    """Uniform on ±[margin, 1): the kink of abs/relu at 0 stays outside the finite-difference step."""
    out = []
    for s in shapes:
        magnitude = rng.uniform(margin, 1.0, s)
        out.append(np.where(rng.random(s) < 0.5, -magnitude, magnitude))
    return tuple(out)


def distinct(rng, *shapes):
    """Arrays whose values (across all of them) are at least 0.05 apart, in shuffled order: max, min
    and maximum/minimum then have no ties, and either argument wins somewhere."""
    sizes = [int(np.prod(s)) for s in shapes]
    values = rng.permutation(sum(sizes)) * 0.1 + rng.uniform(0.0, 0.05, sum(sizes))
    values = values - values.mean()
    pieces = np.split(values, np.cumsum(sizes)[:-1])
    out = tuple(p.reshape(s) for p, s in zip(pieces, shapes))
    return out if len(shapes) > 1 else out[0]


def reduction_samples(rng, values=lambda rng, s: uniform(rng, s)[0]):
    """dim None / int / negative int / tuple, keepdim both ways, and a scalar input."""
    x = values(rng, (3, 4))
    cube = values(rng, (2, 3, 2))
    return [Sample((values(rng, ()),)),
            Sample((values(rng, ()),), dict(dim=-1)),
            Sample((values(rng, (3,)),)),
            Sample((x,)),
            Sample((x,), dict(dim=1)),
            Sample((x,), dict(dim=-2, keepdim=True)),
            Sample((cube,), dict(dim=(0, 2))),
            Sample((cube,), dict(dim=(-1, 0), keepdim=True)),
            Sample((values(rng, (1, 2)),), dict(dim=0))]


def pad(m, x, pad, mode="constant", value=None):
    """PyTorch's pad lives in ``torch.nn.functional``; nnmath's at the top level."""
    if m.__name__ == "torch":
        import torch.nn.functional as F
        return F.pad(x, pad, mode=mode) if value is None else F.pad(x, pad, mode=mode, value=value)
    return m.pad(x, pad, mode=mode, value=value)


def write_through_view(m, x, v):
    """``y = x * 1``, then writes through two views of y: the first is recorded on y (CopySlices);
    the second view's grad_fn is then rebuilt from y's new history (AsStrided)."""
    y = x * 1
    y[1:, ::2] = v
    view = y[:, 1]
    view.mul_(v[0, 0])
    return y * 2 + view.sum()


def complex_roundtrip(m, x, y):
    """x and y of shape (..., 2) read as complex numbers, added, read back as real numbers (a
    non-contiguous x must be made contiguous first, as in PyTorch)."""
    return m.view_as_real(m.view_as_complex(x.contiguous()) + m.view_as_complex(y.contiguous()) * 2)


def setitem_on_copy(m, x, v, key):
    """``y = x * 1; y[key] = v``: the in-place write into a non-leaf, as a user writes it."""
    y = x * 1
    y[key] = v
    return y


LONG = np.int64

OP_DB = [
    # --- arithmetic ---------------------------------------------------------------------------
    OpInfo("add", lambda m, a, b: a + b, binary, covers=(arithmetic.Add,)),
    OpInfo("add_alpha_scalar", lambda m, a, b: m.add(a, b, alpha=2.5) + 1.5, binary, covers=(arithmetic.Add,)),
    OpInfo("sub", lambda m, a, b: a - b, binary, covers=(arithmetic.Sub,)),
    OpInfo("rsub_scalar", lambda m, x: 2.0 - x, unary, covers=(arithmetic.Sub,)),
    OpInfo("mul", lambda m, a, b: a * b, binary, covers=(arithmetic.Mul,)),
    OpInfo("div", lambda m, a, b: a / b,
           lambda rng: [Sample((uniform(rng, a)[0], positive(rng, b)[0])) for a, b in BINARY_SHAPES],
           covers=(arithmetic.Div,)),
    OpInfo("rdiv_scalar", lambda m, x: 1.0 / x, on(0.5, 2.0), covers=(arithmetic.Div,)),
    OpInfo("neg", lambda m, x: -x, unary, covers=(arithmetic.Neg,)),
    OpInfo("pow_tensor_exponent", lambda m, a, b: m.pow(a, b),
           lambda rng: [Sample((positive(rng, a)[0], uniform(rng, b, low=-2, high=2)[0])) for a, b in BINARY_SHAPES],
           covers=(arithmetic.Pow,)),
    OpInfo("rpow_scalar_base", lambda m, x: 2.0 ** x, unary, covers=(arithmetic.Pow,)),
    OpInfo("pow_scalar", lambda m, x: x ** 3 + x ** 2 + x ** 1 + x ** 0.5 + x ** -1.5 + x ** 0,
           on(0.5, 2.0), covers=(arithmetic.PowScalar,)),
    OpInfo("square", lambda m, x: m.square(x), unary, covers=(arithmetic.PowScalar,)),
    # --- elementwise --------------------------------------------------------------------------
    OpInfo("exp", lambda m, x: m.exp(x), unary, covers=(elementwise.Exp,)),
    OpInfo("log", lambda m, x: m.log(x), on(0.5, 2.0), covers=(elementwise.Log,)),
    OpInfo("log1p", lambda m, x: m.log1p(x), on(-0.5, 2.0), covers=(elementwise.Log1p,)),
    OpInfo("expm1", lambda m, x: m.expm1(x), unary, covers=(elementwise.Expm1,)),
    OpInfo("sqrt", lambda m, x: m.sqrt(x), on(0.5, 2.0), covers=(elementwise.Sqrt,)),
    OpInfo("rsqrt", lambda m, x: m.rsqrt(x), on(0.5, 2.0), covers=(elementwise.Rsqrt,)),
    OpInfo("sin", lambda m, x: m.sin(x), on(-3.0, 3.0), covers=(elementwise.Sin,)),
    OpInfo("cos", lambda m, x: m.cos(x), on(-3.0, 3.0), covers=(elementwise.Cos,)),
    OpInfo("tan", lambda m, x: m.tan(x), on(-1.2, 1.2), covers=(elementwise.Tan,)),
    OpInfo("atan", lambda m, x: m.atan(x), on(-3.0, 3.0), covers=(elementwise.Atan,)),
    OpInfo("atan2", lambda m, a, b: m.atan2(a, b),
           lambda rng: [Sample(away_from_zero(rng, a, b)) for a, b in BINARY_SHAPES], covers=(arithmetic.Atan2,)),
    OpInfo("hypot", lambda m, a, b: m.hypot(a, b), binary, covers=(arithmetic.Hypot,)),
    OpInfo("acos", lambda m, x: m.acos(x), on(-0.9, 0.9), covers=(elementwise.Acos,)),
    # erf switches from its series to its continued fraction at |x| = 2: sample both sides.
    OpInfo("erf", lambda m, x: m.erf(x), on(-3.0, 3.0), covers=(special.Erf,)),
    OpInfo("abs", lambda m, x: m.abs(x), lambda rng: [Sample(away_from_zero(rng, s)) for s in UNARY_SHAPES],
           covers=(elementwise.Abs,)),
    OpInfo("clamp", lambda m, x: m.clamp(x, -0.5, 0.5),
           lambda rng: [Sample((np.array(v),)) for v in ([-0.9, -0.2, 0.3, 0.8], [[0.1, 0.7], [-0.7, -0.1]], 0.25)],
           covers=(elementwise.Clamp,)),
    OpInfo("clamp_min_only", lambda m, x: m.clamp(x, min=0.1),
           lambda rng: [Sample((np.array([-0.9, -0.2, 0.3, 0.8]),))], covers=(elementwise.Clamp,)),
    OpInfo("clamp_max_only", lambda m, x: m.clamp(x, max=0.1),
           lambda rng: [Sample((np.array([-0.9, -0.2, 0.3, 0.8]),))], covers=(elementwise.Clamp,)),
    OpInfo("clamp_tensor_bounds", lambda m, x, lo, hi: m.clamp(x, lo, hi),
           lambda rng: [Sample((np.array([[-0.9, 0.0, 0.9], [0.3, 0.6, -0.1]]), np.array([-0.5, 0.2, -0.5]), np.array([[0.5], [0.7]])))],
           covers=(elementwise.Maximum, elementwise.Minimum)),
    OpInfo("maximum", lambda m, a, b: m.maximum(a, b),
           lambda rng: [Sample(distinct(rng, a, b)) for a, b in BINARY_SHAPES], covers=(elementwise.Maximum,)),
    OpInfo("minimum", lambda m, a, b: m.minimum(a, b),
           lambda rng: [Sample(distinct(rng, a, b)) for a, b in BINARY_SHAPES], covers=(elementwise.Minimum,)),
    OpInfo("where", lambda m, c, a, b: m.where(c, a, b),
           lambda rng: [Sample((np.array([True, False, True]), *uniform(rng, (3,), (3,)))),
                        Sample((np.array([[True], [False]]), *uniform(rng, (2, 3), ()))),
                        Sample((np.array(False), *uniform(rng, (), (2,))))],
           covers=(elementwise.Where,)),
    # Through float32 the values carry a rounding error of 2⁻²⁴|y|: with ε = 1e-3 the central difference of
    # this linear map errs by at most ~1.2e-4 (no truncation error), hence atol = rtol = 1e-3.
    OpInfo("cast_roundtrip", lambda m, x: (x.to(m.float32) * 2).to(m.float64), unary,
           covers=(fit.Cast,), gradcheck_kwargs=dict(eps=1e-3, atol=1e-3, rtol=1e-3)),
    OpInfo("cast_to_float64", lambda m, x: x.double() * x.double(), unary, covers=(fit.Cast,)),
    # --- activations --------------------------------------------------------------------------
    OpInfo("sigmoid", lambda m, x: m.sigmoid(x), on(-4.0, 4.0), covers=(activation.Sigmoid,)),
    OpInfo("tanh", lambda m, x: m.tanh(x), on(-2.0, 2.0), covers=(activation.Tanh,)),
    OpInfo("relu", lambda m, x: m.relu(x), lambda rng: [Sample(away_from_zero(rng, s)) for s in UNARY_SHAPES],
           covers=(activation.Relu,)),
    OpInfo("softmax", lambda m, x, dim: m.softmax(x, dim),
           lambda rng: [Sample(uniform(rng, (3,)) + (0,)), Sample(uniform(rng, (3, 4)) + (1,)),
                        Sample(uniform(rng, (2, 3, 2)) + (-2,)), Sample(uniform(rng, (1, 2)) + (0,))],
           covers=(activation.Softmax,)),
    OpInfo("log_softmax", lambda m, x, dim: m.log_softmax(x, dim),
           lambda rng: [Sample(uniform(rng, (3,)) + (0,)), Sample(uniform(rng, (3, 4)) + (1,)),
                        Sample(uniform(rng, (2, 3, 2)) + (-2,)), Sample(uniform(rng, (1, 2)) + (0,))],
           covers=(activation.LogSoftmax,)),
    # --- reductions ---------------------------------------------------------------------------
    OpInfo("sum", lambda m, x, **kw: m.sum(x, **kw), reduction_samples, covers=(reduction.Sum,)),
    OpInfo("mean", lambda m, x, **kw: m.mean(x, **kw), reduction_samples, covers=(reduction.Sum,)),
    OpInfo("var", lambda m, x, **kw: m.var(x, **kw),
           lambda rng: [s for s in reduction_samples(rng) if s.args[0].size > 1 and s.kwargs != dict(dim=0)],
           covers=(reduction.Sum,)),
    OpInfo("var_correction0", lambda m, x: m.var(x, dim=1, correction=0),
           lambda rng: [Sample(uniform(rng, (3, 4)))], covers=(reduction.Sum,)),
    OpInfo("std", lambda m, x, **kw: m.std(x, **kw),
           lambda rng: [s for s in reduction_samples(rng) if s.args[0].size > 1 and s.kwargs != dict(dim=0)],
           covers=(reduction.Std,)),
    OpInfo("prod", lambda m, x, **kw: m.prod(x, **kw),
           lambda rng: [Sample(positive(rng, ())), Sample(uniform(rng, (3,))), Sample(uniform(rng, (3, 4)), dict(dim=1)),
                        Sample(uniform(rng, (3, 4)), dict(dim=-2, keepdim=True)), Sample(uniform(rng, (1, 2)), dict(dim=0))],
           covers=(reduction.Prod,)),
    # With one zero, ∂/∂x_zero is the product of the others and all other partials vanish.
    OpInfo("prod_with_zero", lambda m, x, **kw: m.prod(x, **kw),
           lambda rng: [Sample((np.array([0.5, 0.0, -1.5, 2.0]),)),
                        Sample((np.array([[0.5, 0.0, 1.5], [1.2, -0.7, 0.0]]),), dict(dim=1)),
                        Sample((np.array([[0.0, 0.0], [1.2, -0.7]]),), dict(dim=0, keepdim=True))],
           covers=(reduction.Prod,)),
    OpInfo("amax", lambda m, x, **kw: m.amax(x, **kw),
           lambda rng: [s for s in reduction_samples(rng, distinct)], covers=(reduction.Amax,),
           torch_op=lambda t, x, **kw: t.amax(x, **({"dim": ()} | kw))),
    OpInfo("amin", lambda m, x, **kw: m.amin(x, **kw),
           lambda rng: [s for s in reduction_samples(rng, distinct)], covers=(reduction.Amax,),
           torch_op=lambda t, x, **kw: t.amin(x, **({"dim": ()} | kw))),
    OpInfo("max_all", lambda m, x: m.max(x), lambda rng: [Sample((distinct(rng, (3, 4)),))], covers=(reduction.Amax,)),
    OpInfo("max_dim", lambda m, x, dim, keepdim: m.max(x, dim, keepdim),
           lambda rng: [Sample((distinct(rng, (3, 4)), 1, False)), Sample((distinct(rng, (3, 4)), -2, True)),
                        Sample((distinct(rng, (3,)), 0, False))],
           covers=(indexing.Gather,)),
    OpInfo("min_dim", lambda m, x, dim: m.min(x, dim).values,
           lambda rng: [Sample((distinct(rng, (2, 3, 2)), 1))], covers=(indexing.Gather,)),
    OpInfo("logsumexp", lambda m, x, dim, keepdim=False: m.logsumexp(x, dim, keepdim),
           lambda rng: [Sample((uniform(rng, (3,))[0], 0)), Sample((uniform(rng, (3, 4))[0], 1)),
                        Sample((uniform(rng, (3, 4))[0], -2), dict(keepdim=True)),
                        Sample((uniform(rng, (2, 3, 2))[0], (0, 2))), Sample((uniform(rng, ())[0], ()))],
           covers=(reduction.LogSumExp,)),
    OpInfo("median_all", lambda m, x: m.median(x),
           lambda rng: [Sample((distinct(rng, s),)) for s in [(3,), (2, 3), (4,)]], covers=(reduction.Median,)),
    OpInfo("median_dim", lambda m, x, dim, keepdim=False: m.median(x, dim, keepdim),
           lambda rng: [Sample((distinct(rng, (3, 4)), 1)), Sample((distinct(rng, (3, 4)), -2), dict(keepdim=True)),
                        Sample((distinct(rng, (5,)), 0))],
           covers=(indexing.Gather,)),
    OpInfo("cdist", lambda m, a, b, **kw: m.cdist(a, b, **kw),
           lambda rng: [Sample(uniform(rng, (3, 2), (4, 2))), Sample(uniform(rng, (2, 3, 2), (2, 2, 2)), dict(p=1.0)),
                        Sample(uniform(rng, (2, 3), (3, 3)), dict(p=3.0)),
                        Sample(uniform(rng, (2, 3), (2, 3)), dict(p=np.inf))],
           covers=(reduction.Norm2, reduction.NormP), torch_hvp=False),   # PyTorch: no double backward of cdist
    OpInfo("cumsum", lambda m, x, dim: m.cumsum(x, dim),
           lambda rng: [Sample((uniform(rng, (3,))[0], 0)), Sample((uniform(rng, (3, 4))[0], 1)),
                        Sample((uniform(rng, (2, 3, 2))[0], -2)), Sample((uniform(rng, ())[0], 0))],
           covers=(reduction.Cumsum,)),
    OpInfo("norm", lambda m, x, **kw: m.norm(x, **kw),
           lambda rng: [Sample(uniform(rng, (3,))), Sample(uniform(rng, (3, 4))), Sample(uniform(rng, (3, 4)), dict(dim=1)),
                        Sample(uniform(rng, (2, 3, 2)), dict(dim=(0, -1), keepdim=True)), Sample(positive(rng, ()))],
           covers=(reduction.Norm2,)),
    OpInfo("norm_p", lambda m, x, p: m.norm(x, p, dim=-1),
           lambda rng: [Sample((*away_from_zero(rng, (3, 4)), p)) for p in (1, 3, 0.5)],
           covers=(reduction.NormP,)),
    OpInfo("norm_p0", lambda m, x, **kw: m.norm(x, 0, **kw) + x.sum(),
           lambda rng: [Sample((np.array([[0.0, 0.5, -1.0], [0.0, 0.0, 0.0]]),), dict(dim=1)),
                        Sample((np.array([0.3, 0.0]),))],
           covers=(reduction.CountNonzero,)),
    # --- matmul -------------------------------------------------------------------------------
    OpInfo("matmul", lambda m, a, b: m.matmul(a, b),
           lambda rng: [Sample(uniform(rng, a, b)) for a, b in [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
                                                                  ((2, 3), (3, 4)), ((2, 2, 3), (3, 4)),
                                                                  ((2, 1, 2, 3), (3, 3, 2)), ((3,), (2, 3, 2))]],
           covers=(Matmul,)),
    OpInfo("einsum", lambda m, eq, *xs: m.einsum(eq, *xs),
           lambda rng: [Sample(("ij,jk->ik", *uniform(rng, (2, 3), (3, 4)))),
                        Sample(("ij->", *uniform(rng, (2, 3)))),
                        Sample(("ij,j->i", *uniform(rng, (2, 3), (3,)))),
                        Sample(("ij,kl->j", *uniform(rng, (2, 3), (2, 2)))),
                        Sample(("...ij,...jk->...ik", *uniform(rng, (2, 2, 3), (2, 3, 2)))),
                        Sample(("b...,b->...", *uniform(rng, (2, 3, 2), (2,)))),
                        Sample(("i,j", *uniform(rng, (3,), (2,)))),
                        Sample(("ij,jk,kl->il", *uniform(rng, (2, 3), (3, 2), (2, 2))))],
           covers=(Einsum,)),
    # --- shape --------------------------------------------------------------------------------
    OpInfo("reshape", lambda m, x, s: m.reshape(x, s),
           lambda rng: [Sample((uniform(rng, (3, 2))[0], (2, 3))), Sample((uniform(rng, (3, 2))[0], (-1,))),
                        Sample((uniform(rng, ())[0], (1, 1))), Sample((uniform(rng, (1, 2))[0], (2,)))],
           covers=(shape.Reshape,)),
    OpInfo("permute", lambda m, x, dims: m.permute(x, dims),
           lambda rng: [Sample((uniform(rng, (3, 2))[0], (1, 0))), Sample((uniform(rng, (2, 3, 2))[0], (2, 0, 1)))],
           covers=(shape.Permute,)),
    OpInfo("transpose_mT", lambda m, x: x.transpose(0, -1) + x.mT.mT.transpose(-1, 0),
           lambda rng: [Sample(uniform(rng, (3, 2))), Sample(uniform(rng, (2, 3, 2)))], covers=(shape.Permute,)),
    OpInfo("expand", lambda m, x, *s: x.expand(*s),
           lambda rng: [Sample((uniform(rng, (3, 1))[0], 3, 4)), Sample((uniform(rng, ())[0], 2, 3)),
                        Sample((uniform(rng, (1, 2))[0], 2, -1, -1))],
           covers=(fit.BroadcastTo,)),
    OpInfo("broadcast_to", lambda m, x, s: m.broadcast_to(x, s),
           lambda rng: [Sample((uniform(rng, (3,))[0], (2, 3))), Sample((uniform(rng, (3, 1))[0], (2, 3, 4)))],
           covers=(fit.BroadcastTo,)),
    OpInfo("sum_to", lambda m, x, s: m.sum_to(x, s),
           lambda rng: [Sample((uniform(rng, (2, 3))[0], (3,))), Sample((uniform(rng, (2, 3, 4))[0], (3, 1))),
                        Sample((uniform(rng, (2, 3))[0], (1, 1))), Sample((uniform(rng, (3,))[0], ()))],
           torch_op=lambda t, x, s: x.sum_to_size(s) if s else x.sum(), covers=(fit.SumTo,)),
    OpInfo("repeat", lambda m, x, *r: x.repeat(*r),
           lambda rng: [Sample((uniform(rng, (3,))[0], 2)), Sample((uniform(rng, (2, 3))[0], 2, 1, 2)),
                        Sample((uniform(rng, ())[0], 3))],
           covers=(shape.Reshape, fit.BroadcastTo)),
    OpInfo("cat", lambda m, dim, *xs: m.cat(xs, dim),
           lambda rng: [Sample((0, *uniform(rng, (2,), (3,)))), Sample((1, *uniform(rng, (2, 1), (2, 3), (2, 2)))),
                        Sample((-2, *uniform(rng, (1, 2), (3, 2))))],
           covers=(shape.Cat,)),
    OpInfo("stack", lambda m, dim, *xs: m.stack(xs, dim),
           lambda rng: [Sample((0, *uniform(rng, (), ()))), Sample((1, *uniform(rng, (3, 2), (3, 2), (3, 2)))),
                        Sample((-1, *uniform(rng, (3,), (3,))))],
           covers=(shape.Cat, shape.Reshape)),
    OpInfo("split_sizes", lambda m, x, sizes, dim: m.split(x, sizes, dim),
           lambda rng: [Sample((uniform(rng, (5,))[0], [2, 3], 0)), Sample((uniform(rng, (3, 4))[0], [1, 1, 2], -1))],
           covers=(shape.Split,)),
    OpInfo("split_size", lambda m, x, size, dim: m.split(x, size, dim),
           lambda rng: [Sample((uniform(rng, (5, 2))[0], 2, 0))], covers=(shape.Split,)),
    # Only one block used: the unused blocks' gradient must be zero, not missing.
    OpInfo("split_one_block_used", lambda m, x: m.split(x, [1, 2], 1)[1] * 2,
           lambda rng: [Sample(uniform(rng, (2, 3)))], covers=(shape.Split,)),
    OpInfo("chunk", lambda m, x, chunks, dim: m.chunk(x, chunks, dim),
           lambda rng: [Sample((uniform(rng, (5,))[0], 2, 0)), Sample((uniform(rng, (3, 6))[0], 3, 1))],
           covers=(shape.Split,)),
    OpInfo("flip", lambda m, x, dims: m.flip(x, dims),
           lambda rng: [Sample((uniform(rng, (3,))[0], (0,))), Sample((uniform(rng, (3, 2))[0], (0, 1))),
                        Sample((uniform(rng, (2, 3, 2))[0], (-1,)))],
           covers=(shape.Flip,)),
    OpInfo("roll", lambda m, x, shifts, dims: m.roll(x, shifts, dims),
           lambda rng: [Sample((uniform(rng, (4,))[0], 1, 0)), Sample((uniform(rng, (3, 4))[0], (1, -2), (0, 1))),
                        Sample((uniform(rng, (3, 2))[0], 2, None))],
           covers=(shape.Roll,)),
    OpInfo("tril", lambda m, x, diagonal: m.tril(x, diagonal),
           lambda rng: [Sample((uniform(rng, (3, 3))[0], 0)), Sample((uniform(rng, (2, 3, 4))[0], -1))],
           covers=(shape.Triangle,)),
    OpInfo("triu", lambda m, x, diagonal: m.triu(x, diagonal),
           lambda rng: [Sample((uniform(rng, (3, 3))[0], 0)), Sample((uniform(rng, (2, 4, 3))[0], 1))],
           covers=(shape.Triangle,)),
    OpInfo("pad_constant", lambda m, x, p, **kw: pad(m, x, p, **kw),
           lambda rng: [Sample((uniform(rng, (3,))[0], (1, 2))), Sample((uniform(rng, (2, 3))[0], (1, 0, 2, 1)), dict(value=0.5)),
                        Sample((uniform(rng, (2, 4))[0], (-1, 1)))],
           covers=(padding.ConstantPad,)),
    OpInfo("pad_reflect_replicate_circular", lambda m, x, p, mode: pad(m, x, p, mode=mode),
           lambda rng: [Sample((uniform(rng, (1, 2, 4))[0], (2, 1), mode)) for mode in ("reflect", "replicate", "circular")]
           + [Sample((uniform(rng, (1, 1, 3, 4))[0], (1, 2, 2, 1), mode)) for mode in ("reflect", "replicate", "circular")],
           covers=(indexing.GetItem,)),
    OpInfo("clone", lambda m, x: m.clone(x) * 1, unary, covers=(shape.Clone,)),
    # --- indexing -----------------------------------------------------------------------------
    # The double-backward of x[key] is IndexAdd (its backward's forward), so gradgradcheck proves it.
    OpInfo("getitem_basic", lambda m, x: x[1:, ::2][..., None, 0],
           lambda rng: [Sample(uniform(rng, (3, 4)))], covers=(indexing.GetItem, indexing.IndexAdd)),
    OpInfo("getitem_int_and_none", lambda m, x: x[1] + x[-1, None],
           lambda rng: [Sample(uniform(rng, (3, 2)))], covers=(indexing.GetItem, indexing.IndexAdd)),
    OpInfo("getitem_repeated_indices", lambda m, x, idx: x[idx],
           lambda rng: [Sample((uniform(rng, (3,))[0], np.array([0, 0, 2, 0], LONG))),
                        Sample((uniform(rng, (3, 2))[0], np.array([[1, 1], [2, 1]], LONG)))],
           covers=(indexing.GetItem, indexing.IndexAdd)),
    OpInfo("getitem_two_index_tensors", lambda m, x, i, j: x[i, j],
           lambda rng: [Sample((uniform(rng, (3, 4))[0], np.array([0, 2, 0], LONG), np.array([1, 3, 1], LONG)))],
           covers=(indexing.GetItem, indexing.IndexAdd)),
    OpInfo("getitem_bool_mask", lambda m, x, mask: x[mask],
           lambda rng: [Sample((uniform(rng, (3, 2))[0], np.array([[True, False], [False, False], [True, True]]))),
                        Sample((uniform(rng, (3, 2))[0], np.array([True, False, True])))],
           covers=(indexing.GetItem, indexing.IndexAdd)),
    OpInfo("setitem_on_non_leaf", setitem_on_copy,
           lambda rng: [Sample((*uniform(rng, (3, 4), (4,)), 1)),
                        Sample((*uniform(rng, (3, 4), (2, 2)), (slice(0, 2), slice(1, 3)))),
                        Sample((*uniform(rng, (4,), ()), np.array([True, False, False, True])))],
           covers=(indexing.IndexPut,)),
    OpInfo("index_select", lambda m, x, dim, idx: m.index_select(x, dim, idx),
           lambda rng: [Sample((uniform(rng, (3, 4))[0], 1, np.array([3, 0, 3], LONG)))],
           covers=(indexing.GetItem,)),
    OpInfo("gather", lambda m, x, dim, idx: m.gather(x, dim, idx),
           lambda rng: [Sample((uniform(rng, (3, 4))[0], 1, np.array([[0, 0], [1, 3], [2, 2]], LONG))),
                        Sample((uniform(rng, (3, 2))[0], 0, np.array([[2, 0], [2, 2]], LONG))),
                        Sample((uniform(rng, (4,))[0], -1, np.array([1, 1, 3], LONG)))],
           covers=(indexing.Gather,)),
    OpInfo("scatter_add", lambda m, x, dim, idx, src: m.scatter_add(x, dim, idx, src),
           lambda rng: [Sample((uniform(rng, (3, 4))[0], 1, np.array([[0, 0], [1, 3], [2, 2]], LONG),
                                uniform(rng, (3, 2))[0])),
                        Sample((uniform(rng, (3,))[0], 0, np.array([2, 2, 0, 2], LONG), uniform(rng, (4,))[0]))],
           covers=(indexing.ScatterAdd,)),
    # --- views by strides and writes through views ----------------------------------------------
    OpInfo("write_through_view", write_through_view,
           lambda rng: [Sample(uniform(rng, (3, 4), (2, 2)))],
           covers=(strided.CopySlices, strided.AsStrided, strided.AsStridedScatter)),
    OpInfo("diagonal", lambda m, x, offset, d1, d2: m.diagonal(x, offset, d1, d2) * 1,
           lambda rng: [Sample((uniform(rng, (3, 4))[0], 0, 0, 1)), Sample((uniform(rng, (3, 4))[0], 1, 1, 0)),
                        Sample((uniform(rng, (2, 3, 3))[0], -1, -1, 1))],
           covers=(strided.AsStrided, strided.AsStridedScatter)),
    OpInfo("unfold_overlapping_windows", lambda m, x, dim, size, step: x.unfold(dim, size, step) * 1,
           lambda rng: [Sample((uniform(rng, (5,))[0], 0, 2, 1)), Sample((uniform(rng, (3, 5))[0], 1, 3, 2))],
           covers=(strided.AsStrided, strided.AsStridedScatter)),
    OpInfo("as_strided", lambda m, x, size, stride, offset: m.as_strided(x.contiguous(), size, stride, offset) * 1,
           lambda rng: [Sample((uniform(rng, (3, 4))[0], (2, 2), (1, 2), 1)),
                        Sample((uniform(rng, (6,))[0], (3, 2), (1, 1), 0))],
           covers=(strided.AsStrided, strided.AsStridedScatter)),
    OpInfo("view_as_real_and_complex", complex_roundtrip,
           lambda rng: [Sample(uniform(rng, (3, 2), (3, 2))), Sample(uniform(rng, (2,), (2,)))],
           covers=(strided.ViewAsReal, strided.ViewAsComplex)),
    # Reading the same bytes as another dtype has no derivative (PyTorch: no grad_fn); gradcheck would
    # see the perturbation of x through the shared memory, so only parity and values are checked.
    OpInfo("view_dtype_is_not_differentiable", lambda m, x: x * 1 + x.view(x.dtype),
           unary, covers=(shape.ViewDtype,), gradcheck=False),
    OpInfo("conj", lambda m, x: m.view_as_real(m.conj(m.view_as_complex(x.contiguous()))),
           lambda rng: [Sample(uniform(rng, (3, 2))), Sample(uniform(rng, (2, 2, 2)))],
           torch_op=lambda t, x: t.view_as_real(t.conj(t.view_as_complex(x.contiguous())).resolve_conj()),
           covers=(elementwise.Conj,)),
    OpInfo("inner", lambda m, a, b: m.inner(a, b),
           lambda rng: [Sample(uniform(rng, (3,), (3,))), Sample(uniform(rng, (2, 3), (4, 3))),
                        Sample(uniform(rng, (2, 1, 3), (3,))), Sample(uniform(rng, (), (2, 3)))],
           covers=(Matmul,)),
]

# --- special points -------------------------------------------------------------------------------
LINEAR = "linear in its floating inputs: the derivative is constant, no point is special"
BILINEAR = "a polynomial of degree two in its inputs: smooth everywhere, zeros included"


POW_AT_B_ZERO = "PyTorch masks ∂(aᵇ)/∂a with where(b = 0), which drops ∂²(aᵇ)/∂a∂b = 1/a at b = 0"
POW_AT_A_ZERO = ("at a = 0 (the edge of ln a's domain) PyTorch's second derivatives are NaN; nnmath's are "
                 "their limits a → 0⁺: ∂²/∂a² = b(b − 1)aᵇ⁻², ∂²/∂a∂b = ∂²/∂b² = 0 for b > 1")
ORIGIN = ("the angle has no derivative at the origin: PyTorch's gradient there is 0 and its second derivative "
          "NaN; nnmath's second derivative is that of its gradient convention, 0")
NAN_HESSIAN = ("PyTorch's second derivative at this kink is NaN; nnmath's is the derivative of its "
               "first-derivative convention (0 where the norm or the entry is 0)")


def kink(*args, **kwargs):
    """A point where the op is not differentiable: PyTorch's documented convention is the reference."""
    return point(*args, smooth=False, **kwargs)


SPECIAL = {
    "add": LINEAR, "add_alpha_scalar": LINEAR, "sub": LINEAR, "rsub_scalar": LINEAR, "neg": LINEAR,
    "mul": points(point([0.0, 1.0, 0.0], [2.0, 0.0, 0.0])),                             # zeros: Hessian [[0,1],[1,0]]
    "div": points(point([0.0, 0.0], [1.0, -2.0]), kink([1.0, -1.0, 0.0], [0.0, 0.0, 0.0])),   # 0/b; a/0 = ±∞, 0/0
    "rdiv_scalar": points(kink([0.0, 1.0])),                                             # 1/0 = ∞
    "pow_tensor_exponent": points(point([1.0, 1.0], [2.0, -1.0]),                          # ln a = 0
                                  point([2.0, 0.5], [0.0, 0.0], differs=POW_AT_B_ZERO),   # b = 0
                                  kink([0.0, 0.0], [2.0, 3.0], differs=POW_AT_A_ZERO),    # the boundary a = 0
                                  kink([0.0, 0.0], [0.5, 0.0])),
    "rpow_scalar_base": points(point([0.0, 1.0])),
    "pow_scalar": points(kink([0.0, 1.0])),                  # x^0.5 and x^-1.5 at the boundary x = 0
    "square": points(point([0.0, -0.0, 1.0])),
    "exp": points(point([0.0, -50.0, 50.0])),
    "log": points(kink([0.0, 1.0])),                          # ln 0 = −∞, the boundary
    "log1p": points(point([0.0, 1e-10]), kink([-1.0])),
    "expm1": points(point([0.0, 1e-10, -1e-10])),
    "sqrt": points(kink([0.0, 1.0])),                          # √′(0) = ∞
    "rsqrt": points(kink([0.0, 1.0])),
    "sin": points(point([0.0, np.pi / 2, np.pi])), "cos": points(point([0.0, np.pi / 2, np.pi])),
    "tan": points(point([0.0])), "atan": points(point([0.0, 1e8])),
    # the origin: the angle is undefined (gradient 0, PyTorch); the axes and the diagonal are ordinary points
    "atan2": points(point([0.0, 1.0, -1.0], [1.0, 0.0, 0.0]), kink([0.0, 0.0], [0.0, -1.0], differs=ORIGIN)),
    "hypot": points(point([0.0, 3.0], [1.0, 0.0]), kink([0.0], [0.0])),          # (0, 0): NaN gradient (PyTorch)
    "median_all": points(kink([1.0, 3.0, 3.0, 3.0, 2.0]), kink([[2.0, 2.0], [2.0, 1.0]])),   # ties: split evenly
    "median_dim": points(kink([[3.0, 1.0, 3.0, 3.0], [2.0, 2.0, 0.0, 1.0]], 1)),   # ties: the first index
    "cdist": points(kink([[0.0, 0.0], [1.0, 1.0]], [[0.0, 0.0], [2.0, 1.0], [1.0, 1.0]]),   # distance 0
                    kink([[0.0, 0.0], [1.0, 1.0]], [[0.0, 0.0], [2.0, 1.0]], p=1.0)),
    "erf": points(point([0.0, 2.0, -2.0, 1.999999, 2.000001])),   # 0, and the switch of method at |x| = 2
    "abs": points(kink([0.0, -0.0, 0.5])),                    # sign(0) = 0: gradient 0
    "clamp": points(kink([-0.5, 0.5, 0.0])),                  # on the bounds the gradient passes (PyTorch)
    "clamp_min_only": points(kink([0.1, 0.2])),
    "clamp_max_only": points(kink([0.1, 0.0])),
    # x on a bound, lo = hi, lo > hi: x gets the gradient on a bound, a bound only where it is the result
    "clamp_tensor_bounds": points(kink([[-0.5, 0.2, 0.5], [0.3, 0.6, -0.1]], [-0.5, 0.2, -0.5], [[0.5], [0.3]]),
                                  kink([0.7, 0.0, 0.3], [1.0, 1.0, 0.3], [0.5, 0.5, 0.3])),
    "maximum": points(kink([0.5, 1.0, -1.0], [0.5, 1.0, 2.0])),   # ties split evenly (PyTorch)
    "minimum": points(kink([0.5, 1.0, -1.0], [0.5, 1.0, 2.0])),
    "where": "selects a or b by a constant condition: linear in a and b",
    "cast_roundtrip": LINEAR, "cast_to_float64": BILINEAR,
    "sigmoid": points(point([0.0, 40.0, -40.0])), "tanh": points(point([0.0, 20.0, -20.0])),
    "relu": points(kink([0.0, -0.0, 1.0, -1.0])),             # relu′(0) = 0 (PyTorch)
    "softmax": points(point([0.0, 0.0, 0.0], 0), point([[1000.0, 1000.0], [0.0, -1000.0]], 1)),   # ties, huge logits
    "log_softmax": points(point([0.0, 0.0, 0.0], 0), point([[1000.0, 1000.0], [0.0, -1000.0]], 1)),
    "sum": LINEAR, "mean": LINEAR, "cumsum": LINEAR,
    "var": points(point([[0.5, 0.5, 0.5], [1.0, 2.0, 3.0]], dim=1)),          # a constant row: var = 0, smooth
    "var_correction0": points(point([[0.5, 0.5, 0.5, 0.5], [1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0]])),
    "std": points(kink([[0.5, 0.5, 0.5], [1.0, 2.0, 3.0]], dim=1)),           # std = 0: gradient 0 (PyTorch)
    "prod": points(point([0.0, 0.0, 2.0, 3.0]), point([[0.0, 0.0], [0.0, 1.5]], dim=0),   # two zeros: ∂² ≠ 0
                   point([[0.0, 2.0, 0.0], [1.0, 0.0, 0.0]], dim=1, keepdim=True)),
    "prod_with_zero": "its samples are its special points (one zero per reduced group)",
    "amax": points(kink([[1.0, 1.0, 0.0], [2.0, 2.0, 2.0]], dim=1)),          # ties split evenly
    "amin": points(kink([[1.0, 1.0, 3.0], [2.0, 2.0, 2.0]], dim=1)),
    "max_all": points(kink([[1.0, 2.0], [2.0, 0.0]])),
    "max_dim": points(kink([[1.0, 1.0, 0.0], [2.0, 2.0, 2.0]], 1, False)),    # ties: the first index gets it
    "min_dim": points(kink([[[1.0, 0.5], [1.0, 0.5]], [[0.0, 0.0], [0.2, 0.0]]], 1)),
    "logsumexp": points(point([0.0, 0.0, 0.0], 0), point([[1000.0, 1000.0], [-1000.0, 0.0]], 1),
                        kink([-np.inf, 0.0, 1.0], 0)),
    "norm": points(kink([0.0, 0.0, 0.0], differs=NAN_HESSIAN), kink([[0.0, 0.0], [0.3, -0.4]], dim=1,
                                                                     differs=NAN_HESSIAN)),  # the zero vector
    "norm_p": points(point([[0.0, 0.5, -1.0], [0.3, 0.0, 0.0]], 3),             # |x|³ is C² at 0: smooth
                     kink([[0.0, 0.5, -1.0], [0.0, 0.0, 0.0]], 1),
                     kink([[0.0, 0.5, -1.0], [0.0, 0.0, 0.0]], 0.5, differs=NAN_HESSIAN),
                     kink([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], 3)),
    "norm_p0": points(point([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dim=1)),
    "matmul": BILINEAR, "einsum": BILINEAR,
    "reshape": LINEAR, "permute": LINEAR, "transpose_mT": LINEAR, "expand": LINEAR, "broadcast_to": LINEAR,
    "sum_to": LINEAR, "repeat": LINEAR, "cat": LINEAR, "stack": LINEAR, "split_sizes": LINEAR,
    "split_size": LINEAR, "split_one_block_used": LINEAR, "chunk": LINEAR, "flip": LINEAR, "roll": LINEAR,
    "tril": LINEAR, "triu": LINEAR, "pad_constant": LINEAR, "pad_reflect_replicate_circular": LINEAR,
    "clone": LINEAR, "getitem_basic": LINEAR, "getitem_int_and_none": LINEAR, "getitem_repeated_indices": LINEAR,
    "getitem_two_index_tensors": LINEAR, "getitem_bool_mask": LINEAR, "setitem_on_non_leaf": LINEAR,
    "index_select": LINEAR, "gather": LINEAR, "scatter_add": LINEAR,
    "acos": points(point([0.0, 0.5, -0.5]), kink([1.0, -1.0])),     # arccos′(±1) = ∓∞: the domain's edge
    "write_through_view": LINEAR, "diagonal": LINEAR, "unfold_overlapping_windows": LINEAR, "as_strided": LINEAR,
    "view_as_real_and_complex": LINEAR, "view_dtype_is_not_differentiable": "no derivative (a reinterpretation)",
    "conj": LINEAR, "inner": BILINEAR,
}

set_special_points(OP_DB, SPECIAL)
