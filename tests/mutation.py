"""Mutation testing of the op table: do the generated checks catch a wrong derivative?

For every registered :class:`~nnmath.autograd.Function`, two mutants replace what its backward computes:

- **scaled**: every gradient ``backward`` returns is multiplied by 1.1 (a wrong first derivative).
  It is *caught* when ``gradcheck`` fails on some sample of an entry that covers the Function.
- **detached**: ``ctx.saved_tensors`` returns the saved values cut from the graph (what a backward
  reading an intermediate array saved detached computes). Its first derivative is right; it is *caught*
  when ``gradgradcheck`` fails on some sample of a covering entry that claims second order. When it is
  not, and its Hessian-vector products equal the original's on every such sample, it is *equivalent*:
  the backward's own derivative does not go through its saved values (linear ops, masks of kinks).

The mutation score at each order is caught / (all − equivalent − not applicable). Run as a script
(``python tests/mutation.py [--full]``) for the table in docs/autograd.md; tests/autograd/test_mutation.py
runs the fast first-order subset in CI and the full sweep as a slow test.
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib
import sys
import time

import numpy as np

import nnmath
from nnmath.autograd import gradcheck, gradgradcheck
from nnmath.autograd.function import Function, registry
from nnmath.tensor import Tensor
from opinfo import SUBPACKAGES, first_tensor_outputs, hessian_vector_product, load_tables, to_nnmath

SCALE = 1.1
#: The fast (CI) sweep: this many smooth samples per entry, largest first, first order only.
FAST_SAMPLES = 3


@contextlib.contextmanager
def replaced(cls, name, value):
    """``cls.name = value`` for the duration of the block (restored, or removed if it was inherited)."""
    own = name in vars(cls)
    old = vars(cls).get(name)
    setattr(cls, name, value)
    try:
        yield
    finally:
        if own:
            setattr(cls, name, old)
        else:
            delattr(cls, name)


def scaled_backward(cls, factor=SCALE):
    """The mutant whose backward returns ``factor`` times each gradient."""
    original = cls.backward

    def backward(ctx, *grads):
        out = original(ctx, *grads)
        if isinstance(out, tuple):
            return tuple(g * factor if isinstance(g, Tensor) else g for g in out)
        return out * factor if isinstance(out, Tensor) else out

    return replaced(cls, "backward", staticmethod(backward))


def detached_saves(cls):
    """The mutant whose backward reads its saved values detached from the graph."""
    def saved_tensors(ctx):
        return tuple(Tensor._make(t._data) if isinstance(t, Tensor) else t for t in Function.saved_tensors.fget(ctx))

    return replaced(cls, "saved_tensors", property(saved_tensors))


@dataclasses.dataclass
class Result:
    function: str
    first: str     # caught | equivalent | survived | n/a   (the scaled mutant)
    second: str    # caught | equivalent | survived | n/a   (the detached mutant)
    checks: int    # checks run


def _call(info, sample):
    args = tuple(to_nnmath(sample, np.float64))
    return (lambda *a: info.op(nnmath, *a, **sample.kwargs)), args


def _fails(check, info, sample):
    fn, args = _call(info, sample)
    try:
        return not check(fn, args, raise_exception=False, **info.gradcheck_kwargs)
    except Exception:  # a mutant that makes the check crash is caught too
        return True


def _smooth_samples(info, per_entry):
    """The entry's smooth samples, largest first (more elements: fewer structural zeros), ``per_entry`` of
    them (all when None)."""
    samples = [s for s in info.all_samples(np.random.default_rng(1234)) if s.smooth]
    samples.sort(key=lambda s: -sum(a.size for a in s.args if isinstance(a, np.ndarray)))
    return samples[:per_entry] if per_entry else samples


def _vjps(info, sample):
    """The gradient of ⟨v, f(x)⟩ for a fixed random v: first derivatives, as arrays."""
    fn, args = _call(info, sample)
    inputs = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
    outs = [o for o in first_tensor_outputs(fn(*args)) if o.requires_grad]
    if not outs:
        return []
    draw = np.random.default_rng(7)
    total = sum((o * nnmath.tensor(draw.standard_normal(tuple(o.shape)), dtype=o.dtype)).sum() for o in outs)
    grads = nnmath.autograd.grad(total, inputs, allow_unused=True)
    return [None if g is None else g.numpy() for g in grads]


def _hvps(info, sample):
    return hessian_vector_product(nnmath, info.op, sample, to_nnmath(sample, np.float64))


def _same(mutant, cases, derivative):
    """True when ``derivative`` (VJPs or HVPs) of the op is the same with the mutant as without it."""
    original = [derivative(info, s) for info, s in cases]
    with mutant():
        mutated = [derivative(info, s) for info, s in cases]
    return all(_equal(a, b) for o, m in zip(original, mutated) for a, b in zip(o, m))


def _equal(a, b):
    if a is None or b is None:
        return a is None and b is None
    return np.array_equal(a, b, equal_nan=True)


def _hunt(mutant, checks):
    """Run ``checks`` ((check, info, sample) triples) with the mutant until one fails; (caught, runs)."""
    runs = 0
    with mutant():
        for check, info, s in checks:
            runs += 1
            if _fails(check, info, s):
                return True, runs
    return False, runs


def mutate(cls, entries, per_entry=None, second_order=True) -> Result:
    """Run both mutants of ``cls`` against the checks the table generates for ``entries``' smooth samples
    (``per_entry`` of each, all when None), stopping at the first check that fails.

    The scaled mutant faces gradcheck, then gradgradcheck (a Function that only appears inside other
    Functions' backward, like IndexAdd for GetItem, is differentiated only at second order); the
    detached mutant faces gradgradcheck. A survivor whose derivatives equal the original's on every
    sample is equivalent (e.g. a derivative that is 0, or a backward that reads saved values only as
    masks)."""
    first_cases = [(info, s) for info in entries if info.gradcheck for s in _smooth_samples(info, per_entry)]
    second_cases = [(info, s) for info, s in first_cases if info.gradgrad]
    checks = [(gradcheck, info, s) for info, s in first_cases] + [(gradgradcheck, info, s) for info, s in second_cases]
    first, runs = "n/a", 0
    if first_cases:
        caught, runs = _hunt(lambda: scaled_backward(cls), checks)
        first = "caught" if caught else _classify(cls, lambda: scaled_backward(cls), first_cases, second_cases)
    second = "n/a"
    if second_order and second_cases:
        caught, more = _hunt(lambda: detached_saves(cls), [(gradgradcheck, info, s) for info, s in second_cases])
        runs += more
        second = "caught" if caught else _classify(cls, lambda: detached_saves(cls), [], second_cases)
    return Result(f"{cls.__module__}.{cls.__qualname__}", first, second, runs)


def _classify(cls, mutant, first_cases, second_cases):
    """A survivor is n/a when its backward never runs at the orders the table checks (IndexAdd's own
    backward is a third derivative of GetItem), equivalent when the derivatives it changes come out the
    same, survived otherwise."""
    with counted(cls) as calls:
        same = _same(mutant, first_cases, _vjps) and _same(mutant, second_cases, _hvps)
    if not calls:
        return "n/a"
    return "equivalent" if same else "survived"


@contextlib.contextmanager
def counted(cls):
    """Counts (in the yielded list) the calls of ``cls``'s backward within the block."""
    calls = []
    original = cls.backward

    def backward(ctx, *grads):
        calls.append(1)
        return original(ctx, *grads)

    with replaced(cls, "backward", staticmethod(backward)):
        yield calls


def functions_and_entries(tables=None):
    """Every registered Function with the entries that cover it."""
    for name in SUBPACKAGES:
        importlib.import_module(f"nnmath.{name}")
    tables = load_tables() if tables is None else tables
    return [(cls, [info for info in tables if cls in info.covers]) for cls in registry]


def score(results, order):
    """(caught, counted): mutants that are neither equivalent nor not applicable."""
    counted = [r for r in results if getattr(r, order) in ("caught", "survived")]
    return sum(getattr(r, order) == "caught" for r in counted), len(counted)


def run(per_entry=None, second_order=True):
    return [mutate(cls, entries, per_entry, second_order) for cls, entries in functions_and_entries()]


def report(results, seconds):
    lines = [f"{'Function':60s} {'scaled (1st)':13s} {'detached (2nd)':14s}"]
    lines += [f"{r.function:60s} {r.first:13s} {r.second:14s}" for r in results]
    for order, name in (("first", "first-order (scaled)"), ("second", "second-order (detached)")):
        caught, total = score(results, order)
        equivalent = sum(getattr(r, order) == "equivalent" for r in results)
        na = sum(getattr(r, order) == "n/a" for r in results)
        lines.append(f"{name} mutation score: {caught}/{total} ({equivalent} equivalent, {na} not applicable)")
    lines.append(f"{len(results)} Functions, {sum(r.checks for r in results)} checks, {seconds:.0f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    full = "--full" in sys.argv
    start = time.perf_counter()
    results = run(per_entry=None if full else FAST_SAMPLES, second_order=full)
    print(report(results, time.perf_counter() - start))
