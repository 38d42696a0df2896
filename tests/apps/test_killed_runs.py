"""A training run killed with SIGKILL (``kill -9``, the OOM killer, a power cut) at a known point: its
metrics are not behind its checkpoint, so the resumed run has every epoch's row, and the temporary
file of a write it did not finish is removed when the next run starts."""
from __future__ import annotations

import csv
import os
import pathlib
import signal
import subprocess
import sys

import nnmath
from fake_data import fake_mnist

SRC = pathlib.Path(nnmath.__file__).parents[1]

# The child: `mnist.train`, killed by SIGKILL at POINT (after the checkpoint of epoch 1 is in place, or
# while it is written: its temporary file complete, not yet renamed). Without TensorBoard and matplotlib
# (their imports take seconds): the run writes metrics.csv and the checkpoint, the files at stake.
CHILD = """
import os, signal, sys
sys.modules["tensorboardX"] = sys.modules["matplotlib"] = None
from nnmath import _atomic
from nnmath.apps import mnist, run_files

point, out, data, epochs, resume = sys.argv[1:]
if point == "after-checkpoint":
    save = run_files.save_checkpoint
    def save_then_die(path, *args, **kwargs):
        save(path, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
    run_files.save_checkpoint = save_then_die
elif point == "inside-checkpoint-write":
    replace = _atomic.os.replace
    def die_before_rename(source, target):
        if str(target).endswith("checkpoint.safetensors"):
            os.kill(os.getpid(), signal.SIGKILL)
        replace(source, target)
    _atomic.os.replace = die_before_rename
mnist.train(epochs=int(epochs), batch_size=8, data_dir=data, out=out, progress=False, resume=resume or None)
"""


def _train(tmp_path, point, epochs, resume=""):
    data = tmp_path / "data"
    if not data.exists():
        fake_mnist(data, n_train=16, n_test=8)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", CHILD, point, str(tmp_path / "run"), str(data), str(epochs),
                           str(resume)], capture_output=True, text=True, env=env, timeout=300)


def _rows(path):
    with open(path, newline="") as file:
        return list(csv.reader(file))


def test_metrics_are_written_with_each_checkpoint_and_survive_a_kill(tmp_path):
    killed = _train(tmp_path, "after-checkpoint", epochs=2)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    run = tmp_path / "run"
    assert nnmath.load(run / "checkpoint.safetensors")["epoch"] == 1
    before = _rows(run / "metrics.csv")
    assert [row[0] for row in before] == ["step", "1"]  # the killed epoch's row is there with its checkpoint
    resumed = _train(tmp_path, "none", epochs=2, resume=run / "checkpoint.safetensors")
    assert resumed.returncode == 0, resumed.stderr
    after = _rows(run / "metrics.csv")
    assert [row[0] for row in after] == ["step", "1", "2"] and after[1] == before[1]


def test_the_temporary_file_of_a_killed_write_is_removed_by_the_next_run(tmp_path):
    killed = _train(tmp_path, "inside-checkpoint-write", epochs=1)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    run = tmp_path / "run"
    (left,) = [p for p in run.iterdir() if p.name.startswith(".checkpoint.safetensors.")]
    assert left.name.endswith(".tmp") and left.stat().st_size > 1_000_000
    assert not (run / "checkpoint.safetensors").exists()
    again = _train(tmp_path, "none", epochs=1)
    assert again.returncode == 0, again.stderr
    assert "removed 1 temporary file(s) a killed run left" in again.stdout
    assert not [p for p in run.iterdir() if p.name.endswith(".tmp")]
    assert nnmath.load(run / "checkpoint.safetensors")["epoch"] == 1
