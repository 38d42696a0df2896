"""Autograd misuse: backward where it cannot run, gradients of what does not require them, in-place
writes into what the graph needs, leaves and non-leaves confused."""
from __future__ import annotations

from differential import Case

CASES: list[Case] = []


def _leaf(lib, *shape):
    return lib.linspace(0.5, 1.5, _numel(shape)).reshape(shape).requires_grad_()


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _backward_twice(lib):
    x = _leaf(lib, 3)
    y = (x.exp() * x).sum()
    y.backward()
    y.backward()


def _grad_unused(lib):
    x, z = _leaf(lib, 3), _leaf(lib, 2)
    return lib.autograd.grad((x * 2).sum(), [x, z])


def _grad_unused_allowed(lib):
    x, z = _leaf(lib, 3), _leaf(lib, 2)
    return lib.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)


def _grad_non_scalar(lib):
    x = _leaf(lib, 3)
    return lib.autograd.grad(x * 2, x)


def _inplace_leaf(lib):
    x = _leaf(lib, 3)
    x.add_(1)


def _inplace_saved(lib):
    x = _leaf(lib, 3)
    y = x.exp()
    z = y.sum() * y  # exp saves its output
    y.mul_(2)
    z.sum().backward()


def _inplace_saved_sigmoid(lib):
    x = _leaf(lib, 3)
    y = x.sigmoid()
    y.add_(1)
    y.sum().backward()


def _inplace_unsaved_ok(lib):
    x = _leaf(lib, 3)
    y = x * 2
    y.add_(1)       # x * 2 by a constant saves nothing the in-place write changes
    y.sum().backward()
    return x.grad


def _inplace_view_of_leaf(lib):
    x = _leaf(lib, 4)
    x[:2].mul_(2)


def _set_requires_grad_non_leaf(lib):
    y = _leaf(lib, 3) * 2
    y.requires_grad = False


def _gradient_shape(lib):
    x = _leaf(lib, 3)
    (x * 2).backward(lib.ones(4))


def _gradient_dtype_ok(lib):
    x = _leaf(lib, 3)
    (x * 2).backward(lib.ones(3, dtype=lib.float64))
    return x.grad


def _non_leaf_grad(lib):
    y = _leaf(lib, 3) * 2
    y.sum().backward()
    return y.grad


def _no_grad_backward(lib):
    x = _leaf(lib, 3)
    with lib.no_grad():
        y = (x * 2).sum()
    y.backward()


def _detached_backward(lib):
    x = _leaf(lib, 3)
    (x * 2).detach().sum().backward()


def _numpy_of_grad_tensor(lib):
    return _leaf(lib, 3).numpy()


def _item_of_many(lib):
    return _leaf(lib, 3).item()


def _backward_lists_mismatch(lib):
    x = _leaf(lib, 2)
    lib.autograd.backward([(x * 2).sum(), (x * 3).sum()], [lib.tensor(1.0)])


def _grad_outputs_shape(lib):
    x = _leaf(lib, 3)
    return lib.autograd.grad(x * 2, x, grad_outputs=lib.ones(2))


def _grad_of_int_target(lib):
    x = _leaf(lib, 3)
    return lib.autograd.grad((x * 2).sum(), lib.ones(3))


def _retain_graph_ok(lib):
    x = _leaf(lib, 3)
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


def _accumulate_ok(lib):
    x = _leaf(lib, 3)
    (x ** 2).sum().backward()
    (x ** 2).sum().backward()
    return x.grad


def _zero_grad_none_ok(lib):
    x = _leaf(lib, 3)
    return x.grad


def _grad_assign_shape(lib):
    x = _leaf(lib, 3)
    x.grad = lib.ones(4)


def _grad_assign_dtype(lib):
    x = _leaf(lib, 3)
    x.grad = lib.ones(3, dtype=lib.float64)


def _requires_grad_on_non_leaf_true_ok(lib):
    y = _leaf(lib, 3) * 2
    y.requires_grad_(True)
    return y.requires_grad


