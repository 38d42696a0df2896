"""The differential bad-input suite: every case classified against PyTorch (see differential.py).

A case fails when nnmath is silent, wrong or refuses a valid program, unless it is listed in
deliberate.py (DELIBERATE: kept on purpose; PENDING: another branch owns the fix, shown as xfail); a
listed case that no longer fails fails too, so the lists stay true. The vague messages are counted
across the suite, and ``docs/bad_input.md`` must match what the suite finds.
"""
from __future__ import annotations

import pathlib

import pytest

import suite
from differential import message_of
from report import render

PAGE = pathlib.Path(__file__).parents[2] / "docs" / "bad_input.md"


@pytest.mark.parametrize("case", suite.CASES, ids=[case.id for case in suite.CASES])
def test_case(case):
    result = suite.result(case)
    assert result.declaration_ok, (f"the case declares {'an error' if case.raises else 'a valid input'}, but "
                                   f"PyTorch disagrees: fix the case table\n{result.describe()}")
    failing = result.category in suite.FAILING
    if case.id in suite.PENDING:
        if not failing and result.category != "vague":
            pytest.fail(f"{case.id} passes now ({result.category}): remove it from PENDING in deliberate.py")
        pytest.xfail(f"pending ({suite.PENDING[case.id]}): {result.describe()}")
    if case.id in suite.DELIBERATE:
        assert failing, (f"{case.id} no longer differs from PyTorch ({result.category}): remove it from "
                         f"DELIBERATE in deliberate.py")
        return
    assert not failing, result.describe()


def test_vague_messages_are_at_most_the_bar():
    vague = [r for r in suite.results() if r.category == "vague" and r.case.id not in suite.PENDING]
    assert len(vague) <= suite.MAX_VAGUE, "\n".join(r.describe() for r in vague)


def test_the_suite_covers_every_area_with_400_cases_or_more():
    assert len(suite.CASES) >= 400
    per_area = {area: sum(case.area == area for case in suite.CASES) for area in suite.AREAS}
    assert min(per_area.values()) >= 20, per_area
    assert sum(case.raises for case in suite.CASES) >= 300  # mostly bad input, with valid near-misses


def test_the_lists_name_cases_of_the_suite():
    ids = {case.id for case in suite.CASES}
    assert set(suite.DELIBERATE) <= ids and set(suite.PENDING) <= ids
    assert not set(suite.DELIBERATE) & set(suite.PENDING)


def test_deliberate_differences_refuse_clearly():
    """Each deliberate difference is a stricter check: nnmath raises, naming what it refused."""
    for case_id in suite.DELIBERATE:
        result = next(suite.result(c) for c in suite.CASES if c.id == case_id)
        assert result.ours.raised and len(message_of(result.ours.error)) > 30, result.describe()


def test_the_page_is_generated_from_the_suite():
    if suite.torch_module() is None:
        pytest.skip("the page compares with PyTorch, which is not importable")
    assert PAGE.read_text() == render(suite.results()), "run python tools/badinput_report.py"
