"""``nnmath.viz``: see the autograd graph and the backward pass that runs over it.

* :func:`graph` gives the graph behind a tensor as Graphviz DOT text: leaves (parameters by name,
  other tensors by shape) flow into ops (each with its output shape) and on to the result.
* :func:`render` draws DOT text to SVG, PNG or PDF with Graphviz's ``dot`` program.
* :func:`explain` prints the vector-Jacobian products ``backward()`` will apply, in the engine's
  order, each with the formula from its op's ``VJP:`` docstring line: the chain rule, step by step.
"""
from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys

from nnmath._atomic import atomic_write_bytes
from nnmath.autograd.engine import count_dependencies
from nnmath.tensor import Tensor

__all__ = ["graph", "render", "explain"]


def _shape(shape) -> str:
    return "(" + ", ".join(str(size) for size in shape) + ("," if len(shape) == 1 else "") + ")"


def _names_by_id(params) -> dict[int, str]:
    return {} if params is None else {id(tensor): name for name, tensor in dict(params).items()}


def _leaf_label(tensor: Tensor, names: dict[int, str]) -> str:
    name = names.get(id(tensor))
    return f"{name}\n{_shape(tensor.shape)}" if name else f"tensor\n{_shape(tensor.shape)}"


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _walk(roots):
    """Every op node reachable from ``roots`` (grad_fns), each once, and the leaves they lead to."""
    nodes, leaves = [], {}
    stack, seen = list(roots), set(roots)
    while stack:
        node = stack.pop()
        nodes.append(node)
        for edge in getattr(node, "_edges", ()):
            if edge is None:
                continue
            target, output_nr = edge
            if output_nr is None:
                leaves[id(target)] = target
            elif target not in seen:
                seen.add(target)
                stack.append(target)
    return nodes, list(leaves.values())


def _as_tensors(tensors) -> list[Tensor]:
    tensors = list(tensors) if isinstance(tensors, (tuple, list)) else [tensors]
    for tensor in tensors:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"nnmath.viz: expected a Tensor (or a tuple of them), got {type(tensor).__name__}")
    return tensors


