"""Indexing: integers, slices, masks and index tensors out of range or of the wrong kind, reads and writes."""
from __future__ import annotations

from differential import Case

CASES: list[Case] = []


def _x(lib):
    return lib.arange(12.0).reshape(3, 4)


def _setitem(key, value):
    def program(lib):
        x = _x(lib)
        x[key(lib)] = value(lib) if callable(value) else value
        return x
    return program


READS = [
    ("int-out-of-range", lambda lib: _x(lib)[3], ("index",), ("3",)),
    ("negative-out-of-range", lambda lib: _x(lib)[-4], ("index",), ("-4",)),
    ("second-axis-out-of-range", lambda lib: _x(lib)[0, 4], ("index",), ("4",)),
    ("too-many-indices", lambda lib: _x(lib)[0, 0, 0], ("index",), ("3", "2")),
    ("float-index", lambda lib: _x(lib)[1.0], ("index",), ("float", "1.0")),
    ("string-index", lambda lib: _x(lib)["a"], ("index",), ("str", "'a'")),
    ("zero-step", lambda lib: _x(lib)[::0], ("slice", "step", "index"), ("0", "step")),
    ("negative-step", lambda lib: _x(lib)[::-1], ("slice", "step", "index"), ("-1", "step", "positive")),
    ("index-0d", lambda lib: lib.tensor(1.0)[0], ("index",), ("0-d", "0", "dimension")),
    ("mask-wrong-shape", lambda lib: _x(lib)[lib.tensor([True, False])], ("index", "mask"),
     ("(2,)", "(3, 4)", "2", "3")),
    ("mask-2d-wrong-shape", lambda lib: _x(lib)[lib.ones(3, 3, dtype=lib.bool)], ("index", "mask"),
     ("(3, 3)", "(3, 4)", "3", "4")),
    ("long-tensor-out-of-range", lambda lib: _x(lib)[lib.tensor([0, 5])], ("index",), ("5",)),
    ("long-tensor-negative-out-of-range", lambda lib: _x(lib)[lib.tensor([-4])], ("index",), ("-4",)),
    ("float-tensor-index", lambda lib: _x(lib)[lib.tensor([0.0, 1.0])], ("index",),
     ("float32", "Float", "long", "integer")),
    ("index-lists-mismatch", lambda lib: _x(lib)[lib.tensor([0, 1]), lib.tensor([0, 1, 2])], ("index",),
     ("(2,)", "(3,)", "[2]", "[3]")),
    ("index-select-out-of-range", lambda lib: _x(lib).index_select(0, lib.tensor([3])), ("index_select",), ("3",)),
    ("index-select-2d-index", lambda lib: _x(lib).index_select(0, lib.tensor([[0]])), ("index_select",),
     ("1D", "1-D", "2", "(1, 1)")),
    ("gather-out-of-range", lambda lib: _x(lib).gather(1, lib.tensor([[4], [0], [0]])), ("gather",), ("4",)),
    ("gather-negative", lambda lib: _x(lib).gather(1, lib.tensor([[-1], [0], [0]])), ("gather",), ("-1",)),
    ("take-out-of-range", lambda lib: lib.take(_x(lib), lib.tensor([12])), ("take",), ("12",)),
    ("select-out-of-range", lambda lib: _x(lib).select(0, 3), ("select",), ("3",)),
    ("select-dim-out-of-range", lambda lib: _x(lib).select(2, 0), ("select",), ("2",)),
    ("narrow-negative-length", lambda lib: _x(lib).narrow(0, 0, -1), ("narrow",), ("-1", "length")),
    ("embedding-out-of-range", lambda lib: lib.nn.functional.embedding(lib.tensor([3]), lib.ones(3, 2)),
     ("embedding",), ("3",)),
    ("one-hot-too-few-classes", lambda lib: lib.nn.functional.one_hot(lib.tensor([0, 3]), 3), ("one_hot",),
     ("3",)),
    ("one-hot-negative", lambda lib: lib.nn.functional.one_hot(lib.tensor([-1, 1])), ("one_hot",), ("-1",
                                                                                                    "negative")),
    ("masked-select-wrong-shape", lambda lib: _x(lib).masked_select(lib.tensor([True, False])), ("masked_select",),
     ("(2,)", "(3, 4)", "2", "4")),
    ("slice-beyond-ok", lambda lib: _x(lib)[1:100], None, None),
    ("slice-empty-ok", lambda lib: _x(lib)[5:], None, None),
    ("slice-reversed-empty-ok", lambda lib: _x(lib)[2:1], None, None),
    ("none-index-ok", lambda lib: _x(lib)[None, :, None].shape, None, None),
    ("ellipsis-ok", lambda lib: _x(lib)[..., 1], None, None),
    ("negative-index-ok", lambda lib: _x(lib)[-3, -1], None, None),
    ("bool-scalar-index-ok", lambda lib: _x(lib)[True].shape, None, None),
    ("empty-long-index-ok", lambda lib: _x(lib)[lib.tensor([], dtype=lib.int64)], None, None),
    ("mask-all-false-ok", lambda lib: _x(lib)[_x(lib) > 100], None, None),
    ("list-index-ok", lambda lib: _x(lib)[[0, 2]], None, None),
    ("mixed-advanced-ok", lambda lib: _x(lib)[lib.tensor([0, 2]), 1:3], None, None),
    ("int-tensor-0d-index-ok", lambda lib: _x(lib)[lib.tensor(1)], None, None),
    ("uint8-mask-deprecated", lambda lib: _x(lib)[lib.tensor([1, 0, 1], dtype=lib.uint8)], ("index", "uint8"),
     ("uint8", "bool")),
    ("gather-empty-index-ok", lambda lib: _x(lib).gather(1, lib.zeros(3, 0, dtype=lib.int64)), None, None),
]
# Valid in PyTorch, refused by nnmath on purpose (listed in deliberate.py with the reasons).
STRICTER = [
    ("two-ellipses", lambda lib: _x(lib)[..., 0, ...]),
    ("take-along-dim-out-of-range", lambda lib: lib.take_along_dim(_x(lib), lib.tensor([[5]]), 1)),
]
for name, program in STRICTER:
    CASES.append(Case(f"indexing/{name}", program, False))

