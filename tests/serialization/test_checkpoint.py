"""Exact resume from a checkpoint, all-or-nothing restores, and saves that crash midway."""
import os
import pathlib
import signal
import subprocess
import sys

import numpy as np
import pytest

import nnmath
from nnmath.serialization import FileFormatError
from nnmath.apps.checkpoint import load_checkpoint, save_checkpoint

SCRIPT = pathlib.Path(__file__).with_name("resume_training.py")


def run_training(*args):
    """Each run is a fresh process: nothing survives between the two halves but the checkpoint file."""
    subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], check=True, timeout=120)


def test_four_epochs_equal_two_plus_two_resumed_bit_for_bit(tmp_path):
    run_training("--epochs", 4, "--out", tmp_path / "straight.safetensors")
    run_training("--epochs", 2, "--out", tmp_path / "half.safetensors", "--save", tmp_path / "ckpt.safetensors")
    # The resumed process starts from other seeds: only the checkpoint can make it match.
    run_training("--epochs", 4, "--out", tmp_path / "resumed.safetensors", "--seed", 12345,
                 "--resume", tmp_path / "ckpt.safetensors")
    run_training("--epochs", 4, "--out", tmp_path / "other_seed.safetensors", "--seed", 12345)

    straight = nnmath.load(tmp_path / "straight.safetensors")
    resumed = nnmath.load(tmp_path / "resumed.safetensors")
    other = nnmath.load(tmp_path / "other_seed.safetensors")
    assert list(resumed) == list(straight)
    for key in straight:
        assert np.array_equal(resumed[key].numpy(), straight[key].numpy()), key
    assert not all(np.array_equal(other[k].numpy(), straight[k].numpy()) for k in straight)


def _model_and_optimizer(n_in=3):
    model = nnmath.nn.Linear(n_in, 2)
    optimizer = nnmath.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(nnmath.randn(4, n_in)).sum().backward()
    optimizer.step()
    return model, optimizer


def test_restores_rng_streams_and_returns_epoch_and_extra(tmp_path):
    model, optimizer = _model_and_optimizer()
    save_checkpoint(tmp_path / "c.safetensors", model, optimizer, epoch=3, extra={"best_loss": 0.25})
    expected = (nnmath.rand(3).tolist(), np.random.rand(3).tolist())
    nnmath.manual_seed(99)
    np.random.seed(99)
    info = load_checkpoint(tmp_path / "c.safetensors", model, optimizer)
    assert info == {"epoch": 3, "extra": {"best_loss": 0.25}}
    assert (nnmath.rand(3).tolist(), np.random.rand(3).tolist()) == expected


def test_failed_restore_changes_nothing(tmp_path):
    model, optimizer = _model_and_optimizer()
    save_checkpoint(tmp_path / "c.safetensors", model, optimizer, epoch=1)
    target = nnmath.nn.Linear(3, 2)
    extra_param = nnmath.nn.Parameter(nnmath.zeros(1))
    target_optimizer = nnmath.optim.SGD([*target.parameters(), extra_param], lr=0.1, momentum=0.9)
    before = {k: v.numpy().copy() for k, v in target.state_dict().items()}
    with pytest.raises(ValueError, match="parameter group"):
        load_checkpoint(tmp_path / "c.safetensors", target, target_optimizer)
    assert all(np.array_equal(before[k], v.numpy()) for k, v in target.state_dict().items())
    assert target_optimizer.state_dict()["state"] == {}


def test_missing_part_is_named(tmp_path):
    model, optimizer = _model_and_optimizer()
    save_checkpoint(tmp_path / "c.safetensors", model)
    with pytest.raises(ValueError, match="no optimizer state"):
        load_checkpoint(tmp_path / "c.safetensors", model, optimizer)


def test_plain_file_is_not_a_checkpoint(tmp_path):
    model, _ = _model_and_optimizer()
    nnmath.save(model.state_dict(), tmp_path / "weights.safetensors")
    with pytest.raises(FileFormatError, match="not an nnmath checkpoint"):
        load_checkpoint(tmp_path / "weights.safetensors", model)


# --- crashes while saving ---------------------------------------------------------------------------
@pytest.fixture
def old_checkpoint(tmp_path):
    model, optimizer = _model_and_optimizer()
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, model, optimizer, epoch=1)
    model(nnmath.randn(4, 3)).sum().backward()
    optimizer.step()  # the model has moved on since the old checkpoint
    return model, optimizer, path, path.read_bytes()


def _assert_intact(path, old_bytes):
    assert path.read_bytes() == old_bytes
    assert nnmath.load(path)["epoch"] == 1
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary file left


@pytest.mark.parametrize("failing", ["os.fsync", "os.replace"])
def test_crash_during_save_keeps_old_checkpoint_and_leaves_no_temp_file(old_checkpoint, monkeypatch, failing):
    model, optimizer, path, old_bytes = old_checkpoint

    def disk_failure(*args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, failing.split(".")[1], disk_failure)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(path, model, optimizer, epoch=2)
    monkeypatch.undo()
    _assert_intact(path, old_bytes)


def test_writer_failing_midway_keeps_old_file(tmp_path):
    from nnmath._atomic import atomic_write
    path = tmp_path / "data.bin"
    path.write_bytes(b"old")

    def write_half_then_fail(file):
        file.write(b"new but incomplete")
        raise KeyboardInterrupt  # also cleaned up: the user pressed Ctrl-C during the save
    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, write_half_then_fail)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_process_killed_during_save_keeps_old_checkpoint(old_checkpoint):
    model, optimizer, path, old_bytes = old_checkpoint
    # The writer is killed after writing its temporary file, just before the rename.
    code = f"""
import os, signal
import nnmath
os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
nnmath.save({{"epoch": 2, "weights": nnmath.randn(100, 100)}}, {str(path)!r})
"""
    result = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert result.returncode == -signal.SIGKILL
    assert path.read_bytes() == old_bytes
    assert nnmath.load(path)["epoch"] == 1
    leftovers = [p.name for p in path.parent.iterdir() if p.name != path.name]
    assert all(name.startswith(f".{path.name}.") and name.endswith(".tmp") for name in leftovers)
