"""The differential bad-input harness: one program, run by nnmath and by PyTorch, classified.

A :class:`Case` is a small program written once against a library ``lib`` (``lib.ones``, ``lib.nn``,
``lib.optim``, ...). :func:`run` runs it with nnmath and, when PyTorch is importable and the case can
run there, with ``torch``; each run ends with a value or an exception (and the warnings it gave).
:func:`classify` compares the two:

==========  ==================================================================================
clear       the reference raises, and nnmath raises a *clear* error (the rule below)
vague       the reference raises, and nnmath raises an error that is not clear
silent      the reference raises (or warns), and nnmath returns (without a warning)
wrong       the reference returns, and nnmath returns a different value (dtype, shape or numbers)
refused     the reference returns, and nnmath raises (refuses a valid program)
agrees      both return the same value (a valid input near the edge, handled alike)
==========  ==================================================================================

The reference is PyTorch's outcome when it is available; every case also *declares* whether the
input is an error (``raises``), and a separate check holds the declaration to PyTorch's outcome, so
that without PyTorch (or for nnmath-only cases: the CLI, vision without torchvision) the declaration
stands in for it.

The clear-error rule (:func:`unclear_reasons`), each point testable:

1. the message names the op: one of ``case.op`` appears in it (case-insensitive);
2. it names at least one offending value: one of ``case.values`` appears in it (spaces ignored, and
   ``[2, 3]``, ``(2, 3)``, ``2x3``, ``2×3`` are the same shape);
3. it is not a raw NumPy or Python-internal message (``operands could not be broadcast together``,
   ``'NoneType' object has no attribute``, ...; the patterns are in ``RAW_MESSAGES``) and not an
   exception of NumPy's or of a kind that signals a bug (AttributeError, KeyError, ZeroDivisionError,
   UnboundLocalError, AssertionError, ...) unless the reference raises that same kind;
4. ``except`` clauses catch it as they catch PyTorch's: its class and the built-in class of
   PyTorch's exception are the same or one derives from the other (:func:`catchable_alike`);
5. for the CLI, the error is one line without a traceback.
"""
from __future__ import annotations

import builtins
import dataclasses
import itertools
import math
import re
import shutil
import tempfile
import warnings
from typing import Any, Callable

import numpy as np

CATEGORIES = ("clear", "vague", "silent", "wrong", "refused", "agrees")


@dataclasses.dataclass(frozen=True)
class Case:
    """One input. ``program(lib)`` runs it with ``lib`` (nnmath or torch) and returns what to compare.

    Attributes:
        id: ``area/name``, unique.
        program: the program, written against ``lib``.
        raises: the declaration: True when the input is an error (PyTorch raises or warns).
        op: the names a clear message may use for the op (any one suffices).
        values: the offending values a clear message may name (any one suffices).
        torch: False when the program cannot run with PyTorch (vision without torchvision, the CLI).
        expected: for a valid input without a PyTorch run, the value nnmath must return (a NumPy array
            stands for a tensor of its dtype, shape and values; None: unchecked).
        error_class: for an error without a PyTorch run, the built-in class the reference library raises
            (torchvision's ``ValueError``), so that rule 4 applies to it too.
        loose_class: why PyTorch's exception class is an accident no program relies on (an IndexError
            "pop from empty list" for a file that is not a checkpoint); rule 4 is then not applied.
    """

    id: str
    program: Callable[[Any], Any]
    raises: bool
    op: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    torch: bool = True
    expected: Any = None
    error_class: type | None = None
    loose_class: str = ""

    @property
    def area(self) -> str:
        return self.id.split("/")[0]


@dataclasses.dataclass
class Outcome:
    """How one run ended: ``error`` (an exception) or ``value`` (canonical), and the warnings given."""

    error: BaseException | None = None
    value: Any = None
    warnings: tuple[str, ...] = ()

    @property
    def raised(self) -> bool:
        return self.error is not None