def _retain_grad_ok(lib):
    y = _leaf(lib, 3) * 2
    y.retain_grad()
    (y ** 2).sum().backward()
    return y.grad


def _backward_on_leaf_non_scalar(lib):
    _leaf(lib, 2, 2).backward()


def _create_graph_ok(lib):
    x = _leaf(lib, 3)
    (g,) = lib.autograd.grad((x ** 3).sum(), x, create_graph=True)
    (h,) = lib.autograd.grad(g.sum(), x)
    return h


def _second_grad_without_graph(lib):
    x = _leaf(lib, 3)
    (g,) = lib.autograd.grad((x ** 3).sum(), x)
    return lib.autograd.grad(g.sum(), x)


def _function_wrong_grad_count(lib):
    class Twice(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * 2 + b

        @staticmethod
        def backward(ctx, g):
            return (g * 2,)          # one gradient for two inputs
    x, z = _leaf(lib, 3), _leaf(lib, 3)
    Twice.apply(x, z).sum().backward()


def _function_wrong_grad_shape(lib):
    class Twice(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g.sum()           # a scalar for a (3,) input
    x = _leaf(lib, 3)
    Twice.apply(x).sum().backward()
    return x.grad


def _detach_inplace_then_backward(lib):
    x = _leaf(lib, 3)
    y = x.exp()
    y.detach().zero_()           # shares memory and version with y
    y.sum().backward()


def _leaf_view_assign(lib):
    x = _leaf(lib, 3)
    x[0] = 5.0


def _no_grad_inplace_leaf_ok(lib):
    x = _leaf(lib, 3)
    with lib.no_grad():
        x.mul_(2)
    return x


def _grad_of_tensor_list_empty(lib):
    x = _leaf(lib, 3)
    return lib.autograd.grad((x * 2).sum(), [])


def _backward_int_tensor(lib):
    lib.tensor([1, 2]).sum().backward()


def _requires_grad_bool_tensor(lib):
    return lib.tensor([True, False], requires_grad=True)


def _jacobian_ok(lib):
    return lib.autograd.functional.jacobian(lambda v: v ** 2, lib.tensor([1.0, 2.0]))


def _jacobian_non_tensor_output(lib):
    return lib.autograd.functional.jacobian(lambda v: 3, lib.tensor([1.0, 2.0]))


def _hook_wrong_shape(lib):
    x = _leaf(lib, 3)
    x.register_hook(lambda g: lib.ones(4))
    (x * 2).sum().backward()


def _hook_on_non_grad(lib):
    lib.ones(3).register_hook(lambda g: g)


def _set_grad_enabled_ok(lib):
    x = _leaf(lib, 3)
    with lib.set_grad_enabled(False):
        y = x * 2
    return y.requires_grad


PROGRAMS = [
    ("backward-twice", _backward_twice, ("backward", "graph", "second time"), ("second time", "retain_graph")),
    ("grad-unused-input", _grad_unused, ("grad",), ("allow_unused", "1", "not have been used")),
    ("grad-unused-allowed-ok", _grad_unused_allowed, None, None),
    ("grad-non-scalar-output", _grad_non_scalar, ("grad",), ("scalar", "(3,)", "grad_outputs")),
    ("inplace-on-leaf", _inplace_leaf, ("add_", "in-place", "leaf"), ("leaf", "requires grad")),
    ("inplace-on-saved-exp", _inplace_saved, ("backward", "exp", "in-place", "inplace"), ("version", "modified")),
    ("inplace-on-saved-sigmoid", _inplace_saved_sigmoid, ("backward", "sigmoid", "in-place", "inplace"),
     ("version", "modified")),
    ("inplace-unsaved-ok", _inplace_unsaved_ok, None, None),
    ("inplace-view-of-leaf", _inplace_view_of_leaf, ("mul_", "in-place", "view", "leaf"), ("leaf", "view")),
    ("requires-grad-false-on-non-leaf", _set_requires_grad_non_leaf, ("requires_grad",), ("leaf", "non-leaf")),
    ("backward-gradient-shape", _gradient_shape, ("backward", "grad"), ("(4,)", "(3,)", "4", "3")),
    ("backward-gradient-float64-ok", _gradient_dtype_ok, None, None),
    ("non-leaf-grad-read", _non_leaf_grad, ("grad", "leaf"), ("non-leaf", "retain_grad")),
    ("backward-of-no-grad-result", _no_grad_backward, ("backward", "grad"), ("does not require grad", "grad_fn")),
    ("backward-of-detached", _detached_backward, ("backward", "grad"), ("does not require grad", "grad_fn")),
    ("numpy-of-requires-grad", _numpy_of_grad_tensor, ("numpy",), ("requires grad", "detach")),
    ("item-of-three", _item_of_many, ("item",), ("3", "one element")),
    ("backward-lists-mismatch", _backward_lists_mismatch, ("backward", "grad"), ("2", "1")),
    ("grad-outputs-shape", _grad_outputs_shape, ("grad",), ("(2,)", "(3,)", "2", "3")),
    ("grad-of-input-not-in-graph", _grad_of_int_target, ("grad",), ("does not require grad", "not have been used",
                                                                     "requires_grad")),
    ("retain-graph-ok", _retain_graph_ok, None, None),
    ("accumulate-ok", _accumulate_ok, None, None),
    ("grad-none-before-backward-ok", _zero_grad_none_ok, None, None),
    ("grad-assign-shape", _grad_assign_shape, ("grad",), ("(4,)", "(3,)", "[4]", "[3]")),
    ("grad-assign-dtype", _grad_assign_dtype, ("grad",), ("float64", "Double", "float32", "Float")),
    ("requires-grad-true-on-non-leaf-ok", _requires_grad_on_non_leaf_true_ok, None, None),
    ("retain-grad-ok", _retain_grad_ok, None, None),
    ("backward-non-scalar", _backward_on_leaf_non_scalar, ("backward", "grad"), ("scalar", "(2, 2)")),
    ("create-graph-ok", _create_graph_ok, None, None),
    ("second-grad-without-create-graph", _second_grad_without_graph, ("grad",), ("does not require grad", "grad_fn",
                                                                               "create_graph")),
    ("function-wrong-gradient-count", _function_wrong_grad_count, ("backward", "Twice"), ("2", "1")),
    ("function-wrong-gradient-shape", _function_wrong_grad_shape, ("backward", "Twice"), ("(3,)", "[3]", "()", "[]")),
    ("detach-inplace-then-backward", _detach_inplace_then_backward, ("backward", "exp", "in-place", "inplace"),
     ("version", "modified")),
    ("setitem-on-leaf", _leaf_view_assign, ("setitem", "in-place", "copy_", "leaf"), ("leaf",)),
    ("no-grad-inplace-leaf-ok", _no_grad_inplace_leaf_ok, None, None),
    ("grad-empty-inputs", _grad_of_tensor_list_empty, ("grad",), ("empty", "inputs")),
    ("backward-of-int-sum", _backward_int_tensor, ("backward", "grad"), ("does not require grad", "grad_fn")),
    ("requires-grad-bool", _requires_grad_bool_tensor, ("requires_grad", "tensor"), ("bool", "Bool", "floating")),
    ("jacobian-ok", _jacobian_ok, None, None),
    ("jacobian-non-tensor-output", _jacobian_non_tensor_output, ("jacobian",), ("int", "Tensor")),
    ("hook-returns-wrong-shape", _hook_wrong_shape, ("hook",), ("(4,)", "(3,)", "[4]", "[3]")),
    ("hook-on-tensor-without-grad", _hook_on_non_grad, ("hook",), ("require",)),
    ("set-grad-enabled-ok", _set_grad_enabled_ok, None, None),
]
for name, program, op, values in PROGRAMS:
    CASES.append(Case(f"autograd/{name}", program, op is not None, op or (), values or ()))
