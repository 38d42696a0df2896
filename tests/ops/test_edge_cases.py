"""Edge cases of the core ops, each compared with PyTorch: empty and 0-d tensors, non-contiguous
inputs, dtype promotion, the tie rules of max/min, and the errors bad input gets."""
from __future__ import annotations

import numpy as np
import pytest

import nnmath

torch = pytest.importorskip("torch")


def both(array, requires_grad=True):
    """The same float64 data as an nnmath and a torch tensor."""
    array = np.asarray(array, dtype=np.float64)
    return (nnmath.tensor(array, requires_grad=requires_grad), torch.tensor(array, requires_grad=requires_grad))


def assert_same(ours, theirs):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)


def check_against_torch(fn, *arrays):
    """fn(lib, *tensors) in both libraries: values, then the gradients of their sum."""
    pairs = [both(a) for a in arrays]
    ours = fn(nnmath, *[p[0] for p in pairs])
    theirs = fn(torch, *[p[1] for p in pairs])
    assert_same(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    for a, b in pairs:
        assert_same(a.grad, b.grad)


# --- empty tensors ----------------------------------------------------------------------------

EMPTY_CASES = {
    "exp": (lambda m, x: m.exp(x), [(0,)]),
    "mul_broadcast": (lambda m, x, y: x * y, [(0, 3), (3,)]),
    "sum_all": (lambda m, x: x.sum(), [(0, 3)]),
    "sum_dim0": (lambda m, x: x.sum(0), [(0, 3)]),
    "sum_dim1": (lambda m, x: x.sum(1), [(0, 3)]),
    "mean_dim1": (lambda m, x: x.mean(1), [(0, 3)]),
    "matmul_empty_rows": (lambda m, a, b: a @ b, [(0, 3), (3, 2)]),
    "matmul_empty_inner": (lambda m, a, b: a @ b, [(2, 0), (0, 3)]),
    "cat_with_empty": (lambda m, a, b: m.cat([a, b]), [(0, 3), (2, 3)]),
}


@pytest.mark.parametrize("name", sorted(EMPTY_CASES))
def test_empty_tensors(name):
    fn, shapes = EMPTY_CASES[name]
    check_against_torch(fn, *[np.arange(np.prod(s), dtype=np.float64).reshape(s) + 1 for s in shapes])


def test_cat_skips_1d_empty_tensors_as_pytorch_does():
    ours = nnmath.cat([nnmath.zeros(0), nnmath.ones(2, 3)])
    theirs = torch.cat([torch.zeros(0), torch.ones(2, 3)])
    assert_same(ours, theirs)


def test_mean_of_empty_is_nan():
    assert np.isnan(nnmath.zeros(0).mean().item())


# --- scalar (0-d) tensors ---------------------------------------------------------------------

SCALAR_CASES = {
    "arith": lambda m, x: (x * 3 - 1) / (x + 2) ** 2,
    "sum_dim0": lambda m, x: x.sum(0) + x.sum(-1, keepdim=True),
    "amax_dim0": lambda m, x: m.amax(x, 0),
    "max_dim0": lambda m, x: m.max(x, 0).values,
    "logsumexp_dim0": lambda m, x: m.logsumexp(x, 0),
    "softmax_dim0": lambda m, x: m.softmax(x, 0) * x,
    "cumsum_dim0": lambda m, x: m.cumsum(x, 0),
    "reshape_unsqueeze": lambda m, x: x.reshape(1, 1).unsqueeze(0).squeeze(),
    "stack": lambda m, x: m.stack([x, x * 2]),
    "expand": lambda m, x: x.expand(2, 3),
}


@pytest.mark.parametrize("name", sorted(SCALAR_CASES))
def test_scalar_tensors(name):
    check_against_torch(SCALAR_CASES[name], np.array(0.7))


def test_item_of_scalar_and_one_element():
    assert nnmath.tensor(2.5).item() == 2.5
    assert nnmath.tensor([[3]]).item() == 3
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to a Python scalar"):
        nnmath.tensor([1.0, 2.0]).item()


# --- non-contiguous inputs --------------------------------------------------------------------

NONCONTIGUOUS_CASES = {
    "transposed_matmul": lambda m, x: x.T @ x,
    "sliced_step": lambda m, x: m.exp(x[:, ::2]) * x[:, 1:2],
    "negative_step": lambda m, x: m.flip(x, (0,)).T.sum(1),
    "transposed_softmax": lambda m, x: m.softmax(x.T, -1),
    "permuted_reshape": lambda m, x: x.T.reshape(-1)[1:5],
    "sliced_cumsum": lambda m, x: m.cumsum(x[1:, ::2], 0),
    "transposed_inplace": lambda m, x: (x.T * 1).add_(1.0),
}


@pytest.mark.parametrize("name", sorted(NONCONTIGUOUS_CASES))
def test_non_contiguous_inputs(name):
    check_against_torch(NONCONTIGUOUS_CASES[name], np.random.default_rng(0).uniform(-1, 1, (4, 3)))


def test_fortran_ordered_array_wraps_correctly():
    array = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    x = nnmath.from_numpy(array)
    np.testing.assert_array_equal((x @ x.T).numpy(), array @ array.T)
    np.testing.assert_array_equal(x.reshape(-1).numpy(), np.arange(6.0))


# --- dtype promotion --------------------------------------------------------------------------

DTYPE_CASES = {
    "float32 + python float": lambda m: m.ones(2, dtype=m.float32) + 1.5,
    "int + python float": lambda m: m.tensor([1, 2]) + 1.5,
    "int * python float": lambda m: m.tensor([1, 2]) * 2.5,
    "int + python int": lambda m: m.tensor([1, 2]) + 3,
    "int / int": lambda m: m.tensor([1, 2]) / m.tensor([2, 2]),
    "int32 + int64": lambda m: m.ones(2, dtype=m.int32) + m.ones(2, dtype=m.int64),
    "float32 + float64": lambda m: m.ones(2, dtype=m.float32) + m.ones(2, dtype=m.float64),
    "float32 * 0-d float64": lambda m: m.ones(2, dtype=m.float32) * m.tensor(2.0, dtype=m.float64),
    "int * 0-d float64": lambda m: m.ones(2, dtype=m.int64) * m.tensor(2.0, dtype=m.float64),
    "bool + bool": lambda m: m.tensor([True]) + m.tensor([True]),
    "bool * python float": lambda m: m.tensor([True]) * 2.0,
    "sum of int": lambda m: m.tensor([1, 2]).sum(),
    "sum of int32": lambda m: m.ones(3, dtype=m.int32).sum(0),
    "sum of bool": lambda m: m.tensor([True, False, True]).sum(),
    "cumsum of bool": lambda m: m.cumsum(m.tensor([True, True]), 0),
    "prod of int": lambda m: m.tensor([2, 3]).prod(),
    "exp of int": lambda m: m.exp(m.tensor([1, 2])),
    "sqrt of int": lambda m: m.sqrt(m.tensor([4])),
    "float64 cast to float32": lambda m: m.tensor([1.0], dtype=m.float64).float(),
}


@pytest.mark.parametrize("name", sorted(DTYPE_CASES))
def test_dtype_rules(name):
    ours = DTYPE_CASES[name](nnmath)
    theirs = DTYPE_CASES[name](torch)
    assert ours.dtype.name == str(theirs.dtype).split(".")[-1]
    # exp and sqrt in float32 may differ from PyTorch's by one unit in the last place (2⁻²³ ≈ 1.2e-7).
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1.2e-7, atol=0)


