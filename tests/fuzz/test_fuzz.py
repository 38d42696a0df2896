"""The differential fuzzer (fuzzer.py): random op graphs with special-point inputs agree with PyTorch in
value, gradient and Hessian-vector product (float64); and the fuzzer reports a deliberately wrong op."""
from __future__ import annotations

import numpy as np
import pytest

import nnmath
from example_functions import unary_function
from fuzzer import OPS, SPECIAL_VALUES, Op, fuzz, random_graph, special_inputs

torch = pytest.importorskip("torch")


def test_fixed_seed_graphs_agree_with_pytorch():
    mismatches = fuzz(seed=0, n=150, torch=torch)
    assert not mismatches, "\n\n".join(f"seed {s}: {g}\n{d}" for s, g, d in mismatches[:5])


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1, 9))
def test_bigger_sweep_agrees_with_pytorch(seed):
    mismatches = fuzz(seed=seed, n=500, torch=torch)
    assert not mismatches, "\n\n".join(f"seed {s}: {g}\n{d}" for s, g, d in mismatches[:5])


SinWrongSlope = unary_function("SinWrongSlope", np.sin, nnmath.cos, slope=1.01)   # 1 % off at first order
SinDetached = unary_function("SinDetached", np.sin, nnmath.cos, detached=True)   # no second derivative


def _ours_or_theirs(wrong):
    return lambda m, x: wrong.apply(x) if m is nnmath else m.sin(x)


@pytest.mark.parametrize("wrong,stage", [(SinWrongSlope, "gradient"), (SinDetached, "Hessian-vector product")])
def test_the_fuzzer_reports_a_wrong_derivative(wrong, stage):
    ops = [Op("sin", 1, _ours_or_theirs(wrong)), *[op for op in OPS if op.name in ("tanh", "mul", "sum")]]
    mismatches = fuzz(seed=3, n=20, torch=torch, ops=ops)
    assert mismatches, "a wrong derivative went unnoticed"
    assert all(stage in d for _, _, d in mismatches)
    assert all("sin(" in g for _, g, _ in mismatches)   # each mismatch names the graph that shows it


def test_inputs_reach_special_points():
    """Across a few hundred inputs there are zeros of both signs, ties across and within rows."""
    rng = np.random.default_rng(0)
    xs = [special_inputs(rng) for _ in range(200)]
    values = np.concatenate([x.ravel() for x in xs])
    assert all(np.isin(v, values) for v in SPECIAL_VALUES)
    assert any(np.signbit(v) and v == 0 for v in values)                       # −0.0
    assert any(len({tuple(r) for r in x}) < len(x) for x in xs)                # a repeated row
    assert any((x == x[:, :1]).all(1).any() for x in xs)                       # a constant row


def test_graphs_print_as_the_calls_that_build_them():
    graph = random_graph(np.random.default_rng(1))
    text = str(graph)
    assert text.count("(") == len(graph.steps) and text.endswith(")")
