"""How much of PyTorch's public API nnmath has: per namespace, which names exist, and whether nnmath's
signatures accept every parameter name PyTorch's do.

    python tools/api_coverage.py                 # writes docs/api_coverage.md
    python tools/api_coverage.py --json          # the same results as JSON on stdout
    python tools/api_coverage.py --output FILE   # the report elsewhere

PyTorch's public names are a namespace's ``__all__`` when it has one, else its attributes not starting
with an underscore; modules are left out (each namespace of interest is compared on its own), and so are
the names of areas nnmath leaves out on purpose (:data:`LEFT_OUT`, counted apart). A PyTorch signature
comes from ``inspect.signature`` where that works, else from the docstring's signature lines (PyTorch's
builtins document themselves as ``add(input, other, *, alpha=1, out=None) -> Tensor``; every overload's
line is read and their parameter names united); when neither gives names it is *unknown*. nnmath's
signature comes from ``inspect.signature`` (nnmath is Python). A signature is complete when every
PyTorch parameter name is accepted: by a parameter of that name, by ``**kwargs``, or, for PyTorch's
``*args``, by nnmath's ``*args``. Tensor methods are compared without ``self``.
"""
from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import json
import pathlib
import re
import sys
import types
import warnings

ROOT = pathlib.Path(__file__).resolve().parent.parent

# (label, PyTorch object path, nnmath object path)
NAMESPACES = [
    ("torch", "torch", "nnmath"),
    ("Tensor", "torch.Tensor", "nnmath.Tensor"),
    ("nn", "torch.nn", "nnmath.nn"),
    ("nn.functional", "torch.nn.functional", "nnmath.nn.functional"),
    ("nn.init", "torch.nn.init", "nnmath.nn.init"),
    ("optim", "torch.optim", "nnmath.optim"),
    ("lr_scheduler", "torch.optim.lr_scheduler", "nnmath.optim.lr_scheduler"),
    ("utils.data", "torch.utils.data", "nnmath.utils.data"),
    ("distributions", "torch.distributions", "nnmath.distributions"),
    ("linalg", "torch.linalg", "nnmath.linalg"),
    ("special", "torch.special", "nnmath.special"),
    ("autograd", "torch.autograd", "nnmath.autograd"),
    ("cuda", "torch.cuda", "nnmath.cuda"),
    ("distributed", "torch.distributed", "nnmath.distributed"),
    ("fft", "torch.fft", "nnmath.fft"),
]

# Areas nnmath leaves out on purpose: (why, pattern of the names that belong to them, the namespaces where the
# pattern applies (None: all)). Whole modules (torch.jit, torch.fx, torch.distributed.rpc, torch.sparse,
# torch.ao.quantization) are not compared at all; these are the names of those areas inside the compared ones.
LEFT_OUT = {
    "TorchScript / JIT": ("a second, compiled language (and its IR types) for deploying models without Python; "
                          "nnmath is the Python program itself, and ONNX export (nnmath.onnx) serves deployment",
                          r"^(jit|script\w*|Script\w+|is_scripting|Future|fork|wait|Await|\w+Type|Graph|"
                          r"GraphExecutorState|Node|Block|Value|Use|Code|CompilationUnit|ConcreteModuleType\w*|"
                          r"FileCheck|FunctionSchema|Argument|ArgumentSpec|CompleteArgumentSpec|ExecutionPlan|"
                          r"Gradient|AliasDb|ErrorReport|CallStack|IODescriptor|JITException|LiteScriptModule|"
                          r"StaticModule|TracingState|import_ir_module\w*|parse_ir|parse_schema|parse_type_comment|"
                          r"merge_type_from_type_comment|unify_type_list|DeepCopyMemoTable|LockingLogger|NoopLogger|"
                          r"AggregationType)$", ("torch",)),
    "FX": ("graph capture and rewriting of Python programs for compilers; nnmath has no compiler to feed",
           r"^(fx|symbolic_trace)$", None),
    "RPC": ("remote procedure calls and remote references between machines; nnmath.distributed covers "
            "collective data-parallel training", r"(^|_)rpc|^RRef$|^remote$", None),
    "sparse tensors": ("sparse layouts need their own kernels for every op; NumPy has none, and the teaching "
                       "and training programs nnmath targets use dense tensors",
                       r"sparse|^(indices|values|crow_indices|col_indices|ccol_indices|row_indices|coalesce|"
                       r"is_coalesced|sparse_dim|dense_dim|to_dense|smm|sspaddmm|hspmm|saddmm|spmm|dsmm|hsmm|"
                       r"\w*indices_copy|values_copy)$", None),
    "quantisation": ("integer kernels for inference on particular hardware; nnmath computes in floating point",
                     r"^(q_\w+|qint\w*|quint\w*|qscheme|quantize\w*|quantized\w*|dequantize|fake_quantize\w*|"
                     r"int_repr|per_tensor_\w+|per_channel_\w+|fused_moving_avg_obs_fake_quant|fbgemm_\w+|"
                     r"choose_qparams\w*|empty_quantized|bits\w+|u?int[1-7])$", None),
}