@pytest.mark.parametrize("source,target", [("float32", "float64"), ("float64", "float32")])
def test_cast_gradient_comes_back_in_the_source_dtype(source, target):
    x = nnmath.tensor([0.5, -1.25], dtype=getattr(nnmath, source), requires_grad=True)
    y = x.to(getattr(nnmath, target))
    assert y.dtype == getattr(nnmath, target)
    (y * y).sum().backward()
    assert x.grad.dtype == getattr(nnmath, source)
    # d/dx Σ x² = 2x, exact in both dtypes for these dyadic values.
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, -2.5])


# --- ties (PyTorch's documented subgradients) -------------------------------------------------

TIE_CASES = {
    # amax/amin and max()/min() without dim: the gradient is split evenly among the tied extremes.
    "amax": (lambda m, x: m.amax(x), [[1.0, 3.0, 3.0, 2.0]]),
    "amin_dim": (lambda m, x: m.amin(x, 1), [[1.0, 3.0, 1.0], [2.0, 2.0, 2.0]]),
    "max_all": (lambda m, x: x.max(), [3.0, 1.0, 3.0, 3.0]),
    "min_all": (lambda m, x: x.min(), [[0.5, 0.5], [1.0, 2.0]]),
    # max(dim): the whole gradient goes to the index it returns.
    "max_dim_values": (lambda m, x: m.max(x, 1).values, [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]),
    "min_dim_values": (lambda m, x: m.min(x, 0).values, [[1.0, 3.0], [1.0, 0.0]]),
    # maximum / minimum: ties split half and half.
    "maximum": (lambda m, x: m.maximum(x, m.ones_like(x) * 1.0), [1.0, 2.0, 0.0]),
    "minimum": (lambda m, x: m.minimum(x[:2], x[1:]), [1.0, 1.0, 2.0]),
    # Kinks: PyTorch's one-sided choices.
    "clamp_at_bounds": (lambda m, x: m.clamp(x, -1.0, 1.0), [-1.0, 1.0, 0.0, 2.0]),
    "abs_at_zero": (lambda m, x: m.abs(x), [0.0, -1.0]),
    "relu_at_zero": (lambda m, x: m.relu(x), [0.0, 1.0]),
    "norm_of_zero": (lambda m, x: x.norm(), [0.0, 0.0]),
    "prod_two_zeros": (lambda m, x: x.prod(), [0.0, 2.0, 0.0]),
}


