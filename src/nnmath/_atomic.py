"""Atomic file writes: a reader sees the old file or the new one, never a half-written one.

The new content goes to a temporary file in the target's directory (same filesystem, so the rename
is atomic), is flushed and fsynced, then ``os.replace`` puts it in place and the directory is fsynced
so the rename itself survives a power cut. If writing fails, the temporary file is removed and the
old file is untouched. (A process killed mid-write can leave its hidden ``.NAME.*.tmp`` behind; the
target is still intact.)
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from typing import BinaryIO, Callable


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once: mkstemp creates files readable by the owner only, and a saved file should get the
# permissions an ordinary open() would give it.
_FILE_MODE = 0o666 & ~_current_umask()


def atomic_write(path, write: Callable[[BinaryIO], None]) -> None:
    """Create or replace ``path`` with what ``write(file)`` writes, atomically."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist (can't write {path}); create it first")
    fd, temp_path = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp_path, _FILE_MODE)
        os.replace(temp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_path)
        raise
    _fsync_directory(directory)


def atomic_write_bytes(path, data: bytes) -> None:
    atomic_write(path, lambda file: file.write(data))


def _fsync_directory(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # platforms (Windows) where a directory cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
