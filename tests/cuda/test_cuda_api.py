"""nnmath.cuda on a machine without a usable GPU: each call answers as PyTorch 2.13 (CPU build) does —
the same return values, or an exception of the type PyTorch raises — with a message that says why."""
import sys
import types
import warnings

import pytest

import nnmath
import nnmath.accelerator
import nnmath.backend
import nnmath.cuda
from nnmath.cuda import CudaUnavailableError

pytestmark = pytest.mark.skipif(nnmath.cuda.device_count() > 0, reason="these tests describe a machine without GPUs")


def _outcome(call):
    """('return', value) or ('raise', exception)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "return", call()
        except Exception as error:  # the point is to record which exception
            return "raise", error


# (name, call on a cuda-like module); the same call is made on nnmath.cuda and torch.cuda.
SAME_AS_TORCH = [
    ("is_available", lambda c: c.is_available()),
    ("device_count", lambda c: c.device_count()),
    ("is_initialized", lambda c: c.is_initialized()),
    ("init", lambda c: c.init()),
    ("current_device", lambda c: c.current_device()),
    ("set_device(-1)", lambda c: c.set_device(-1)),
    ("set_device('cpu')", lambda c: c.set_device("cpu")),
    ("synchronize", lambda c: c.synchronize()),
    ("manual_seed", lambda c: c.manual_seed(1)),
    ("manual_seed_all", lambda c: c.manual_seed_all(1)),
    ("seed", lambda c: c.seed()),
    ("seed_all", lambda c: c.seed_all()),
    ("initial_seed", lambda c: c.initial_seed()),
    ("get_rng_state", lambda c: c.get_rng_state()),
    ("get_rng_state_all", lambda c: c.get_rng_state_all()),
    ("is_bf16_supported", lambda c: c.is_bf16_supported()),
    ("is_bf16_supported(False)", lambda c: c.is_bf16_supported(including_emulation=False)),
    ("is_tf32_supported", lambda c: c.is_tf32_supported()),
    ("get_device_name", lambda c: c.get_device_name()),
    ("get_device_name(0)", lambda c: c.get_device_name(0)),
    ("get_device_properties(0)", lambda c: c.get_device_properties(0)),
    ("get_device_capability", lambda c: c.get_device_capability()),
    ("mem_get_info", lambda c: c.mem_get_info()),
    ("memory_allocated", lambda c: c.memory_allocated()),
    ("max_memory_allocated", lambda c: c.max_memory_allocated()),
    ("memory_reserved", lambda c: c.memory_reserved()),
    ("max_memory_reserved", lambda c: c.max_memory_reserved()),
    ("memory_stats", lambda c: dict(c.memory_stats())),
    ("empty_cache", lambda c: c.empty_cache()),
    ("ipc_collect", lambda c: c.ipc_collect()),
    ("get_arch_list", lambda c: c.get_arch_list()),
    ("get_gencode_flags", lambda c: c.get_gencode_flags()),
    ("device(0) entered", lambda c: c.device(0).__enter__()),
    ("device('cuda:1') entered", lambda c: c.device("cuda:1").__enter__()),
    ("device(-1) entered", lambda c: c.device(-1).__enter__()),
    ("device('cpu')", lambda c: c.device("cpu")),
    ("Stream()", lambda c: c.Stream()),
    ("Event()", lambda c: c.Event()),
    ("current_stream", lambda c: c.current_stream()),
    ("default_stream", lambda c: c.default_stream()),
    ("stream(None) entered", lambda c: c.stream(None).__enter__()),
]


@pytest.mark.parametrize("name,call", SAME_AS_TORCH, ids=[name for name, _ in SAME_AS_TORCH])
def test_answers_as_torch_without_cuda(name, call):
    torch = pytest.importorskip("torch")
    expected_kind, expected = _outcome(lambda: call(torch.cuda))
    kind, got = _outcome(lambda: call(nnmath.cuda))
    assert kind == expected_kind, f"{name}: torch gives {expected_kind} {expected!r}, nnmath {kind} {got!r}"
    if kind == "return":
        assert got == expected
    else:
        assert isinstance(got, type(expected)), f"{name}: torch raises {type(expected)}, nnmath {type(got)}"


# PyTorch's CPU build fails here by accident (a missing C binding, a None compared with an int); nnmath
# raises the error the rest of the API raises without a GPU.
ACCIDENTS_IN_TORCH = [
    ("set_device(0)", lambda c: c.set_device(0), AttributeError),
    ("reset_peak_memory_stats", lambda c: c.reset_peak_memory_stats(), AttributeError),
    ("device('cuda') entered", lambda c: c.device("cuda").__enter__(), TypeError),
]


@pytest.mark.parametrize("name,call,torch_error", ACCIDENTS_IN_TORCH, ids=[a[0] for a in ACCIDENTS_IN_TORCH])
def test_where_torch_fails_by_accident_nnmath_says_cuda_is_unavailable(name, call, torch_error):
    torch = pytest.importorskip("torch")
    assert isinstance(_outcome(lambda: call(torch.cuda))[1], torch_error)
    with pytest.raises(CudaUnavailableError, match="no CUDA GPU is available"):
        call(nnmath.cuda)


def test_unavailable_error_is_caught_as_either_type_torch_raises():
    for caught in (AssertionError, RuntimeError):
        with pytest.raises(caught):
            nnmath.cuda.current_device()


def test_message_names_the_call_and_the_remedy():
    with pytest.raises(CudaUnavailableError) as info:
        nnmath.cuda.get_device_name(0)
    message = str(info.value)
    assert message.startswith("nnmath.cuda.get_device_name:")
    assert "is_available()" in message and "'cpu'" in message


def test_a_non_cuda_device_is_a_value_error():
    with pytest.raises(ValueError, match="expected a cuda device, but got: cpu"):
        nnmath.cuda.device(nnmath.device("cpu"))


def test_tensors_still_refuse_cuda_with_a_clear_error():
    with pytest.raises(RuntimeError, match="not available"):
        nnmath.zeros(2).to("cuda")
    with pytest.raises(RuntimeError, match="not available"):
        nnmath.zeros(2).cuda()


def test_the_book_utility_pattern_picks_the_cpu():
    """d2l's ``try_gpu`` / ``try_all_gpus``: index the GPUs by device_count, fall back to the CPU."""
    def try_gpu(i=0):
        if nnmath.cuda.device_count() >= i + 1:
            return nnmath.device(f"cuda:{i}")
        return nnmath.device("cpu")
    devices = [nnmath.device(f"cuda:{i}") for i in range(nnmath.cuda.device_count())]
    assert try_gpu() == nnmath.device("cpu") and (devices or [nnmath.device("cpu")]) == [nnmath.device("cpu")]
    assert nnmath.ones(2, device=try_gpu()).sum().item() == 2.0


