"""nnmath.compile: a compiled function gives eager mode's results bit for bit, traces again when its
signature changes, checks its guards, and runs eagerly (with the reason) what it cannot trace."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import nnmath
import nnmath.nn as nn
from nnmath.backend import get_array_module
from nnmath.compiler import GuardFailed
from nnmath.ops._window import _scratch


def _equal(a, b):
    """Bitwise equality of two (nested) results made of tensors, arrays and numbers."""
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, nnmath.Tensor):
        a, b = a.detach().numpy(), b.detach().numpy()
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    return a == b


def _chain(x, w):
    y = x
    for _ in range(5):
        y = nnmath.tanh(y * w) + x
    loss = y.sum()
    loss.backward()
    grads = x.grad, w.grad
    x.grad = w.grad = None
    return loss.detach(), grads


def _leaves(seed=0):
    rng = np.random.default_rng(seed)
    return (nnmath.tensor(rng.standard_normal(16, dtype=np.float32), requires_grad=True),
            nnmath.tensor(rng.standard_normal(16, dtype=np.float32), requires_grad=True))


def test_the_checker_sees_a_wrong_bit():
    a = (nnmath.tensor([1.0, 2.0]), 3)
    b = (nnmath.tensor([1.0, np.nextafter(np.float32(2), np.float32(3))]), 3)
    assert _equal(a, a) and not _equal(a, b) and not _equal(a, (a[0], 4))


def test_a_small_chain_forward_and_backward_replays_eager_results_bit_for_bit():
    x, w = _leaves()
    step = nnmath.compile(_chain)
    expected = _chain(x, w)
    results = [step(x, w) for _ in range(4)]
    assert step.stats["traces"] == 1 and step.stats["replays"] == 2
    assert all(_equal(r, expected) for r in results)


def test_replay_runs_generated_numpy_calls_on_buffers():
    x, w = _leaves()
    step = nnmath.compile(_chain)
    for _ in range(3):
        step(x, w)
    (schedule,) = step.schedules()
    assert "def replay(" in schedule.source and "Tensor" not in schedule.source
    assert schedule.buffers, "static arrays get preallocated buffers"


def test_each_replay_returns_fresh_arrays():
    x, w = _leaves()
    step = nnmath.compile(_chain)
    outs = [step(x, w) for _ in range(4)]
    assert outs[2][0]._data is not outs[3][0]._data
    x._data += 1                      # an in-place change of an input between calls is seen
    assert _equal(step(x, w), _chain(x, w))


def test_a_new_input_shape_traces_again():
    step = nnmath.compile(lambda x: (x * x).sum())
    for n in (3, 3, 3, 5, 5, 5, 3):
        x = nnmath.arange(float(n))
        assert _equal(step(x), (x * x).sum())
    assert step.stats["traces"] == 2 and step.stats["replays"] == 3     # the last call replays the first shape


def test_grad_mode_and_training_flags_are_part_of_the_signature():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    step = nnmath.compile(lambda x: model(x).detach())
    x = nnmath.randn(3, 4)
    with nnmath.no_grad():
        for _ in range(3):
            step(x)
        model.eval()
        outs = [step(x) for _ in range(3)]
    assert all(_equal(o, model(x).detach()) for o in outs)
    assert step.stats["traces"] == 2


def test_dropout_draws_fresh_masks_in_eager_order():
    model = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    x = nnmath.randn(4, 8)

    def forward(x):
        with nnmath.no_grad():
            return model(x)
    step = nnmath.compile(forward)
    nnmath.manual_seed(5)
    eager = [forward(x) for _ in range(5)]
    nnmath.manual_seed(5)
    compiled = [step(x) for _ in range(5)]
    assert step.stats["replays"] == 3
    assert all(_equal(a, b) for a, b in zip(eager, compiled))
    assert not _equal(compiled[3], compiled[4]), "each replay draws a new mask"


def _branchy(x):
    if x.sum() > 0:                   # a Python decision on the data: a guard
        return (x * 2).sum()
    return (x - 1).sum()


def test_a_branch_on_the_data_is_guarded_and_the_other_branch_runs_eagerly():
    step = nnmath.compile(_branchy)
    pos, neg = nnmath.ones(3), -nnmath.ones(3)
    for _ in range(3):
        assert _equal(step(pos), _branchy(pos))
    assert step.stats["replays"] == 1
    assert _equal(step(neg), _branchy(neg))                 # the guard fails: eager (and traced again)
    assert step.stats["guard_failures"] == 1
    assert _equal(step(neg), _branchy(neg)) and _equal(step(pos), _branchy(pos))


def test_a_value_that_changes_at_every_call_ends_in_eager_mode_with_a_warning():
    counter = nnmath.zeros(())

    def step():
        counter.add_(1)
        return counter.item()         # a Python number read from data that changes every time
    compiled = nnmath.compile(step)
    with pytest.warns(RuntimeWarning, match="changed"):
        values = [compiled() for _ in range(12)]
    assert values == list(range(1, 13))


def test_a_failed_guard_leaves_state_as_before_the_call():
    p = nnmath.zeros(3)

    def step(x):
        p.add_(x)                     # an update before a guard...
        if p.sum() > 10:              # ...that may fail
            return p * 0
        return p * 1
    compiled = nnmath.compile(step)
    for _ in range(3):
        compiled(nnmath.ones(3))
    before = p.numpy().copy()
    compiled(nnmath.ones(3))          # p.sum() goes from 9 to 12: the guard fails, the call runs eagerly
    np.testing.assert_array_equal(p.numpy(), before + 1)


def test_a_replaced_array_is_seen():
    w = nnmath.ones(3)
    step = nnmath.compile(lambda x: (x * w).sum())
    x = nnmath.arange(3.0)
    for _ in range(3):
        step(x)
    (schedule,) = step.schedules()
    w.data = nnmath.full((3,), 2.0)   # the tensor holds another array now: the replay must not use the old one
    with pytest.raises(GuardFailed):
        schedule.run(x._data)
    assert step(x).item() == 6.0


def _hands_memory_away(x):
    return nnmath.tensor(np.asarray(x._data) * 2)     # np.asarray: NumPy work the tracer cannot see


def _writes_into_untraced_memory(x):
    buffer = np.zeros(3, np.float32)
    np.add(buffer, x._data, out=buffer)               # then read by code no traced array takes part in
    return nnmath.tensor(buffer.cumsum())


def _reads_a_python_number_from_a_draw(x):
    seed = int(nnmath.randint(0, 2 ** 31, ()))        # as a seed for NumPy work outside the trace
    return x + float(np.random.default_rng(seed).random())


@pytest.mark.parametrize("fn,reason", [(_hands_memory_away, "handed to code that is not traced"),
                                       (_writes_into_untraced_memory, "written into an array made outside")])
def test_what_cannot_be_traced_runs_eagerly_with_the_reason_and_the_line(fn, reason):
    step = nnmath.compile(fn)
    x = nnmath.arange(3.0)
    with pytest.warns(RuntimeWarning, match=reason) as caught:
        outs = [step(x + i) for i in range(4)]
    assert "test_compile.py" in str(caught[0].message)
    assert all(_equal(o, fn(x + i)) for i, o in enumerate(outs))
    assert step.stats["replays"] == 0


def test_a_python_number_read_from_a_random_draw_runs_eagerly_at_once_with_the_reason():
    step = nnmath.compile(_reads_a_python_number_from_a_draw)
    x = nnmath.arange(3.0)
    nnmath.manual_seed(0)
    with pytest.warns(RuntimeWarning, match="read from a random draw") as caught:
        outs = [step(x) for _ in range(4)]
    assert "tensor.py" in str(caught[0].message)        # where: Tensor.__int__ reading the drawn tensor
    nnmath.manual_seed(0)
    assert all(_equal(o, _reads_a_python_number_from_a_draw(x)) for o in outs)
    assert step.stats == {"eager": 3, "traces": 1, "replays": 0, "guard_failures": 0}


def _converts_through_the_array_module(x):
    xp = get_array_module(x._data)                   # the door ops use for CuPy: the tracer records it
    total = xp.asarray(x._data.sum(), dtype=np.float64)
    total += 1                                       # a NumPy scalar: rebinds, as in eager mode
    return nnmath.Tensor._make(xp.ascontiguousarray(x._data.T) * 2 + total)


def test_conversions_through_the_array_module_are_replayed():
    step = nnmath.compile(_converts_through_the_array_module)
    x = nnmath.arange(6.0).reshape(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outs = [step(x + i) for i in range(4)]
    assert all(_equal(o, _converts_through_the_array_module(x + i)) for i, o in enumerate(outs))
    assert step.stats["replays"] == 2


def test_a_traced_convolution_leaves_no_traced_array_among_the_kept_temporaries():
    conv = nn.Conv2d(3, 64, 3)
    x = nnmath.randn(16, 3, 34, 34, requires_grad=True)   # im2col of more than 1 MB: kept for the next call
    _scratch.clear()

    def step(x):
        conv.zero_grad()
        conv(x).sum().backward()
        return conv.weight.grad
    compiled = nnmath.compile(step)
    results = [compiled(x) for _ in range(3)]
    assert compiled.stats["traces"] == 1
    assert _scratch and all(type(a) is np.ndarray for stack in _scratch.values() for a in stack)
    assert _equal(results[-1], step(x))


def test_fullgraph_raises_instead_of_running_eagerly():
    step = nnmath.compile(_hands_memory_away, fullgraph=True)
    x = nnmath.arange(3.0)
    step(x)
    with pytest.raises(RuntimeError, match="fullgraph=True"):
        step(x)


def test_a_forward_differentiated_outside_runs_eagerly_with_a_clear_reason():
    model = nn.Linear(3, 2)
    step = nnmath.compile(model)
    x = nnmath.randn(4, 3)
    with pytest.warns(RuntimeWarning, match="compile the whole training step"):
        for _ in range(3):
            loss = step(x).sum()
            loss.backward()
    assert model.weight.grad is not None


def test_a_compiled_module_wraps_the_original():
    model = nn.Linear(3, 4)
    compiled = nnmath.compile(model)
    assert list(compiled.state_dict()) == ["_orig_mod.weight", "_orig_mod.bias"]    # PyTorch's keys
    assert compiled._orig_mod is model and compiled.weight is model.weight
    x = nnmath.randn(2, 3)
    with nnmath.no_grad():
        assert all(_equal(compiled(x), model(x)) for _ in range(4))


def test_decorator_forms_and_arguments():
    @nnmath.compile
    def f(x):
        return x + 1

    @nnmath.compile(mode="reduce-overhead", dynamic=False)
    def g(x):
        return x * 2
    x = nnmath.arange(3.0)
    for _ in range(3):
        assert _equal(f(x), x + 1) and _equal(g(x), x * 2)
    assert nnmath.compile(f, disable=True) is f
    eager = nnmath.compile(lambda x: x - 1, backend="eager")
    for _ in range(3):
        eager(x)
    assert eager.stats["replays"] == 0
    with pytest.raises(ValueError, match="backend"):
        nnmath.compile(f, backend="tvm")


def test_eager_and_compiled_steps_interleave_on_the_same_parameters():
    def run(pattern):
        nnmath.manual_seed(0)
        model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1))
        opt = nnmath.optim.Adam(model.parameters(), lr=0.1)
        x, y = nnmath.randn(6, 5), nnmath.randn(6, 1)

        def step(x, y):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss
        compiled = nnmath.compile(step)
        losses = [(compiled if c else step)(x, y).item() for c in pattern]
        return losses, [p.detach().numpy().copy() for p in model.parameters()]
    eager = run([False] * 8)
    mixed = run([True, True, True, False, True, True, False, True])
    assert eager[0] == mixed[0]
    assert all(np.array_equal(a, b) for a, b in zip(eager[1], mixed[1]))


def test_a_learning_rate_change_traces_again():
    p = nnmath.ones(3, requires_grad=True)
    opt = nnmath.optim.SGD([p], lr=0.1)
    scheduler = nnmath.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)

    def step():
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    compiled = nnmath.compile(step)
    q = nnmath.ones(3, requires_grad=True)
    reference = nnmath.optim.SGD([q], lr=0.1)
    reference_scheduler = nnmath.optim.lr_scheduler.StepLR(reference, step_size=3, gamma=0.5)
    for _ in range(9):
        compiled()
        scheduler.step()
        reference.zero_grad()
        (q * q).sum().backward()
        reference.step()
        reference_scheduler.step()
    np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_is_compiling_and_reset():
    seen = []

    def f(x):
        seen.append(nnmath.compiler.is_compiling())
        return x + 1
    step = nnmath.compile(f)
    x = nnmath.ones(2)
    for _ in range(3):
        step(x)
    assert seen == [False, True] and not nnmath.compiler.is_compiling()
    nnmath.compiler.reset()
    step(x)
    assert step.stats["eager"] == 2


def _rows_filled(x, rows):
    z = nnmath.zeros(3, 4)            # a tensor made by the function, then written with traced values
    for r in rows:
        z[r] = x * (r + 1)
    return z, z.sum()


@pytest.mark.parametrize("rows", [(0, 1, 2), (0, 2)], ids=["every-row", "some-rows"])
def test_a_tensor_made_inside_and_written_is_made_again_at_each_replay(rows):
    step = nnmath.compile(lambda x: _rows_filled(x, rows))
    outs = [step(nnmath.arange(4.0) + i) for i in range(5)]
    assert step.stats["replays"] == 3
    assert all(_equal(o, _rows_filled(nnmath.arange(4.0) + i, rows)) for i, o in enumerate(outs))
    (schedule,) = step.schedules()
    if rows == (0, 1, 2):
        assert "fill" not in schedule.source and "copyto" not in schedule.source   # written in full: no zeroing


def _attention_and_norm(q, k, v, w):
    F = nnmath.nn.functional
    h = F.layer_norm(F.scaled_dot_product_attention(q, k, v, is_causal=True), (32,), w)
    loss = F.gelu(h, approximate="tanh").sum()
    loss.backward()
    grads = q.grad, k.grad, v.grad, w.grad
    q.grad = k.grad = v.grad = w.grad = None
    return loss.detach(), grads


def _attention_leaves(seed):
    rng = np.random.default_rng(seed)
    return [nnmath.tensor(rng.standard_normal(shape, dtype=np.float32), requires_grad=True)
            for shape in ((32, 2, 64, 32), (32, 2, 64, 32), (32, 2, 64, 32), (32,))]


def test_a_kernel_is_one_call_of_the_replay_and_runs_on_threads_there(monkeypatch):
    """Attention, layer norm and GELU are kernels (nnmath.backend.run_kernel): the trace records each as
    one call, which the replay makes on its own arrays, so their pieces run on threads there as in eager
    mode, with eager mode's numbers; the outputs they accumulate into are zeroed again at each replay."""
    from nnmath import parallel
    nnmath.set_num_threads(2)
    split = []
    real = parallel.parallel_for
    monkeypatch.setattr(parallel, "parallel_for", lambda total, body, min_piece=1: (split.append(total),
                                                                                     real(total, body, min_piece)))
    from nnmath.ops import attention
    monkeypatch.setattr(attention, "parallel_for", parallel.parallel_for)
    step = nnmath.compile(_attention_and_norm)
    leaves = _attention_leaves(0)
    results = [step(*leaves) for _ in range(4)]
    expected = _attention_and_norm(*leaves)
    assert step.stats["replays"] == 2 and all(_equal(r, expected) for r in results)
    (schedule,) = step.schedules()
    labels = [node.label for node in schedule.capture.trace.nodes]
    assert labels.count("_forward_kernel") == 1 and labels.count("_backward_kernel") == 1
    assert labels.count("_split_rows") == 4          # layer norm and GELU, forward and backward
    split.clear()
    step(*leaves)
    assert len(split) == 6                           # every kernel split in the replay too


