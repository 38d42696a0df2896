"""The Tensor itself: creation functions, its API, the device API, repr and the in-place ops'
version counter, each compared with PyTorch where PyTorch defines the behaviour."""
from __future__ import annotations

import numpy as np
import pytest

import nnmath

torch = pytest.importorskip("torch")


def dtype_name(t):
    return str(t.dtype).split(".")[-1]


def same(ours, theirs):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert dtype_name(ours) == dtype_name(theirs)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# --- creation ---------------------------------------------------------------------------------

CREATION_CASES = {
    "tensor int list": lambda m: m.tensor([1, 2]),
    "tensor float list": lambda m: m.tensor([1.0, 2]),
    "tensor mixed nested": lambda m: m.tensor([[1, 2.5], [3, 4]]),
    "tensor bool": lambda m: m.tensor([True, False]),
    "tensor scalar": lambda m: m.tensor(3.5),
    "tensor empty": lambda m: m.tensor([]),
    "tensor explicit dtype": lambda m: m.tensor([1, 2], dtype=m.float64),
    "tensor from float64 numpy": lambda m: m.tensor(np.array([0.5, 1.5])),
    "as_tensor": lambda m: m.as_tensor([1, 2, 3]),
    "zeros varargs": lambda m: m.zeros(2, 3),
    "zeros tuple": lambda m: m.zeros((2, 3), dtype=m.int32),
    "ones": lambda m: m.ones(3),
    "full int": lambda m: m.full((2,), 3),
    "full float": lambda m: m.full((2,), 3.0),
    "full bool": lambda m: m.full((2,), True),
    "full dtype": lambda m: m.full((2, 2), 7, dtype=m.float64),
    "zeros_like": lambda m: m.zeros_like(m.tensor([[1.5]])),
    "ones_like int": lambda m: m.ones_like(m.tensor([1, 2])),
    "full_like": lambda m: m.full_like(m.tensor([1.0, 2.0]), 7),
    "arange int": lambda m: m.arange(5),
    "arange start end": lambda m: m.arange(2, 7),
    "arange float start": lambda m: m.arange(0.0, 5),
    "arange float step": lambda m: m.arange(0, 1, 0.25),
    "arange negative step": lambda m: m.arange(5, 0, -2),
    "linspace": lambda m: m.linspace(0, 1, 5),
    "linspace one step": lambda m: m.linspace(2, 3, 1),
    "eye": lambda m: m.eye(3),
    "eye rectangular": lambda m: m.eye(2, 3),
}


@pytest.mark.parametrize("name", sorted(CREATION_CASES))
def test_creation_matches_pytorch(name):
    same(CREATION_CASES[name](nnmath), CREATION_CASES[name](torch))


def test_empty_has_shape_and_dtype():
    x = nnmath.empty(2, 3)
    assert tuple(x.shape) == (2, 3) and x.dtype == nnmath.float32
    assert nnmath.empty((4,), dtype=nnmath.int64).dtype == nnmath.int64


def test_from_numpy_shares_memory_and_tensor_copies():
    array = np.arange(3.0)
    shared = nnmath.from_numpy(array)
    copied = nnmath.tensor(array)
    as_t = nnmath.as_tensor(array)
    array[0] = 9.0
    assert shared.dtype == nnmath.float64
    assert shared[0].item() == 9.0 and as_t[0].item() == 9.0
    assert copied[0].item() == 0.0
    shared.add_(1)    # and the other way round
    assert array[1] == 2.0


@pytest.mark.parametrize("name,make", [
    ("rand", lambda: nnmath.rand(2, 3)),
    ("randn", lambda: nnmath.randn(4)),
    ("randint", lambda: nnmath.randint(0, 10, (20,))),
    ("randint high only", lambda: nnmath.randint(5, (20,))),
    ("randperm", lambda: nnmath.randperm(6)),
])
def test_random_creation_shapes_dtypes_and_reproducibility(name, make):
    nnmath.manual_seed(123)
    first = make()
    nnmath.manual_seed(123)
    second = make()
    np.testing.assert_array_equal(first.numpy(), second.numpy())
    third = make()
    assert not np.array_equal(first.numpy(), third.numpy()), "the generator must move on"
    expected = {"rand": ("float32", (2, 3)), "randn": ("float32", (4,)), "randint": ("int64", (20,)),
                "randint high only": ("int64", (20,)), "randperm": ("int64", (6,))}[name]
    assert (dtype_name(first), tuple(first.shape)) == expected