@dataclasses.dataclass
class Result:
    case: Case
    category: str
    ours: Outcome
    reference: Outcome | None
    reasons: tuple[str, ...] = ()   # why an error is not clear, or how values differ
    declaration_ok: bool = True     # PyTorch's outcome matches the case's declaration

    def describe(self) -> str:
        ours = (f"nnmath raised {type(self.ours.error).__name__}: {message_of(self.ours.error)[:300]}"
                if self.ours.raised else f"nnmath returned {short(self.ours.value)}")
        if self.reference is None:
            theirs = f"declared {'an error' if self.case.raises else 'valid'} (no PyTorch run)"
        elif self.reference.raised:
            theirs = f"PyTorch raised {type(self.reference.error).__name__}: {message_of(self.reference.error)[:200]}"
        else:
            theirs = f"PyTorch returned {short(self.reference.value)}" + (
                f" warning {self.reference.warnings[0][:120]!r}" if self.reference.warnings else "")
        why = f" [{'; '.join(self.reasons)}]" if self.reasons else ""
        return f"{self.case.id}: {self.category}{why}\n    {ours}\n    {theirs}"


# --- running ---------------------------------------------------------------------------------------------
_SCRATCH: list[str] = []


def scratch() -> str:
    """A fresh empty directory for a program's files (removed by :func:`clean_scratch`)."""
    _SCRATCH.append(tempfile.mkdtemp(prefix="badinput-"))
    return _SCRATCH[-1]


def clean_scratch() -> None:
    while _SCRATCH:
        shutil.rmtree(_SCRATCH.pop(), ignore_errors=True)


def run(program: Callable[[Any], Any], lib) -> Outcome:
    """Run ``program(lib)`` from a seeded state; its value is made canonical (:func:`canonical`)."""
    if hasattr(lib, "manual_seed"):
        lib.manual_seed(0)
    np.random.seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = canonical(program(lib))
        except Exception as error:  # the outcome under test
            return Outcome(error=error, warnings=_user_warnings(caught))
        finally:
            clean_scratch()
    return Outcome(value=value, warnings=_user_warnings(caught))


def _user_warnings(caught) -> tuple[str, ...]:
    """The warnings a program's author is meant to see (not deprecations, not NumPy's floating-point
    RuntimeWarnings, which PyTorch never gives)."""
    return tuple(str(w.message) for w in caught
                 if issubclass(w.category, UserWarning) and not issubclass(w.category, (DeprecationWarning,
                                                                                        FutureWarning)))


def canonical(x):
    """A library-independent form of a program's value: tensors and arrays as (dtype name, shape, NumPy
    array), dtypes by name, sequences as tuples, dicts by key; other objects by their class name."""
    if hasattr(x, "detach") and hasattr(x, "dtype") and hasattr(x, "shape"):
        array = x.detach().numpy() if not getattr(x, "is_sparse", False) else x.to_dense().detach().numpy()
        return ("tensor", str(x.dtype).split(".")[-1], tuple(x.shape), np.array(array))
    if isinstance(x, np.ndarray):
        return ("array", str(x.dtype), x.shape, x)
    if isinstance(x, np.generic):
        return x.item()
    if type(x).__name__ == "dtype" and hasattr(x, "is_floating_point"):
        return ("dtype", str(x).split(".")[-1])
    if isinstance(x, (bool, int, float, complex, str, bytes, type(None))):
        return x
    if isinstance(x, (list, tuple)):
        return tuple(canonical(v) for v in x)
    if isinstance(x, dict):
        return {k: canonical(v) for k, v in x.items()}
    if isinstance(x, (set, frozenset)):
        return frozenset(x)
    return ("object", type(x).__name__)


