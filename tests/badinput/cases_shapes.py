"""Shapes: broadcasting, products, reshaping, joining, dimensions out of range."""
from __future__ import annotations

from differential import Case


def _shape(s) -> str:
    return "(" + ", ".join(map(str, s)) + ")" if len(s) != 1 else f"({s[0]},)"


def _dims(shape) -> str:
    return str(list(shape))


CASES: list[Case] = []

# Element-wise binary ops: shapes that do not broadcast, and shapes that do (the near misses).
BINARY = {
    "add": lambda lib, x, y: lib.add(x, y), "sub": lambda lib, x, y: lib.sub(x, y),
    "mul": lambda lib, x, y: lib.mul(x, y), "div": lambda lib, x, y: lib.div(x, y),
    "pow": lambda lib, x, y: lib.pow(x, y), "maximum": lambda lib, x, y: lib.maximum(x, y),
    "minimum": lambda lib, x, y: lib.minimum(x, y), "fmod": lambda lib, x, y: lib.fmod(x, y),
    "eq": lambda lib, x, y: lib.eq(x, y), "lt": lambda lib, x, y: lib.lt(x, y),
    "where": lambda lib, x, y: lib.where(x > 0, x, y), "remainder": lambda lib, x, y: lib.remainder(x, y),
}
MISMATCHED = [((2, 3), (3, 2)), ((4,), (5,)), ((2, 3, 4), (2, 4))]
BROADCASTING = [((2, 1), (1, 3)), ((3,), ())]


def _binary(op, a, b):
    def program(lib):
        x = lib.linspace(0.5, 2.0, max(1, _numel(a))).reshape(a)
        y = lib.linspace(1.0, 1.5, max(1, _numel(b))).reshape(b)
        return BINARY[op](lib, x, y)
    return program


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


for op in BINARY:
    for a, b in MISMATCHED:
        CASES.append(Case(f"shapes/{op}-{_shape(a)}-{_shape(b)}", _binary(op, a, b), True, (op,),
                          (_shape(a), _shape(b), _dims(a), _dims(b))))
    for a, b in BROADCASTING:
        CASES.append(Case(f"shapes/{op}-broadcasts-{_shape(a)}-{_shape(b)}", _binary(op, a, b), False))

# Products.
PRODUCTS = [
    ("matmul-inner", lambda lib: lib.ones(2, 3) @ lib.ones(2, 3), ("matmul", "mm"), ("(2, 3)", "3", "2")),
    ("matmul-batch", lambda lib: lib.matmul(lib.ones(2, 3, 4), lib.ones(3, 4, 5)), ("matmul",),
     ("(2, 3, 4)", "2", "3")),
    ("matmul-0d", lambda lib: lib.matmul(lib.tensor(2.0), lib.ones(3)), ("matmul",), ("()", "0D", "0-d")),
    ("mm-3d", lambda lib: lib.mm(lib.ones(2, 3, 4), lib.ones(4, 2)), ("mm",), ("3", "(2, 3, 4)")),
    ("mm-inner", lambda lib: lib.mm(lib.ones(2, 3), lib.ones(4, 2)), ("mm",), ("(2, 3)", "(4, 2)")),
    ("bmm-2d", lambda lib: lib.bmm(lib.ones(2, 3), lib.ones(3, 2)), ("bmm",), ("2", "(2, 3)")),
    ("bmm-batch", lambda lib: lib.bmm(lib.ones(2, 3, 4), lib.ones(3, 4, 5)), ("bmm",), ("2", "3")),
    ("mv-size", lambda lib: lib.mv(lib.ones(2, 3), lib.ones(4)), ("mv",), ("(2, 3)", "(4,)", "4")),
    ("dot-size", lambda lib: lib.dot(lib.ones(3), lib.ones(4)), ("dot",), ("3", "4")),
    ("dot-2d", lambda lib: lib.dot(lib.ones(2, 2), lib.ones(2, 2)), ("dot",), ("2", "2D", "2-D")),
    ("outer-2d", lambda lib: lib.outer(lib.ones(2, 2), lib.ones(3)), ("outer", "ger"), ("2", "2D", "(2, 2)")),
    ("einsum-subscripts", lambda lib: lib.einsum("ij,jk->ik", lib.ones(2, 3), lib.ones(4, 5)), ("einsum",),
     ("3", "4", "j")),
    ("einsum-operands", lambda lib: lib.einsum("ij,jk->ik", lib.ones(2, 3)), ("einsum",), ("2", "1")),
    ("linear-features", lambda lib: lib.nn.functional.linear(lib.ones(2, 3), lib.ones(4, 5)), ("linear", "mm"),
     ("3", "5", "(4, 5)")),
    ("cross-size", lambda lib: lib.linalg.cross(lib.ones(2, 4), lib.ones(2, 4)), ("cross",), ("4", "3")),
    ("matmul-empty-inner", lambda lib: lib.ones(2, 0) @ lib.ones(0, 3), None, None),
    ("matmul-vector-vector", lambda lib: lib.ones(3) @ lib.ones(3), None, None),
    ("matmul-broadcast-batch", lambda lib: lib.ones(2, 1, 3, 4) @ lib.ones(5, 4, 2), None, None),
]
for name, program, op, values in PRODUCTS:
    CASES.append(Case(f"shapes/{name}", program, op is not None, op or (), values or ()))