def test_run_kernel_hands_the_call_to_an_array_type_that_takes_it_and_runs_numpy_arrays_itself():
    from nnmath.backend import run_kernel
    calls = []

    class Taker:
        def __array_kernel__(self, fn, args, out, kwargs):
            calls.append((fn, args, out, kwargs))
            return out

    def twice(x, *, out, scale):
        np.multiply(x, 2 * scale, out=out[0])
        return out

    x, y = np.arange(3.0), np.empty(3)
    assert run_kernel(twice, x, out=(y,), scale=1.0)[0] is y and list(y) == [0.0, 2.0, 4.0]
    taker = Taker()
    run_kernel(twice, x, out=(taker,), scale=3.0)
    assert calls == [(twice, (x,), (taker,), {"scale": 3.0})]


def _conv_pool_step(x, w):
    F = nnmath.nn.functional
    loss = F.max_pool2d(F.relu(F.conv2d(x, w)), 2).sum()
    loss.backward()
    grads = x.grad, w.grad
    x.grad = w.grad = None
    return loss.detach(), grads


def test_convolution_and_pooling_are_kernels_of_the_replay():
    """Their image loops are recorded whole (and split over threads in the replay); ReLU's derivative
    keeps its branch-free mask there (no np.where); the results are eager mode's."""
    rng = np.random.default_rng(0)
    x = nnmath.tensor(rng.standard_normal((8, 3, 12, 12), dtype=np.float32), requires_grad=True)
    w = nnmath.tensor(rng.standard_normal((4, 3, 3, 3), dtype=np.float32), requires_grad=True)
    step = nnmath.compile(_conv_pool_step)
    results = [step(x, w) for _ in range(4)]
    assert step.stats["replays"] == 2 and all(_equal(r, _conv_pool_step(x, w)) for r in results)
    labels = [node.label for node in step.schedules()[0].capture.trace.nodes]
    assert labels.count("_over_images") == 4  # conv, max-pool, the scatter of max-pool's VJP, convᵀ
    assert "where" not in labels
