"""The names and argument forms PyTorch programs use beyond the op table: NumPy's argument names,
``size=``, the legacy tensor types and constructor, ``Variable``, and the top-level functions whose
mathematics lives in a subpackage. Each is run with nnmath and with PyTorch and compared."""
import pickle
import warnings

import numpy as np
import pytest

import nnmath
from nnmath.autograd import Variable

torch = pytest.importorskip("torch")

A = np.arange(20, dtype=np.float32).reshape(5, 4) / 7
B = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)  # full rank: a unique SVD


def _np(x):
    if isinstance(x, (tuple, list)):
        return [_np(v) for v in x]
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def _same(f, rtol=1e-6):
    ours, theirs = _np(f(nnmath)), _np(f(torch))
    if isinstance(ours, list):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert a.dtype == b.dtype
            np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-6)
    else:
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=1e-6)


NUMPY_NAMES = [
    lambda m: m.tensor(A).sum(axis=0),
    lambda m: m.tensor(A).sum(axis=1, keepdims=True),
    lambda m: m.tensor(A).sum(axis=[0, 1]),
    lambda m: m.tensor(A).mean(axis=0),
    lambda m: m.tensor(A).argmax(axis=1),
    lambda m: m.tensor(A).cumsum(axis=0),
    lambda m: m.tensor(A).max(axis=1).values,
    lambda m: m.tensor(A).std(axis=0, keepdims=True),
    lambda m: m.sum(m.tensor(A), axis=1),
    lambda m: m.cat([m.tensor(A), m.tensor(A)], axis=1),
    lambda m: m.stack([m.tensor(A), m.tensor(A)], axis=2),
    lambda m: m.argmax(m.tensor(A), axis=0, keepdims=True),
    lambda m: m.tensor(A).softmax(axis=1),
]


@pytest.mark.parametrize("i", range(len(NUMPY_NAMES)))
def test_numpy_argument_names_as_pytorch_accepts_them(i):
    _same(NUMPY_NAMES[i])


def test_giving_a_dimension_under_both_names_is_refused():
    with pytest.raises(TypeError, match="axis"):
        nnmath.tensor(A).sum(dim=0, axis=1)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_creation_functions_take_size_as_a_keyword(name):
    assert tuple(getattr(nnmath, name)(size=(2, 3)).shape) == tuple(getattr(torch, name)(size=(2, 3)).shape)
    with pytest.raises(TypeError, match="size"):
        getattr(nnmath, name)(2, size=(2, 3))


def test_legacy_tensor_types_construct_convert_and_test_types():
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor", "BoolTensor"):
        ours, theirs = getattr(nnmath, name), getattr(torch, name)
        _same(lambda m: getattr(m, name)([1, 0, 3]))
        assert tuple(ours(2, 3).shape) == tuple(theirs(2, 3).shape)
        assert str(ours(2).dtype).split(".")[1] == str(theirs(2).dtype).split(".")[1]
        assert ours.dtype is getattr(nnmath, str(theirs.dtype).split(".")[1])
    assert isinstance(nnmath.ones(2), nnmath.FloatTensor) and not isinstance(nnmath.ones(2), nnmath.LongTensor)
    assert not isinstance(nnmath.ones(2), nnmath.cuda.FloatTensor)
    x = nnmath.ones(2)
    assert x.type() == "nnmath.FloatTensor" and nnmath.arange(2).type() == "nnmath.LongTensor"
    assert x.type(nnmath.LongTensor).dtype == nnmath.int64
    assert x.type("torch.DoubleTensor").dtype == nnmath.float64
    assert x.type(x.type()) is x
    with pytest.raises(TypeError, match="dtype"):
        nnmath.FloatTensor(nnmath.arange(3))
    with pytest.raises(TypeError, match="CUDA"):
        nnmath.cuda.FloatTensor(2)


def test_the_tensor_class_is_named_as_pytorchs():
    assert str(type(nnmath.ones(1))) == str(type(torch.ones(1))).replace("torch", "nnmath") == "<class 'nnmath.Tensor'>"
    assert pickle.loads(pickle.dumps(nnmath.arange(3))).tolist() == [0, 1, 2]   # found again by that name


