"""NaN, ±inf, empty tensors and values outside an op's domain: PyTorch answers most of them with
IEEE values (no error), and refuses random draws from impossible distributions."""
from __future__ import annotations

import math

from differential import Case

CASES: list[Case] = []

NAN, INF = math.nan, math.inf


def _special(lib):
    return lib.tensor([NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 3.0e38])


# IEEE answers, compared value by value (NaN equal to NaN).
UNARY = ["exp", "log", "log1p", "sqrt", "rsqrt", "sin", "tanh", "sigmoid", "relu", "abs", "floor", "ceil", "round",
         "trunc", "sign", "reciprocal", "erf", "expm1", "isnan", "isinf", "isfinite", "nan_to_num", "square", "neg"]
for op in UNARY:
    CASES.append(Case(f"numeric/{op}-of-specials", lambda lib, op=op: getattr(lib, op)(_special(lib)), False))

VALID = [
    ("div-by-zero-float", lambda lib: lib.tensor([1.0, -1.0, 0.0]) / 0.0),
    ("log-of-negative", lambda lib: lib.log(lib.tensor([-1.0, 0.0]))),
    ("pow-negative-base-fraction", lambda lib: lib.tensor([-8.0]) ** (1 / 3)),
    ("exp-overflow-float32", lambda lib: lib.exp(lib.tensor([100.0]))),
    ("softmax-with-inf", lambda lib: lib.softmax(lib.tensor([INF, 1.0, 0.0]), 0)),
    ("softmax-all-minus-inf", lambda lib: lib.softmax(lib.tensor([-INF, -INF]), 0)),
    ("log-softmax-with-minus-inf", lambda lib: lib.log_softmax(lib.tensor([-INF, 0.0, 1.0]), 0)),
    ("logsumexp-all-minus-inf", lambda lib: lib.logsumexp(lib.tensor([-INF, -INF]), 0)),
    ("logsumexp-with-inf", lambda lib: lib.logsumexp(lib.tensor([INF, 1.0]), 0)),
    ("max-with-nan", lambda lib: lib.tensor([1.0, NAN, 3.0]).max()),
    ("min-dim-with-nan", lambda lib: lib.tensor([[1.0, NAN], [0.0, 2.0]]).min(1)),
    ("argmax-with-nan", lambda lib: lib.tensor([1.0, NAN, 3.0]).argmax()),
    ("maximum-with-nan", lambda lib: lib.maximum(lib.tensor([1.0, NAN]), lib.tensor([NAN, 0.0]))),
    ("fmax-with-nan", lambda lib: lib.fmax(lib.tensor([1.0, NAN]), lib.tensor([NAN, 0.0]))),
    ("sort-with-nan", lambda lib: lib.sort(lib.tensor([2.0, NAN, -1.0, INF]))),
    ("topk-with-nan", lambda lib: lib.topk(lib.tensor([2.0, NAN, -1.0]), 2)),
    ("clamp-of-nan", lambda lib: lib.tensor([NAN, 5.0]).clamp(0.0, 1.0)),
    ("clamp-min-above-max", lambda lib: lib.tensor([0.5, 5.0]).clamp(2.0, 1.0)),
    ("mean-of-empty", lambda lib: lib.ones(0).mean()),
    ("sum-of-empty", lambda lib: lib.ones(0).sum()),
    ("prod-of-empty", lambda lib: lib.ones(0).prod()),
    ("median-of-empty", lambda lib: lib.ones(0).median()),
    ("median-with-nan", lambda lib: lib.tensor([1.0, float("nan"), 3.0]).median()),
    ("cumsum-with-inf", lambda lib: lib.tensor([INF, -INF, 1.0]).cumsum(0)),
    ("mse-with-nan", lambda lib: lib.nn.functional.mse_loss(lib.tensor([NAN, 1.0]), lib.tensor([0.0, 1.0]))),
    ("cross-entropy-inf-logit", lambda lib: lib.nn.functional.cross_entropy(lib.tensor([[INF, 0.0]]),
                                                                             lib.tensor([0]))),
    ("cross-entropy-empty-batch", lambda lib: lib.nn.functional.cross_entropy(lib.ones(0, 3), lib.ones(0).long())),
    ("nan-equals-nan", lambda lib: lib.tensor([NAN]) == lib.tensor([NAN])),
    ("allclose-nan", lambda lib: lib.allclose(lib.tensor([NAN]), lib.tensor([NAN]))),
    ("allclose-nan-equal", lambda lib: lib.allclose(lib.tensor([NAN]), lib.tensor([NAN]), equal_nan=True)),
    ("equal-empty", lambda lib: lib.equal(lib.ones(0), lib.ones(0))),
    ("isclose-inf", lambda lib: lib.isclose(lib.tensor([INF, -INF]), lib.tensor([INF, INF]))),
    ("norm-with-inf", lambda lib: lib.tensor([INF, 1.0]).norm()),
    ("sum-of-large-float32", lambda lib: lib.tensor([3.0e38, 3.0e38]).sum()),
    ("mul-zero-inf", lambda lib: lib.tensor([0.0]) * INF),
    ("float-mod-zero", lambda lib: lib.fmod(lib.tensor([1.0]), 0.0)),
    ("remainder-float-zero", lambda lib: lib.remainder(lib.tensor([1.0]), 0.0)),
    ("sigmoid-of-large", lambda lib: lib.sigmoid(lib.tensor([-1000.0, 1000.0]))),
    ("softplus-of-large", lambda lib: lib.nn.functional.softplus(lib.tensor([-1000.0, 1000.0]))),
    ("log-sigmoid-of-large", lambda lib: lib.nn.functional.logsigmoid(lib.tensor([-1000.0, 1000.0]))),
    ("bce-with-logits-of-large", lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(
        lib.tensor([-1000.0, 1000.0]), lib.tensor([1.0, 0.0]))),
    ("bce-probability-one", lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor([1.0, 0.0]),
                                                                               lib.tensor([0.0, 1.0]))),
    ("arange-empty", lambda lib: lib.arange(5, 5)),
    ("linspace-one-step", lambda lib: lib.linspace(0, 1, 1)),
    ("zeros-zero-size", lambda lib: lib.zeros(0, 3).sum(0)),
    ("amax-of-empty-dim-keep", lambda lib: lib.ones(3, 0).sum(1)),
    ("unique-of-nan", lambda lib: lib.unique(lib.tensor([1.0, 1.0, 2.0]))),
    ("where-nan-condition-float-values", lambda lib: lib.where(lib.tensor([True, False]), lib.tensor([NAN, 1.0]),
                                                               lib.tensor([0.0, NAN]))),
]
for name, program in VALID:
    CASES.append(Case(f"numeric/{name}", program, False))

