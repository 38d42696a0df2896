"""The package's floors, read from the source: every import (module-level or inside a function) goes to
the same floor or one below, the graph of imports has no cycle, imports deferred into functions are
few and each says why, the library never imports the ``nnmath`` facade, and no private name crosses
a package boundary. See docs/architecture.md."""
from __future__ import annotations

import ast
import pathlib

import pytest

SRC = pathlib.Path(__file__).resolve().parents[1] / "src"

#: Longest matching prefix wins. Floor n may import floors <= n; within a floor the graph is acyclic.
FLOORS = {
    "nnmath.dtypes": 1, "nnmath.device": 1, "nnmath.backend": 1, "nnmath.random": 1, "nnmath.hooks": 1,
    "nnmath._atomic": 1, "nnmath._malloc": 1, "nnmath._optional": 1, "nnmath.parallel": 1, "nnmath.accelerator": 1,
    "nnmath.tensor": 2, "nnmath._shared_memory": 2,
    "nnmath.autograd": 3,
    "nnmath.ops": 4, "nnmath.creation": 4, "nnmath.special": 4, "nnmath.linalg": 4,
    "nnmath._methods": 5, "nnmath.tensor_types": 5,
    "nnmath": 6, "nnmath.autograd.functional": 6, "nnmath.serialization": 6, "nnmath.nn": 6, "nnmath.optim": 6,
    "nnmath.utils": 6, "nnmath.distributions": 6, "nnmath.info": 6, "nnmath.prob": 6, "nnmath.vision": 6,
    "nnmath.text": 6, "nnmath.audio": 6, "nnmath.metrics": 6,
    "nnmath.apps": 7, "nnmath.onnx": 7, "nnmath.viz": 7, "nnmath.utils.tensorboard": 7,
}
MAX_DEFERRED = 15


def module_files(root: pathlib.Path = SRC) -> dict:
    """{dotted module name: path} for every .py file under ``root``."""
    out = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(name: str, modules) -> str | None:
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        candidate = ".".join(parts[:i])
        if candidate in modules:
            return candidate
    return None


def imports(source: str, module: str, is_package: bool, modules) -> list:
    """(target module, line number, deferred?, source line) for each import of a module in ``modules``.
    ``from a.b import c`` counts as an import of ``a.b.c`` when that is a module, else of ``a.b``."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found = []

    def visit(node, deferred):
        for child in ast.iter_child_nodes(node):
            inner = deferred or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                targets = [_resolve(a.name, modules) for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    package = module.split(".") if is_package else module.split(".")[:-1]
                    package = package[:len(package) - child.level + 1]
                    base = ".".join(package + ([base] if base else []))
                targets = [_resolve(f"{base}.{a.name}", modules) or _resolve(base, modules) for a in child.names]
            else:
                visit(child, inner)
                continue
            for target in dict.fromkeys(t for t in targets if t and t != module):
                found.append((target, child.lineno, deferred, lines[child.lineno - 1]))
    visit(tree, False)
    return found


def import_graph(root: pathlib.Path = SRC):
    """({module: {imported modules}}, [(module, target, line, source line) of deferred imports])."""
    modules = module_files(root)
    graph, deferred = {m: set() for m in modules}, []
    for module, path in modules.items():
        for target, line, is_deferred, text in imports(path.read_text(), module, path.name == "__init__.py",
                                                       modules):
            graph[module].add(target)
            # Importing a module runs its package's __init__ first: an edge into another package is an
            # edge to that package too (the root package excepted: every module is inside it).
            package = target.rsplit(".", 1)[0] if "." in target else None
            if package and package != "nnmath" and not module.startswith(package + ".") and package != module:
                graph[module].add(package)
            if is_deferred:
                deferred.append((module, target, line, text))
    return graph, deferred


def find_cycle(graph) -> list | None:
    """One cycle of the directed graph as a list of nodes (first = last), or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def floor_of(module: str) -> int:
    best = max((p for p in FLOORS if module == p or module.startswith(p + ".")), key=len)
    return FLOORS[best]


def upward_imports(graph) -> list:
    return sorted((m, t) for m, targets in graph.items() for t in targets if floor_of(t) > floor_of(m))


def uncommented(deferred) -> list:
    return [(m, line) for m, _, line, text in deferred if "#" not in text]


# --- the package itself --------------------------------------------------------------------------------
GRAPH, DEFERRED = import_graph()


def test_every_module_has_a_floor():
    assert all(floor_of(m) for m in GRAPH if m.startswith("nnmath"))


def test_the_import_graph_has_no_cycle():
    assert find_cycle(GRAPH) is None, f"import cycle: {' -> '.join(find_cycle(GRAPH))}"


def test_every_import_goes_to_the_same_floor_or_below():
    assert upward_imports(GRAPH) == []


def test_deferred_imports_are_few_and_each_says_why():
    assert len(DEFERRED) <= MAX_DEFERRED, [(m, t, line) for m, t, line, _ in DEFERRED]
    assert uncommented(DEFERRED) == []


def test_the_library_never_imports_the_facade():
    below_apps = [(m, t) for m, targets in GRAPH.items() for t in targets
                  if t == "nnmath" and floor_of(m) < 7 and m != "nnmath"]
    assert below_apps == []


def test_no_private_name_crosses_a_package():
    crossings = []
    for module, path in module_files().items():
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nnmath"):
                source_package = node.module.rsplit(".", 1)[0]
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__") and \
                            source_package != package and node.module != package:
                        crossings.append((module, node.module, alias.name))
    assert crossings == []


# --- the checkers can fail ---------------------------------------------------------------------------------
def test_find_cycle_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_a_deferred_import_without_a_comment_is_flagged(tmp_path):
    package = tmp_path / "nnmath"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tensor.py").write_text("")
    (package / "ops.py").write_text("def f():\n    from nnmath import tensor\n"
                                    "def g():\n    from nnmath import tensor  # deferred: a reason\n")
    graph, deferred = import_graph(tmp_path)
    assert [(m, line) for m, line in uncommented(deferred)] == [("nnmath.ops", 2)]
    assert graph["nnmath.ops"] == {"nnmath.tensor"}


def test_an_upward_import_and_a_package_cycle_are_found(tmp_path):
    package = tmp_path / "nnmath"
    (package / "autograd").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "tensor.py").write_text("from nnmath.ops import shape\n")          # floor 2 -> 4
    (package / "ops").mkdir()
    (package / "ops" / "__init__.py").write_text("")
    (package / "ops" / "shape.py").write_text("from nnmath.autograd.function import F\n")
    (package / "autograd" / "__init__.py").write_text("from nnmath.autograd import helpers\n")
    (package / "autograd" / "function.py").write_text("F = 1\n")
    (package / "autograd" / "helpers.py").write_text("from nnmath.ops import shape\n")
    graph, _ = import_graph(tmp_path)
    assert ("nnmath.tensor", "nnmath.ops.shape") in upward_imports(graph)
    # ops.shape -> autograd.function runs autograd/__init__ -> helpers -> ops.shape
    assert find_cycle(graph) is not None


@pytest.mark.parametrize("module, floor", [("nnmath.ops.shape", 4), ("nnmath.autograd.functional", 6),
                                           ("nnmath.utils.tensorboard", 7), ("nnmath.tensor", 2)])
def test_floor_of_takes_the_longest_prefix(module, floor):
    assert floor_of(module) == floor