for name, program, op, values in READS:
    CASES.append(Case(f"indexing/{name}", program, op is not None, op or (), values or ()))

WRITES = [
    ("setitem-out-of-range", _setitem(lambda lib: 3, 0.0), ("index", "setitem"), ("3",)),
    ("setitem-value-shape", _setitem(lambda lib: 0, lambda lib: lib.ones(3)), ("setitem", "copy", "index", "expand"),
     ("(3,)", "(4,)", "[3]", "[4]")),
    ("setitem-mask-wrong-shape", _setitem(lambda lib: lib.tensor([True, False]), 0.0), ("index", "setitem", "mask"),
     ("(2,)", "(3, 4)", "2", "3")),
    ("setitem-values-count", _setitem(lambda lib: lib.tensor([0, 1]), lambda lib: lib.ones(3, 4)),
     ("setitem", "index_put", "index", "copy"), ("(3, 4)", "(2, 4)", "[3, 4]", "[2, 4]")),
    ("setitem-tensor-index-out-of-range", _setitem(lambda lib: lib.tensor([5]), 0.0), ("index", "setitem"), ("5",)),
    ("setitem-broadcast-ok", _setitem(lambda lib: slice(None), lambda lib: lib.ones(4)), None, None),
    ("setitem-mask-scalar-ok", _setitem(lambda lib: lib.tensor([True, False, True]), 7.0), None, None),
    ("setitem-int-value-into-float-ok", _setitem(lambda lib: 0, 5), None, None),
    ("setitem-float-into-int-ok", lambda lib: _int_setitem(lib), None, None),
    ("scatter-out-of-range", lambda lib: _x(lib).scatter(1, lib.tensor([[4], [0], [0]]), 1.0), ("scatter",), ("4",)),
    ("scatter-index-dim", lambda lib: _x(lib).scatter(1, lib.tensor([0, 1]), 1.0), ("scatter",),
     ("1", "2", "dimensions")),
    ("scatter-add-src-small", lambda lib: _x(lib).scatter_add(1, lib.tensor([[0, 1], [0, 1], [0, 1]]), lib.ones(3, 1)),
     ("scatter_add", "scatter"), ("(3, 1)", "(3, 2)", "[3, 1]", "[3, 2]", "1", "2")),
    ("scatter-bad-reduce", lambda lib: _x(lib).scatter(1, lib.tensor([[0], [0], [0]]), 2.0, reduce="max2"),
     ("scatter",), ("max2",)),
    ("repeat-interleave-negative", lambda lib: _x(lib).repeat_interleave(-1), ("repeat_interleave",), ("-1",
                                                                                                      "negative")),
    ("tril-1d", lambda lib: lib.tril(lib.ones(3)), ("tril",), ("1", "2D", "2-D", "(3,)")),
    ("masked-fill-wrong-shape", lambda lib: _x(lib).masked_fill(lib.tensor([True, False]), 0.0), ("masked_fill",),
     ("(2,)", "(3, 4)", "2", "4")),
    ("masked-fill-value-tensor-1d", lambda lib: _x(lib).masked_fill(_x(lib) > 5, lib.ones(2)), ("masked_fill",),
     ("0-dimensional", "0-dim", "1", "(2,)")),
    ("masked-fill-broadcast-ok", lambda lib: _x(lib).masked_fill(lib.tensor([True, False, True, False]), -1.0),
     None, None),
    ("fill-diagonal-non-square-ok", lambda lib: lib.zeros(2, 3).fill_(2.0), None, None),
    ("copy-shape-mismatch", lambda lib: _x(lib).copy_(lib.ones(5)), ("copy_", "copy", "expand"), ("(5,)", "(3, 4)", "5",
                                                                                                  "4")),
    ("copy-broadcast-ok", lambda lib: _x(lib).copy_(lib.ones(4)), None, None),
    ("index-add-out-of-range", lambda lib: _x(lib).index_add(0, lib.tensor([3]), lib.ones(1, 4)), ("index_add",),
     ("3",)),
]
for name, program, op, values in WRITES:
    CASES.append(Case(f"indexing/{name}", program, op is not None, op or (), values or ()))


def _int_setitem(lib):
    x = lib.arange(6).reshape(2, 3)
    x[0] = 2.7
    return x