def test_random_value_ranges():
    nnmath.manual_seed(0)
    u = nnmath.rand(10_000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    # mean of n uniforms: standard error 1/√(12n) ≈ 0.003, so 0.02 is > 6 standard errors.
    assert abs(u.mean() - 0.5) < 0.02
    n = nnmath.randn(10_000).numpy()
    assert abs(n.mean()) < 0.06 and abs(n.std() - 1) < 0.06
    k = nnmath.randint(3, 7, (1000,)).numpy()
    assert set(np.unique(k)) == {3, 4, 5, 6}
    assert sorted(nnmath.randperm(10).tolist()) == list(range(10))


def test_generator_is_independent_of_the_global_seed():
    g = nnmath.Generator().manual_seed(7)
    a = nnmath.rand(3, generator=g)
    nnmath.manual_seed(999)
    nnmath.rand(5)
    g2 = nnmath.Generator()
    g2.manual_seed(7)
    b = nnmath.rand(3, generator=g2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


# --- tensor API -------------------------------------------------------------------------------

def test_shape_size_dim_numel_item_tolist():
    for lib in (nnmath, torch):
        t = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        assert tuple(t.shape) == (2, 3) and tuple(t.size()) == (2, 3)
        assert t.size(1) == 3 and t.size(-2) == 2
        assert t.dim() == 2 and t.ndim == 2 and t.numel() == 6
        assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
        assert t[1, 2].item() == 6.0 and isinstance(t[1, 2].item(), float)
        assert isinstance(lib.tensor([3]).item(), int)
        assert lib.tensor(2.5).tolist() == 2.5
    assert nnmath.ones(2, 3).shape == (2, 3)


def test_numpy_raises_when_requires_grad_and_detach_shares():
    x = nnmath.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"can't call numpy\(\) on a Tensor that requires grad"):
        x.numpy()
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d.numpy()[0] = 5.0           # detach shares memory, as in PyTorch
    assert x.detach().numpy()[0] == 5.0
    assert x.is_leaf and not (x * 2).is_leaf


@pytest.mark.parametrize("convert", ["to(float64)", "to(int64)", "float", "double", "long", "int", "bool"])
def test_dtype_conversions_match_pytorch(convert):
    def apply(lib):
        t = lib.tensor([[1.7, -2.2], [0.0, 3.5]])
        return {"to(float64)": lambda: t.to(lib.float64), "to(int64)": lambda: t.to(lib.int64),
                "float": t.float, "double": t.double, "long": t.long, "int": t.int, "bool": t.bool}[convert]()
    same(apply(nnmath), apply(torch))


def test_to_same_dtype_is_the_same_tensor():
    x = nnmath.ones(2)
    assert x.to(nnmath.float32) is x
    assert x.to(nnmath.float32, copy=True) is not x


def test_device_api():
    assert str(nnmath.device("cpu")) == "cpu"
    x = nnmath.ones(2)
    assert str(x.device) == "cpu"
    assert x.device == nnmath.device("cpu")
    assert x.to("cpu") is x
    assert x.to(nnmath.device("cpu"), nnmath.float64).dtype == nnmath.float64
    with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
        x.to("cuda")
    assert nnmath.accelerator.is_available() is False


REPR_CASES = {
    "float vector": lambda m: m.tensor([1.5, -2.25, 100.0]),
    "whole floats": lambda m: m.tensor([[1.0, 2.0], [3.0, 4.0]]),
    "scientific": lambda m: m.tensor([1e-8, 1e8]),
    "int": lambda m: m.tensor([1, 2]),
    "int32": lambda m: m.tensor([1, 2], dtype=m.int32),
    "bool": lambda m: m.tensor([True, False]),
    "scalar": lambda m: m.tensor(-0.5),
    "float64": lambda m: m.tensor([0.1, 0.25], dtype=m.float64),
    "empty": lambda m: m.zeros(0),
    "empty 2-d": lambda m: m.zeros(2, 0),
    "3-d": lambda m: m.tensor([[[1, 2]], [[3, 4]]]),
    "long rows": lambda m: m.arange(12.0).reshape(3, 4) / 7,
    "requires_grad": lambda m: m.tensor(3.0, requires_grad=True),
    # the width and the style come from the nonzero finite values only (PyTorch's _Formatter)
    "negative zeros": lambda m: m.tensor([[-0.0, -0.0, 1.0, -0.0], [0.0, -0.0, 0.0, 1.0]]),
    "negative zero and decimals": lambda m: m.tensor([-0.0, 1.5]),
    "infinity beside an integer": lambda m: m.tensor([float("inf"), 1.0, float("nan")]),
    "integers 1000 apart": lambda m: m.tensor([1.0, 2000.0]),
    "only zeros": lambda m: m.tensor([0.0, -0.0]),
}


@pytest.mark.parametrize("name", sorted(REPR_CASES))
def test_repr_like_pytorch(name):
    assert repr(REPR_CASES[name](nnmath)) == repr(REPR_CASES[name](torch)).replace("torch.", "nnmath.")


def test_repr_names_the_grad_fn():
    y = nnmath.tensor([1.0, 2.0], requires_grad=True) * 2
    assert repr(y) == "tensor([2., 4.], grad_fn=<MulBackward>)"


# --- in-place ops bump the version counter ----------------------------------------------------

INPLACE_OPS = {
    "add_": lambda t: t.add_(1.0),
    "mul_": lambda t: t.mul_(2.0),
    "zero_": lambda t: t.zero_(),
    "copy_": lambda t: t.copy_(torch.tensor([5.0, 6.0, 7.0]) if isinstance(t, torch.Tensor)
                               else nnmath.tensor([5.0, 6.0, 7.0])),
    "fill_": lambda t: t.fill_(4.0),
    "clamp_": lambda t: t.clamp_(0.0, 1.5),
    "setitem": lambda t: t.__setitem__(1, 9.0),
    "iadd": lambda t: t.__iadd__(2.0),
}


@pytest.mark.parametrize("name", sorted(INPLACE_OPS))
def test_inplace_ops_modify_in_place_and_bump_the_version(name):
    results = []
    for lib in (nnmath, torch):
        t = lib.tensor([-1.0, 0.5, 2.0])
        view = t[1:]
        before = t._version
        returned = INPLACE_OPS[name](t)
        assert returned is None or returned is t
        assert t._version > before
        assert view._version == t._version, "a view shares its base's version counter"
        results.append((t.numpy().copy(), view.numpy().copy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_inplace_op_through_a_view_changes_the_base():
    t = nnmath.zeros(4)
    t[1:3].fill_(2.0)
    np.testing.assert_array_equal(t.numpy(), [0.0, 2.0, 2.0, 0.0])


# --- print options ------------------------------------------------------------------------------

@pytest.fixture
def restore_printoptions():
    yield
    nnmath.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


@pytest.mark.parametrize("options", [dict(precision=2), dict(sci_mode=True), dict(profile="short"),
                                     dict(linewidth=20), dict(precision=6, sci_mode=False)])
@pytest.mark.parametrize("values", [[[1.23456789, -2.5, 1000.125], [0.001, 7.0, -0.5]] * 3,
                                    [1.0, 2000.0, -0.0], [1e-5, 1.0], [0.0, -0.0]], ids=["decimals", "integers",
                                                                                         "small", "zeros"])
def test_set_printoptions_changes_the_repr_as_in_pytorch(options, values, restore_printoptions):
    nnmath.set_printoptions(**options)
    torch.set_printoptions(**options)
    assert repr(nnmath.tensor(values)).replace("nnmath", "torch") == repr(torch.tensor(values))


def test_set_printoptions_threshold_summarises(restore_printoptions):
    nnmath.set_printoptions(threshold=5, edgeitems=1)
    assert "..." in repr(nnmath.arange(10.0))
    nnmath.set_printoptions(profile="default")
    assert "..." not in repr(nnmath.arange(10.0))
