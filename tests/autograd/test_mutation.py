"""Mutation testing of the op table (tests/mutation.py): every registered Function's mutants must be
caught by the checks the table generates: a scaled backward (wrong first derivative) by gradcheck or
gradgradcheck, a backward reading its saved values detached (wrong second derivative) by
gradgradcheck, unless the mutant is equivalent or never reached at the orders the table checks."""
from __future__ import annotations

import numpy as np
import pytest

from example_functions import cube
from mutation import FAST_SAMPLES, mutate, run, score
from opinfo import OpInfo, Sample


def _survivors(results, order):
    return [r.function for r in results if getattr(r, order) == "survived"]


def test_fast_sweep_catches_every_first_order_mutant():
    """CI subset: the largest smooth samples of each entry, first order (a few seconds)."""
    results = run(per_entry=FAST_SAMPLES, second_order=False)
    assert not _survivors(results, "first"), "Functions whose wrong first derivative no check catches"
    caught, total = score(results, "first")
    assert caught == total > 80


@pytest.mark.slow
def test_full_sweep_catches_every_mutant_at_both_orders():
    results = run(per_entry=None, second_order=True)
    assert not _survivors(results, "first")
    assert not _survivors(results, "second"), "Functions whose wrong second derivative no check catches"


Cube = cube()


def _cube_entry(**kwargs):
    return OpInfo("cube", lambda m, x: Cube.apply(x) if m.__name__ == "nnmath" else x ** 3,
                  lambda rng: [Sample((rng.uniform(0.5, 1.5, (3,)),))], covers=(Cube,), parity=False,
                  special="a polynomial", **kwargs)


def test_the_harness_catches_both_mutants_of_a_correct_function():
    result = mutate(Cube, [_cube_entry()])
    assert (result.first, result.second) == ("caught", "caught")


def test_the_harness_reports_a_mutant_a_sloppy_check_lets_through():
    # A tolerance of 10 hides the 10 % error of the scaled mutant: the report must say "survived".
    result = mutate(Cube, [_cube_entry(gradcheck_kwargs=dict(atol=10.0))])
    assert result.first == "survived" and result.second == "survived"


def test_the_harness_reports_an_entry_that_never_runs_the_function():
    entry = OpInfo("not_cube", lambda m, x: x ** 3, lambda rng: [Sample((np.array([0.7, 1.1]),))],
                   covers=(Cube,), parity=False, special="a polynomial")
    result = mutate(Cube, [entry])
    assert (result.first, result.second) == ("n/a", "n/a")


def test_second_order_is_not_applicable_where_the_table_does_not_claim_it():
    result = mutate(Cube, [_cube_entry(gradgrad=False)])
    assert (result.first, result.second) == ("caught", "n/a")
