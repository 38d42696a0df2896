"""Type promotion, generated against PyTorch: every pair of dtypes, each operand a dimensioned tensor,
a zero-dim tensor or a Python scalar, through every binary op; the result's dtype and values must be
PyTorch's, and where PyTorch raises nnmath must raise too.

PyTorch's rules (``c10/core/ScalarType.h``, ``ATen/native/TypeProperties.cpp``): categories
bool < integer < floating < complex; dimensioned tensors decide over zero-dim tensors, which decide
over Python scalars, unless the lower group is of a higher category.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import nnmath

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "complex64",
          "complex128"]
SCALARS = {"bool": True, "int": 3, "float": -2.5, "complex": 1 + 2j}


def _values(name):
    return [True, False] if name == "bool" else [3, -2]


def operand(lib, kind):
    """``t_<dtype>``: a (2,) tensor; ``z_<dtype>``: a zero-dim tensor; ``s_<type>``: a Python scalar."""
    form, name = kind.split("_", 1)
    if form == "s":
        return SCALARS[name]
    values = np.array(_values(name)).astype(name)  # uint8 wraps -2 to 254 in both libraries
    if form == "z":
        values = values[0]
    return lib.tensor(values.tolist(), dtype=getattr(lib, name))


KINDS = [f"{f}_{d}" for d in DTYPES for f in "tz"] + [f"s_{s}" for s in SCALARS]
PAIRS = [(a, b) for a in KINDS for b in KINDS if not (a.startswith("s_") and b.startswith("s_"))]

# Each op as the same expression in both libraries; operators accept a scalar on either side.
BINARY = {
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / b,
    "floor_divide": lambda m, a, b: a // b,
    "remainder": lambda m, a, b: a % b,
    "pow": lambda m, a, b: a ** b,
    "eq": lambda m, a, b: a == b,
    "ne": lambda m, a, b: a != b,
    "lt": lambda m, a, b: a < b,
    "le": lambda m, a, b: a <= b,
    "gt": lambda m, a, b: a > b,
    "ge": lambda m, a, b: a >= b,
    "bitwise_and": lambda m, a, b: a & b,
    "bitwise_or": lambda m, a, b: a | b,
    "bitwise_xor": lambda m, a, b: a ^ b,
    "add alpha": lambda m, a, b: m.add(a, b, alpha=2),
    "sub alpha": lambda m, a, b: m.sub(a, b, alpha=2),
    "div trunc": lambda m, a, b: m.div(a, b, rounding_mode="trunc"),
    "div floor": lambda m, a, b: m.div(a, b, rounding_mode="floor"),
    "fmod": lambda m, a, b: m.fmod(a, b),
    "maximum": lambda m, a, b: m.maximum(a, b),
    "minimum": lambda m, a, b: m.minimum(a, b),
    "fmax": lambda m, a, b: m.fmax(a, b),
    "fmin": lambda m, a, b: m.fmin(a, b),
    "logical_and": lambda m, a, b: m.logical_and(a, b),
    "logical_xor": lambda m, a, b: m.logical_xor(a, b),
    "where": lambda m, a, b: m.where(m.tensor([True, False]), a, b),
    "cat": lambda m, a, b: m.cat([a.reshape(-1), b.reshape(-1)]),
    "stack": lambda m, a, b: m.stack([a, b]),
}

# Function forms that take only tensors (operators take scalars on either side).
TENSOR_ONLY = {"fmod": "a", "maximum": "ab", "minimum": "ab", "fmax": "ab", "fmin": "ab", "logical_and": "ab",
               "logical_xor": "ab", "cat": "ab", "stack": "ab", "add alpha": "a", "sub alpha": "a", "div trunc": "a",
               "div floor": "a"}


def _outcome(fn, a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = fn(a, b)
        except (RuntimeError, TypeError, ValueError, NotImplementedError, ZeroDivisionError, OverflowError) as e:
            return "error", type(e).__name__
    return str(r.dtype).split(".")[-1], np.asarray(r.tolist())


def _complex32(a, b):
    """float16 meeting a complex operand gives complex32 in PyTorch; nnmath has no complex32 and
    raises instead (a deliberate difference, tested separately)."""
    names = {a.split("_", 1)[1], b.split("_", 1)[1]}
    return "float16" in names and bool(names & {"complex", "complex64", "complex128"})


def _applicable(op, a, b):
    sides = TENSOR_ONLY.get(op, "")
    return not (("a" in sides and a.startswith("s_")) or ("b" in sides and b.startswith("s_"))) and not _complex32(a, b)


def mismatches(ours, theirs, pairs):
    """The operand pairs where ``ours(a, b)`` (on nnmath operands) disagrees with ``theirs(a, b)`` (on
    PyTorch's): a different dtype, different values, or only one of them raising."""
    bad = []
    for ka, kb in pairs:
        got = _outcome(ours, operand(nnmath, ka), operand(nnmath, kb))
        want = _outcome(theirs, operand(torch, ka), operand(torch, kb))
        if got[0] != want[0]:
            bad.append(f"{ka}, {kb}: nnmath {got[0]} ({got[1]}), PyTorch {want[0]} ({want[1]})")
        elif got[0] != "error" and not _same_values(got[1], want[1], got[0]):
            bad.append(f"{ka}, {kb}: nnmath {got[1]} != PyTorch {want[1]} ({got[0]})")
    return bad


def _same_values(x, y, dtype):
    if x.shape != y.shape:
        return False
    if dtype.startswith(("float", "complex")):
        rtol = 1e-3 if dtype == "float16" else 1e-6  # float16 keeps ~3 significant digits
        return np.allclose(x, y, rtol=rtol, atol=0, equal_nan=True)
    return np.array_equal(x, y)


@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_op_promotes_as_pytorch(op):
    pairs = [p for p in PAIRS if _applicable(op, *p)]
    bad = mismatches(lambda a, b: BINARY[op](nnmath, a, b), lambda a, b: BINARY[op](torch, a, b), pairs)
    assert not bad, f"{op}: {len(bad)} of {len(pairs)} operand pairs disagree, e.g.:\n" + "\n".join(bad[:20])


def _numpy_add(a, b):
    """Addition with NumPy's promotion (float32 + int64 is float64; int8 + 300 is int16)."""
    def arr(x):
        return x.numpy() if isinstance(x, nnmath.Tensor) else x
    return nnmath.from_numpy(np.asarray(np.add(arr(a), arr(b))))


def test_the_checker_catches_numpy_promotion_and_wrong_values():
    pairs = [("t_float32", "t_int64"), ("t_int32", "t_float16"), ("t_float32", "s_float")]
    assert len(mismatches(_numpy_add, lambda a, b: a + b, pairs)) == 2  # float32 + scalar agrees
    assert len(mismatches(lambda a, b: a - b, lambda a, b: a + b, [("t_int64", "t_int64")])) == 1
    assert len(mismatches(lambda a, b: a + b, lambda a, b: a - b, [("t_bool", "t_bool")])) == 1


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
def test_promote_types_result_type_can_cast(a, b):
    ta, tb, na, nb = getattr(torch, a), getattr(torch, b), getattr(nnmath, a), getattr(nnmath, b)
    assert nnmath.promote_types(na, nb).name == str(torch.promote_types(ta, tb)).split(".")[-1]
    assert nnmath.can_cast(na, nb) == torch.can_cast(ta, tb)
    if not _complex32(f"t_{a}", f"t_{b}"):
        for x, y in ((f"t_{a}", f"z_{b}"), (f"z_{a}", f"t_{b}"), (f"t_{a}", f"t_{b}")):
            got = nnmath.result_type(operand(nnmath, x), operand(nnmath, y))
            assert got.name == str(torch.result_type(operand(torch, x), operand(torch, y))).split(".")[-1]


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("s", sorted(SCALARS))
def test_result_type_with_a_python_scalar(a, s):
    if _complex32(f"t_{a}", f"s_{s}"):
        return
    ours = nnmath.result_type(operand(nnmath, f"t_{a}"), SCALARS[s])
    assert ours.name == str(torch.result_type(operand(torch, f"t_{a}"), SCALARS[s])).split(".")[-1]


def test_float16_with_complex_raises_instead_of_complex32():
    with pytest.raises(TypeError, match="complex32"):
        nnmath.ones(2, dtype=nnmath.float16) + 1j


def test_dtype_arguments_must_be_dtypes():
    with pytest.raises(TypeError, match="promote_types"):
        nnmath.promote_types(nnmath.float32, "int")
