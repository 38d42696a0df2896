"""Dtypes: ops that need floats, bools or integers; mixed dtypes; promotion near its edges."""
from __future__ import annotations

from differential import Case

CASES: list[Case] = []


def _ints(lib):
    return lib.tensor([[1, 2, 3], [4, 5, 6]])


def _floats(lib):
    return lib.tensor([[0.5, 1.5, -2.0], [3.0, -0.25, 1.0]])


# Ops that refuse integer input (PyTorch: "could not infer output dtype", "not implemented for 'Long'").
FLOAT_ONLY = {
    "mean": lambda x: x.mean(), "std": lambda x: x.std(), "var": lambda x: x.var(),
    "softmax": lambda x: x.softmax(1), "log_softmax": lambda x: x.log_softmax(1),
    "norm": lambda x: x.norm(),
}
for op, f in FLOAT_ONLY.items():
    CASES.append(Case(f"dtypes/{op}-of-int64", lambda lib, f=f: f(_ints(lib)), True, (op,),
                      ("int64", "Long", "Int64", "integer")))
    CASES.append(Case(f"dtypes/{op}-of-int64-made-float-ok", lambda lib, f=f: f(_ints(lib).float()), False))

# Ops that promote integers to the default float (valid).
for op in ["exp", "sqrt", "sin", "log", "sigmoid", "tanh", "reciprocal", "rsqrt", "erf", "log1p"]:
    CASES.append(Case(f"dtypes/{op}-of-int64-promotes", lambda lib, op=op: getattr(lib, op)(_ints(lib)), False))
for op in ["abs", "neg", "sign", "square", "sum", "prod", "floor", "round"]:
    CASES.append(Case(f"dtypes/{op}-of-int64-keeps-integers", lambda lib, op=op: getattr(lib, op)(_ints(lib)), False))
CASES.append(Case("dtypes/cumsum-of-int64-keeps-integers", lambda lib: _ints(lib).cumsum(1), False))
CASES.append(Case("dtypes/logsumexp-of-int64-promotes", lambda lib: _ints(lib).logsumexp(1), False))

# Integer and bool only ops given floats.
BITWISE = {
    "bitwise_and": lambda lib, x: lib.bitwise_and(x, x), "bitwise_or": lambda lib, x: lib.bitwise_or(x, x),
    "bitwise_xor": lambda lib, x: lib.bitwise_xor(x, x), "bitwise_not": lambda lib, x: lib.bitwise_not(x),
    "and-operator": lambda lib, x: x & x, "invert-operator": lambda lib, x: ~x,
}
for op, f in BITWISE.items():
    name = {"and-operator": "bitwise_and", "invert-operator": "bitwise_not"}.get(op, op)
    CASES.append(Case(f"dtypes/{op}-of-float32", lambda lib, f=f: f(lib, _floats(lib)), True, (name, "&", "~"),
                      ("float32", "Float")))
    CASES.append(Case(f"dtypes/{op}-of-bool-ok", lambda lib, f=f: f(lib, _floats(lib) > 0), False))