def test_accelerator_agrees_with_cuda():
    torch = pytest.importorskip("torch")
    assert nnmath.accelerator.is_available() == torch.accelerator.is_available() == nnmath.cuda.is_available()
    assert nnmath.accelerator.device_count() == torch.accelerator.device_count() == nnmath.cuda.device_count()
    assert nnmath.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    for name in ("current_device_index", "synchronize"):
        with pytest.raises(RuntimeError):
            getattr(torch.accelerator, name)()
        with pytest.raises(RuntimeError, match=f"nnmath.accelerator.{name}: no CUDA GPU"):
            getattr(nnmath.accelerator, name)()


def test_cpu_module_answers_as_torch():
    torch = pytest.importorskip("torch")
    for name in ("is_available", "device_count", "current_device", "synchronize"):
        assert getattr(nnmath.cpu, name)() == getattr(torch.cpu, name)()


@pytest.fixture
def fake_cupy(monkeypatch):
    """Install ``cupy`` as given (None: not installed), and forget the cached count before and after."""
    def install(module):
        monkeypatch.setitem(sys.modules, "cupy", module)
        nnmath.backend._cupy_device_count.cache_clear()
    yield install
    monkeypatch.undo()
    nnmath.backend._cupy_device_count.cache_clear()


def _cupy_reporting(get_device_count):
    runtime = types.SimpleNamespace(getDeviceCount=get_device_count)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime))


def test_gpus_that_cupy_sees_are_counted(fake_cupy):
    fake_cupy(_cupy_reporting(lambda: 2))
    assert nnmath.cuda.device_count() == 2 and nnmath.cuda.is_available()
    assert nnmath.accelerator.is_available() and nnmath.accelerator.current_accelerator() == nnmath.device("cuda")
    with pytest.raises(CudaUnavailableError, match="CuPy sees 2 CUDA GPU"):
        nnmath.cuda.current_device()


def test_a_cupy_without_a_driver_counts_no_gpu(fake_cupy):
    def no_driver():
        raise RuntimeError("cudaErrorInsufficientDriver")
    fake_cupy(_cupy_reporting(no_driver))
    assert nnmath.cuda.device_count() == 0 and not nnmath.cuda.is_available()


def test_without_cupy_nothing_is_counted(fake_cupy):
    fake_cupy(None)  # a None entry in sys.modules makes ``import cupy`` raise ImportError
    assert nnmath.cuda.device_count() == 0 and not nnmath.accelerator.is_available()