# Reshaping, expanding, joining, splitting.
RESHAPES = [
    ("view-size", lambda lib: lib.ones(2, 3).view(7), ("view", "reshape"), ("7", "6")),
    ("reshape-two-unknowns", lambda lib: lib.ones(2, 3).reshape(-1, -1), ("reshape", "view"), ("-1",)),
    ("reshape-negative", lambda lib: lib.ones(2, 3).reshape(-2, 3), ("reshape", "view"), ("-2",)),
    ("reshape-unknown-indivisible", lambda lib: lib.ones(2, 3).reshape(4, -1), ("reshape", "view"), ("4", "6")),
    ("expand-shrink", lambda lib: lib.ones(2, 3).expand(2, 4), ("expand",), ("3", "4")),
    ("expand-fewer-dims", lambda lib: lib.ones(2, 3).expand(3), ("expand",), ("3", "2")),
    ("cat-sizes", lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 4)]), ("cat",), ("3", "4")),
    ("cat-ndim", lambda lib: lib.cat([lib.ones(2, 3), lib.ones(3)]), ("cat",), ("2", "1")),
    ("cat-empty-list", lambda lib: lib.cat([]), ("cat",), ("empty", "0", "[]")),
    ("cat-dim", lambda lib: lib.cat([lib.ones(2), lib.ones(2)], dim=1), ("cat",), ("1",)),
    ("stack-sizes", lambda lib: lib.stack([lib.ones(2, 3), lib.ones(3, 2)]), ("stack",), ("(2, 3)", "(3, 2)")),
    ("stack-empty", lambda lib: lib.stack([]), ("stack",), ("empty", "0", "[]")),
    ("split-sizes-sum", lambda lib: lib.ones(5).split([2, 2]), ("split",), ("5", "4", "[2, 2]")),
    ("chunk-zero", lambda lib: lib.ones(5).chunk(0), ("chunk",), ("0",)),
    ("transpose-dim", lambda lib: lib.ones(2, 3).transpose(0, 2), ("transpose",), ("2",)),
    ("permute-length", lambda lib: lib.ones(2, 3).permute(0, 1, 2), ("permute",), ("3", "2")),
    ("permute-repeated", lambda lib: lib.ones(2, 3).permute(0, 0), ("permute",), ("0",)),
    ("squeeze-dim", lambda lib: lib.ones(2, 3).squeeze(3), ("squeeze",), ("3",)),
    ("unsqueeze-dim", lambda lib: lib.ones(2, 3).unsqueeze(4), ("unsqueeze",), ("4",)),
    ("flatten-order", lambda lib: lib.ones(2, 3, 4).flatten(2, 1), ("flatten",), ("2", "1")),
    ("narrow-beyond", lambda lib: lib.ones(5).narrow(0, 3, 4), ("narrow",), ("3", "4", "5")),
    ("repeat-fewer", lambda lib: lib.ones(2, 3).repeat(2), ("repeat",), ("2",)),
    ("gather-ndim", lambda lib: lib.ones(2, 3).gather(1, lib.zeros(2, dtype=lib.int64)), ("gather",), ("1", "2")),
    ("roll-shifts-dims", lambda lib: lib.ones(2, 3).roll((1, 2), (0,)), ("roll",), ("2", "1")),
    ("flip-dim", lambda lib: lib.ones(2, 3).flip(2), ("flip",), ("2",)),
    ("movedim-repeated", lambda lib: lib.movedim(lib.ones(2, 3, 4), (0, 0), (1, 2)), ("movedim",), ("0",)),
    ("tile-ok-fewer", lambda lib: lib.ones(2, 3).tile(2), None, None),
    ("reshape-empty", lambda lib: lib.ones(0, 3).reshape(3, 0, -1), ("reshape", "view"), ("-1", "0")),
    ("view-as-size", lambda lib: lib.ones(6).view_as(lib.ones(2, 4)), ("view",), ("(2, 4)", "8", "6")),
    ("unflatten-sizes", lambda lib: lib.ones(2, 6).unflatten(1, (4, 2)), ("unflatten",), ("(4, 2)", "6", "8")),
    ("split-zero-size", lambda lib: lib.ones(4).split(0), ("split",), ("0",)),
    ("cat-negative-dim-ok", lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 1)], dim=-1), None, None),
    ("squeeze-size-not-one-ok", lambda lib: lib.ones(2, 3).squeeze(0), None, None),
    ("narrow-empty-ok", lambda lib: lib.ones(5).narrow(0, 5, 0), None, None),
    ("expand-minus-one-ok", lambda lib: lib.ones(1, 3).expand(-1, 3), None, None),
    ("chunk-more-than-size-ok", lambda lib: lib.ones(3).chunk(5), None, None),
    ("split-larger-than-size-ok", lambda lib: lib.ones(3).split(5), None, None),
    ("stack-negative-dim-ok", lambda lib: lib.stack([lib.ones(2), lib.ones(2)], dim=-1), None, None),
]
for name, program, op, values in RESHAPES:
    CASES.append(Case(f"shapes/{name}", program, op is not None, op or (), values or ()))