@dataclasses.dataclass
class Parameters:
    """A signature's parameter names (without self), whether it takes ``*args`` / ``**kwargs``, and how it was found."""
    names: list[str]
    var_positional: str | None
    var_keyword: bool
    method: str  # "inspect" or "docstring"


def _from_signature(signature: inspect.Signature, drop_first: bool) -> Parameters:
    params = list(signature.parameters.values())
    if drop_first and params and params[0].kind in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        params = params[1:]
    named = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    var_positional = next((p.name for p in params if p.kind is p.VAR_POSITIONAL), None)
    return Parameters(named, var_positional, any(p.kind is p.VAR_KEYWORD for p in params), "inspect")


def _split_top_level(text: str) -> list[str]:
    """``text`` split at the commas outside brackets and quotes."""
    parts, depth, quote, current = [], 0, None, ""
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    return parts + [current]


def _arguments_at(line: str, start: int) -> tuple[str, str] | None:
    """The text between the parenthesis at ``start`` and its match, and what follows; None if unbalanced."""
    depth = 0
    for position in range(start, len(line)):
        depth += {"(": 1, ")": -1}.get(line[position], 0)
        if depth == 0:
            return line[start + 1:position], line[position + 1:]
    return None


# Words PyTorch's docstrings sometimes write where a parameter name belongs (``set_num_threads(int)``).
_TYPE_WORDS = {"int", "float", "bool", "str", "Tensor", "LongTensor", "number"}


def _signature_lines(name: str, doc: str) -> list[str]:
    """The argument lists of the docstring's signature lines for ``name``: its first line, and lines that
    declare ``.. function::`` or a return type (``-> Tensor``), so that examples' output is not read."""
    head = re.compile(rf"^\s*(\.\. function:: )?(?:(?:torch|Tensor|linalg|special|fft|nn|functional)\.)*"
                      rf"{re.escape(name)}\(")
    lines = [line for line in doc.splitlines() if line.strip()]
    found = []
    for number, line in enumerate(lines):
        match = head.match(line)
        parsed = match and _arguments_at(line, match.end() - 1)
        if parsed and (number == 0 or match.group(1) or parsed[1].strip().startswith("->")):
            found.append(parsed[0])
    return found


def docstring_parameters(name: str, doc: str | None) -> Parameters | None:
    """The parameter names on the signature lines of a PyTorch docstring (``name(...) -> ...``, also with a
    ``torch.`` / ``linalg.`` prefix or after ``.. function::``), united over the overloads; None when there
    is no such line."""
    lines = _signature_lines(name, doc or "")
    if not lines:
        return None
    names, var_positional, var_keyword = [], None, False
    for line in lines:
        for token in (part.strip() for part in _split_top_level(line)):
            token = re.split(r"[=:]", token, maxsplit=1)[0].strip()
            if token in ("", "*", "/", "self") or token in _TYPE_WORDS:
                continue
            if token.startswith("**"):
                var_keyword = True
            elif token.startswith("*"):
                var_positional = token[1:]
            elif re.fullmatch(r"\w+", token) and token not in names:
                names.append(token)
    return Parameters(names, var_positional, var_keyword, "docstring")


def _is_generic(parameters: Parameters) -> bool:
    return not parameters.names and (parameters.var_positional or parameters.var_keyword)


def parameters_of(obj, name: str, is_method: bool) -> Parameters | None:
    """PyTorch's (or nnmath's) parameters of ``obj``: by ``inspect.signature``, else from the docstring; a
    generic ``(*args, **kwargs)`` signature gives way to the docstring when that says more."""
    try:
        found = _from_signature(inspect.signature(obj), drop_first=is_method and not inspect.isclass(obj))
    except (TypeError, ValueError):
        found = None
    if found is None or _is_generic(found):
        documented = docstring_parameters(name, getattr(obj, "__doc__", None))
        if documented is not None and (found is None or not _is_generic(documented)):
            return documented
    return found


