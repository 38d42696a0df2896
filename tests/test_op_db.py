"""Tests generated from every ``op_db.py`` table in the test tree (see ``tests/opinfo.py``)."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import nnmath
from nnmath.autograd import gradcheck, gradgradcheck
from nnmath.autograd.function import registry
from opinfo import SUBPACKAGES, first_tensor_outputs, hessian_vector_product, load_tables, to_nnmath, to_torch


OP_DB = load_tables()
SAMPLES = {info.name: info.all_samples(np.random.default_rng(0)) for info in OP_DB}
CASES = [(info, i) for info in OP_DB for i in range(len(SAMPLES[info.name]))]
IDS = [f"{info.name}-{i}" for info, i in CASES]


def _sample(info, i):
    return info.all_samples(np.random.default_rng(1234))[i]


def _cases(keep):
    """(cases, ids) whose entry and sample (drawn with the collection seed) satisfy ``keep``."""
    chosen = [(c, n) for c, n in zip(CASES, IDS) if keep(c[0], SAMPLES[c[0].name][c[1]])]
    return [c for c, _ in chosen], [n for _, n in chosen]


GRADCHECK = _cases(lambda info, s: info.gradcheck and s.smooth)
GRADGRADCHECK = _cases(lambda info, s: info.gradcheck and info.gradgrad and s.smooth)
PARITY = _cases(lambda info, s: info.parity)
HVP = _cases(lambda info, s: info.parity and info.gradgrad and info.torch_hvp and not (s.differs or s.grad_differs))


@pytest.mark.parametrize("info,i", GRADCHECK[0], ids=GRADCHECK[1])
def test_gradcheck(info, i):
    sample = _sample(info, i)
    args = to_nnmath(sample, np.float64)
    assert gradcheck(lambda *a: info.op(nnmath, *a, **sample.kwargs), tuple(args), **info.gradcheck_kwargs)


@pytest.mark.parametrize("info,i", GRADGRADCHECK[0], ids=GRADGRADCHECK[1])
def test_gradgradcheck(info, i):
    sample = _sample(info, i)
    args = to_nnmath(sample, np.float64)
    assert gradgradcheck(lambda *a: info.op(nnmath, *a, **sample.kwargs), tuple(args), **info.gradcheck_kwargs)


def _run_backward(outs, rng, lib):
    cotangents = [rng.standard_normal(tuple(o.shape)) for o in outs]
    total = None
    for o, c in zip(outs, cotangents):
        term = (o * lib.tensor(c, dtype=o.dtype)).sum()
        total = term if total is None else total + term
    return total


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("info,i", PARITY[0], ids=PARITY[1])
def test_torch_parity(info, i, dtype):
    torch = pytest.importorskip("torch")
    sample = _sample(info, i)
    ours = to_nnmath(sample, dtype)
    theirs = to_torch(sample, dtype)
    reference = info.torch_op or info.op
    out = first_tensor_outputs(info.op(nnmath, *ours, **sample.kwargs))
    ref = first_tensor_outputs(reference(torch, *theirs, **sample.kwargs))
    rtol, atol = (info.rtol, info.atol) if dtype == np.float32 else (info.rtol64, info.atol64)
    assert len(out) == len(ref)
    for o, r in zip(out, ref):
        assert tuple(o.shape) == tuple(r.shape)
        assert o.dtype.name == str(r.dtype).split(".")[-1], f"dtype {o.dtype} vs {r.dtype}"
        np.testing.assert_allclose(o.detach().numpy(), r.detach().numpy(), rtol=rtol, atol=atol)
    if not any(o.requires_grad for o in out) or sample.grad_differs:
        return
    _run_backward(out, np.random.default_rng(7), nnmath).backward()
    _run_backward(ref, np.random.default_rng(7), torch).backward()
    for a, b in zip(ours, theirs):
        if isinstance(b, torch.Tensor) and b.requires_grad:
            if b.grad is None:
                assert a.grad is None or not a.grad.numpy().any()
                continue
            assert a.grad is not None, "nnmath gave no gradient where PyTorch gave one"
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol * 10, atol=atol * 10)


@pytest.mark.parametrize("info,i", HVP[0], ids=HVP[1])
def test_torch_hessian_vector_product_parity(info, i):
    """Second derivatives in float64 equal PyTorch's (NaN where PyTorch's is NaN counts as a mismatch:
    samples at points where PyTorch's second derivative is undefined mark ``differs``)."""
    torch = pytest.importorskip("torch")
    sample = _sample(info, i)
    ours = hessian_vector_product(nnmath, info.op, sample, to_nnmath(sample, np.float64))
    theirs = hessian_vector_product(torch, info.torch_op or info.op, sample, to_torch(sample, np.float64))
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        # At a pole (1/0, √0) the order of IEEE operations decides between ±∞ and NaN: there, only
        # "not finite" must agree.
        finite = np.isfinite(b)
        np.testing.assert_array_equal(np.isfinite(a), finite, err_msg=f"non-finite entries, input {k}: {a} vs {b}")
        np.testing.assert_allclose(a[finite], b[finite], rtol=info.rtol64 * 10, atol=info.atol64 * 10,
                                   err_msg=f"Hessian-vector product, input {k}")


@pytest.mark.parametrize("info,i", CASES, ids=IDS)
def test_noncontiguous_inputs_give_the_same_result(info, i):
    sample = _sample(info, i)
    plain = first_tensor_outputs(info.op(nnmath, *to_nnmath(sample, np.float64), **sample.kwargs))
    strided = first_tensor_outputs(info.op(nnmath, *to_nnmath(sample, np.float64, noncontiguous=True),
                                           **sample.kwargs))
    for a, b in zip(plain, strided):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_every_entry_states_its_special_points():
    """Special points (0, kinks, ties, boundaries, …) are where derivatives go wrong and where users are:
    each entry samples them, or says why it has none."""
    silent = [info.name for info in OP_DB if not (callable(info.special) or info.special.strip())]
    assert not silent, f"op-table entries with neither special-point samples nor a reason for none: {silent}"


def test_every_function_is_covered():
    for name in SUBPACKAGES:
        try:
            importlib.import_module(f"nnmath.{name}")
        except ModuleNotFoundError as e:
            if e.name and e.name.startswith("nnmath"):
                continue
            raise
    covered = {cls for info in OP_DB for cls in info.covers}
    missing = sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in registry if cls not in covered)
    assert not missing, f"Functions with no op-table entry (add them to an op_db.py): {missing}"
