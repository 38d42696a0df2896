"""Optimizers vs PyTorch step by step, state_dict resume, zero_grad, parameter groups and bad input."""
import copy
import pickle

import numpy as np
import pytest

import nnmath
from nnmath import optim

START = [[-1.5, 2.0], [0.5, -0.7]]  # two parameters, so per-parameter state is exercised

CASES = [
    ("SGD", dict(lr=1e-3)),
    ("SGD", dict(lr=1e-3, momentum=0.9)),
    ("SGD", dict(lr=1e-3, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=1e-3, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=1e-2)),
    ("Adam", dict(lr=1e-2, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=1e-2, maximize=True, betas=(0.8, 0.9), eps=1e-6)),
    ("Adam", dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=1e-2)),
    ("AdamW", dict(lr=1e-2, weight_decay=0.5, amsgrad=True, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=1e-3)),
    ("RMSprop", dict(lr=1e-3, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=1e-3, centered=True, maximize=True)),
    ("Adamax", dict(lr=1e-2)),
    ("Adamax", dict(lr=1e-2, weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=1e-2)),
    ("NAdam", dict(lr=1e-2, weight_decay=0.1, momentum_decay=1e-2)),
    ("NAdam", dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]


def rosenbrock(params, lib):
    """Rosenbrock in the first parameter plus a coupled quartic in the second: non-quadratic, and
    written once for both libraries."""
    (x, y), (u, v) = params[0], params[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2 + (u * v - 0.3) ** 2 + lib.sin(u) * v ** 2


def make_params(lib, dtype):
    return [lib.tensor(row, dtype=dtype, requires_grad=True) for row in START]


def run(opt, params, lib, steps):
    """``steps`` optimizer steps; a maximizing optimizer is given −f, so both climb to the same place."""
    sign = -1 if opt.defaults.get("maximize") else 1
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        (sign * rosenbrock(params, lib)).backward()
        opt.step()
        trajectory.append(np.concatenate([p.detach().numpy().copy() for p in params]))
    return trajectory


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{'-'.join(k)}" for n, k in CASES])
def test_matches_torch_over_20_steps(name, kwargs):
    torch = pytest.importorskip("torch")
    ours = make_params(nnmath, nnmath.float64)
    theirs = make_params(torch, torch.float64)
    ours_path = run(getattr(optim, name)(ours, **kwargs), ours, nnmath, 20)
    theirs_path = run(getattr(torch.optim, name)(theirs, **kwargs), theirs, torch, 20)
    for step, (a, b) in enumerate(zip(ours_path, theirs_path)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"step {step + 1}")
    assert np.isfinite(ours_path[-1]).all()
    assert not np.allclose(ours_path[-1], np.concatenate(START))  # the parameters did move


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{'-'.join(k)}" for n, k in CASES])
def test_state_dict_resume_equals_straight_run(name, kwargs):
    straight = make_params(nnmath, nnmath.float64)
    expected = run(getattr(optim, name)(straight, **kwargs), straight, nnmath, 20)[-1]

    params = make_params(nnmath, nnmath.float64)
    first = getattr(optim, name)(params, **kwargs)
    run(first, params, nnmath, 10)
    saved = pickle.loads(pickle.dumps(first.state_dict()))  # as written to and read from disk
    resumed = getattr(optim, name)(params, **kwargs)
    resumed.load_state_dict(saved)
    got = run(resumed, params, nnmath, 10)[-1]
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name,kwargs", CASES[::3], ids=[n for n, _ in CASES[::3]])
def test_state_dict_has_torch_layout(name, kwargs):
    torch = pytest.importorskip("torch")
    ours = make_params(nnmath, nnmath.float64)
    theirs = make_params(torch, torch.float64)
    ours_opt, theirs_opt = getattr(optim, name)(ours, **kwargs), getattr(torch.optim, name)(theirs, **kwargs)
    run(ours_opt, ours, nnmath, 3)
    run(theirs_opt, theirs, torch, 3)
    ours_sd, theirs_sd = ours_opt.state_dict(), theirs_opt.state_dict()
    assert ours_sd["param_groups"] == theirs_sd["param_groups"]
    assert ours_sd["state"].keys() == theirs_sd["state"].keys()
    for index, state in theirs_sd["state"].items():
        assert ours_sd["state"][index].keys() == state.keys()
        for key, value in state.items():
            np.testing.assert_allclose(np.asarray(ours_sd["state"][index][key]), value.numpy(), rtol=1e-10)


def test_load_state_dict_copies_and_casts_buffers():
    params = [nnmath.tensor([1.0, 2.0], dtype=nnmath.float32, requires_grad=True)]
    opt = optim.Adam(params)
    params[0].grad = nnmath.tensor([0.5, -0.5], dtype=nnmath.float32)
    opt.step()
    saved = opt.state_dict()
    saved["state"][0]["exp_avg"] = nnmath.tensor([1.0, 1.0], dtype=nnmath.float64)
    fresh = optim.Adam(params)
    fresh.load_state_dict(saved)
    state = fresh.state[params[0]]
    assert state["exp_avg"].dtype == nnmath.float32
    assert state["exp_avg_sq"] is not opt.state[params[0]]["exp_avg_sq"]
    assert state["step"].dtype == nnmath.float32 and float(state["step"]) == 1.0


def test_float32_parameters_keep_float32_state():
    p = nnmath.tensor([1.0, -2.0, 3.0], dtype=nnmath.float32, requires_grad=True)
    for opt_class in (optim.SGD, optim.Adam, optim.RMSprop, optim.Adagrad, optim.Adadelta, optim.Adamax,
                      optim.NAdam):
        opt = opt_class([p], lr=0.01, **({"momentum": 0.9} if opt_class is optim.SGD else {}))
        p.grad = nnmath.tensor([0.1, 0.2, 0.3], dtype=nnmath.float32)
        opt.step()
        assert p.dtype == nnmath.float32
        for key, value in opt.state[p].items():
            if key not in ("step", "mu_product"):
                assert value.dtype == nnmath.float32, (opt_class.__name__, key)


def test_step_updates_in_place_and_bumps_version():
    p = nnmath.tensor([1.0, 2.0], requires_grad=True)
    storage, version = p._data, p._version
    opt = optim.SGD([p], lr=0.5)
    p.grad = nnmath.tensor([1.0, 1.0])
    opt.step()
    assert p._data is storage
    assert p._version == version + 1
    np.testing.assert_allclose(p.detach().numpy(), [0.5, 1.5])


def test_parameters_without_grad_are_skipped():
    a = nnmath.tensor([1.0], requires_grad=True)
    b = nnmath.tensor([1.0], requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = nnmath.tensor([1.0])
    opt.step()
    assert b.item() == 1.0 and a.item() != 1.0
    assert b not in opt.state


def test_sgd_without_momentum_keeps_no_state():
    p = nnmath.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = nnmath.tensor([1.0])
    opt.step()
    assert opt.state_dict()["state"] == {}


def test_step_calls_closure_with_grad_enabled():
    p = nnmath.tensor([3.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with nnmath.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(p.item(), 3.0 - 0.1 * 6.0)


def test_zero_grad_set_to_none_and_zeros():
    p = nnmath.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_param_groups_have_their_own_hyperparameters():
    a = nnmath.tensor([1.0], requires_grad=True)
    b = nnmath.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 1.0}], lr=0.1, momentum=0.5)
    assert opt.param_groups[1]["lr"] == 1.0 and opt.param_groups[1]["momentum"] == 0.5
    a.grad, b.grad = nnmath.tensor([1.0]), nnmath.tensor([1.0])
    opt.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.0)
    c = nnmath.tensor([1.0], requires_grad=True)
    opt.add_param_group({"params": [c], "lr": 2.0})
    assert len(opt.param_groups) == 3 and opt.param_groups[2]["momentum"] == 0.5
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_named_parameters_are_accepted():
    w = nnmath.tensor([1.0], requires_grad=True)
    opt = optim.SGD([("w", w)], lr=0.1)
    assert opt.param_groups[0]["params"] == [w]
    assert opt.param_groups[0]["param_names"] == ["w"]


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    ours = optim.Adam([nnmath.tensor([1.0], requires_grad=True)], lr=0.01)
    theirs = torch.optim.Adam([torch.tensor([1.0], requires_grad=True)], lr=0.01)
    assert repr(ours) == repr(theirs)