# Mixed dtypes where PyTorch insists on one.
MIXED = [
    ("mm-int-float", lambda lib: lib.mm(_ints(lib), _floats(lib).T), ("mm", "matmul"),
     ("int64", "float32", "Long", "Float")),
    ("matmul-int-float", lambda lib: _ints(lib) @ _floats(lib).T, ("matmul", "mm"),
     ("int64", "float32", "Long", "Float")),
    ("linear-double-weight", lambda lib: lib.nn.functional.linear(_floats(lib), _floats(lib).double()),
     ("linear", "mm", "matmul"), ("float64", "float32", "Double", "Float")),
    ("conv-int-input", lambda lib: lib.nn.functional.conv1d(lib.ones(1, 1, 4, dtype=lib.int64), lib.ones(1, 1, 2)),
     ("conv1d", "conv"), ("int64", "Long", "float32", "Float")),
    ("index-select-float-index", lambda lib: _floats(lib).index_select(0, lib.tensor([0.0])), ("index_select",),
     ("float32", "Float", "int64", "Long")),
    ("gather-int32-index-ok", lambda lib: _floats(lib).gather(1, lib.tensor([[0], [1]], dtype=lib.int32)), None,
     None),
    ("embedding-float-index", lambda lib: lib.nn.functional.embedding(lib.tensor([0.0, 1.0]), lib.ones(3, 2)),
     ("embedding",), ("float32", "Float", "int64", "Long", "integer")),
    ("cross-entropy-float-class-target",
     lambda lib: lib.nn.functional.cross_entropy(_floats(lib), lib.tensor([0.0, 1.0])),
     ("cross_entropy", "nll"), ("float32", "Float", "(2,)", "(2, 3)")),
    ("nll-loss-float-target", lambda lib: lib.nn.functional.nll_loss(_floats(lib), lib.tensor([0.0, 1.0])),
     ("nll_loss", "nll"), ("float32", "Float", "int64", "Long")),
    ("add-inplace-float-into-int", lambda lib: _ints(lib).add_(_floats(lib)), ("add_", "add"),
     ("int64", "Long", "float32", "Float")),
    ("mul-inplace-float-into-int", lambda lib: _ints(lib).mul_(1.5), ("mul_", "mul"),
     ("int64", "Long", "Float", "float")),
    ("where-condition-float", lambda lib: lib.where(_floats(lib), _floats(lib), _floats(lib)), ("where",),
     ("float32", "Float", "bool")),
    ("masked-fill-float-mask", lambda lib: _floats(lib).masked_fill(_floats(lib), 0.0), ("masked_fill",),
     ("float32", "Float", "bool")),
    ("requires-grad-int", lambda lib: _ints(lib).requires_grad_(), ("requires_grad",), ("int64", "Long", "floating")),
    ("zeros-int-requires-grad", lambda lib: lib.zeros(2, dtype=lib.int64, requires_grad=True),
     ("requires_grad", "zeros"), ("int64", "Long", "floating")),
    ("lerp-int", lambda lib: lib.lerp(_ints(lib), _ints(lib), 0.5), ("lerp",), ("int64", "Long")),
    ("arange-dtype-ok", lambda lib: lib.arange(0, 1, 0.25, dtype=lib.float64), None, None),
    ("randint-float-dtype-ok", lambda lib: lib.randint(0, 10, (3,), dtype=lib.float32).dtype, None, None),
    ("int-div-true-ok", lambda lib: _ints(lib) / 2, None, None),
    ("int-floordiv-ok", lambda lib: _ints(lib) // 2, None, None),
    ("int-plus-float-scalar-ok", lambda lib: _ints(lib) + 1.5, None, None),
    ("int-plus-bool-ok", lambda lib: _ints(lib) + (_ints(lib) > 2), None, None),
    ("int32-plus-int64-ok", lambda lib: lib.ones(2, dtype=lib.int32) + lib.ones(2, dtype=lib.int64), None, None),
    ("uint8-plus-int8-ok", lambda lib: lib.ones(2, dtype=lib.uint8) + lib.ones(2, dtype=lib.int8), None, None),
    ("float16-plus-float32-0d-ok", lambda lib: lib.ones(2, dtype=lib.float16) + lib.tensor(1.0), None, None),
    ("bool-sum-ok", lambda lib: (_floats(lib) > 0).sum(), None, None),
    ("bool-mean", lambda lib: (_floats(lib) > 0).mean(), ("mean",), ("Bool", "bool")),
    ("float-to-bool-ok", lambda lib: _floats(lib).bool(), None, None),
    ("tensor-of-strings", lambda lib: lib.tensor(["a", "b"]), ("tensor",), ("str", "'a'")),
    ("tensor-ragged", lambda lib: lib.tensor([[1, 2], [3]]), ("tensor", "sequence"), ("2", "1", "length")),
    ("tensor-mixed-bool-float-ok", lambda lib: lib.tensor([True, 2.5]), None, None),
    ("tensor-big-int-ok", lambda lib: lib.tensor([2 ** 62]), None, None),
    ("tensor-too-big-int", lambda lib: lib.tensor([2 ** 64]), ("tensor", "overflow"),
     ("18446744073709551616", "int64", "Long")),
    ("to-string-dtype", lambda lib: _floats(lib).to("float32"), ("to",), ("float32",)),
    ("empty-float-dtype-arg", lambda lib: lib.zeros(2, dtype="float32"), ("zeros", "dtype"), ("float32", "str")),
    ("full-bool-fill-int-ok", lambda lib: lib.full((2,), 3), None, None),
    ("full-float-fill-ok", lambda lib: lib.full((2,), 1.5), None, None),
    ("clamp-int-with-float-bounds-ok", lambda lib: _ints(lib).clamp(1.5, 4.5), None, None),
    ("div-floor-int-ok", lambda lib: lib.div(_ints(lib), 4, rounding_mode="floor"), None, None),
    ("div-bad-rounding-mode", lambda lib: lib.div(_ints(lib), 4, rounding_mode="up"), ("div", "rounding_mode"),
     ("up",)),
    ("int-pow-negative-exponent", lambda lib: _ints(lib) ** -1, ("pow", "**"), ("-1", "negative")),
    ("float-pow-negative-exponent-ok", lambda lib: _floats(lib) ** -1, None, None),
    ("int-pow-float-exponent-ok", lambda lib: _ints(lib) ** 0.5, None, None),
]
for name, program, op, values in MIXED:
    CASES.append(Case(f"dtypes/{name}", program, op is not None, op or (), values or ()))

FILLS = [
    ("full-string-fill", lambda lib: lib.full((2,), "a"), ("full",), ("str", "'a'")),
    ("full-0d-tensor-fill-ok", lambda lib: lib.full((2,), lib.tensor(2.0)), None, None),
    ("mean-of-int64-with-dtype-ok", lambda lib: lib.ones(2, dtype=lib.int64).mean(dtype=lib.float32), None, None),
]
for name, program, op, values in FILLS:
    CASES.append(Case(f"dtypes/{name}", program, op is not None, op or (), values or ()))