def same(a, b, rtol=1e-5, atol=1e-6) -> str | None:
    """None when the canonical values ``a`` and ``b`` agree; else what differs."""
    if isinstance(a, tuple) and a and a[0] in ("tensor", "array") and isinstance(b, tuple) and b and b[0] == a[0]:
        (_, dtype_a, shape_a, x), (_, dtype_b, shape_b, y) = a, b
        if dtype_a != dtype_b:
            return f"dtype {dtype_a} vs {dtype_b}"
        if tuple(shape_a) != tuple(shape_b):
            return f"shape {tuple(shape_a)} vs {tuple(shape_b)}"
        if x.dtype.kind in "fc":
            equal = np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
        else:
            equal = np.array_equal(x, y)
        return None if equal else f"values {short(a)} vs {short(b)}"
    if isinstance(a, tuple) and isinstance(b, tuple):
        if len(a) != len(b):
            return f"length {len(a)} vs {len(b)}"
        for i, (u, v) in enumerate(zip(a, b)):
            difference = same(u, v, rtol, atol)
            if difference:
                return f"[{i}]: {difference}"
        return None
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"keys {list(a)} vs {list(b)}"
        for key in a:
            difference = same(a[key], b[key], rtol, atol)
            if difference:
                return f"[{key!r}]: {difference}"
        return None
    if isinstance(a, float) and isinstance(b, float):
        return None if (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=rtol, abs_tol=atol) else \
            f"{a!r} vs {b!r}"
    if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))
                                       and not isinstance(a, bool) and not isinstance(b, bool)):
        return f"{short(a)} ({type(a).__name__}) vs {short(b)} ({type(b).__name__})"
    return None if a == b else f"{short(a)} vs {short(b)}"


def short(value, limit=120) -> str:
    if isinstance(value, tuple) and value and value[0] in ("tensor", "array"):
        _, dtype, shape, array = value
        text = np.array2string(np.asarray(array).reshape(-1)[:6], precision=4, separator=", ")
        return f"{value[0]}({dtype}, shape {tuple(shape)}, {text}{'...' if np.asarray(array).size > 6 else ''})"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# --- the clear-error rule --------------------------------------------------------------------------------
#: Messages that come from NumPy or from Python's own machinery rather than from the op.
RAW_MESSAGES = [re.compile(p, re.I) for p in (
    r"operands could not be broadcast together",
    r"shapes \(.*\) and \(.*\) not aligned",
    r"cannot reshape array of size",
    r"is out of bounds for axis \d+ with size \d+$",
    r"axis -?\d+ is out of bounds for array of dimension",
    r"\bufunc\b",
    r"object has no attribute",
    r"'NoneType' object",
    r"unsupported operand type\(s\)",
    r"object is not subscriptable",
    r"object is not iterable",
    r"object cannot be interpreted as an integer",
    r"zero-size array to reduction operation",
    r"setting an array element with a sequence",
    r"Input operand \d+ has a mismatch in its core dimension",
    r"only integers, slices \(`:`\), ellipsis",
    r"invalid literal for int\(\) with base",
    r"could not convert string to float",
    r"list index out of range",
    r"tuple index out of range",
    r"^(float |integer )?division( or modulo)? by zero$",
    r"^integer modulo by zero$",
    r"local variable .* referenced before assignment",
    r"cannot access local variable",
    r"maximum recursion depth",
    r"numpy\.(_?core|lib)\.",
    r"^\s*$",
)]

#: Exception classes that, raised where the reference raises something else, betray a bug rather than a check.
BUG_TYPES = (AttributeError, KeyError, NameError, UnboundLocalError, ZeroDivisionError, AssertionError,
             RecursionError, FloatingPointError, UnicodeError, SystemError)


def message_of(error: BaseException) -> str:
    if isinstance(error, KeyError) and error.args and isinstance(error.args[0], str):
        return error.args[0]
    return str(error)


def builtin_class(error: BaseException) -> type:
    """The most derived built-in exception class of ``error`` (RuntimeError for torch's errors)."""
    for cls in type(error).__mro__:
        if getattr(builtins, cls.__name__, None) is cls:
            return cls
    return Exception


def catchable_alike(error: BaseException, reference: BaseException) -> bool:
    """An ``except`` clause naming the broader of the two classes catches both: nnmath's class and the
    built-in class of PyTorch's are the same or one derives from the other (PyTorch's
    NotImplementedError and nnmath's RuntimeError are both caught by ``except RuntimeError``)."""
    theirs = builtin_class(reference)
    return isinstance(error, theirs) or issubclass(theirs, builtin_class(error))