def reference_parameters(obj, name: str, is_method: bool) -> Parameters | None:
    """PyTorch's parameters of ``obj``, or None when unknown: a signature that is only ``(*args, **kwargs)``
    (an ``nn.Module`` subclass without its own ``__init__`` arguments listed, a decorated function) says
    nothing about the names it takes."""
    found = parameters_of(obj, name, is_method)
    return None if found is None or _is_generic(found) else found


def missing_parameters(expected: Parameters, actual: Parameters) -> list[str]:
    """PyTorch's parameter names that nnmath's signature does not accept."""
    missing = []
    if not actual.var_keyword:
        missing = [name for name in expected.names if name not in actual.names]
    if expected.var_positional and not actual.var_positional and expected.var_positional not in actual.names:
        missing.append("*" + expected.var_positional)
    return missing


def left_out_area(namespace: str, name: str) -> str | None:
    """The area of :data:`LEFT_OUT` that ``namespace.name`` belongs to, or None."""
    for area, (_, pattern, namespaces) in LEFT_OUT.items():
        if (namespaces is None or namespace in namespaces) and re.search(pattern, name):
            return area
    return None


def public_names(namespace) -> list[str]:
    """A namespace's public names: ``__all__``, else attributes without a leading underscore; not modules,
    nor what a module merely imported from the standard library (typing helpers and the like)."""
    if inspect.isclass(namespace):
        names = [name for name in dir(namespace) if not name.startswith("_")]
    else:
        names = list(getattr(namespace, "__all__", None) or [n for n in dir(namespace) if not n.startswith("_")])
    kept = []
    for name in sorted(set(names)):
        value = getattr(namespace, name, None)
        if isinstance(value, types.ModuleType):
            continue
        module = getattr(value, "__module__", None)
        if isinstance(module, str) and module.split(".")[0] in ("typing", "collections", "abc", "functools",
                                                                 "enum", "dataclasses", "contextlib"):
            continue
        kept.append(name)
    return kept


def _attribute(namespace, name: str):
    """``namespace.name``, or None when it is absent (or is a lazy submodule that fails to import)."""
    try:
        return getattr(namespace, name, None)
    except ImportError:
        return None


def compare_namespace(label: str, torch_namespace, nnmath_namespace) -> dict:
    """The coverage of one namespace (see the module's docstring); ``nnmath_namespace`` None: absent."""
    is_method = label == "Tensor"
    present, missing, left_out = [], [], {}
    complete, incomplete, unknown, methods = [], {}, [], {"inspect": 0, "docstring": 0}
    for name in public_names(torch_namespace):
        area = left_out_area(label, name)
        if area is not None:
            left_out.setdefault(area, []).append(name)
            continue
        if _attribute(nnmath_namespace, name) is None:
            missing.append(name)
            continue
        present.append(name)
        torch_obj = getattr(torch_namespace, name)
        if not callable(torch_obj):
            continue
        expected = reference_parameters(torch_obj, name, is_method)
        actual = parameters_of(getattr(nnmath_namespace, name), name, is_method)
        if expected is None or actual is None:
            unknown.append(name)
            continue
        methods[expected.method] += 1
        lacking = missing_parameters(expected, actual)
        if lacking:
            incomplete[name] = lacking
        else:
            complete.append(name)
    total = len(present) + len(missing)
    return {"namespace": label, "nnmath_present": nnmath_namespace is not None, "total": total,
            "present": len(present), "missing": missing, "left_out": left_out,
            "signatures": {"checked": len(complete) + len(incomplete), "complete": len(complete),
                           "incomplete": incomplete, "unknown": unknown, "found_by": methods}}


def resolve(path: str):
    """The object at a dotted path (a module, or an attribute of one); None when there is none."""
    try:
        return importlib.import_module(path)
    except ImportError:
        if "." not in path:
            return None
    parent, name = path.rsplit(".", 1)
    return _attribute(resolve(parent), name)


def coverage() -> dict:
    """Every namespace of :data:`NAMESPACES`, compared; raises ImportError without PyTorch."""
    import torch  # deferred: PyTorch is the oracle, needed only to generate the report
    import nnmath
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reading deprecated aliases (torch.distributed.reduce_op, ...) warns
        results = [compare_namespace(label, resolve(torch_path), resolve(nnmath_path))
                   for label, torch_path, nnmath_path in NAMESPACES]
    return {"torch_version": torch.__version__.split("+")[0], "nnmath_version": nnmath.__version__,
            "namespaces": results}


