"""Where PyTorch 2.13 refuses an input, nnmath refuses it too, with a message naming the op and what
was expected; where PyTorch computes, nnmath computes the same values and dtype. Each case is one
expression run by both libraries."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import nnmath

torch = pytest.importorskip("torch")

NAN = float("nan")

# expression(lib) -> raises in PyTorch; nnmath must raise with these words in its message
REFUSED = {
    "int // 0": (lambda m: m.tensor([5, -3]) // 0, "division by zero"),
    "int % 0": (lambda m: m.tensor([5, -3]) % 0, "division by zero"),
    "fmod(int, 0)": (lambda m: m.fmod(m.tensor([5, -3]), 0), "division by zero"),
    "int // zero tensor": (lambda m: m.tensor([5, -3]) // m.tensor([1, 0]), "division by zero"),
    "div trunc int by 0": (lambda m: m.div(m.tensor([5]), 0, rounding_mode="trunc"), "division by zero"),
    "std of ints": (lambda m: m.tensor([1, 2, 3]).std(), "floating point"),
    "var of ints": (lambda m: m.tensor([1, 2, 3]).var(), "floating point"),
    "mean of ints": (lambda m: m.tensor([1, 2, 3]).mean(), "floating point"),
    "norm of ints": (lambda m: m.norm(m.tensor([1, 2, 3])), "floating point"),
    "softmax of ints": (lambda m: m.softmax(m.tensor([1, 2]), 0), "floating point"),
    "argmax of bools": (lambda m: m.argmax(m.tensor([True, False])), "bool"),
    "bool - bool": (lambda m: m.tensor([True]) - m.tensor([False]), "bool"),
    "float - True": (lambda m: m.ones(2) - True, "bool"),
    "complex < complex": (lambda m: m.tensor([1j]) < m.tensor([2j]), "complex"),
    "maximum of complex": (lambda m: m.maximum(m.tensor([1j]), m.tensor([2j])), "complex"),
    "int ** negative int": (lambda m: m.tensor([2]) ** -1, "negative"),
    "alpha float for ints": (lambda m: m.add(m.tensor([1]), m.tensor([2]), alpha=2.5), "alpha"),
    "alpha bool for floats": (lambda m: m.add(m.ones(1), m.ones(1), alpha=True), "alpha"),
    "matmul float32 @ int64": (lambda m: m.ones(2, 2) @ m.ones(2, 2, dtype=m.int64), "same dtype"),
    "matmul float32 @ float64": (lambda m: m.ones(2, 2) @ m.ones(2, 2, dtype=m.float64), "same dtype"),
    "mm float32 float64": (lambda m: m.mm(m.ones(2, 2), m.ones(2, 2, dtype=m.float64)), "same dtype"),
    "einsum float32 float64": (lambda m: m.einsum("ij,jk->ik", m.ones(2, 2), m.ones(2, 2, dtype=m.float64)),
                               "same dtype"),
    "where float condition": (lambda m: m.where(m.ones(2), m.ones(2), m.zeros(2)), "bool"),
    "lerp end of another dtype": (lambda m: m.lerp(m.ones(3), m.ones(3, dtype=m.float64), 0.5), "dtype"),
    "masked_select float mask": (lambda m: m.masked_select(m.ones(2, 3), m.ones(2, 3)), "bool"),
    "masked_select mask of another shape": (lambda m: m.masked_select(m.ones(2, 3), m.ones(2, 2, dtype=m.bool)),
                                           "broadcast"),
    "normal std < 0": (lambda m: m.normal(0.0, -1.0, size=(2,)), "std"),
    "normal tensor std < 0": (lambda m: m.normal(m.zeros(2), -m.ones(2)), "std"),
    "normal_ std < 0": (lambda m: m.zeros(2).normal_(0, -1), "std"),
    "tensor of strings": (lambda m: m.tensor(["a"]), "strings"),
    "tensor of mixed items": (lambda m: m.tensor([1, "a"]), "numeric"),
    "dtype given as a string": (lambda m: m.zeros(2, dtype="float32"), "nnmath.float32"),
    "tensor dtype given as a string": (lambda m: m.tensor([1], dtype="int64"), "dtype"),
    "to(a string that names a dtype)": (lambda m: m.zeros(2).to("float32"), "device"),
    "dtype given as a NumPy dtype": (lambda m: m.zeros(2, dtype=np.float32), "dtype"),
    "grad of another shape": (lambda m: setattr(m.ones(3, requires_grad=True), "grad", m.ones(1)), "size"),
    "grad of another dtype": (lambda m: setattr(m.ones(3, requires_grad=True), "grad", m.ones(3, dtype=m.float64)),
                              "dtype"),
    "grad not a tensor": (lambda m: setattr(m.ones(3, requires_grad=True), "grad", [1.0, 2.0, 3.0]), "Tensor"),
    "H of a 3-D tensor": (lambda m: m.ones(2, 2, 2).H, "2-D"),
    "mT of a vector": (lambda m: m.ones(2).mT, "at least 2"),
    "pow int8 ** 300": (lambda m: m.tensor([3], dtype=m.int8) ** 300, "overflow"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_as_by_pytorch_with_a_clear_message(name):
    program, words = REFUSED[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((RuntimeError, TypeError, ValueError, IndexError, NotImplementedError)):
            program(torch)
        with pytest.raises((RuntimeError, TypeError, ValueError, IndexError, NotImplementedError), match=words):
            program(nnmath)


def test_integer_division_by_zero_is_also_a_zero_division_error():
    with pytest.raises(ZeroDivisionError):
        nnmath.tensor([1]) // 0


# expression(lib) -> both compute: same dtype and values
COMPUTED = {
    "int8 + 300 wraps": lambda m: m.tensor([1, 100], dtype=m.int8) + 300,
    "uint8 - 2 wraps": lambda m: m.tensor([1], dtype=m.uint8) - 2,
    "float32 + int64 tensor": lambda m: m.ones(2) + m.ones(2, dtype=m.int64),
    "float16 + int64 tensor": lambda m: m.ones(2, dtype=m.float16) + m.ones(2, dtype=m.int64),
    "int32 tensor + float64 zero-dim": lambda m: m.ones(2, dtype=m.int32) + m.tensor(1.5, dtype=m.float64),
    "float32 tensor + float64 zero-dim": lambda m: m.ones(2) + m.tensor(1.5, dtype=m.float64),
    "cat int64 and float16": lambda m: m.cat([m.ones(2, dtype=m.int64), m.ones(2, dtype=m.float16)]),
    "where int64 and float32": lambda m: m.where(m.tensor([True, False]), m.ones(2, dtype=m.int64), m.zeros(2)),
    "mse_loss with an int target": lambda m: m.nn.functional.mse_loss(m.ones(3) * 0.5, m.tensor([1, 0, 2])),
    "fmax ignores NaN": lambda m: m.fmax(m.tensor([NAN, 2.0, NAN]), m.tensor([1.0, NAN, NAN])),
    "fmin ignores NaN": lambda m: m.fmin(m.tensor([NAN, 2.0, NAN]), m.tensor([1.0, NAN, NAN])),
    "maximum keeps NaN": lambda m: m.maximum(m.tensor([NAN, 2.0]), m.tensor([1.0, NAN])),
    "int ** negative int tensor": lambda m: m.tensor([3, 1, -1, -1, 0]) ** m.tensor([-2, -1, -1, -2, -1]),
    "floor_divide int8 min by -1": lambda m: m.tensor([-128, -7], dtype=m.int8) // m.tensor([-1, 2], dtype=m.int8),
    "div trunc of ints": lambda m: m.div(m.tensor([-7, 7, -8]), m.tensor([2, -2, 4]), rounding_mode="trunc"),
    "fmod of ints": lambda m: m.fmod(m.tensor([-7, 7]), m.tensor([2, -3])),
    "float // 0": lambda m: m.tensor([5.0, -3.0]) // 0,
    "nansum of ints": lambda m: m.nansum(m.tensor([1, 2])),
    "cumprod of ints": lambda m: m.cumprod(m.tensor([1, 2, 3]), 0),
    "dtype=float is float64": lambda m: m.zeros(2, dtype=float),
    "dtype=int is int64": lambda m: m.ones(2, dtype=int),
    "to(float) is float64": lambda m: m.ones(2).to(float),
    "H conjugates": lambda m: m.tensor([[1 + 2j, 3j], [1, 2]]).H,
    "mH conjugates a batch": lambda m: m.tensor([[[1 + 2j, 3j], [1, 2]]]).mH,
    "acos": lambda m: m.tensor([0.5, -0.25]).acos(),
    "fix": lambda m: m.tensor([-1.5, 1.5]).fix(),
    "inner": lambda m: m.ones(2, 3).inner(m.arange(6.0).reshape(2, 3)),
    "where uint8 condition (deprecated)": lambda m: m.where(m.tensor([1, 0], dtype=m.uint8), m.ones(2), m.zeros(2)),
}


@pytest.mark.parametrize("name", sorted(COMPUTED))
def test_computed_as_by_pytorch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = COMPUTED[name](nnmath), COMPUTED[name](torch)
    assert ours.dtype.name == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), theirs.resolve_conj().numpy(), rtol=1e-6, equal_nan=True)
