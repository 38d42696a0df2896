"""A training loop written the way PyTorch programs are (device chosen by torch.cuda.is_available(),
backend switches, DataParallel, AMP with GradScaler and autocast, a DataLoader with workers) runs with
``import nnmath as torch`` and follows PyTorch's own run of it, loss for loss."""
import numpy as np
import pytest

import nnmath


def _program(torch, weights, x, y, num_workers):
    """The program, for either library: returns the per-step losses and the state_dict keys."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    model.load_state_dict({key: torch.tensor(value) for key, value in weights.items()})
    model = torch.nn.DataParallel(model).to(device)
    use_amp = device.type == "cuda"
    scaler = torch.amp.GradScaler(device.type, enabled=use_amp)
    dataset = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    loader = torch.utils.data.DataLoader(dataset, batch_size=8, num_workers=num_workers)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for epoch in range(2):
        for xb, yb in loader:
            xb, yb = xb.to(device, non_blocking=True), yb.to(device)
            with torch.autocast(device_type=device.type, enabled=use_amp):
                loss = torch.nn.functional.mse_loss(model(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            losses.append(loss.item())
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    torch.cuda.empty_cache()
    return losses, list(model.state_dict())


def test_the_program_runs_with_nnmath_as_with_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    weights = {"0.weight": rng.standard_normal((8, 4)).astype(np.float32) * 0.5,
               "0.bias": np.zeros(8, np.float32),
               "2.weight": rng.standard_normal((1, 8)).astype(np.float32) * 0.5,
               "2.bias": np.zeros(1, np.float32)}
    x = rng.standard_normal((32, 4)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5], [0.0]], np.float32)).astype(np.float32)
    expected, expected_keys = _program(torch, weights, x, y, num_workers=0)
    got, keys = _program(nnmath, weights, x, y, num_workers=2)
    assert keys == expected_keys == ["module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"]
    assert got[-1] < got[0]
    # float32 throughout; matmul summation order differs between the libraries' BLAS calls
    np.testing.assert_allclose(got, expected, rtol=1e-5)
