"""nnmath.amp: GradScaler follows PyTorch's loss-scaling algorithm step for step (GradScaler('cpu') is
enabled in both); without CUDA, GradScaler('cuda') and autocast('cuda') warn and disable themselves as
PyTorch's do; autocast on the CPU is accepted and disabled (nnmath has no reduced-precision kernels)."""
import pickle
import warnings

import numpy as np
import pytest

import nnmath
import nnmath.amp
import nnmath.cuda


def _warnings_of(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [w.category for w in caught]


def _made_by_torch_and_nnmath(make):
    """``make(torch)`` and ``make(nnmath)``, each with the categories of the warnings it gave."""
    torch = pytest.importorskip("torch")
    if nnmath.cuda.is_available():
        pytest.skip("describes a machine without CUDA")
    return _warnings_of(lambda: make(torch)), _warnings_of(lambda: make(nnmath))


# --- disabled without CUDA, as PyTorch -------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda lib: lib.amp.GradScaler(),
    lambda lib: lib.amp.GradScaler("cuda"),
    lambda lib: lib.cuda.amp.GradScaler(),
    lambda lib: lib.amp.GradScaler("cpu"),
    lambda lib: lib.cpu.amp.GradScaler(),
    lambda lib: lib.amp.GradScaler("cpu", enabled=False),
], ids=["default", "cuda", "legacy-cuda", "cpu", "legacy-cpu", "disabled"])
def test_grad_scaler_enabled_and_warnings_as_torch(make):
    (expected, expected_warnings), (got, got_warnings) = _made_by_torch_and_nnmath(make)
    assert got.is_enabled() == expected.is_enabled()
    assert got_warnings == expected_warnings
    assert got.get_scale() == expected.get_scale() and got.state_dict() == expected.state_dict()


def test_disabled_scaler_passes_through():
    with pytest.warns(UserWarning, match="CUDA is not available"):
        scaler = nnmath.amp.GradScaler()
    loss = nnmath.tensor(2.0, requires_grad=True)
    assert scaler.scale(loss) is loss
    steps = []
    optimizer = type("Opt", (), {"step": lambda self, *a: steps.append(a) or "stepped"})()
    assert scaler.step(optimizer, 1) == "stepped" and steps == [(1,)]
    scaler.unscale_(optimizer)
    scaler.update()
    scaler.load_state_dict({})


@pytest.mark.parametrize("make", [
    lambda lib: lib.autocast("cuda"),
    lambda lib: lib.amp.autocast("cuda", enabled=False),
    lambda lib: lib.cuda.amp.autocast(),
    lambda lib: lib.cpu.amp.autocast(enabled=False),
    lambda lib: lib.autocast("cpu", enabled=False),
], ids=["cuda", "cuda-disabled", "legacy-cuda", "legacy-cpu-disabled", "cpu-disabled"])
def test_autocast_warnings_as_torch(make):
    (_, expected), (_, got) = _made_by_torch_and_nnmath(make)
    assert got == expected


def test_autocast_on_cpu_warns_that_it_is_disabled_and_keeps_dtypes():
    """PyTorch would run the matmul in bfloat16 here; nnmath says it does not, and computes in float32."""
    a, b = nnmath.randn(3, 4), nnmath.randn(4, 2)
    with pytest.warns(UserWarning, match="does not compute in reduced precision"):
        region = nnmath.autocast("cpu")
    with region as entered:
        product = a @ b
    assert entered is None and product.dtype == nnmath.float32
    np.testing.assert_array_equal(product.numpy(), (a @ b).numpy())


def test_autocast_as_decorator_returns_the_function_result():
    @nnmath.autocast("cpu", enabled=False)
    def double(x):
        """Doubles."""
        return 2 * x
    assert double(nnmath.tensor(3.0)).item() == 6.0 and double.__doc__ == "Doubles." and double.__name__ == "double"


def test_autocast_argument_errors_as_torch():
    torch = pytest.importorskip("torch")
    for bad, error in ((0, ValueError), ("xyz", RuntimeError)):
        with pytest.raises(error):
            torch.autocast(bad)
        with pytest.raises(error):
            nnmath.autocast(bad)


