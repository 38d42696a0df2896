"""Optimisers and schedulers: hyper-parameters out of range, parameters of the wrong kind, state that
does not fit; and valid edge cases (steps without gradients, zero learning rate)."""
from __future__ import annotations

from differential import Case

CASES: list[Case] = []


def _params(lib):
    return [lib.linspace(-1.0, 1.0, 6).reshape(2, 3).requires_grad_(), lib.zeros(3, requires_grad=True)]


def _make(name, **kwargs):
    return lambda lib: getattr(lib.optim, name)(_params(lib), **kwargs)


def _stepped(name, **kwargs):
    """Two steps on a quadratic: the parameters after them (for the valid edge cases)."""
    def program(lib):
        params = _params(lib)
        optimizer = getattr(lib.optim, name)(params, **kwargs)
        for _ in range(2):
            optimizer.zero_grad()
            sum(((p - 0.5) ** 2).sum() for p in params).backward()
            optimizer.step()
        return params
    return program


# (optimizer, keyword, bad value, the words a clear message names).
BAD_HYPERPARAMETERS = [
    ("SGD", "lr", -0.1), ("SGD", "momentum", -0.5), ("SGD", "weight_decay", -1.0), ("SGD", "dampening", 0.5),
    ("Adam", "lr", -1e-3), ("Adam", "betas", (1.0, 0.999)), ("Adam", "betas", (0.9, -0.1)), ("Adam", "eps", -1e-8),
    ("Adam", "weight_decay", -0.1),
    ("AdamW", "lr", -1e-3), ("AdamW", "betas", (0.9, 1.5)), ("AdamW", "eps", -1.0), ("AdamW", "weight_decay", -0.01),
    ("RMSprop", "lr", -0.01), ("RMSprop", "alpha", -0.9), ("RMSprop", "eps", -1e-8), ("RMSprop", "momentum", -0.1),
    ("RMSprop", "weight_decay", -1.0),
    ("Adagrad", "lr", -0.01), ("Adagrad", "lr_decay", -0.1), ("Adagrad", "eps", -1e-10),
    ("Adagrad", "initial_accumulator_value", -1.0), ("Adagrad", "weight_decay", -1.0),
    ("Adadelta", "lr", -1.0), ("Adadelta", "rho", 1.5), ("Adadelta", "eps", -1e-6), ("Adadelta", "weight_decay", -1.0),
    ("Adamax", "lr", -2e-3), ("Adamax", "betas", (1.0, 0.999)), ("Adamax", "eps", -1.0),
    ("NAdam", "lr", -2e-3), ("NAdam", "betas", (0.9, 1.0)), ("NAdam", "momentum_decay", -0.004),
]
for optimizer, key, value in BAD_HYPERPARAMETERS:
    extra = {"momentum": 0.9} if key == "dampening" else {}
    kwargs = {key: value, **({} if key != "dampening" else {"nesterov": True}), **extra}
    named = {"lr": "learning rate", "betas": "beta", "eps": "epsilon", "weight_decay": "weight_decay",
             "momentum": "momentum", "alpha": "alpha", "lr_decay": "lr_decay", "dampening": "dampening",
             "initial_accumulator_value": "initial_accumulator_value", "rho": "rho",
             "momentum_decay": "momentum_decay"}[key]
    shown = [str(value)] + ([str(v) for v in value] if isinstance(value, tuple) else [])
    CASES.append(Case(f"optim/{optimizer}-{key}-{value}".replace(" ", ""), _make(optimizer, **kwargs), True,
                      (optimizer, key, named), tuple(shown)))

