"""nnmath.viz: DOT text of the autograd graph, rendering, and explain() in the engine's order."""
import io
import re

import pytest

import nnmath
from nnmath import viz


@pytest.fixture
def mlp_loss():
    model = nnmath.nn.Sequential(nnmath.nn.Linear(3, 4), nnmath.nn.Tanh(), nnmath.nn.Linear(4, 2))
    loss = (model(nnmath.randn(5, 3)) ** 2).sum()
    return model, loss


def test_dot_names_ops_with_shapes_and_parameters(mlp_loss):
    model, loss = mlp_loss
    dot = viz.graph(loss, dict(model.named_parameters()))
    assert dot.startswith("digraph autograd {") and dot.rstrip().endswith("}")
    for label in ("0.weight\\n(4, 3)", "0.bias\\n(4,)", "2.weight\\n(2, 4)", "TanhBackward\\n(5, 4)",
                  "LinearBackward\\n(5, 2)", "PowScalarBackward\\n(5, 2)", "SumBackward\\n()", "output\\n()"):
        assert label in dot, label
    assert dot.count("->") == 9  # 2 leaves + tanh into each Linear, and the chain linear->pow->sum->output


def test_unnamed_leaves_show_their_shape():
    x = nnmath.randn(2, 3, requires_grad=True)
    dot = viz.graph(x.exp().sum())
    assert 'label="tensor\\n(2, 3)"' in dot and "ExpBackward" in dot


def test_dot_is_accepted_by_graphviz(mlp_loss, tmp_path):
    import shutil
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    path = viz.render(viz.graph(mlp_loss[1]), tmp_path / "graph.svg")
    assert "<svg" in open(path).read()


def test_render_without_graphviz_says_how_to_install(mlp_loss, tmp_path, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        viz.render(viz.graph(mlp_loss[1]), tmp_path / "graph.png")


def test_explain_lists_vjp_formulas(mlp_loss):
    model, loss = mlp_loss
    out = io.StringIO()
    viz.explain(loss, dict(model.named_parameters()), file=out)
    text = out.getvalue()
    assert "x̄ = ȳ ⊙ (1 − y²)" in text  # Tanh's VJP: line
    assert "LinearBackward: ȳ (5, 2) -> TanhBackward (5, 4), 2.weight.grad (2, 4), 2.bias.grad (2,)" in text
    steps = re.findall(r"^\s*\d+\. (\w+):", text, re.M)
    assert steps == ["SumBackward", "PowScalarBackward", "LinearBackward", "TanhBackward", "LinearBackward"]


def test_explain_order_is_the_engines_order():
    """A graph where one value feeds three consumers: the order must be the one backward() uses."""
    x = nnmath.randn(3, requires_grad=True)
    h = x.exp()
    loss = (h.sin() * h.cos() + h.tanh()).sum()
    explained = viz._engine_order([loss.grad_fn])
    ran = []
    for node in explained:
        node.register_prehook(0, lambda grad, node=node: ran.append(node))
    loss.backward()
    assert ran == explained and len(ran) == 7


def test_explain_on_a_leaf_says_there_is_nothing():
    out = io.StringIO()
    viz.explain(nnmath.ones(2), file=out)
    assert "no grad_fn" in out.getvalue()


def test_vjp_formula_of_a_multiline_docstring():
    class TwoLines(nnmath.autograd.Function):
        """Forward:  y = a b
        VJP:      ā = ȳ b
                  b̄ = ȳ a

        Notes after a blank line are not part of the formula."""

    assert viz.vjp_formula(TwoLines()) == "ā = ȳ b\nb̄ = ȳ a"