def _normalise(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("[", "(").replace("]", ")").replace("×", "x").lower()


def _spellings(value: str) -> list[str]:
    """``(2, 3)`` is also ``[2, 3]`` (by normalising), ``2x3`` and ``torch.Size([2, 3])``."""
    forms = [_normalise(value)]
    inner = re.fullmatch(r"\((.*)\)", forms[0])
    if inner and inner.group(1):
        forms.append(inner.group(1).rstrip(",").replace(",", "x"))
    return forms


def unclear_reasons(case: Case, error: BaseException, reference: BaseException | None) -> list[str]:
    """Why ``error`` (raised by nnmath for ``case``) is not a clear error; empty when it is."""
    if reference is None and case.error_class is not None:
        reference = case.error_class()
    reasons = []
    message = message_of(error)
    if type(error).__module__.split(".")[0] == "numpy":
        reasons.append(f"a NumPy exception ({type(error).__name__})")
    elif isinstance(error, BUG_TYPES) and not (reference is not None and isinstance(reference, type(error))):
        reasons.append(f"{type(error).__name__}, a kind that signals a bug")
    if reference is not None and not case.loose_class and not catchable_alike(error, reference):
        reasons.append(f"{type(error).__name__} where PyTorch raises {builtin_class(reference).__name__}")
    raw = [p.pattern for p in RAW_MESSAGES if p.search(message)]
    if raw:
        reasons.append(f"raw message ({raw[0]})")
    if case.op and not any(op.lower() in message.lower() for op in case.op):
        reasons.append(f"does not name the op ({' / '.join(case.op)})")
    normalised = _normalise(message)
    if case.values and not any(form in normalised for v in case.values for form in _spellings(v)):
        reasons.append(f"names none of the offending values ({', '.join(case.values)})")
    if case.area == "cli" and (len(message.strip().splitlines()) != 1 or "Traceback" in message):
        reasons.append("not one line")
    return reasons


# --- classifying -----------------------------------------------------------------------------------------
def classify(case: Case, ours: Outcome, reference: Outcome | None) -> Result:
    """The category of nnmath's outcome ``ours`` against PyTorch's ``reference`` (None: the declaration)."""
    expects_error = case.raises if reference is None else (reference.raised or bool(reference.warnings))
    declaration_ok = reference is None or expects_error == case.raises
    ref_error = None if reference is None else reference.error
    if expects_error:
        if ours.raised:
            reasons = unclear_reasons(case, ours.error, ref_error)
            category = "vague" if reasons else "clear"
        elif reference is not None and not reference.raised:   # PyTorch warns and returns: warn too, same value
            reasons = [] if ours.warnings else ["PyTorch warns, nnmath does not"]
            difference = same(ours.value, reference.value)
            if difference:
                reasons.append(difference)
            category = "silent" if not ours.warnings else ("wrong" if difference else "clear")
        elif reference is None and ours.warnings:  # declared an error or a warning: a warning is given
            reasons, category = [], "clear"
        else:
            reasons, category = ["returned without an error"], "silent"
    elif ours.raised:
        reasons, category = [f"{type(ours.error).__name__}: {message_of(ours.error)[:200]}"], "refused"
    else:
        expected = reference.value if reference is not None else _expected(case.expected, ours.value)
        difference = same(ours.value, expected)
        reasons, category = ([difference], "wrong") if difference else ([], "agrees")
    return Result(case, category, ours, reference, tuple(reasons), declaration_ok)


def _expected(expected, otherwise):
    """A case's declared value: a NumPy array stands for a tensor of its dtype, shape and values."""
    if expected is None:
        return otherwise
    if isinstance(expected, np.ndarray):
        return ("tensor", str(expected.dtype), expected.shape, expected)
    return canonical(expected)


def evaluate(case: Case, nnmath_lib, torch_lib=None) -> Result:
    """Run ``case`` with nnmath and, when given and possible, PyTorch; classify."""
    ours = run(case.program, nnmath_lib)
    reference = run(case.program, torch_lib) if torch_lib is not None and case.torch else None
    return classify(case, ours, reference)


def counts(results) -> dict[str, int]:
    tally = dict.fromkeys(CATEGORIES, 0)
    for result in results:
        tally[result.category] += 1
    return tally


def check_ids(cases) -> None:
    """Case ids are unique and of the form ``area/name``."""
    seen = set()
    for case in cases:
        if "/" not in case.id or case.id in seen:
            raise ValueError(f"case id {case.id!r} is duplicated or has no area/")
        seen.add(case.id)


def product(*lists):
    return list(itertools.product(*lists))