def test_deepcopy_of_optimizer_state_is_independent():
    p = nnmath.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = nnmath.tensor([1.0])
    opt.step()
    snapshot = copy.deepcopy(opt.state_dict())
    opt.step()
    assert float(snapshot["state"][0]["momentum_buffer"].item()) == 1.0


@pytest.mark.parametrize("make,message", [
    (lambda p: optim.SGD([], lr=0.1), "optimizer got an empty parameter list"),
    (lambda p: optim.SGD(p[0], lr=0.1), "should be an iterable of Tensors or dicts"),
    (lambda p: optim.SGD([p[0] * 2], lr=0.1), "can't optimize a non-leaf Tensor"),
    (lambda p: optim.SGD([1.0], lr=0.1), "optimizer can only optimize Tensors"),
    (lambda p: optim.SGD([{"params": {p[0]}}], lr=0.1), "ordering of tensors in sets will change between runs"),
    (lambda p: optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.SGD(p, momentum=-0.5), "Invalid momentum value: -0.5"),
    (lambda p: optim.SGD(p, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (lambda p: optim.SGD(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda p: optim.Adam(p, eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (lambda p: optim.Adadelta(p, rho=1.5), "Invalid rho value: 1.5"),
    (lambda p: optim.RMSprop(p, alpha=-0.1), "Invalid alpha value: -0.1"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda p: optim.NAdam(p, momentum_decay=-1), "Invalid momentum_decay value: -1"),
    (lambda p: optim.LBFGS([{"params": p[:1]}, {"params": p[1:]}]), "doesn't support per-parameter options"),
])
def test_bad_input_messages(make, message):
    params = [nnmath.tensor([1.0], requires_grad=True), nnmath.tensor([2.0], requires_grad=True)]
    with pytest.raises((ValueError, TypeError), match=message.replace("(", r"\(").replace(")", r"\)")):
        make(params)


def test_bad_input_messages_contain_torchs():
    """PyTorch's words are kept (searchable), with the op and the values added where PyTorch omits them."""
    torch = pytest.importorskip("torch")

    def message(fn):
        with pytest.raises(Exception) as info:
            fn()
        return str(info.value)

    for build in (lambda lib, p: lib.optim.SGD([], lr=0.1),
                  lambda lib, p: lib.optim.SGD([p * 2], lr=0.1),
                  lambda lib, p: lib.optim.Adam([p], betas=(0.9, 1.0)),
                  lambda lib, p: lib.optim.RMSprop([p], eps=-1.0),
                  lambda lib, p: lib.optim.SGD([p], nesterov=True)):
        ours = message(lambda: build(nnmath, nnmath.tensor([1.0], requires_grad=True)))
        theirs = message(lambda: build(torch, torch.tensor([1.0], requires_grad=True)))
        assert theirs in ours


def test_mismatched_state_dict_is_rejected():
    a = nnmath.tensor([1.0], requires_grad=True)
    b = nnmath.tensor([1.0], requires_grad=True)
    saved = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.SGD([a], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(saved)


def test_a_gradient_of_the_wrong_shape_is_refused_on_assignment_and_at_step():
    param = nnmath.nn.Parameter(nnmath.ones(3))
    with pytest.raises(RuntimeError, match="size"):
        param.grad = nnmath.ones(1)           # PyTorch refuses this assignment too
    param.grad = nnmath.ones(3)
    param.grad._data = np.ones(1, np.float32)  # forced past the check: step still refuses it
    with pytest.raises(RuntimeError, match=r"gradient of shape \(1,\) does not match its parameter of shape \(3,\)"):
        nnmath.optim.SGD([param], lr=0.1).step()
