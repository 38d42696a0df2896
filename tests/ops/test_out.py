"""``out=``: every public function that accepts it writes its result into the given tensor as PyTorch
does (same values and dtype, ``out`` returned, resized to the result's shape with a warning when it had
elements, refused when the result's dtype cannot be cast to out's or when autograd would be needed)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import nnmath

torch = pytest.importorskip("torch")

SPD = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
VEC = np.array([1.0, -2.0, 3.0])


def t(lib, a):
    return lib.tensor(np.asarray(a, dtype=np.float32))


# name: (call(lib, out), out's dtype name, number of outputs)
CALLS = {
    "add": (lambda m, out: m.add(t(m, VEC), t(m, VEC), alpha=2, out=out), "float32", 1),
    "sub": (lambda m, out: m.sub(t(m, VEC), 1.5, out=out), "float32", 1),
    "mul": (lambda m, out: m.mul(t(m, VEC), t(m, VEC), out=out), "float32", 1),
    "div": (lambda m, out: m.div(t(m, VEC), 4, out=out), "float32", 1),
    "div floor into float64": (lambda m, out: m.div(t(m, VEC), 4, rounding_mode="floor", out=out), "float64", 1),
    "normalize": (lambda m, out: m.nn.functional.normalize(t(m, SPD), dim=0, out=out), "float32", 1),
    "tensordot": (lambda m, out: m.tensordot(t(m, SPD), t(m, SPD), 1, out=out), "float32", 1),
    "linalg.cholesky": (lambda m, out: m.linalg.cholesky(t(m, SPD), out=out), "float32", 1),
    "linalg.qr": (lambda m, out: m.linalg.qr(t(m, SPD), out=out), "float32", 2),
    "linalg.eigh": (lambda m, out: m.linalg.eigh(t(m, SPD), out=out), "float32", 2),
    "linalg.eigvalsh": (lambda m, out: m.linalg.eigvalsh(t(m, SPD), out=out), "float32", 1),
    "linalg.svd": (lambda m, out: m.linalg.svd(t(m, SPD), out=out), "float32", 3),
    "linalg.svdvals": (lambda m, out: m.linalg.svdvals(t(m, SPD), out=out), "float32", 1),
    "linalg.pinv": (lambda m, out: m.linalg.pinv(t(m, SPD), out=out), "float32", 1),
    "linalg.matrix_rank": (lambda m, out: m.linalg.matrix_rank(t(m, SPD), out=out), "int64", 1),
    "linalg.cross": (lambda m, out: m.linalg.cross(t(m, VEC), t(m, VEC[::-1].copy()), out=out), "float32", 1),
    "linalg.multi_dot": (lambda m, out: m.linalg.multi_dot([t(m, SPD), t(m, SPD), t(m, SPD)], out=out), "float32", 1),
    "linalg.vecdot": (lambda m, out: m.linalg.vecdot(t(m, SPD), t(m, SPD), out=out), "float32", 1),
    "linalg.inv": (lambda m, out: m.linalg.inv(t(m, SPD), out=out), "float32", 1),
    "linalg.det": (lambda m, out: m.linalg.det(t(m, SPD), out=out), "float32", 1),
    "linalg.slogdet": (lambda m, out: m.linalg.slogdet(t(m, SPD), out=out), "float32", 2),
    "linalg.matrix_power": (lambda m, out: m.linalg.matrix_power(t(m, SPD), 3, out=out), "float32", 1),
    "linalg.vector_norm": (lambda m, out: m.linalg.vector_norm(t(m, SPD), 3, dim=1, out=out), "float32", 1),
    "linalg.matrix_norm": (lambda m, out: m.linalg.matrix_norm(t(m, SPD), out=out), "float32", 1),
    "linalg.norm": (lambda m, out: m.linalg.norm(t(m, VEC), out=out), "float32", 1),
    "linalg.cond": (lambda m, out: m.linalg.cond(t(m, SPD), out=out), "float32", 1),
    "linalg.solve": (lambda m, out: m.linalg.solve(t(m, SPD), t(m, VEC), out=out), "float32", 1),
    "linalg.solve_triangular": (lambda m, out: m.linalg.solve_triangular(
        t(m, np.triu(SPD)), t(m, SPD), upper=True, out=out), "float32", 1),
    "zeros": (lambda m, out: m.zeros(2, 3, out=out), "int64", 1),
    "ones": (lambda m, out: m.ones((2, 3), out=out), "float64", 1),
    "full": (lambda m, out: m.full((2,), 7, out=out), "int64", 1),
    "arange": (lambda m, out: m.arange(0, 5, 2, out=out), "float32", 1),
    "linspace": (lambda m, out: m.linspace(0, 1, 5, out=out), "float64", 1),
    "eye": (lambda m, out: m.eye(3, 2, out=out), "float32", 1),
    "matmul": (lambda m, out: m.matmul(t(m, SPD), t(m, SPD), out=out), "float32", 1),
    "mm": (lambda m, out: m.mm(t(m, SPD), t(m, SPD), out=out), "float32", 1),
    "bmm": (lambda m, out: m.bmm(t(m, SPD[None]), t(m, SPD[None]), out=out), "float32", 1),
    "mv": (lambda m, out: m.mv(t(m, SPD), t(m, VEC), out=out), "float32", 1),
    "dot": (lambda m, out: m.dot(t(m, VEC), t(m, VEC), out=out), "float32", 1),
    "outer": (lambda m, out: m.outer(t(m, VEC), t(m, VEC), out=out), "float32", 1),
    "cat": (lambda m, out: m.cat([t(m, SPD), t(m, SPD[:1])], 0, out=out), "float32", 1),
    "stack": (lambda m, out: m.stack([t(m, VEC), t(m, VEC)], 1, out=out), "float64", 1),
}
# the elementwise functions of one tensor, on values inside every one's domain (acosh: 1 + those)
UNARY = "acos acosh asin asinh atan atanh cos cosh exp expm1 log log1p rsqrt sin sinh sqrt tan".split()
CALLS.update({name: (lambda m, out, name=name: getattr(m, name)(t(m, VEC / 4 % 1 + (name == "acosh")), out=out),
                     "float32", 1) for name in UNARY})
RANDOM = {  # values differ between the libraries: shape, dtype and identity only
    "empty": (lambda m, out: m.empty(2, 3, out=out), "float32", 1),
    "rand": (lambda m, out: m.rand(4, out=out), "float64", 1),
    "randn": (lambda m, out: m.randn(2, 2, out=out), "float32", 1),
}


def _outs(lib, dtype, n, shape=(0,)):
    made = tuple(lib.zeros(shape, dtype=getattr(lib, dtype)) for _ in range(n))
    return made if n > 1 else made[0]


def _as_list(r):
    return list(r) if isinstance(r, tuple) else [r]


@pytest.mark.parametrize("name", sorted(CALLS))
def test_out_gets_the_result_as_in_pytorch(name):
    call, dtype, n = CALLS[name]
    ours, theirs = _outs(nnmath, dtype, n), _outs(torch, dtype, n)
    got, want = call(nnmath, ours), call(torch, theirs)
    for g, o, w in zip(_as_list(got), _as_list(ours), _as_list(want)):
        assert g is o, "the out= tensor itself is returned"
        assert str(o.dtype).split(".")[-1] == str(w.dtype).split(".")[-1]
        # Decompositions are unique only up to signs: compare magnitudes for Q, U, V and eigenvectors.
        a, b = o.numpy(), w.numpy()
        if name in ("linalg.qr", "linalg.eigh", "linalg.svd"):
            a, b = np.abs(a), np.abs(b)
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)   # float32 linear algebra


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_out_of_random_and_empty_creation(name):
    call, dtype, _ = RANDOM[name]
    out = nnmath.zeros(0, dtype=getattr(nnmath, dtype))
    assert call(nnmath, out) is out
    want = call(torch, torch.zeros(0, dtype=getattr(torch, dtype)))
    assert tuple(out.shape) == tuple(want.shape) and out.dtype.name == dtype


def test_an_out_with_elements_is_resized_with_a_warning():
    out = nnmath.zeros(5)
    with pytest.warns(UserWarning, match="resized"):
        nnmath.add(nnmath.ones(2), 1, out=out)
    np.testing.assert_array_equal(out.numpy(), [2.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nnmath.add(nnmath.ones(3), 1, out=nnmath.zeros(0))     # zero elements: silently
        nnmath.add(nnmath.ones(3), 1, out=nnmath.zeros(3))     # right shape: silently


def test_out_bumps_the_version_and_shares_with_views():
    out = nnmath.zeros(3)
    view = out[1:]
    nnmath.mul(nnmath.ones(3), 4, out=out)
    assert out._version == 1
    np.testing.assert_array_equal(view.numpy(), [4.0, 4.0])


REFUSED = {
    "float result into an int64 out": lambda m: m.add(m.ones(2), 1.5, out=m.zeros(2, dtype=m.int64)),
    "an input requires grad": lambda m: m.mul(m.ones(2, requires_grad=True), 2, out=m.zeros(2)),
    "creation dtype differs from out's": lambda m: m.zeros(2, dtype=m.float32, out=m.zeros(2, dtype=m.int64)),
    "linalg result into an int out": lambda m: m.linalg.inv(m.eye(2), out=m.zeros(2, 2, dtype=m.int64)),
    "matmul into a wider out": lambda m: m.matmul(m.ones(2, 2), m.ones(2, 2), out=m.zeros(2, 2, dtype=m.float64)),
    "dot into a wider out": lambda m: m.dot(m.ones(2), m.ones(2), out=m.zeros((), dtype=m.float64)),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_out_refused_as_by_pytorch(name):
    with pytest.raises(RuntimeError):
        REFUSED[name](torch)
    with pytest.raises(RuntimeError, match="out|cast"):
        REFUSED[name](nnmath)


def test_under_no_grad_out_is_allowed_for_inputs_that_require_grad():
    x = nnmath.ones(2, requires_grad=True)
    out = nnmath.zeros(2)
    with nnmath.no_grad():
        nnmath.mul(x, 3, out=out)
    np.testing.assert_array_equal(out.numpy(), [3.0, 3.0])


def test_every_function_with_an_out_parameter_is_in_this_table():
    """A new function taking ``out=`` must be added here (and so be shown to honour it)."""
    import inspect
    names = set()
    for module, prefix in ((nnmath, ""), (nnmath.linalg, "linalg."), (nnmath.nn.functional, "")):
        for name in dir(module):
            fn = getattr(module, name)
            if callable(fn) and not isinstance(fn, type):
                try:
                    params = inspect.signature(fn).parameters
                except (TypeError, ValueError):
                    continue
                if "out" in params and params["out"].default is None:   # an optional out=, as PyTorch's
                    names.add(prefix + fn.__name__)
    tested = {n.split()[0] for n in CALLS} | set(RANDOM)
    aliases = {"subtract", "multiply", "divide", "true_divide", "norm"}  # the same functions as tested ones
    assert names - tested - aliases == set()
