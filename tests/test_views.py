"""Views alias as PyTorch's: a write through any view is seen by its base and by every other view of
it, they share one version counter, and what PyTorch refuses (a view that needs a copy, a write into
an expanded tensor, a negative step) is refused with its reason. Each case runs in both libraries."""
from __future__ import annotations

import random

import numpy as np
import pytest

import nnmath

torch = pytest.importorskip("torch")

# Each view op as the same expression in both libraries, on a (3, 4) base.
VIEWS = {
    "view": lambda b: b.view(4, 3),
    "view -1": lambda b: b.view(-1),
    "reshape (contiguous)": lambda b: b.reshape(2, 6),
    "flatten": lambda b: b.flatten(),
    "transpose": lambda b: b.transpose(0, 1),
    "t": lambda b: b.t(),
    "mT": lambda b: b.mT,
    "permute": lambda b: b.permute(1, 0),
    "unsqueeze": lambda b: b.unsqueeze(1),
    "squeeze": lambda b: b[:1].squeeze(0),
    "narrow": lambda b: b.narrow(1, 1, 2),
    "select": lambda b: b.select(1, 2),
    "slice with step": lambda b: b[::2, 1::2],
    "int index": lambda b: b[1],
    "single element": lambda b: b[1, 2],
    "ellipsis and None": lambda b: b[..., None, 1],
    "unfold": lambda b: b.unfold(1, 2, 2),
    "diagonal": lambda b: b.diagonal(),
    "diagonal offset": lambda b: b.diagonal(1),
    "as_strided": lambda b: b.as_strided((2, 2), (4, 1), 5),
    "split": lambda b: b.split(2, dim=1)[1],
    "chunk": lambda b: b.chunk(3)[2],
    "unbind": lambda b: b.unbind(1)[3],
    "view of a view": lambda b: b.t()[1:].narrow(1, 0, 2),
    "detach": lambda b: b.detach(),
    "movedim": lambda b: b.movedim(0, 1),
}


def base_pair():
    data = np.arange(12.0).reshape(3, 4)
    return nnmath.tensor(data), torch.tensor(data)


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_a_write_through_the_view_reaches_the_base(name):
    ours, theirs = base_pair()
    v, tv = VIEWS[name](ours), VIEWS[name](theirs)
    v.mul_(-1)
    tv.mul_(-1)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours._version == theirs._version == v._version


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_a_write_to_the_base_reaches_the_view(name):
    ours, theirs = base_pair()
    v, tv = VIEWS[name](ours), VIEWS[name](theirs)
    ours.add_(100)
    theirs.add_(100)
    np.testing.assert_array_equal(v.numpy(), tv.numpy())
    assert v._version == tv._version


@pytest.mark.parametrize("name", ["slice with step", "narrow", "diagonal", "int index"])
def test_setitem_through_a_view_reaches_the_base(name):
    ours, theirs = base_pair()
    VIEWS[name](ours)[...] = 7.0
    VIEWS[name](theirs)[...] = 7.0
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_expand_reads_the_base():
    ours, theirs = nnmath.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    e, te = ours.expand(3, 2), theirs.expand(3, 2)
    ours[0] = 5.0
    theirs[0] = 5.0
    np.testing.assert_array_equal(e.numpy(), te.numpy())


def test_a_row_of_an_expanded_tensor_is_written_into_its_base():
    """Each row of an expanded tensor is the whole base: writing one row is a valid write (PyTorch)."""
    for lib in (nnmath, torch):
        base = lib.ones(3)
        expanded = base.expand(2, 3)
        expanded[0] = 2.0
        np.testing.assert_array_equal(base.numpy(), [2.0, 2.0, 2.0])
        with pytest.warns(UserWarning, match="expanded"):
            expanded[lib.tensor([1])] = 3.0
        np.testing.assert_array_equal(base.numpy(), [3.0, 3.0, 3.0])


def test_view_as_real_writes_the_complex_tensor():
    ours = nnmath.tensor([1 + 2j, 3 - 1j])
    theirs = torch.tensor([1 + 2j, 3 - 1j])
    nnmath.view_as_real(ours)[:, 1] = 0.5
    torch.view_as_real(theirs)[:, 1] = 0.5
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_reshape_of_a_non_contiguous_tensor_copies_as_pytorchs():
    ours, theirs = base_pair()
    r, tr = ours.t().reshape(-1), theirs.t().reshape(-1)
    r.mul_(0)
    tr.mul_(0)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())   # the base is untouched in both


# --- what PyTorch refuses -------------------------------------------------------------------------