def graph(tensor, params=None) -> str:
    """The autograd graph behind ``tensor`` (or a tuple of tensors) as Graphviz DOT text.

    Args:
        tensor: the result whose graph to draw (e.g. a loss).
        params: names for leaves, e.g. ``dict(model.named_parameters())``; other leaves show their shape.

    Ops are boxes labelled with their node's name (``MulBackward``) and output shape; parameters are
    blue, the results green. Arrows follow the forward computation.
    """
    outputs = _as_tensors(tensor)
    names = _names_by_id(params)
    nodes, leaves = _walk([t.grad_fn for t in outputs if t.grad_fn is not None])
    lines = ["digraph autograd {", '  graph [rankdir=TB];',
             '  node [shape=box, style="rounded,filled", fillcolor=lightgray, fontname=monospace];']
    for leaf in leaves:
        lines.append(f"  n{id(leaf)} [label={_dot_string(_leaf_label(leaf, names))}, fillcolor=lightblue];")
    for node in nodes:
        shapes = ", ".join(_shape(shape) for shape, _ in node._out_meta)
        lines.append(f"  n{id(node)} [label={_dot_string(node.name() + chr(10) + shapes)}];")
        for edge in node._edges:
            if edge is not None:
                lines.append(f"  n{id(edge[0])} -> n{id(node)};")
    for index, output in enumerate(outputs):
        label = "output" if len(outputs) == 1 else f"output {index}"
        lines.append(f"  out{index} [label={_dot_string(label + chr(10) + _shape(output.shape))}, "
                     "fillcolor=darkolivegreen1];")
        source = output.grad_fn if output.grad_fn is not None else output
        if source is not output:
            lines.append(f"  n{id(source)} -> out{index};")
        else:  # a leaf on its own: there is no op between it and the result
            lines.append(f"  n{id(output)} [label={_dot_string(_leaf_label(output, names))}, fillcolor=lightblue];")
            lines.append(f"  n{id(output)} -> out{index};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot: str, path) -> str:
    """Draw DOT text to ``path``; the format (svg, png, pdf) comes from its extension. Needs Graphviz."""
    path = os.fspath(path)
    file_format = os.path.splitext(path)[1].lstrip(".").lower()
    if file_format not in ("svg", "png", "pdf"):
        raise ValueError(f"nnmath.viz.render: cannot tell the format of {path!r}; end it in .svg, .png or .pdf")
    program = shutil.which("dot")
    if program is None:
        raise RuntimeError("nnmath.viz.render needs Graphviz's `dot` program, which is not installed: "
                           "apt-get install graphviz (or brew install graphviz, conda install graphviz)")
    result = subprocess.run([program, f"-T{file_format}"], input=dot.encode(), capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"nnmath.viz.render: dot failed: {result.stderr.decode(errors='replace').strip()}")
    atomic_write_bytes(path, result.stdout)
    return path


def vjp_formula(node) -> str | None:
    """The ``VJP:`` part of the docstring of ``node``'s Function class (None when it has none)."""
    doc = inspect.cleandoc(type(node).__doc__ or "")
    lines = doc.splitlines()
    for start, line in enumerate(lines):
        if line.startswith("VJP:"):
            formula = [line[len("VJP:"):].strip()]
            for continuation in lines[start + 1:]:
                if not continuation.startswith((" ", "\t")) or not continuation.strip():
                    break
                formula.append(continuation.strip())
            return "\n".join(formula)
    return None


def _engine_order(roots) -> list:
    """The order in which the engine (:func:`nnmath.autograd.engine._run`) runs the nodes: a node
    becomes ready when every op that consumed its output has sent its gradient back; the most
    recently readied node runs first."""
    dependencies = count_dependencies(roots)
    ready = [node for node in dict.fromkeys(roots) if dependencies.get(node, 0) == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for edge in node._edges:
            if edge is None or edge[1] is None:
                continue
            dependencies[edge[0]] -= 1
            if dependencies[edge[0]] == 0:
                ready.append(edge[0])
    return order


def _destination(edge, names: dict[int, str]) -> str:
    """Where a gradient goes: the next op, or a leaf's .grad."""
    target, output_nr = edge
    if output_nr is None:
        return f"{names.get(id(target), 'tensor')}.grad"
    return target.name()


def explain(tensor, params=None, file=None) -> None:
    """Print the chain of VJPs ``tensor.backward()`` will apply, in the order the engine runs them.

    Each step names the op, the shape of the gradient it receives (ȳ), where it sends each input's
    gradient (the next op, or a leaf's ``.grad``) with its shape, and its VJP formula. ``params``
    names leaves as in :func:`graph`.
    """
    file = sys.stdout if file is None else file
    outputs = _as_tensors(tensor)
    names = _names_by_id(params)
    roots = [t.grad_fn for t in outputs if t.grad_fn is not None]
    if not roots:
        print("nothing to explain: the tensor has no grad_fn (it is a leaf, or was computed without "
              "autograd recording, e.g. under no_grad or from tensors with requires_grad=False)", file=file)
        return
    print(f"backward() from a tensor of shape {_shape(outputs[0].shape)} applies, in this order:", file=file)
    for step, node in enumerate(_engine_order(roots), start=1):
        received = ", ".join(_shape(shape) for shape, _ in node._out_meta)
        sent = ", ".join(f"{_destination(edge, names)} {_shape(meta[0])}"
                         for edge, meta in zip(node._edges, node._in_meta) if edge is not None)
        print(f"{step:3d}. {node.name()}: ȳ {received} -> {sent}", file=file)
        formula = vjp_formula(node) or f"(no VJP: line in the docstring of {type(node).__qualname__})"
        for line in formula.splitlines():
            print(f"       {line}", file=file)