def test_is_autocast_available_as_torch():
    torch = pytest.importorskip("torch")
    for device_type in ("cpu", "cuda", "mps", "meta"):
        assert nnmath.amp.is_autocast_available(device_type) == torch.amp.is_autocast_available(device_type)


def test_custom_fwd_and_bwd_call_through():
    class Square(nnmath.autograd.Function):
        @staticmethod
        @nnmath.amp.custom_fwd(device_type="cpu", cast_inputs=nnmath.float16)
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @nnmath.amp.custom_bwd(device_type="cpu")
        def backward(ctx, gy):
            x, = ctx.saved_tensors
            return 2 * x * gy

    x = nnmath.tensor([1.5, -2.0], requires_grad=True)
    y = Square.apply(x)
    y.sum().backward()
    assert y.dtype == nnmath.float32  # outside an enabled autocast region, cast_inputs does not apply
    np.testing.assert_array_equal(x.grad.numpy(), np.array([3.0, -4.0], np.float32))


# --- enabled: the algorithm, compared with PyTorch step by step ----------------------------------------

def _scaled_training(lib, factors, **scaler_kwargs):
    """SGD on a float32 w and a float64 v with loss = (Σ c·w + Σ d·v)·factor; a huge factor overflows the
    scaled gradients to inf. Returns, per step: (scale, growth tracker, unscaled gradients, w, v)."""
    w = lib.tensor([0.5, -1.25, 3.0], requires_grad=True)
    v = lib.tensor([0.1, 7.0], dtype=lib.float64, requires_grad=True)
    c, d = lib.tensor([1e-3, 2.5, -7.0]), lib.tensor([1 / 30, -2.0], dtype=lib.float64)
    optimizer = lib.optim.SGD([w, v], lr=0.1)
    scaler = lib.amp.GradScaler("cpu", **scaler_kwargs)
    history = []
    for factor in factors:
        optimizer.zero_grad()
        scaler.scale(((c * w).sum() + (d * v).sum()) * factor).backward()
        scaler.unscale_(optimizer)
        grads = np.concatenate([w.grad.detach().numpy(), v.grad.detach().numpy()])
        scaler.step(optimizer)
        scaler.update()
        history.append((scaler.get_scale(), scaler._get_growth_tracker(), grads,
                        w.detach().numpy().copy(), v.detach().numpy().copy()))
    return history, scaler.state_dict()


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_grad_scaler_follows_torch_step_for_step():
    torch = pytest.importorskip("torch")
    factors = [1.0, 1.0, 1e35, 1.0, 1.0, 1.0, 1.0, 1e35, 1e35, 1.0, 1.0, 1.0]
    kwargs = dict(init_scale=3.0 ** 20, growth_factor=3.0, backoff_factor=0.3, growth_interval=3)
    expected, expected_state = _scaled_training(torch, factors, **kwargs)
    got, got_state = _scaled_training(nnmath, factors, **kwargs)
    assert got_state == expected_state
    for step, ((s, t, g, w, v), (s0, t0, g0, w0, v0)) in enumerate(zip(got, expected)):
        assert (s, t) == (s0, t0), f"step {step}: scale/tracker {(s, t)} vs torch {(s0, t0)}"
        np.testing.assert_array_equal(g, g0, err_msg=f"step {step}: unscaled gradients")  # the same products
        # PyTorch's SGD rounds p − lr·g differently (a few ulps, accumulating over steps); a scaler error
        # would be off by a factor of the scale (≥ 2) or skip a step, far outside these tolerances.
        np.testing.assert_allclose(w, w0, rtol=1e-5, atol=0, err_msg=f"step {step}: float32 parameters")
        np.testing.assert_allclose(v, v0, rtol=1e-12, atol=0, err_msg=f"step {step}: float64 parameters")


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_skipped_step_leaves_parameters_and_backs_off():
    history, _ = _scaled_training(nnmath, [1.0, 1e35], init_scale=2.0 ** 16)
    (_, _, _, w_before, _), (scale, tracker, grad, w_after, _) = history
    assert not np.isfinite(grad).all()
    np.testing.assert_array_equal(w_after, w_before)
    assert (scale, tracker) == (2.0 ** 15, 0)