ERRORS = [
    ("std-of-one", lambda lib: lib.ones(1).std(), ("std",), ("degrees of freedom", "correction")),
    ("var-of-empty-dim", lambda lib: lib.ones(2, 0).var(1), ("var",), ("degrees of freedom", "correction")),
    ("max-of-empty", lambda lib: lib.ones(0).max(), ("max",), ("0", "empty", "numel() == 0")),
    ("argmax-of-empty", lambda lib: lib.ones(0).argmax(), ("argmax",), ("0", "empty")),
    ("amax-of-empty-dim", lambda lib: lib.ones(3, 0).amax(1), ("amax", "max"), ("0", "empty", "(3, 0)")),
    ("median-of-empty-dim", lambda lib: lib.ones(3, 0).median(1), ("median",), ("0", "empty", "(3, 0)")),
    ("multinomial-nan", lambda lib: lib.multinomial(lib.tensor([NAN, 1.0]), 1), ("multinomial",),
     ("nan", "inf", "probability")),
    ("multinomial-negative", lambda lib: lib.multinomial(lib.tensor([-1.0, 2.0]), 1), ("multinomial",),
     ("negative", "-1", "probability")),
    ("multinomial-zero-sum", lambda lib: lib.multinomial(lib.tensor([0.0, 0.0]), 1), ("multinomial",),
     ("sum", "0", "zero")),
    ("multinomial-too-many", lambda lib: lib.multinomial(lib.tensor([1.0, 1.0]), 3), ("multinomial",), ("3", "2")),
    ("bernoulli-above-one", lambda lib: lib.bernoulli(lib.tensor([1.5])), ("bernoulli",), ("1.5", "0 <= p <= 1",
                                                                                           "[0, 1]")),
    ("normal-negative-std", lambda lib: lib.normal(lib.zeros(2), lib.tensor([1.0, -1.0])), ("normal",),
     ("std", "-1", "negative", ">= 0")),
    ("randint-empty-range", lambda lib: lib.randint(5, 5, (2,)), ("randint", "random_"), ("5", "from", "to")),
    ("randn-negative-size", lambda lib: lib.randn(-1), ("randn",), ("-1", "negative")),
    ("zeros-negative-size", lambda lib: lib.zeros(2, -3), ("zeros",), ("-3", "negative")),
    ("arange-zero-step", lambda lib: lib.arange(0, 5, 0), ("arange",), ("step", "0")),
    ("arange-wrong-sign", lambda lib: lib.arange(0, 5, -1), ("arange",), ("step", "-1", "sign", "bound")),
    ("arange-nan", lambda lib: lib.arange(0, NAN), ("arange",), ("nan", "finite")),
    ("linspace-negative-steps", lambda lib: lib.linspace(0, 1, -1), ("linspace",), ("-1", "steps", "negative")),
    ("uniform-from-above-to", lambda lib: lib.empty(3).uniform_(2.0, 1.0), ("uniform_", "uniform"), ("2", "1",
                                                                                                      "from", "to")),
    ("randperm-negative", lambda lib: lib.randperm(-2), ("randperm",), ("-2", "n")),
    ("randperm-float", lambda lib: lib.randperm(2.5), ("randperm",), ("2.5", "int", "float")),
    ("rand-negative-size", lambda lib: lib.rand(3, -1), ("rand",), ("-1", "negative")),
    ("randint-negative-size", lambda lib: lib.randint(0, 3, (-1,)), ("randint",), ("-1", "negative")),
    ("categorical-nan-probs", lambda lib: lib.distributions.Categorical(probs=lib.tensor([NAN, 1.0])),
     ("Categorical", "probs"), ("nan", "Simplex", "constraint")),
    ("normal-dist-negative-scale", lambda lib: lib.distributions.Normal(0.0, -1.0), ("Normal", "scale"),
     ("-1", "GreaterThan", "positive", "constraint")),
    ("item-of-nan-to-int-ok", lambda lib: lib.tensor([NAN]).isnan().item(), None, None),
    ("float-of-empty", lambda lib: float(lib.ones(0)), ("float", "item", "scalar"), ("0", "one element", "empty")),
    ("bool-of-two", lambda lib: bool(lib.ones(2)), ("bool", "Boolean"), ("2", "more than one", "ambiguous")),
    ("int-of-nan", lambda lib: int(lib.tensor(NAN)), ("int", "integer", "item"), ("nan", "NaN")),
    ("topk-k-too-large", lambda lib: lib.topk(lib.ones(3), 4), ("topk",), ("4", "3", "k")),
    ("kthvalue-k-zero", lambda lib: lib.kthvalue(lib.ones(3), 0), ("kthvalue",), ("0", "k")),
]
for name, program, op, values in ERRORS:
    CASES.append(Case(f"numeric/{name}", program, op is not None, op or (), values or ()))

# Linear algebra on matrices that have no answer, and a variance with too few degrees of freedom.
LINALG = [
    ("inv-singular", lambda lib: lib.linalg.inv(lib.zeros(2, 2)), ("inv",), ("singular",)),
    ("inv-non-square", lambda lib: lib.linalg.inv(lib.ones(2, 3)), ("inv",), ("2", "3", "square")),
    ("cholesky-not-positive-definite", lambda lib: lib.linalg.cholesky(-lib.eye(2)), ("cholesky",),
     ("positive-definite", "order")),
    ("solve-shapes", lambda lib: lib.linalg.solve(lib.eye(2), lib.ones(3)), ("solve",), ("3", "2")),
    ("det-non-square", lambda lib: lib.linalg.det(lib.ones(2, 3)), ("det",), ("2", "3", "square")),
    ("multinomial-3d", lambda lib: lib.multinomial(lib.ones(2, 2, 2), 1), ("multinomial",), ("3", "1 or 2")),
    ("var-correction-above-count", lambda lib: lib.arange(6.0).var(correction=10), ("var",), ("10", "degrees")),
]
for name, program, op, values in LINALG:
    CASES.append(Case(f"numeric/{name}", program, op is not None, op or (), values or ()))
