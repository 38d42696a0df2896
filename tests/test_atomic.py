"""nnmath._atomic: a write replaces the file whole; temporary files of dead writers are found and removed."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nnmath._atomic import atomic_write, atomic_write_bytes, remove_stale_temp_files


def _dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    atomic_write_bytes(tmp_path / "f", b"old")

    def fail(file):
        file.write(b"half")
        raise OSError("disk full")
    with pytest.raises(OSError, match="disk full"):
        atomic_write(tmp_path / "f", fail)
    assert (tmp_path / "f").read_bytes() == b"old" and os.listdir(tmp_path) == ["f"]


def test_the_temporary_file_is_named_with_the_writer_s_process_id(tmp_path):
    seen = []
    atomic_write(tmp_path / "f.bin", lambda file: seen.extend(os.listdir(tmp_path)))
    (name,) = seen
    assert name.startswith(f".f.bin.{os.getpid()}.") and name.endswith(".tmp")


def test_stale_temporary_files_are_removed_and_live_or_foreign_ones_kept(tmp_path):
    dead = _dead_pid()
    stale = [f".model.safetensors.{dead}.abc_1234.tmp", f".metrics.csv.{dead}.ZZZZzzzz.tmp",
             f".mine.{os.getpid()}.abcdefgh.tmp"]  # this process writes nothing there now: stale too
    kept = [f".model.safetensors.{os.getppid()}.abcdefgh.tmp",  # a running writer (the parent process)
            f".notes.{dead}.short.tmp", "model.safetensors", ".hidden", f"x.{dead}.abcdefgh.tmp"]
    for name in stale + kept:
        (tmp_path / name).write_bytes(b"x")
    removed = remove_stale_temp_files(tmp_path)
    assert sorted(os.path.basename(p) for p in removed) == sorted(stale)
    assert sorted(os.listdir(tmp_path)) == sorted(kept)


def test_stale_files_of_other_targets_are_kept_when_names_are_given(tmp_path):
    dead = _dead_pid()
    for name in (f".lm.safetensors.{dead}.abcdefgh.tmp", f".other.txt.{dead}.abcdefgh.tmp"):
        (tmp_path / name).write_bytes(b"x")
    removed = remove_stale_temp_files(tmp_path, names=["lm.safetensors", "lm.checkpoint.safetensors"])
    assert [os.path.basename(p) for p in removed] == [f".lm.safetensors.{dead}.abcdefgh.tmp"]
    assert os.listdir(tmp_path) == [f".other.txt.{dead}.abcdefgh.tmp"]