VALID = [
    ("SGD-lr-zero-ok", _stepped("SGD", lr=0.0)),
    ("SGD-momentum-nesterov-ok", _stepped("SGD", lr=0.1, momentum=0.9, nesterov=True)),
    ("Adam-amsgrad-ok", _stepped("Adam", lr=0.1, amsgrad=True)),
    ("Adam-betas-zero-ok", _stepped("Adam", lr=0.1, betas=(0.0, 0.0))),
    ("AdamW-zero-decay-ok", _stepped("AdamW", lr=0.1, weight_decay=0.0)),
    ("RMSprop-centered-ok", _stepped("RMSprop", lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad-ok", _stepped("Adagrad", lr=0.1, lr_decay=0.01)),
    ("Adadelta-rho-zero-ok", _stepped("Adadelta", rho=0.0)),
    ("Adamax-ok", _stepped("Adamax", lr=0.1)),
    ("NAdam-ok", _stepped("NAdam", lr=0.1)),
    ("SGD-maximize-ok", _stepped("SGD", lr=0.1, maximize=True)),
    ("Adam-tensor-lr-ok", lambda lib: _stepped("Adam", lr=lib.tensor(0.01))(lib)),
]
for name, program in VALID:
    CASES.append(Case(f"optim/{name}", program, False))


def _step_without_grads(lib):
    params = _params(lib)
    lib.optim.Adam(params, lr=0.1).step()
    return params


def _partial_grads(lib):
    params = _params(lib)
    optimizer = lib.optim.SGD(params, lr=0.1, momentum=0.9)
    (params[0] ** 2).sum().backward()
    optimizer.step()
    return params


def _duplicate_in_group(lib):
    p = _params(lib)[0]
    return lib.optim.SGD([p, p], lr=0.1)


def _duplicate_across_groups(lib):
    p = _params(lib)[0]
    return lib.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


def _add_group_overlap(lib):
    p = _params(lib)
    optimizer = lib.optim.SGD([p[0]], lr=0.1)
    optimizer.add_param_group({"params": [p[0]]})


def _add_group_missing_lr(lib):
    optimizer = lib.optim.SGD(_params(lib)[:1])  # no default lr: SGD's default (1e-3) applies
    return optimizer.param_groups[0]["lr"]


def _load_state_wrong_groups(lib):
    a = lib.optim.SGD(_params(lib), lr=0.1)
    b = lib.optim.SGD([{"params": _params(lib)[:1]}, {"params": _params(lib)[1:]}], lr=0.1)
    b.load_state_dict(a.state_dict())


def _load_state_wrong_sizes(lib):
    a = lib.optim.SGD(_params(lib), lr=0.1)
    b = lib.optim.SGD(_params(lib)[:1], lr=0.1)
    b.load_state_dict(a.state_dict())


def _non_leaf(lib):
    return lib.optim.SGD([_params(lib)[0] * 2], lr=0.1)


def _tensor_not_list(lib):
    return lib.optim.SGD(_params(lib)[0], lr=0.1)


def _empty(lib):
    return lib.optim.Adam([], lr=0.1)


def _not_tensors(lib):
    return lib.optim.SGD([1.0, 2.0], lr=0.1)


def _set_params_generator_ok(lib):
    model = lib.nn.Linear(2, 2)
    return len(lib.optim.SGD(model.parameters(), lr=0.1).param_groups[0]["params"])


def _group_unknown_key_ok(lib):
    optimizer = lib.optim.SGD([{"params": _params(lib), "tag": "x"}], lr=0.1)
    return optimizer.param_groups[0]["tag"]


def _sparse_grad_error(lib):
    params = _params(lib)
    optimizer = lib.optim.Adam(params, lr=0.1)
    params[0].grad = lib.ones(3, 3)
    optimizer.step()


def _scheduler_wrong_optimizer(lib):
    return lib.optim.lr_scheduler.StepLR("not an optimizer", step_size=2)


def _lambda_lr_count(lib):
    optimizer = lib.optim.SGD([{"params": _params(lib)[:1]}, {"params": _params(lib)[1:]}], lr=0.1)
    return lib.optim.lr_scheduler.LambdaLR(optimizer, [lambda e: 1.0] * 3)


def _learning_rates(make_scheduler, epochs):
    """The learning rate after each of ``epochs`` steps of the scheduler ``make_scheduler(optimizer)``."""
    def program(lib):
        optimizer = lib.optim.SGD(_params(lib), lr=0.1)
        scheduler = make_scheduler(lib, optimizer)
        lrs = []
        for _ in range(epochs):
            optimizer.step()
            scheduler.step()
            lrs.append(optimizer.param_groups[0]["lr"])
        return lrs
    return program


_multistep_unsorted = _learning_rates(
    lambda lib, optimizer: lib.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[5, 2], gamma=0.1), 6)
_cosine_ok = _learning_rates(lambda lib, optimizer: lib.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=3), 5)


def _onecycle_total_steps(lib):
    optimizer = lib.optim.SGD(_params(lib), lr=0.1)
    scheduler = lib.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=2)
    for _ in range(3):
        optimizer.step()
        scheduler.step()


def _onecycle_no_total(lib):
    return lib.optim.lr_scheduler.OneCycleLR(lib.optim.SGD(_params(lib), lr=0.1), max_lr=1.0)


def _reduce_on_plateau_mode(lib):
    return lib.optim.lr_scheduler.ReduceLROnPlateau(lib.optim.SGD(_params(lib), lr=0.1), mode="up")


def _reduce_on_plateau_factor(lib):
    return lib.optim.lr_scheduler.ReduceLROnPlateau(lib.optim.SGD(_params(lib), lr=0.1), factor=1.5)