@pytest.mark.parametrize("call", [lambda m, x: m.max(x, 0), lambda m, x: x.sort(1), lambda m, x: m.topk(x, 1),
                                  lambda m, x: m.kthvalue(x, 1, 0), lambda m, x: m.median(x, 1),
                                  lambda m, x: m.aminmax(x), lambda m, x: m.svd(x[:, :2] + 1)])
def test_named_results_print_and_pickle_as_pytorchs(call):
    ours, theirs = call(nnmath, nnmath.tensor([[1.0, 5.0, 2.0], [3.0, 0.5, 4.0]])), \
        call(torch, torch.tensor([[1.0, 5.0, 2.0], [3.0, 0.5, 4.0]]))
    assert repr(ours).replace("nnmath.", "torch.") == repr(theirs)
    assert type(ours).__name__ == type(theirs).__name__
    again = pickle.loads(pickle.dumps(ours))
    assert type(again) is type(ours) and [t.tolist() for t in again] == [t.tolist() for t in ours]


def test_rnn_flatten_parameters_is_accepted():
    lstm = nnmath.nn.LSTM(2, 3)
    assert lstm.flatten_parameters() is None and len(list(lstm.parameters())) == 4


def test_the_tensor_constructor_is_pytorchs_legacy_one():
    _same(lambda m: m.Tensor([1, 2, 3]))  # float32, not int64
    _same(lambda m: m.Tensor(m.arange(3)))  # a tensor keeps its dtype
    assert tuple(nnmath.Tensor(2, 3).shape) == (2, 3) and nnmath.Tensor(2, 3).dtype == nnmath.float32


def test_variable_is_a_detached_alias_with_the_requested_flag():
    x = nnmath.ones(3)
    v = Variable(x, requires_grad=True)
    assert v.requires_grad and not x.requires_grad and isinstance(x, Variable)
    v.data[0] = 5.0
    assert x[0].item() == 5.0  # shares the storage, as PyTorch's
    y = (v * 2).sum()
    assert Variable(y).grad_fn is None
    with pytest.warns(UserWarning, match="volatile"):
        Variable(x, volatile=True)


def test_tensor_methods_pytorch_programs_use():
    _same(lambda m: m.zeros(3).resize_(2, 2).reshape(-1)[:3])  # PyTorch leaves the grown element uninitialised
    _same(lambda m: m.arange(5).float().resize_(2, 3)[0])
    _same(lambda m: m.ones(2).type_as(m.arange(2)))
    assert nnmath.ones(2).get_device() == torch.ones(2).get_device() == -1
    assert nnmath.ones(2).is_pinned() is torch.ones(2).is_pinned()
    with pytest.raises(RuntimeError):
        nnmath.ones(2).pin_memory()
    with pytest.raises(RuntimeError, match="requires grad"):
        nnmath.ones(2, requires_grad=True).resize_(3)

    def draws(m):
        m.manual_seed(0)
        return [m.empty(5).random_(10), m.empty(4, dtype=m.int64).random_(3, 8), m.empty(3).random_(),
                m.tensor([0.2, 0.8]).multinomial(5, replacement=True), m.empty(3).exponential_()]
    _same(draws)


