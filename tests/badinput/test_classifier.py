"""The classifier can fail: fake libraries that are deliberately vague, silent, wrong or refusing are
classified as such, and a clear one as clear. The reference is a fake PyTorch."""
from __future__ import annotations

import types
import warnings

import numpy as np
import pytest

from differential import Case, classify, evaluate, run, same, unclear_reasons

SHAPES = ("(2, 3)", "(3, 2)")


class FakeTensor:
    """What the classifier reads of a tensor: dtype, shape, detach().numpy()."""

    def __init__(self, array):
        self.array = np.asarray(array)
        self.dtype, self.shape = f"fake.{self.array.dtype}", self.array.shape

    def detach(self):
        return self

    def numpy(self):
        return self.array


def _lib(add):
    """A library whose only op is ``add(x, y)``."""
    return types.SimpleNamespace(add=add)


def _raises(error):
    def add(x, y):
        raise error
    return _lib(add)


def _returns(value, warning=None):
    def add(x, y):
        if warning:
            warnings.warn(warning, UserWarning)
        return FakeTensor(value)
    return _lib(add)


BAD = Case("shapes/fake-add", lambda lib: lib.add(np.ones((2, 3)), np.ones((3, 2))), True, ("add",), SHAPES)
VALID = Case("shapes/fake-add-valid", lambda lib: lib.add(np.ones((2, 1)), np.ones((1, 3))), False)
REFERENCE_ERROR = _raises(RuntimeError("The size of tensor a (3) must match the size of tensor b (2)"))
REFERENCE_VALUE = _returns(np.full((2, 3), 2.0, np.float32))


@pytest.mark.parametrize("fake, category, reason", [
    (_raises(RuntimeError("add: shapes (2, 3) and (3, 2) do not broadcast")), "clear", None),
    (_raises(RuntimeError("add: shapes [2, 3] and [3, 2] do not broadcast")), "clear", None),
    (_raises(RuntimeError("add: shapes 2x3 and 3x2 do not broadcast")), "clear", None),
    (_raises(RuntimeError("shapes (2, 3) and (3, 2) do not broadcast")), "vague", "does not name the op"),
    (_raises(RuntimeError("add: the shapes do not broadcast")), "vague", "names none of the offending values"),
    (_raises(ValueError("operands could not be broadcast together with shapes (2,3) (3,2)")), "vague",
     "raw message"),
    (_raises(AttributeError("'NoneType' object has no attribute 'shape'")), "vague", "signals a bug"),
    (_raises(ValueError("add: shapes (2, 3) and (3, 2) do not broadcast")), "vague",
     "ValueError where PyTorch raises RuntimeError"),
    (_raises(np.exceptions.AxisError("add: axis 2 of (2, 3) and (3, 2)")), "vague", "a NumPy exception"),
    (_returns(np.ones((2, 3))), "silent", "returned without an error"),
])
def test_an_error_case_is_classified(fake, category, reason):
    result = evaluate(BAD, fake, REFERENCE_ERROR)
    assert result.category == category, result.describe()
    assert reason is None or any(reason in r for r in result.reasons), result.reasons


@pytest.mark.parametrize("fake, category, reason", [
    (_returns(np.full((2, 3), 2.0, np.float32)), "agrees", None),
    (_returns(np.full((2, 3), 2.0 + 1e-7, np.float32)), "agrees", None),     # float32 rounding
    (_returns(np.full((2, 3), 2.1, np.float32)), "wrong", "values"),
    (_returns(np.full((2, 3), 2.0, np.float64)), "wrong", "dtype float64 vs float32"),
    (_returns(np.full((3, 2), 2.0, np.float32)), "wrong", "shape (3, 2) vs (2, 3)"),
    (_raises(RuntimeError("add: refused")), "refused", "RuntimeError: add: refused"),
])
def test_a_valid_case_is_classified(fake, category, reason):
    result = evaluate(VALID, fake, REFERENCE_VALUE)
    assert result.category == category, result.describe()
    assert reason is None or any(reason in r for r in result.reasons), result.reasons


def test_a_warning_of_pytorch_must_be_given_too():
    warned = _returns(np.full((2, 3), 2.0, np.float32), warning="add: broadcasting a target")
    reference = run(VALID.program, warned)
    assert classify(VALID, run(VALID.program, REFERENCE_VALUE), reference).category == "silent"
    assert classify(VALID, run(VALID.program, warned), reference).category == "clear"
    declared = Case("shapes/fake-warned", VALID.program, True, ("add",))  # without PyTorch: a warning suffices
    assert evaluate(declared, warned).category == "clear"
    assert evaluate(declared, REFERENCE_VALUE).category == "silent"


def test_nan_equals_nan_and_containers_are_compared_element_by_element():
    nan = ("tensor", "float32", (2,), np.array([np.nan, 1.0], np.float32))
    assert same(nan, nan) is None
    assert same((1, {"a": 2.0}), (1, {"a": 2.0})) is None
    assert same((1, {"a": 2.0}), (1, {"a": 2.5})) == "[1]: ['a']: 2.0 vs 2.5"
    assert same((1, 2), (1, 2, 3)) == "length 2 vs 3"


def test_without_a_reference_the_declaration_decides():
    assert evaluate(BAD, _returns(np.ones(3))).category == "silent"
    assert evaluate(VALID, _raises(RuntimeError("x"))).category == "refused"
    declared = Case("vision/fake", VALID.program, False, torch=False, expected=np.full((2, 3), 2.0, np.float32))
    assert evaluate(declared, REFERENCE_VALUE).category == "agrees"
    assert evaluate(declared, _returns(np.zeros((2, 3), np.float32))).category == "wrong"


def test_a_declaration_pytorch_contradicts_is_reported():
    assert not evaluate(VALID, REFERENCE_VALUE, REFERENCE_ERROR).declaration_ok
    assert evaluate(BAD, REFERENCE_ERROR, REFERENCE_ERROR).declaration_ok


def test_a_declared_error_class_holds_without_pytorch():
    case = Case("vision/fake-class", BAD.program, True, ("add",), SHAPES, torch=False, error_class=ValueError)
    assert unclear_reasons(case, RuntimeError("add: (2, 3)"), None) == ["RuntimeError where PyTorch raises ValueError"]
    assert unclear_reasons(case, ValueError("add: (2, 3)"), None) == []


def test_a_command_line_error_must_be_one_line():
    case = Case("cli/fake", BAD.program, True, ("nnmath train",), ("0",), torch=False)
    assert unclear_reasons(case, RuntimeError("nnmath train: error: --epochs must be positive, got 0"), None) == []
    assert unclear_reasons(case, RuntimeError("nnmath train: error: 0\nTraceback (most recent call last):"),
                           None) == ["not one line"]