def test_scale_keeps_container_types_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, nnmath):
        scaler = lib.amp.GradScaler("cpu", init_scale=4.0)
        a, b = lib.tensor(1.0), lib.tensor(2.0)
        assert isinstance(scaler.scale([a, (b,)]), list) and isinstance(scaler.scale([a, (b,)])[1], tuple)
        assert [t.item() for t in scaler.scale(x for x in (a, b))] == [4.0, 8.0]
        assert scaler.scale(lib.tensor(1.0, dtype=lib.float64)).dtype == lib.float64
        with pytest.raises(ValueError):
            scaler.scale(3.0)


def _stepped_pair(lib):
    w = lib.tensor([1.0], requires_grad=True)
    optimizer = lib.optim.SGD([w], lr=0.1)
    scaler = lib.amp.GradScaler("cpu")
    scaler.scale((w * 2).sum()).backward()
    return scaler, optimizer, w


MISUSES = [
    ("unscale_ twice", lambda s, o, w: (s.unscale_(o), s.unscale_(o))),
    ("unscale_ after step", lambda s, o, w: (s.step(o), s.unscale_(o))),
    ("step twice", lambda s, o, w: (s.step(o), s.step(o))),
    ("step with closure", lambda s, o, w: s.step(o, closure=lambda: None)),
    ("update before step", lambda s, o, w: s.update()),
    ("load an empty state", lambda s, o, w: s.load_state_dict({})),
    ("update to a 2-element scale", lambda s, o, w: (s.step(o), s.update(w.detach().repeat(2)))),
    ("pickle mid-iteration", lambda s, o, w: (s.unscale_(o), pickle.dumps(s))),
]


@pytest.mark.parametrize("name,misuse", MISUSES, ids=[m[0] for m in MISUSES])
def test_misuse_raises_as_torch(name, misuse):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as expected:
        misuse(*_stepped_pair(torch))
    with pytest.raises(type(expected.value)):
        misuse(*_stepped_pair(nnmath))


def test_step_without_scale_and_bad_factors_raise_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, nnmath):
        w = lib.tensor([1.0], requires_grad=True)
        with pytest.raises(AssertionError):
            lib.amp.GradScaler("cpu").step(lib.optim.SGD([w], lr=0.1))
        with pytest.raises(AssertionError):
            lib.amp.GradScaler("cpu", growth_factor=1.0)
        with pytest.raises(AssertionError):
            lib.amp.GradScaler("cpu", backoff_factor=1.0)


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_float16_gradients_are_refused_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, nnmath):
        w = lib.tensor([1.0], dtype=lib.float16, requires_grad=True)
        optimizer = lib.optim.SGD([w], lr=0.1)
        scaler = lib.amp.GradScaler("cpu")
        scaler.scale(w.sum()).backward()
        with pytest.raises(ValueError):
            scaler.unscale_(optimizer)


def test_update_with_a_new_scale():
    scaler, optimizer, _ = _stepped_pair(nnmath)
    scaler.step(optimizer)
    scaler.update(8.0)
    assert scaler.get_scale() == 8.0
    scaler.scale(nnmath.tensor(1.0))
    scaler.step(optimizer)
    scaler.update(nnmath.tensor([2.0]))
    assert scaler.get_scale() == 2.0


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_state_dict_round_trip_and_pickle():
    history, state = _scaled_training(nnmath, [1.0, 1e35, 1.0], init_scale=2.0 ** 10, growth_interval=5)
    fresh = nnmath.amp.GradScaler("cpu")
    fresh.load_state_dict(state)
    assert fresh.state_dict() == state and fresh.get_scale() == history[-1][0]
    scaler = nnmath.amp.GradScaler("cpu", init_scale=16.0)
    scaler.scale(nnmath.tensor(1.0))
    restored = pickle.loads(pickle.dumps(scaler))
    assert restored.state_dict() == scaler.state_dict()