TOPLEVEL = [
    lambda m: m.diag(m.tensor(A), 1),
    lambda m: m.trace(m.tensor(A)),
    lambda m: m.meshgrid(m.arange(3), m.arange(2), indexing="xy"),
    lambda m: m.svd(m.tensor(B))[1],
    lambda m: m.svd(m.tensor(B)).V.abs(),
    lambda m: m.svd(m.tensor(B), some=False).U.abs(),
    lambda m: m.det(m.tensor(A[:4]) + m.eye(4)),
    lambda m: m.inverse(m.tensor(A[:4]) + m.eye(4)),
    lambda m: m.cross(m.tensor(A[:3, :3]), m.tensor(A[1:4, :3]), dim=1),
    lambda m: m.cdist(m.tensor(A), m.tensor(A[:2])),
    lambda m: m.dist(m.tensor(A), m.tensor(A) * 2),
    lambda m: m.cosine_similarity(m.tensor(A), m.tensor(A) + 1),
    lambda m: m.tril_indices(4, 3, 1),
    lambda m: m.triu_indices(3, 4, -1),
    lambda m: m.cartesian_prod(m.arange(3), m.arange(2)),
    lambda m: m.block_diag(m.ones(2, 2), m.tensor([3.0, 4.0])),
    lambda m: m.embedding(m.tensor(A), m.tensor([0, 3])),
    lambda m: m.layer_norm(m.tensor(A), (4,)),
    lambda m: m.batch_norm(m.tensor(A), None, None, m.zeros(4), m.ones(4), False, 0.1, 1e-5, False),
    lambda m: m.dropout(m.tensor(A), 0.5, False),
    lambda m: m.conv1d(m.tensor(A)[None], m.ones(2, 5, 2)),
    lambda m: m.vmap(lambda r: (r * r).sum())(m.tensor(A)),
    lambda m: m.scalar_tensor(3),
    lambda m: m.column_stack([m.arange(3), m.arange(3)]),
    lambda m: m.hsplit(m.tensor(A), 2),
    lambda m: m.median(m.tensor(A), 1).indices,
    lambda m: m.aminmax(m.tensor(A)).max,
    lambda m: m.float_power(m.tensor(A), 2),
    lambda m: m.tensor(A).sinh().cosh().asinh(),
    lambda m: m.arctan2(m.tensor(A), m.tensor(A) - 1),
]


@pytest.mark.parametrize("i", range(len(TOPLEVEL)))
def test_top_level_functions_compute_what_pytorchs_do(i):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same(TOPLEVEL[i], rtol=1e-5)


def test_inplace_function_forms_and_constants():
    b = nnmath.tensor([0.5, 1.0])
    assert nnmath.sin_(b) is b
    np.testing.assert_allclose(b.numpy(), np.sin([0.5, 1.0]).astype(np.float32))
    assert (nnmath.pi, nnmath.e, nnmath.inf, nnmath.newaxis) == (torch.pi, torch.e, torch.inf, torch.newaxis)
    assert nnmath.finfo(nnmath.float32).eps == torch.finfo(torch.float32).eps
    assert nnmath.finfo(nnmath.float16).max == torch.finfo(torch.float16).max
    assert nnmath.iinfo(nnmath.int32).min == torch.iinfo(torch.int32).min
    assert nnmath.compile(nnmath.sin, disable=True) is nnmath.sin


def test_process_switches_are_recorded_and_checked():
    nnmath.use_deterministic_algorithms(True)
    assert nnmath.are_deterministic_algorithms_enabled()
    nnmath.use_deterministic_algorithms(False)
    nnmath.set_float32_matmul_precision("high")
    assert nnmath.get_float32_matmul_precision() == "high"
    nnmath.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError):
        nnmath.set_float32_matmul_precision("fastest")
    with pytest.raises(RuntimeError, match="cuda"):
        nnmath.set_default_device("cuda")


def test_the_comparison_helper_detects_a_difference():
    with pytest.raises(AssertionError):
        _same(lambda m: m.tensor(A).sum(axis=0) + (1 if m is nnmath else 0))


def test_conv_and_pool_results_are_contiguous_so_view_works_as_in_pytorch():
    """``x.view(-1, n)`` after convolution and pooling, the tutorials' idiom: PyTorch's results are
    contiguous, so nnmath's must be too (view refuses what would need a copy)."""
    x = nnmath.randn(2, 3, 12, 12)
    y = nnmath.nn.functional.max_pool2d(nnmath.relu(nnmath.nn.Conv2d(3, 4, 5)(x)), 2)
    assert y.is_contiguous() and tuple(y.view(-1, 4 * 4 * 4).shape) == (2, 64)
    assert nnmath.nn.functional.avg_pool2d(x, 2).is_contiguous()


def test_cat_and_stack_of_one_tensor_make_a_new_tensor():
    """As PyTorch's: not the input (in-place changes to the result leave it alone), not a view (so the
    hidden state a one-layer GRU returns can be detached in place)."""
    x = nnmath.ones(2)
    y = nnmath.cat([x])
    y += 1
    assert x.tolist() == [1.0, 1.0] and nnmath.stack([x])._base is None
    _, h = nnmath.nn.GRU(3, 4)(nnmath.randn(5, 2, 3))
    h.detach_()
    assert h.grad_fn is None
