"""``DistributedDataParallel`` in MPI jobs: N processes train the model one process trains with the
N-times-larger batch, up to the order of float32 additions.

Why the tolerances. One process computes each gradient entry as the mean of B per-sample terms; with
N ranks each rank averages B/N of them and the ranks' means are averaged, so the same terms are added
in another order (and the BLAS, with another thread count, sums its products in another order too):
a difference of a few float32 roundings (u = 2⁻²⁴ ≈ 6·10⁻⁸) of the terms. SGD passes that on
unamplified: after K = 4 steps the parameters measured ≤ 2.1·10⁻⁷ × max|w| apart (per tensor, 1.2 M
entries); the bound 2·10⁻⁶ × max|w| is 10 times that, ~30 float32 ulp of the largest entry.
Adam's step lr·m̂/(√v̂ + ε) moves an entry by about lr·δg/(|g| + ε) for a gradient difference δg: with
PyTorch's ε = 10⁻⁸, an entry whose gradient is near 0 takes a step of ±lr on the sign of a rounding
error, and that move changes every other gradient of the next step (observed: entries 60 times the
bound apart after 4 steps, for gradients ≥ 10⁻⁴). The test therefore uses ε = 10⁻³ = lr, which bounds
the amplification by lr/ε = 1 (the order of SGD's): Adam's code path with DDP, on a well-conditioned
comparison, held to the SGD bound (observed: 0.11 of it).
"""
from __future__ import annotations

import re
import sys

import numpy as np
import pytest

from conftest import ROOT, launch, requires_mpi, run, succeeded
import mpi_programs

pytestmark = requires_mpi

STEPS, GLOBAL_BATCH = 4, 16


def assert_same_model(ours, reference):
    """Within the bound of the module docstring."""
    for name, want in reference.items():
        diff = np.abs(ours[name] - want).max()
        bound = 2e-6 * np.abs(want).max()
        assert diff <= bound, (name, diff, bound)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_two_processes_train_the_seed_cnn_as_one_with_the_global_batch(tmp_path, optimizer):
    out = tmp_path / "ddp.npz"
    succeeded(launch(2, "ddp_cnn", out, STEPS, GLOBAL_BATCH, optimizer))   # also checks replicas stay identical
    reference = mpi_programs.train_cnn(STEPS, GLOBAL_BATCH, optimizer)
    assert_same_model(dict(np.load(out)), reference)


def test_the_tolerance_check_fails_on_a_model_one_step_behind(tmp_path):
    """The comparison above is not vacuous: one SGD step fewer is far outside it."""
    ahead = mpi_programs.train_cnn(STEPS, GLOBAL_BATCH, "sgd")
    behind = mpi_programs.train_cnn(STEPS - 1, GLOBAL_BATCH, "sgd")
    with pytest.raises(AssertionError):
        assert_same_model(behind, ahead)


def test_no_sync_accumulates_locally_then_averages_the_sums(tmp_path):
    out = tmp_path / "no_sync.npz"
    succeeded(launch(2, "no_sync", out))
    grads = np.load(out)
    for i in range(4):
        scale = np.abs(grads[f"alone{i}"]).max()
        np.testing.assert_allclose(grads[f"ddp{i}"], grads[f"alone{i}"], rtol=0, atol=1e-6 * scale)
        assert np.abs(grads[f"local{i}"] - grads[f"ddp{i}"]).max() > 1e-3 * scale   # it was not averaged yet


def test_a_parameter_unused_on_some_rank_is_named_unless_find_unused_parameters(tmp_path):
    failed = launch(2, "unused", tmp_path / "a.npz", "nofind")
    assert failed.returncode != 0
    assert re.search(r"parameters that received no gradient in this backward: (left|right)\.weight, \1\.bias, "
                     r"spare\.weight, spare\.bias", failed.output), failed
    assert "find_unused_parameters=True" in failed.output
    succeeded(launch(2, "unused", tmp_path / "b.npz", "find"))
    grads = np.load(tmp_path / "b.npz")
    # rank 0 used left, rank 1 right: each head's gradient is its one rank's, halved; d(sum)/d(bias) = 2 rows
    assert grads["left.bias"].tolist() == [1.0] and grads["right.bias"].tolist() == [1.0]
    assert "spare.weight" not in grads.files


def test_ranks_wrapping_different_models_fail_saying_so():
    job = launch(2, "mismatched_models")
    assert job.returncode != 0
    assert "the ranks wrap different models" in job.output and "16…20" in job.output, job


@pytest.mark.parametrize("mode", ["broadcast", "own"])
def test_buffers_are_rank_0s_before_each_forward_only_with_broadcast_buffers(mode):
    job = succeeded(launch(2, "buffers", mode))
    assert len(re.findall(f"same on every rank: {mode == 'broadcast'}", job.output)) == 2


def _torch_variant(source: str) -> str:
    """The example with PyTorch's four imports instead of nnmath's, nothing else changed."""
    replacements = {r"^import nnmath as torch .*$": "import torch",
                    r"^import nnmath\.distributed as dist .*$": "import torch.distributed as dist",
                    r"^from nnmath\.nn\.parallel import (.*?)\s+#.*$": r"from torch.nn.parallel import \1",
                    r"^from nnmath\.utils\.data import (.*?)\s+#.*$": r"from torch.utils.data import \1"}
    changed = source
    for pattern, replacement in replacements.items():
        changed, count = re.subn(pattern, replacement, changed, flags=re.M)
        assert count == 1, pattern
    differing = [(a, b) for a, b in zip(source.splitlines(), changed.splitlines()) if a != b]
    assert len(differing) == 4 and all(b.startswith(("import torch", "from torch")) for _, b in differing)
    return changed


def test_a_pytorch_ddp_program_runs_with_only_its_imports_changed(tmp_path):
    example = ROOT / "examples" / "ddp_regression.py"
    job = succeeded(run([sys.executable, "-m", "nnmath.distributed.run", "-n", "2", str(example), "--steps", "12",
                         "--out", str(tmp_path / "nnmath.npz")]))
    assert "step 10:" in job.output and "local rank 0 of 2" in job.output
    torch = pytest.importorskip("torch")
    variant = tmp_path / "ddp_regression_torch.py"
    variant.write_text(_torch_variant(example.read_text()))
    succeeded(run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", str(variant), "--steps",
                   "12", "--out", str(tmp_path / "torch.npz")], timeout=300))
    ours, theirs = np.load(tmp_path / "nnmath.npz"), np.load(tmp_path / "torch.npz")
    for name in theirs.files:   # same float32 sums in another order: a few ulp of the largest entry
        np.testing.assert_allclose(ours[name], theirs[name], rtol=0, atol=2e-6 * np.abs(theirs[name]).max(),
                                   err_msg=f"{name} ({torch.__version__})")
