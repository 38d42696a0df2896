"""Atomic file writes: a reader sees the old file or the new one, never a half-written one.

The new content goes to a temporary file in the target's directory (same filesystem, so the rename
is atomic), is flushed and fsynced, then ``os.replace`` puts it in place and the directory is fsynced
so the rename itself survives a power cut. If writing fails, the temporary file is removed and the
old file is untouched. A process killed mid-write (``kill -9``, a power cut) leaves its hidden
temporary file ``.NAME.PID.XXXXXXXX.tmp`` behind, the target still intact; the writer's process id in
the name lets :func:`remove_stale_temp_files` tell such leftovers from files being written now.
"""
from __future__ import annotations

import contextlib
import os
import re
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
    fd, temp_path = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.{os.getpid()}.", suffix=".tmp",
                                     dir=directory)
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


#: ``.NAME.PID.XXXXXXXX.tmp``: a temporary file of :func:`atomic_write` (mkstemp's 8 random characters).
_TEMP_NAME = re.compile(r"^\.(.+)\.(\d+)\.[A-Za-z0-9_]{8}\.tmp$")


def remove_stale_temp_files(directory, names=None) -> list[str]:
    """Remove the temporary files that killed writers left in ``directory`` (those whose process no
    longer runs), of the targets ``names`` only when given; returns their paths. A program calls it
    when it starts writing into a directory, before it writes there: a file named with this process's
    own id counts as stale too (in a container, a restarted program often gets the id it had)."""
    removed = []
    for entry in os.scandir(directory):
        match = _TEMP_NAME.match(entry.name)
        if (match and (names is None or match.group(1) in names) and entry.is_file(follow_symlinks=False)
                and (int(match.group(2)) == os.getpid() or not _process_exists(int(match.group(2))))):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed.append(entry.path)
    return removed


def _process_exists(pid: int) -> bool:
    """Whether process ``pid`` runs (signal 0 checks without sending; on Windows, where signal 0 is
    Ctrl-C, every process is assumed to run, so nothing is removed)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # another user's process (PermissionError), or a pid no process can have
        return True
    return True


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