def _names(names: list[str]) -> str:
    return ", ".join(f"`{name}`" for name in names) if names else "none"


def markdown(report: dict) -> str:
    """The report as Markdown: the summary table, then per namespace the missing names and the signatures
    that lack PyTorch's parameters, then the areas left out and why."""
    lines = ["# PyTorch API coverage (generated)",
             "",
             f"Generated by `python tools/api_coverage.py` from PyTorch {report['torch_version']} and nnmath "
             f"{report['nnmath_version']}; do not edit by hand. How names and signatures are found: the "
             f"docstring of `tools/api_coverage.py`. *present*: PyTorch's public names nnmath also has; "
             f"*signatures complete*: of the present callables whose PyTorch signature is known, those whose "
             f"nnmath signature accepts every PyTorch parameter name; *unknown*: present callables whose "
             f"signature could not be read; *found by*: how PyTorch's signatures were read (inspect / "
             f"docstring); *left out*: names of the areas nnmath leaves out on purpose (below), not counted.",
             "",
             "| namespace | present / total | signatures complete / checked | unknown | found by (inspect / docstring) "
             "| left out |",
             "|---|---|---|---|---|---|"]
    for ns in report["namespaces"]:
        signatures = ns["signatures"]
        percent = f" ({100 * ns['present'] / ns['total']:.0f}%)" if ns["total"] else ""
        absent = "" if ns["nnmath_present"] else " (no nnmath namespace)"
        lines.append(f"| `{ns['namespace']}`{absent} | {ns['present']} / {ns['total']}{percent} | "
                     f"{signatures['complete']} / {signatures['checked']} | {len(signatures['unknown'])} | "
                     f"{signatures['found_by']['inspect']} / {signatures['found_by']['docstring']} | "
                     f"{sum(map(len, ns['left_out'].values()))} |")
    totals = {key: sum(ns[key] for ns in report["namespaces"]) for key in ("present", "total")}
    lines += ["", f"All namespaces: {totals['present']} of {totals['total']} names present.", ""]
    for ns in report["namespaces"]:
        signatures = ns["signatures"]
        lines += [f"## `{ns['namespace']}`", "", f"**Missing ({len(ns['missing'])}):** {_names(ns['missing'])}", ""]
        if signatures["incomplete"]:
            lacking = "; ".join(f"`{name}` ({', '.join(params)})" for name, params in signatures["incomplete"].items())
            lines += [f"**Signatures lacking PyTorch parameters ({len(signatures['incomplete'])}):** {lacking}", ""]
        if signatures["unknown"]:
            lines += [f"**Signatures unknown ({len(signatures['unknown'])}):** {_names(signatures['unknown'])}", ""]
    lines += ["## Left out on purpose", "",
              "Whole modules of these areas (`torch.jit`, `torch.fx`, `torch.distributed.rpc`, `torch.sparse`, "
              "`torch.ao.quantization`) are not compared; listed here are the names of the areas found inside the "
              "compared namespaces.", ""]
    for area, (why, _, _) in LEFT_OUT.items():
        names = sorted(f"{ns['namespace']}.{name}" for ns in report["namespaces"]
                       for name in ns["left_out"].get(area, []))
        lines += [f"- **{area}** ({len(names)} names): {why}." + (f" Names: {_names(names)}." if names else ""), ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of writing Markdown")
    parser.add_argument("--output", type=pathlib.Path, default=ROOT / "docs" / "api_coverage.md")
    args = parser.parse_args(argv)
    try:
        report = coverage()
    except ModuleNotFoundError as error:
        if error.name != "torch":
            raise
        print("api_coverage: PyTorch is the reference and is not installed; report not generated", file=sys.stderr)
        return 0
    if args.json:
        print(json.dumps(report, indent=1, sort_keys=True))
        return 0
    from nnmath._atomic import atomic_write  # the tool runs without nnmath installed: src/ is put on the path in main
    atomic_write(args.output, lambda file: file.write(markdown(report).encode()))
    for ns in report["namespaces"]:
        signatures = ns["signatures"]
        print(f"{ns['namespace']:>14}: {ns['present']:>4} / {ns['total']:<4} names, "
              f"{signatures['complete']:>4} / {signatures['checked']:<4} signatures complete, "
              f"{len(signatures['unknown'])} unknown")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))  # this checkout's nnmath, installed or not
    sys.exit(main())