@pytest.mark.parametrize("name", sorted(TIE_CASES))
def test_ties_and_kinks_follow_pytorch(name):
    fn, values = TIE_CASES[name]
    check_against_torch(fn, np.array(values))


def test_max_dim_returns_the_first_index_of_a_tie():
    x = nnmath.tensor([[1.0, 3.0, 3.0]])
    assert nnmath.max(x, 1).indices.tolist() == [1]
    assert nnmath.argmax(x).item() == 1


# --- errors -----------------------------------------------------------------------------------

def test_non_broadcasting_shapes_name_the_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"add: shapes \(2, 3\) and \(4, 3\) do not broadcast"):
        nnmath.ones(2, 3) + nnmath.ones(4, 3)
    with pytest.raises(RuntimeError, match=r"mul: shapes \(3,\) and \(2,\)"):
        nnmath.ones(3) * nnmath.ones(2)
    with pytest.raises(RuntimeError, match=r"maximum: shapes"):
        nnmath.maximum(nnmath.ones(3), nnmath.ones(2))


def test_matmul_mismatch_message():
    with pytest.raises(RuntimeError) as info:
        nnmath.ones(64, 9216) @ nnmath.ones(9215, 128)
    assert str(info.value) == "matmul: (64, 9216) @ (9215, 128): inner sizes 9216 and 9215 differ"


def test_matmul_of_0d_is_rejected():
    with pytest.raises(RuntimeError, match="matmul: both arguments need at least 1 dimension"):
        nnmath.matmul(nnmath.tensor(1.0), nnmath.ones(2))


@pytest.mark.parametrize("index", [5, -4, [0, 5]], ids=["int", "negative", "list"])
def test_index_out_of_range(index):
    with pytest.raises(IndexError, match=r"out of bounds.*size 3"):
        nnmath.ones(3)[index]


def test_gather_index_out_of_range():
    # A RuntimeError, as PyTorch's: negative indices are out of range too (gather does not wrap them).
    with pytest.raises(RuntimeError, match="gather: index 4 is out of bounds for dimension 1 with size 3"):
        nnmath.gather(nnmath.ones(2, 3), 1, nnmath.tensor([[0], [4]]))
    with pytest.raises(RuntimeError, match="gather: index -1 is out of bounds for dimension 1 with size 3"):
        nnmath.gather(nnmath.ones(2, 3), 1, nnmath.tensor([[0], [-1]]))


def test_dim_out_of_range():
    with pytest.raises(IndexError, match=r"sum: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        nnmath.ones(2, 3).sum(2)


def test_requires_grad_on_int_tensor():
    with pytest.raises(RuntimeError, match="only tensors of floating point dtype can require gradients"):
        nnmath.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="nnmath.int64"):
        nnmath.tensor([1, 2]).requires_grad_()


def test_backward_on_non_scalar_without_gradient():
    y = nnmath.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"grad can be implicitly created only for scalar outputs.*\(2,\)"):
        y.backward()