def _linear_lr_factor(lib):
    return lib.optim.lr_scheduler.LinearLR(lib.optim.SGD(_params(lib), lr=0.1), start_factor=0.0)


def _clip_grad_nan(lib):
    params = _params(lib)
    params[0].grad = lib.full((2, 3), float("nan"))
    return lib.nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


def _clip_grad_ok(lib):
    params = _params(lib)
    for p in params:
        p.grad = lib.ones_like(p) * 3
    norm = lib.nn.utils.clip_grad_norm_(params, 1.0)
    return norm, [p.grad for p in params]


def _clip_grad_no_grads_ok(lib):
    return lib.nn.utils.clip_grad_norm_(_params(lib), 1.0)


def _cosine_t_max_zero(lib):
    optimizer = lib.optim.SGD([lib.ones(2, requires_grad=True)], lr=0.1)
    lib.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=0).step()


def _lbfgs_groups(lib):
    return lib.optim.LBFGS([{"params": [lib.ones(2, requires_grad=True)]},
                            {"params": [lib.ones(1, requires_grad=True)]}])


OTHER = [
    ("step-without-gradients-ok", _step_without_grads, None, None),
    ("step-with-some-gradients-ok", _partial_grads, None, None),
    ("duplicate-parameter-in-group", _duplicate_in_group, ("SGD", "optimizer", "param"), ("duplicate", "twice",
                                                                                         "appear")),
    ("duplicate-parameter-across-groups", _duplicate_across_groups, ("SGD", "optimizer", "param"),
     ("more than one", "twice", "several")),
    ("add-param-group-overlap", _add_group_overlap, ("add_param_group", "SGD"), ("more than one", "twice", "several")),
    ("default-lr-ok", _add_group_missing_lr, None, None),
    ("load-state-dict-group-count", _load_state_wrong_groups, ("load_state_dict",), ("1", "2", "groups")),
    ("load-state-dict-group-sizes", _load_state_wrong_sizes, ("load_state_dict",), ("1", "2", "size")),
    ("non-leaf-parameter", _non_leaf, ("SGD", "optimizer", "optimize"), ("leaf", "non-leaf")),
    ("tensor-instead-of-list", _tensor_not_list, ("SGD", "optimizer", "params"), ("iterable", "Tensor")),
    ("empty-parameter-list", _empty, ("Adam", "optimizer"), ("empty",)),
    ("floats-as-parameters", _not_tensors, ("SGD", "optimizer", "optimize"), ("float", "Tensor")),
    ("generator-of-parameters-ok", _set_params_generator_ok, None, None),
    ("group-extra-key-ok", _group_unknown_key_ok, None, None),
    ("grad-shape-mismatch", _sparse_grad_error, ("grad", "Adam"), ("(3, 3)", "(2, 3)", "[3, 3]", "[2, 3]")),
    ("scheduler-of-a-string", _scheduler_wrong_optimizer, ("StepLR", "scheduler"), ("str", "Optimizer")),
    ("lambda-lr-count", _lambda_lr_count, ("LambdaLR", "lr_lambda"), ("3", "2")),
    ("multistep-unsorted-ok", _multistep_unsorted, None, None),
    ("onecycle-past-total", _onecycle_total_steps, ("OneCycleLR", "step"), ("2", "3", "total_steps")),
    ("onecycle-without-total", _onecycle_no_total, ("OneCycleLR",), ("total_steps", "epochs")),
    ("plateau-bad-mode", _reduce_on_plateau_mode, ("ReduceLROnPlateau", "mode"), ("up",)),
    ("plateau-factor-above-one", _reduce_on_plateau_factor, ("ReduceLROnPlateau", "factor"), ("1.5", "1.0")),
    ("linear-lr-start-zero", _linear_lr_factor, ("LinearLR", "start_factor"), ("0", "start_factor")),
    ("cosine-past-t-max-ok", _cosine_ok, None, None),
    ("clip-grad-non-finite", _clip_grad_nan, ("clip_grad_norm", "norm"), ("nan", "non-finite", "error_if_nonfinite")),
    ("clip-grad-ok", _clip_grad_ok, None, None),
    ("clip-grad-no-grads-ok", _clip_grad_no_grads_ok, None, None),
    ("cosine-t-max-zero", _cosine_t_max_zero, ("CosineAnnealingLR",), ("T_max=0",)),
    ("lbfgs-parameter-groups", _lbfgs_groups, ("LBFGS",), ("parameter groups",)),
    ("adam-params-dict", lambda lib: lib.optim.Adam({"w": lib.ones(2, requires_grad=True)}), ("Adam", "optimize"),
     ("str",)),
]
for name, program, op, values in OTHER:
    CASES.append(Case(f"optim/{name}", program, op is not None, op or (), values or ()))
