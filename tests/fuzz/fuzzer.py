"""A differential fuzzer: random graphs of ops, run by nnmath and by PyTorch in float64, compared in value,
gradient and Hessian-vector product.

A graph starts from one or two (3, 4) inputs and applies 3 to 6 random ops (:data:`OPS`), each to one
or two earlier nodes; the last node is the output. Inputs mix random values with special points
(0, ±1, ½, −0, ties: repeated values, whole constant rows), so kinks, ties and zero-norm rows are reached
by chains of ops, not only by one op's table samples. Every op is written once, for ``m`` = nnmath or
torch; ops with a restricted domain get it from a smooth map of their argument (log(x² + ½)), so any
chain is defined.

``fuzz(seed, n)`` returns the mismatches: (seed, graph, what differed, details). The graph is printed as
nested calls, so a mismatch reproduces by hand.
"""
from __future__ import annotations

import dataclasses

import numpy as np

import nnmath


def _F(m):
    return m.nn.functional


def _bessel(x):
    return 1 if x.shape[-1] > 1 else 0


@dataclasses.dataclass(frozen=True)
class Op:
    name: str
    arity: int
    fn: object   # fn(m, *tensors) -> tensor (of a shape broadcastable with (3, 4) or (3, 1))


UNARY = [
    Op("neg", 1, lambda m, x: -x),
    Op("sin", 1, lambda m, x: m.sin(x)),
    Op("tanh", 1, lambda m, x: m.tanh(x)),
    Op("sigmoid", 1, lambda m, x: m.sigmoid(x)),
    Op("atan", 1, lambda m, x: m.atan(x)),
    Op("exp_tanh", 1, lambda m, x: m.exp(m.tanh(x))),
    Op("abs", 1, lambda m, x: m.abs(x)),
    Op("relu", 1, lambda m, x: m.relu(x)),
    Op("square", 1, lambda m, x: x * x),
    Op("cube", 1, lambda m, x: x ** 3),
    Op("softplus", 1, lambda m, x: _F(m).softplus(x)),
    Op("logsigmoid", 1, lambda m, x: _F(m).logsigmoid(x)),
    Op("gelu", 1, lambda m, x: _F(m).gelu(x)),
    Op("erf", 1, lambda m, x: m.erf(x)),
    Op("log_of_square", 1, lambda m, x: m.log(x * x + 0.5)),
    Op("sqrt_of_square", 1, lambda m, x: m.sqrt(x * x + 0.25)),
    Op("clamp", 1, lambda m, x: m.clamp(x, -0.5, 0.5)),
    Op("xlogy_self", 1, lambda m, x: m.special.xlogy(x, x * x + 0.1)),
]
BINARY = [
    Op("add", 2, lambda m, a, b: a + b),
    Op("sub", 2, lambda m, a, b: a - b),
    Op("mul", 2, lambda m, a, b: a * b),
    Op("div", 2, lambda m, a, b: a / (b * b + 0.5)),
    Op("maximum", 2, lambda m, a, b: m.maximum(a, b)),
    Op("minimum", 2, lambda m, a, b: m.minimum(a, b)),
    Op("where", 2, lambda m, a, b: m.where(a > b, a, b * 2)),
    Op("hypot", 2, lambda m, a, b: m.hypot(a, b + 1.5)),
    # the exponent stays away from 0, where PyTorch drops ∂²(aᵇ)/∂a∂b (a documented difference)
    Op("pow", 2, lambda m, a, b: m.pow(a * a + 0.5, m.tanh(b) + 1.5)),
]
REDUCTION = [   # along the last dim, keepdim=True: the result broadcasts against the inputs
    Op("sum", 1, lambda m, x: x.sum(-1, keepdim=True)),
    Op("mean", 1, lambda m, x: x.mean(-1, keepdim=True)),
    Op("amax", 1, lambda m, x: m.amax(x, -1, keepdim=True)),
    Op("max_values", 1, lambda m, x: m.max(x, -1, keepdim=True).values),
    Op("median_values", 1, lambda m, x: m.median(x, -1, keepdim=True).values),
    Op("logsumexp", 1, lambda m, x: m.logsumexp(x, -1, keepdim=True)),
    # Bessel's correction only over more than one element: the variance of one value with it is 0/0
    Op("std", 1, lambda m, x: m.std(x, -1, keepdim=True, correction=_bessel(x))),
    Op("var", 1, lambda m, x: m.var(x, -1, keepdim=True, correction=_bessel(x))),
    Op("prod", 1, lambda m, x: m.prod(x, -1, keepdim=True)),
    Op("norm3", 1, lambda m, x: m.linalg.vector_norm(x, 3, -1, keepdim=True)),
    Op("softmax", 1, lambda m, x: m.softmax(x, -1)),
    Op("log_softmax", 1, lambda m, x: m.log_softmax(x, -1)),
    Op("cumsum", 1, lambda m, x: m.cumsum(x, -1)),
    Op("gather", 1, lambda m, x: m.gather(x, -1, m.tensor([[0, 0, 3, 1]] * x.shape[0]) if x.shape[-1] == 4 else
                                          m.zeros(x.shape, dtype=m.int64))),
    Op("flip", 1, lambda m, x: m.flip(x, (0,))),
]
OPS = UNARY + BINARY + REDUCTION

