"""nnmath.backends: the switches programs set start at PyTorch's defaults and read back as set; the
questions about what is present answer for nnmath (which uses none of cuDNN, MPS, oneDNN, OpenMP)."""
import pytest

import nnmath
import nnmath.backends as backends

SWITCHES = [("cuda.matmul", "allow_tf32"), ("cuda.matmul", "allow_fp16_reduced_precision_reduction"),
            ("cuda.matmul", "allow_bf16_reduced_precision_reduction"), ("cuda.matmul", "fp32_precision"),
            ("cudnn", "enabled"), ("cudnn", "benchmark"), ("cudnn", "deterministic"), ("cudnn", "allow_tf32"),
            ("cudnn", "benchmark_limit"), ("mkldnn", "enabled"), ("", "fp32_precision")]


def _resolve(root, path):
    for part in filter(None, path.split(".")):
        root = getattr(root, part)
    return root


@pytest.mark.parametrize("path,name", SWITCHES, ids=[f"{p}.{n}" for p, n in SWITCHES])
def test_defaults_are_torchs(path, name):
    torch = pytest.importorskip("torch")
    assert getattr(_resolve(backends, path), name) == getattr(_resolve(torch.backends, path), name)


@pytest.mark.parametrize("path,query", [("cuda", "is_built"), ("cudnn", "is_available"), ("cudnn", "version"),
                                        ("mps", "is_available"), ("mps", "is_built"),
                                        ("cuda", "flash_sdp_enabled"), ("cuda", "math_sdp_enabled"),
                                        ("cuda", "mem_efficient_sdp_enabled"), ("cuda", "cudnn_sdp_enabled"),
                                        ("cuda", "is_flash_attention_available")])
def test_queries_answer_as_torch_on_a_cpu_machine(path, query):
    torch = pytest.importorskip("torch")
    assert getattr(_resolve(backends, path), query)() == getattr(_resolve(torch.backends, path), query)()


def test_libraries_nnmath_does_not_use_are_reported_absent():
    """PyTorch's CPU build uses oneDNN and OpenMP; nnmath's kernels are NumPy's, so it says False."""
    assert backends.mkldnn.is_available() is False and backends.openmp.is_available() is False


def test_the_training_script_preamble_runs_and_reads_back(monkeypatch):
    monkeypatch.setattr(backends.cuda.matmul, "allow_tf32", backends.cuda.matmul.allow_tf32)
    for name in ("benchmark", "deterministic", "allow_tf32"):
        monkeypatch.setattr(backends.cudnn, name, getattr(backends.cudnn, name))
    nnmath.backends.cuda.matmul.allow_tf32 = True
    nnmath.backends.cudnn.allow_tf32 = True
    nnmath.backends.cudnn.benchmark = True
    nnmath.backends.cudnn.deterministic = True
    assert backends.cuda.matmul.allow_tf32 and backends.cudnn.benchmark and backends.cudnn.deterministic


def test_matmul_refuses_a_misspelt_switch_as_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(AttributeError):
        torch.backends.cuda.matmul.allow_tf23 = True
    with pytest.raises(AttributeError):
        backends.cuda.matmul.allow_tf23 = True


@pytest.mark.filterwarnings("ignore:TF32 acceleration on top of oneDNN")
@pytest.mark.parametrize("module", ["cudnn", "mkldnn"])
def test_flags_sets_for_a_block_then_restores_as_torch(module):
    torch = pytest.importorskip("torch")
    for lib_backends in (torch.backends, backends):
        flags_module = getattr(lib_backends, module)
        before = (flags_module.enabled, flags_module.deterministic)
        with flags_module.flags(enabled=False, deterministic=True):
            inside = (flags_module.enabled, flags_module.deterministic)
        assert inside == (False, True) and (flags_module.enabled, flags_module.deterministic) == before


def test_sdp_switches_read_back(monkeypatch):
    monkeypatch.setitem(backends.cuda._sdp_enabled, "flash", True)
    backends.cuda.enable_flash_sdp(False)
    assert backends.cuda.flash_sdp_enabled() is False and backends.cuda.math_sdp_enabled() is True
