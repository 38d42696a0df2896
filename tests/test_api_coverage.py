"""tools/api_coverage.py: the checker finds missing names and signatures that lack PyTorch's parameters
(shown on fake modules built to fail), and the generated report's counts are consistent."""
import importlib.util
import json
import pathlib
import sys
import types

import pytest

ROOT = pathlib.Path(__file__).parent.parent
_spec = importlib.util.spec_from_file_location("api_coverage", ROOT / "tools" / "api_coverage.py")
api_coverage = importlib.util.module_from_spec(_spec)
sys.modules["api_coverage"] = api_coverage  # dataclasses look their module up there
_spec.loader.exec_module(api_coverage)


class _Builtin:
    """Stands for a PyTorch builtin: callable, no inspectable signature, documented by its first line."""

    def __init__(self, doc):
        self.__doc__ = doc

    @property
    def __signature__(self):
        raise ValueError("no signature found for builtin")

    def __call__(self, *args, **kwargs):
        raise NotImplementedError


def _module(name, **attributes):
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    module.__all__ = sorted(attributes)
    return module


def _fakes():
    def full(a, b, *, c=1):
        """Python: inspect reads it."""

    def generic(*args, **kwargs):
        """Python, but says nothing: (*args, **kwargs)."""

    reference = _module("fake_torch", full=full, generic=generic, CONSTANT=3.0, quantize_thing=full,
                        stacked=_Builtin("\nstacked(input, *size, out=None) -> Tensor\n\nOr:\n\n"
                                         ".. function:: stacked(input, dim, keepdim=False) -> (Tensor, LongTensor)\n"
                                         "    >>> torch.stacked(values=1, indices=2)\n"),
                        absent=full)

    def full_lacking_c(a, b):
        """Deliberately incomplete: no ``c``."""

    def stacked(input, *shape, dim=None, keepdim=False, out=None):
        """Complete: its *shape takes PyTorch's *size."""

    def generic_here(x):
        """PyTorch's signature is unknown, so this cannot be judged."""

    ours = _module("fake_nnmath", full=full_lacking_c, stacked=stacked, generic=generic_here, CONSTANT=3.0)
    return reference, ours


def test_checker_reports_missing_names_and_incomplete_signatures():
    reference, ours = _fakes()
    result = api_coverage.compare_namespace("torch", reference, ours)
    assert result["missing"] == ["absent"]
    assert result["left_out"] == {"quantisation": ["quantize_thing"]}
    assert (result["total"], result["present"]) == (5, 4)
    signatures = result["signatures"]
    assert signatures["incomplete"] == {"full": ["c"]}
    assert signatures["complete"] == 1 and signatures["unknown"] == ["generic"]
    assert signatures["found_by"] == {"inspect": 1, "docstring": 1}


def test_checker_passes_a_complete_namespace():
    reference, _ = _fakes()
    result = api_coverage.compare_namespace("torch", reference, reference)
    assert result["missing"] == [] and result["signatures"]["incomplete"] == {}


def test_an_absent_namespace_has_everything_missing():
    reference, _ = _fakes()
    result = api_coverage.compare_namespace("fft", reference, None)
    assert result["present"] == 0 and not result["nnmath_present"] and len(result["missing"]) == result["total"]


def test_docstring_signatures_unite_overloads_and_skip_example_output():
    doc = ("\nmax(input, *, out=None) -> Tensor\n\nText max(not, this).\n\n"
           ".. function:: max(input, dim, keepdim=False, *, out=None) -> (Tensor, LongTensor)\n\n"
           "    torch.return_types.max(values=tensor([1]), indices=tensor([0]))\n")
    found = api_coverage.docstring_parameters("max", doc)
    assert found.names == ["input", "out", "dim", "keepdim"] and found.method == "docstring"
    dotted = api_coverage.docstring_parameters("norm", "linalg.norm(A, ord=None, dim=None) -> Tensor\n")
    assert dotted.names == ["A", "ord", "dim"]
    assert api_coverage.docstring_parameters("view", "view(*shape) -> Tensor").var_positional == "shape"
    assert api_coverage.docstring_parameters("f", "Nothing that looks like a signature.") is None


def test_keyword_catch_all_accepts_every_name():
    expected = api_coverage.Parameters(["a", "out"], "size", False, "docstring")
    assert api_coverage.missing_parameters(expected, api_coverage.Parameters([], "args", True, "inspect")) == []
    assert api_coverage.missing_parameters(expected, api_coverage.Parameters(["a"], None, False, "inspect")) == [
        "out", "*size"]


def test_markdown_counts_come_from_the_results():
    reference, ours = _fakes()
    report = {"torch_version": "x", "nnmath_version": "y",
              "namespaces": [api_coverage.compare_namespace("torch", reference, ours)]}
    text = api_coverage.markdown(report)
    assert "| `torch` | 4 / 5 (80%) | 1 / 2 | 1 | 1 / 1 | 1 |" in text
    assert "**Missing (1):** `absent`" in text and "`full` (c)" in text
    assert "**quantisation** (1 names)" in text and "`torch.quantize_thing`" in text


@pytest.fixture(scope="module")
def real_report():
    pytest.importorskip("torch")
    return api_coverage.coverage()


def test_real_report_is_consistent(real_report):
    labels = [ns["namespace"] for ns in real_report["namespaces"]]
    assert labels == [label for label, _, _ in api_coverage.NAMESPACES]
    for ns in real_report["namespaces"]:
        signatures = ns["signatures"]
        assert ns["present"] + len(ns["missing"]) == ns["total"]
        assert signatures["complete"] + len(signatures["incomplete"]) == signatures["checked"]
        assert signatures["checked"] + len(signatures["unknown"]) <= ns["present"]
        assert sum(signatures["found_by"].values()) == signatures["checked"]
        left_out = {name for names in ns["left_out"].values() for name in names}
        assert not left_out & set(ns["missing"])


def test_real_report_finds_what_nnmath_has(real_report):
    by_label = {ns["namespace"]: ns for ns in real_report["namespaces"]}
    for label, name in [("torch", "zeros"), ("torch", "autocast"), ("Tensor", "add"), ("Tensor", "share_memory_"),
                        ("nn", "DataParallel"), ("cuda", "is_available"), ("utils.data", "get_worker_info")]:
        assert name not in by_label[label]["missing"], f"{label}.{name} reported missing"
    assert "sparse_coo_tensor" in by_label["torch"]["left_out"]["sparse tensors"]


def test_main_writes_markdown_and_json(real_report, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(api_coverage, "coverage", lambda: real_report)
    assert api_coverage.main(["--output", str(tmp_path / "coverage.md")]) == 0
    assert (tmp_path / "coverage.md").read_text() == api_coverage.markdown(real_report)
    capsys.readouterr()
    assert api_coverage.main(["--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(real_report))
