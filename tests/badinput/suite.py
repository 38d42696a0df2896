"""The bad-input suite: every case of the ``cases_*`` modules, run once per process and classified.

``results()`` runs them all (about 750 cases, seconds); ``result(case)`` runs one, with the same cache,
so the per-case tests and the totals share the work. PyTorch is the reference when it is importable.
"""
from __future__ import annotations

import functools

import nnmath

import cases_autograd
import cases_cli
import cases_data
import cases_dtypes
import cases_indexing
import cases_nn
import cases_numeric
import cases_optim
import cases_serialization
import cases_shapes
import cases_vision
from deliberate import DELIBERATE, PENDING
from differential import check_ids, evaluate

MODULES = [cases_shapes, cases_dtypes, cases_autograd, cases_numeric, cases_indexing, cases_optim, cases_data,
           cases_serialization, cases_vision, cases_nn, cases_cli]
CASES = [case for module in MODULES for case in module.CASES]
check_ids(CASES)
AREAS = [module.__name__.removeprefix("cases_") for module in MODULES]

#: The issue's bar: at most this many vague messages (pending cases not counted).
MAX_VAGUE = 5
#: The categories that fail a case unless it is listed in DELIBERATE or PENDING.
FAILING = ("silent", "wrong", "refused")


@functools.lru_cache(maxsize=None)
def torch_module():
    """PyTorch when importable (the reference), else None (the cases' declarations stand in)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


_RESULTS: dict = {}


def result(case):
    if case.id not in _RESULTS:
        _RESULTS[case.id] = evaluate(case, nnmath, torch_module())
    return _RESULTS[case.id]


def results() -> list:
    return [result(case) for case in CASES]


__all__ = ["AREAS", "CASES", "DELIBERATE", "FAILING", "MAX_VAGUE", "PENDING", "result", "results", "torch_module"]
