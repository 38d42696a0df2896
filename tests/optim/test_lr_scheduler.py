"""Learning-rate schedules vs PyTorch's over 30 steps, and their state dicts."""
import pickle

import numpy as np
import pytest

import nnmath
from nnmath import optim
from nnmath.optim import lr_scheduler


def make_optimizer(lib, name="SGD", groups=2):
    params = [lib.tensor([1.0], requires_grad=True) for _ in range(groups)]
    param_groups = [{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)]
    return getattr(lib.optim, name)(param_groups, lr=0.1, **({"momentum": 0.9} if name == "SGD" else {}))


def scale_by_epoch(epoch):
    return 0.95 ** epoch


SCHEDULES = {
    "StepLR": lambda m, opt: m.StepLR(opt, step_size=4, gamma=0.5),
    "MultiStepLR": lambda m, opt: m.MultiStepLR(opt, milestones=[3, 7, 7, 20], gamma=0.3),
    "ExponentialLR": lambda m, opt: m.ExponentialLR(opt, gamma=0.9),
    "CosineAnnealingLR": lambda m, opt: m.CosineAnnealingLR(opt, T_max=10, eta_min=0.001),
    "LambdaLR": lambda m, opt: m.LambdaLR(opt, lr_lambda=scale_by_epoch),
    "LambdaLR-per-group": lambda m, opt: m.LambdaLR(opt, [scale_by_epoch, lambda e: 1 / (e + 1)]),
    "MultiplicativeLR": lambda m, opt: m.MultiplicativeLR(opt, lr_lambda=lambda e: 0.97),
    "LinearLR": lambda m, opt: m.LinearLR(opt, start_factor=0.2, end_factor=0.9, total_iters=12),
    "ConstantLR": lambda m, opt: m.ConstantLR(opt, factor=0.25, total_iters=6),
    "PolynomialLR": lambda m, opt: m.PolynomialLR(opt, total_iters=20, power=2.0),
    "OneCycleLR-cos": lambda m, opt: m.OneCycleLR(opt, max_lr=[0.5, 1.0], total_steps=31),
    "OneCycleLR-linear-three-phase": lambda m, opt: m.OneCycleLR(
        opt, max_lr=0.5, epochs=3, steps_per_epoch=11, anneal_strategy="linear", three_phase=True, pct_start=0.25),
    "SequentialLR": lambda m, opt: m.SequentialLR(
        opt, [m.LinearLR(opt, start_factor=0.1, total_iters=5), m.ExponentialLR(opt, gamma=0.9)], milestones=[5]),
    "ChainedScheduler": lambda m, opt: m.ChainedScheduler(
        [m.ConstantLR(opt, factor=0.5, total_iters=4), m.ExponentialLR(opt, gamma=0.95)]),
    "chained-by-hand": lambda m, opt: [m.StepLR(opt, step_size=5, gamma=0.5), m.CosineAnnealingLR(opt, T_max=8)],
}


def lr_sequence(lib, scheduler_module, build, optimizer_name="SGD", steps=30):
    opt = make_optimizer(lib, optimizer_name)
    schedulers = build(scheduler_module, opt)
    schedulers = schedulers if isinstance(schedulers, list) else [schedulers]
    lrs, momenta = [], []
    for _ in range(steps):
        lrs.append([group["lr"] for group in opt.param_groups])
        momenta.append([group.get("momentum", group.get("betas", (None,))[0]) for group in opt.param_groups])
        opt.step()
        for scheduler in schedulers:
            scheduler.step()
    return np.array(lrs), momenta, schedulers


@pytest.mark.parametrize("name", SCHEDULES)
def test_lr_sequence_matches_torch(name):
    torch = pytest.importorskip("torch")
    ours, our_momenta, our_schedulers = lr_sequence(nnmath, lr_scheduler, SCHEDULES[name])
    theirs, their_momenta, their_schedulers = lr_sequence(torch, torch.optim.lr_scheduler, SCHEDULES[name])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(our_momenta, their_momenta, rtol=1e-12)
    assert our_schedulers[-1].get_last_lr() == pytest.approx(their_schedulers[-1].get_last_lr(), rel=1e-12)
    assert len(set(map(tuple, ours))) > 1  # the schedule does change the lr