# Reductions and dim-taking ops: a dimension out of range, and the last valid negative one.
REDUCTIONS = {
    "sum": lambda x, d: x.sum(d), "mean": lambda x, d: x.mean(d), "prod": lambda x, d: x.prod(d),
    "amax": lambda x, d: x.amax(d), "argmax": lambda x, d: x.argmax(d), "max": lambda x, d: x.max(d),
    "min": lambda x, d: x.min(d), "std": lambda x, d: x.std(d), "var": lambda x, d: x.var(d),
    "logsumexp": lambda x, d: x.logsumexp(d), "cumsum": lambda x, d: x.cumsum(d),
    "softmax": lambda x, d: x.softmax(d), "log_softmax": lambda x, d: x.log_softmax(d),
    "norm": lambda x, d: x.norm(dim=d), "sort": lambda x, d: x.sort(d), "all": lambda x, d: x.all(d),
    "amin": lambda x, d: x.amin(d), "cumprod": lambda x, d: x.cumprod(d),
}
for op, f in REDUCTIONS.items():
    CASES.append(Case(f"shapes/{op}-dim-out-of-range", lambda lib, f=f: f(lib.linspace(0, 1, 6).reshape(2, 3), 2),
                      True, (op,), ("2",)))
    CASES.append(Case(f"shapes/{op}-dim-negative-ok", lambda lib, f=f: f(lib.linspace(0, 1, 6).reshape(2, 3), -2),
                      False))

# Ops that take counts, positions or a second operand of a given shape.
def _x(lib):
    return lib.arange(6.0).reshape(2, 3)


COUNTS = [
    ("chunk-negative", lambda lib: _x(lib).chunk(-1), ("chunk",), ("-1",)),
    ("tensor-split-zero", lambda lib: lib.tensor_split(_x(lib), 0), ("tensor_split",), ("0",)),
    ("topk-too-large", lambda lib: _x(lib).topk(4), ("topk",), ("4", "3")),
    ("topk-negative", lambda lib: _x(lib).topk(-1), ("topk",), ("-1",)),
    ("kthvalue-dim", lambda lib: _x(lib).kthvalue(1, dim=3), ("kthvalue",), ("3",)),
    ("unique-dim", lambda lib: lib.unique(_x(lib), dim=3), ("unique",), ("3",)),
    ("norm-fro-three-dims", lambda lib: lib.ones(2, 2, 2).norm(p="fro", dim=(0, 1, 2)), ("norm",), ("(0, 1, 2)",)),
    ("norm-fro-one-dim-ok", lambda lib: lib.ones(2, 2).norm(p="fro", dim=(0,)), None, None),
    ("cdist-features", lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 4)), ("cdist",), ("3", "4")),
    ("bucketize-2d-boundaries", lambda lib: lib.bucketize(lib.ones(2), lib.ones(2, 2)), ("bucketize",),
     ("dim(2)", "(2, 2)")),
    ("triu-0d", lambda lib: lib.triu(lib.tensor(1.0)), ("triu",), ("0", "2")),
    ("as-strided-negative-stride", lambda lib: lib.as_strided(_x(lib), (2,), (-1,)), ("as_strided",),
     ("-1", "negative")),
    ("where-two-arguments", lambda lib: lib.where(_x(lib) > 2, _x(lib)), ("where",), ("NoneType", "None")),
    ("where-one-argument-ok", lambda lib: lib.where(_x(lib) > 2), None, None),
    ("nonzero-of-0d-ok", lambda lib: lib.nonzero(lib.tensor(1.0)), None, None),
    ("nonzero-of-0d-zero-ok", lambda lib: lib.nonzero(lib.tensor(0.0), as_tuple=True), None, None),
    ("clamp-without-bounds", lambda lib: lib.clamp(_x(lib)), ("clamp",), ("min", "max")),
]
for name, program, op, values in COUNTS:
    CASES.append(Case(f"shapes/{name}", program, op is not None, op or (), values or ()))
