"""bfloat16 tensors (with the ml_dtypes package): stored in bfloat16, computed in float32 and rounded
back, as PyTorch's CPU kernels do; compared with PyTorch within bfloat16's precision (2⁻⁸ relative:
the two libraries sum in different orders before the one rounding)."""
import numpy as np
import pytest

import nnmath

pytest.importorskip("ml_dtypes")
torch = pytest.importorskip("torch")

X = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
RTOL = 2.0 ** -7  # a difference of one bfloat16 rounding, relative to the largest value


def _program(m):
    m.manual_seed(0)
    lin = m.nn.Linear(5, 3).to(m.bfloat16)
    a = m.tensor(X).bfloat16().requires_grad_()
    h = m.tanh(lin(a))
    loss = (h * h).sum() + m.softmax(a, 1).mean() + (a / 3).exp().max()
    loss.backward()
    optimizer = m.optim.SGD(lin.parameters(), lr=0.1)
    optimizer.step()
    return {"h": h, "loss": loss, "a.grad": a.grad, "weight.grad": lin.weight.grad, "weight": lin.weight,
            "a": a}


def test_a_bfloat16_program_computes_what_pytorch_does():
    ours, theirs = _program(nnmath), _program(torch)
    for key in theirs:
        assert str(ours[key].dtype).split(".")[1] == str(theirs[key].dtype).split(".")[1] == "bfloat16", key
        a, b = ours[key].detach().float().numpy(), theirs[key].detach().float().numpy()
        np.testing.assert_allclose(a, b, rtol=0, atol=RTOL * max(np.abs(b).max(), 1.0), err_msg=key)


def test_storage_conversion_promotion_and_printing():
    x = nnmath.tensor([1.1, 2.5, -3.7], dtype=nnmath.bfloat16)
    t = torch.tensor([1.1, 2.5, -3.7], dtype=torch.bfloat16)
    np.testing.assert_array_equal(x.float().numpy(), t.float().numpy())  # the same rounding to bfloat16
    assert x.float().dtype is nnmath.float32 and x.double().dtype is nnmath.float64
    assert (x / 3).to(nnmath.float32).dtype is nnmath.float32
    assert repr(x) == repr(t).replace("torch", "nnmath")
    assert x.is_floating_point() and nnmath.bfloat16.is_floating_point and nnmath.bfloat16.itemsize == 2
    assert (x + nnmath.ones(3)).dtype == nnmath.float32 and (x * 2.0).dtype == nnmath.bfloat16
    assert (x + nnmath.ones(3, dtype=nnmath.float16)).dtype == nnmath.float32
    assert isinstance(x, nnmath.BFloat16Tensor) and x.type() == "nnmath.BFloat16Tensor"
    assert nnmath.finfo(nnmath.bfloat16).eps == torch.finfo(torch.bfloat16).eps
    assert nnmath.nn.Linear(2, 2).bfloat16().weight.dtype == nnmath.bfloat16
    assert nnmath.nn.Linear(2, 2).bfloat16().float().weight.dtype == nnmath.float32