#: Special values the inputs draw from (besides random ones): zeros of both signs, ±1, ½.
SPECIAL_VALUES = np.array([0.0, -0.0, 1.0, -1.0, 0.5])


def special_inputs(rng, shape=(3, 4)):
    """Random normal values with, each with probability ½: entries replaced by special values, a row
    repeated (ties across rows), a row made constant (ties within a row, zero variance)."""
    x = rng.standard_normal(shape)
    if rng.random() < 0.5:
        mask = rng.random(shape) < 0.4
        x[mask] = rng.choice(SPECIAL_VALUES, mask.sum())
    if rng.random() < 0.5:
        x[rng.integers(shape[0])] = x[rng.integers(shape[0])]
    if rng.random() < 0.5:
        x[rng.integers(shape[0])] = rng.choice(SPECIAL_VALUES)
    return x


@dataclasses.dataclass
class Graph:
    inputs: list          # float64 arrays
    steps: list           # (op, argument node indices)

    def run(self, m, tensors):
        nodes = list(tensors)
        for op, args in self.steps:
            nodes.append(op.fn(m, *(nodes[i] for i in args)))
        return nodes[-1]

    def __str__(self):
        names = [f"x{i}" for i in range(len(self.inputs))]
        for op, args in self.steps:
            names.append(f"{op.name}({', '.join(names[i] for i in args)})")
        return names[-1]


def random_graph(rng, ops=OPS):
    n_inputs = int(rng.integers(1, 3))
    inputs = [special_inputs(rng) for _ in range(n_inputs)]
    steps = []
    for k in range(int(rng.integers(3, 7))):
        op = ops[rng.integers(len(ops))]
        available = n_inputs + k
        # prefer the latest node, so chains are deep rather than wide
        args = [available - 1] + [int(rng.integers(available)) for _ in range(op.arity - 1)]
        steps.append((op, args))
    return Graph(inputs, steps)


def _derivatives(m, graph):
    """(value, gradients, Hessian-vector products) of the graph in library ``m``, as arrays."""
    xs = [m.tensor(a, dtype=m.float64, requires_grad=True) for a in graph.inputs]
    y = graph.run(m, xs)
    draw = np.random.default_rng(7)
    v = m.tensor(draw.standard_normal(tuple(y.shape)), dtype=m.float64)
    total = (y * v).sum()
    grads = m.autograd.grad(total, xs, create_graph=True, allow_unused=True)
    u = [m.tensor(draw.standard_normal(a.shape), dtype=m.float64) for a in graph.inputs]
    terms = [(g * ui).sum() for g, ui in zip(grads, u) if g is not None and g.requires_grad]
    hvp = m.autograd.grad(sum(terms[1:], terms[0]), xs, allow_unused=True) if terms else [None] * len(xs)

    def arrays(ts):
        return [np.zeros(a.shape) if t is None or getattr(t, "_is_zerotensor", lambda: False)()
                else t.detach().numpy() for t, a in zip(ts, graph.inputs)]
    return y.detach().numpy(), arrays(grads), arrays(hvp)


def _differ(a, b, rtol, atol, undefined_ok=False):
    """How ``a`` (nnmath) differs from ``b`` (PyTorch), '' if it does not. ``undefined_ok``: entries that
    are NaN for PyTorch may be anything for nnmath (second derivatives at kinks, see :func:`compare`)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return f"shapes {a.shape} vs {b.shape}"
    if undefined_ok:
        defined = ~np.isnan(b)
        a, b = a[defined], b[defined]
    finite = np.isfinite(b)
    if not np.array_equal(np.isfinite(a), finite):
        return f"non-finite entries differ:\nnnmath  {a}\npytorch {b}"
    if not np.allclose(a[finite], b[finite], rtol=rtol, atol=atol):
        worst = np.max(np.abs(a[finite] - b[finite]))
        return f"max |difference| {worst:.3g}:\nnnmath  {a}\npytorch {b}"
    return ""


def compare(graph, torch, rtol=1e-7, atol=1e-9, second_order=True):
    """The first difference between nnmath and PyTorch on ``graph`` ('' when they agree).

    Values and gradients must agree everywhere, NaN for NaN. A Hessian-vector product must agree
    wherever PyTorch's is defined: at kinks (a norm or a standard deviation at 0, a tie) PyTorch's
    second derivative is NaN and nnmath's is that of its first-derivative convention (the op table marks
    each such point, ``Sample.differs``)."""
    ours, theirs = _derivatives(nnmath, graph), _derivatives(torch, graph)
    stages = [("value", [ours[0]], [theirs[0]], False), ("gradient", ours[1], theirs[1], False),
              ("Hessian-vector product", ours[2], theirs[2], True)]
    for what, a, b, undefined_ok in stages[:3 if second_order else 2]:
        for k, (x, y) in enumerate(zip(a, b)):
            diff = _differ(x, y, rtol, atol, undefined_ok)
            if diff:
                return f"{what} (input {k}): {diff}"
    return ""


def fuzz(seed, n, torch, ops=OPS, second_order=True):
    """Run ``n`` random graphs from ``seed``; returns the mismatches as (seed, graph, difference)."""
    rng = np.random.default_rng(seed)
    mismatches = []
    with np.errstate(all="ignore"):
        for _ in range(n):
            graph = random_graph(rng, ops)
            diff = compare(graph, torch, second_order=second_order)
            if diff:
                mismatches.append((seed, str(graph), diff))
    return mismatches