def test_one_cycle_cycles_adam_beta1_like_torch():
    torch = pytest.importorskip("torch")
    build = SCHEDULES["OneCycleLR-cos"]
    ours, our_betas, _ = lr_sequence(nnmath, lr_scheduler, build, optimizer_name="Adam")
    theirs, their_betas, _ = lr_sequence(torch, torch.optim.lr_scheduler, build, optimizer_name="Adam")
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    np.testing.assert_allclose(our_betas, their_betas, rtol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(), dict(mode="max", threshold_mode="abs", threshold=0.05),
                                    dict(patience=2, cooldown=3, factor=0.5, min_lr=[0.02, 0.01]),
                                    dict(patience=1, threshold_mode="abs", eps=0.05)])
def test_reduce_on_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    metrics = [1.0, 0.9, 0.95, 0.95, 0.94, 0.96, 0.97, 0.5, 0.5, 0.51, 0.52, 0.53, 0.9, 0.9, 0.9,
               0.4, 0.41, 0.42, 0.43, 0.44, 0.45, 0.46, 0.47, 0.48, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]

    def sequence(lib):
        opt = make_optimizer(lib)
        scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        lrs = []
        for metric in metrics:
            scheduler.step(metric)
            lrs.append(scheduler.get_last_lr())
        return lrs

    np.testing.assert_allclose(sequence(nnmath), sequence(torch), rtol=1e-12)


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "LambdaLR", "SequentialLR", "OneCycleLR-cos"])
def test_state_dict_resume_continues_the_schedule(name):
    build = SCHEDULES[name]
    straight, _, _ = lr_sequence(nnmath, lr_scheduler, build, steps=20)

    opt = make_optimizer(nnmath)
    scheduler = build(lr_scheduler, opt)
    for _ in range(10):
        opt.step()
        scheduler.step()
    saved_opt = pickle.loads(pickle.dumps(opt.state_dict()))
    state = scheduler.state_dict()
    saved_scheduler = pickle.loads(pickle.dumps(state)) if name != "LambdaLR" else state

    # PyTorch's documented order: the scheduler first (creating it sets the lr), then the optimizer
    fresh_opt = make_optimizer(nnmath)
    resumed = build(lr_scheduler, fresh_opt)
    resumed.load_state_dict(saved_scheduler)
    fresh_opt.load_state_dict(saved_opt)
    got = []
    for _ in range(10):
        got.append([group["lr"] for group in fresh_opt.param_groups])
        fresh_opt.step()
        resumed.step()
    np.testing.assert_allclose(got, straight[10:], rtol=1e-14)


def test_closed_form_with_explicit_epoch():
    opt = make_optimizer(nnmath)
    scheduler = lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    with pytest.warns(UserWarning, match="epoch parameter"):
        scheduler.step(7)
    assert scheduler.get_last_lr() == pytest.approx([0.1 * 0.25, 0.2 * 0.25])


def test_resuming_without_initial_lr_is_an_error():
    opt = make_optimizer(nnmath)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=3, last_epoch=4)


@pytest.mark.parametrize("build,error,message", [
    (lambda opt: lr_scheduler.StepLR("sgd", step_size=1), TypeError, "StepLR: str is not an Optimizer"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, factor=1.5), ValueError, "ReduceLROnPlateau: factor should be < 1.0"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, mode="up"), ValueError, "mode up is unknown!"),
    (lambda opt: lr_scheduler.LinearLR(opt, start_factor=0), ValueError, "LinearLR: start_factor"),
    (lambda opt: lr_scheduler.ConstantLR(opt, factor=2), ValueError, "Constant multiplicative factor"),
    (lambda opt: lr_scheduler.LambdaLR(opt, [scale_by_epoch]), ValueError, "Expected 2 lr_lambdas, but got 1"),
    (lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=1.0), ValueError, "OneCycleLR: you must define either total_steps"),
    (lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy="exp"), ValueError,
     "anneal_strategy must be one of 'cos' or 'linear'"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2)], milestones=[3]), ValueError,
     "expects number of schedulers provided to be one more"),
])
def test_bad_arguments(build, error, message):
    with pytest.raises(error, match=message):
        build(make_optimizer(nnmath))


def test_one_cycle_refuses_to_step_past_total_steps():
    opt = make_optimizer(nnmath)
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(2):
        scheduler.step()
    scheduler.step()  # step 3 is the last one
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        scheduler.step()