REFUSED = {
    "view of a transposed tensor": (lambda m: m.ones(2, 3).t().view(6), RuntimeError, "reshape"),
    "view -2": (lambda m: m.ones(6).view(-2, 3), RuntimeError, "invalid shape dimension -2"),
    "reshape -2": (lambda m: m.ones(6).reshape(-2, 3), RuntimeError, "invalid shape dimension -2"),
    "two -1": (lambda m: m.ones(6).view(-1, -1), RuntimeError, "only one dimension can be inferred"),
    "wrong size": (lambda m: m.ones(6).view(4, 2), RuntimeError, "invalid for input of size 6"),
    "write into an expanded tensor": (lambda m: m.ones(1, 3).expand(2, 3).add_(1), RuntimeError,
                                      "more than one element of the written-to tensor"),
    "setitem into an expanded tensor": (lambda m: m.ones(3).expand(2, 3).__setitem__((slice(None), 0), 2.0),
                                        RuntimeError, "more than one element"),
    "negative step": (lambda m: m.ones(3)[::-1], ValueError, "step must be greater than zero"),
    "mask of the wrong shape": (lambda m: m.ones(2, 3)[m.ones(2, 2, dtype=m.bool)], IndexError,
                                "shape of the mask"),
    "mask of the wrong shape, writing": (lambda m: m.ones(2, 3).__setitem__(m.ones(2, 2, dtype=m.bool), 0.0),
                                         IndexError, "shape of the mask"),
    "mask too short": (lambda m: m.ones(2, 3)[:, m.tensor([True, False])], IndexError, "shape of the mask"),
    "detach_ of a view": (lambda m: (m.ones(3, requires_grad=True) * 1)[1:].detach_(), RuntimeError,
                          "detach"),
    "view to a smaller dtype of a non-contiguous tensor": (lambda m: m.ones(2, 3).t().view(m.float16),
                                                           RuntimeError, "cannot be viewed as"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_as_by_pytorch(name):
    program, error, words = REFUSED[name]
    with pytest.raises(error):
        program(torch)
    with pytest.raises(error, match=words):
        program(nnmath)


def test_view_accepts_exactly_the_shapes_pytorch_does():
    """Random permuted and strided tensors, random target shapes: view must succeed (without copying)
    exactly when PyTorch's does."""
    rng = random.Random(0)
    for _ in range(300):
        shape = [rng.choice([1, 2, 3, 4]) for _ in range(rng.randint(1, 4))]
        order = list(range(len(shape)))
        rng.shuffle(order)
        step = tuple(slice(None, None, rng.choice([1, 2])) for _ in shape)
        ours = nnmath.arange(int(np.prod(shape))).reshape(shape).permute(order)[step]
        theirs = torch.arange(int(np.prod(shape))).reshape(shape).permute(order)[step]
        target = [ours.numel()] if rng.random() < 0.5 else [1, -1] + [1] * rng.randint(0, 1)
        if ours.numel() % 2 == 0 and rng.random() < 0.5:
            target = [2, -1]
        try:
            expected = theirs.view(target)
        except RuntimeError:
            with pytest.raises(RuntimeError, match="view size is not compatible"):
                ours.view(target)
            continue
        got = ours.view(target)
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
        assert np.shares_memory(got.numpy(), ours.numpy()) or got.numel() == 0


def test_view_dtype_reinterprets_the_bytes():
    for name in ("int32", "float16", "uint8"):
        ours = nnmath.tensor([1.0, -2.5]).view(getattr(nnmath, name))
        theirs = torch.tensor([1.0, -2.5]).view(getattr(torch, name))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert not ours.requires_grad


def test_uint8_index_is_a_mask_with_a_deprecation_warning():
    x, tx = base_pair()
    with pytest.warns(UserWarning, match="uint8"):
        got = x[:, nnmath.tensor([1, 0, 1, 1], dtype=nnmath.uint8)]
    with pytest.warns(UserWarning):
        want = tx[:, torch.tensor([1, 0, 1, 1], dtype=torch.uint8)]
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("key, value_shape", [((0, 0), (1, 1)), (0, (1, 1, 4)), (slice(None), (4,)),
                                              ((slice(None), 1), (1, 3)), (np.array([True, False, True]), (1, 4))])
def test_setitem_drops_leading_ones_and_broadcasts_as_pytorch(key, value_shape):
    x, tx = base_pair()
    v = np.arange(np.prod(value_shape), dtype=np.float64).reshape(value_shape) + 50
    x[key if not isinstance(key, np.ndarray) else nnmath.tensor(key)] = nnmath.tensor(v)
    tx[key if not isinstance(key, np.ndarray) else torch.tensor(key)] = torch.tensor(v)
    np.testing.assert_array_equal(x.numpy(), tx.numpy())


def test_setitem_value_that_does_not_fit_is_refused():
    x = nnmath.zeros(2, 3)
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        x[0] = nnmath.ones(2)
    with pytest.raises(RuntimeError):
        torch.zeros(2, 3)[0] = torch.ones(2)