def test_cat_shape_mismatch_names_the_tensors():
    with pytest.raises(RuntimeError, match=r"cat: sizes of tensors must match except in dimension 0: "
                                           r"tensor 0 has shape \(2, 3\), tensor 1 has shape \(2, 4\)"):
        nnmath.cat([nnmath.ones(2, 3), nnmath.ones(2, 4)])


def test_reshape_to_wrong_size():
    with pytest.raises(RuntimeError, match=r"reshape: shape \[4\] is invalid for input of size 6"):
        nnmath.ones(2, 3).reshape(4)


def test_relu_gradient_passes_at_nan_and_stops_nan_cotangents_as_pytorchs():
    torch = pytest.importorskip("torch")
    x, g = [-1.0, 0.0, 2.0, float("nan"), -3.0], [float("nan"), float("inf"), 3.0, 1.0, -float("inf")]
    ours = nnmath.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    nnmath.relu(ours).backward(nnmath.tensor(g))
    torch.relu(theirs).backward(torch.tensor(g))
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (7,), (300, 500)])  # the last is split over threads when there are two
def test_where_with_a_positive_zero_keeps_np_wheres_bits(dtype, shape, monkeypatch):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape).astype(dtype)
    special = np.array([np.nan, np.inf, -np.inf, -0.0, np.finfo(dtype).tiny / 2], dtype=dtype)
    a.reshape(-1)[:min(a.size, 5)] = special[:min(a.size, 5)]
    c = rng.random(shape) < 0.5
    from nnmath.ops import elementwise
    masked, real = [], elementwise._kept_or_zero
    monkeypatch.setattr(elementwise, "_kept_or_zero", lambda c, a: masked.append(1) or real(c, a))  # which path
    for b in (0.0, -0.0, nnmath.tensor(0.0, dtype=nnmath.tensor(a).dtype)):  # −0 and a tensor: NumPy's where
        got = nnmath.where(nnmath.tensor(c), nnmath.tensor(a), b)
        expected = np.where(c, a, dtype(b.item() if isinstance(b, nnmath.Tensor) else b))
        words = f"u{np.dtype(dtype).itemsize}"
        np.testing.assert_array_equal(got.numpy().view(words), expected.view(words))
    assert len(masked) == 1  # only the Python +0 takes the bit mask


@pytest.mark.parametrize("normalized_shape", [(8,), (3, 40, 40)], ids=["short-rows", "rows-longer-than-SHORT_ROW"])
def test_layer_norm_on_short_and_long_rows_matches_pytorch(normalized_shape):
    """Rows of up to SHORT_ROW numbers are summed by einsum, longer ones pairwise: both paths, float64,
    forward and gradients, and float32 forward within its rounding."""
    from nnmath.ops._util import SHORT_ROW
    assert (int(np.prod(normalized_shape)) > SHORT_ROW) == (len(normalized_shape) == 3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2,) + normalized_shape) * 3 + 1
    w, b = rng.standard_normal(normalized_shape), rng.standard_normal(normalized_shape)
    check_against_torch(lambda lib, x, w, b: lib.nn.functional.layer_norm(x, normalized_shape, w, b), x, w, b)
    x32 = x.astype(np.float32)
    ours = nnmath.nn.functional.layer_norm(nnmath.tensor(x32), normalized_shape).numpy()
    theirs = torch.nn.functional.layer_norm(torch.tensor(x32), normalized_shape).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=2e-6)  # a few float32 ulps of values near 1


@pytest.mark.parametrize("size", [16383, 16384, 3 * 16384 + 5, 2 * 16384])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_on_long_arrays_gives_maximums_bits(size, dtype):
    """ReLU's forward goes by rows of 16,384 numbers against a row of zeros (NumPy's vectorised loop)
    and the rest against 0: every element, the tail's included, NaN and ±0 as np.maximum(x, 0) gives."""
    x = np.random.default_rng(size).standard_normal(size).astype(dtype)
    x[[0, 1, 2, -1, -2, -3]] = [np.nan, -0.0, -np.inf, np.nan, -0.0, -2.0]
    expected = np.maximum(x, dtype(0))
    for array in (x, x.reshape(1, -1), np.stack([x, x], 1)[:, 0]):  # the last one is not contiguous
        got = nnmath.relu(nnmath.tensor(array)).numpy().reshape(-1)
        assert np.array_equal(got.view(f"i{x.itemsize}"), expected.view(f"i{x.itemsize}"))
