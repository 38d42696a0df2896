"""nnmath._malloc: freed arrays' memory stays in the process (glibc's mmap and trim thresholds)."""
import ctypes
import os
import subprocess
import sys

import pytest

from nnmath import _malloc

glibc = pytest.mark.skipif(not sys.platform.startswith("linux") or not hasattr(ctypes.CDLL(None), "mallinfo2"),
                           reason="needs glibc ≥ 2.33 (mallinfo2)")

# The bytes glibc holds in mmapped chunks before and after allocating a fresh 8 MiB array, in a new
# process that imports nnmath (whose import sets the thresholds unless the user chose).
_PROBE = """
import ctypes, numpy as np
import nnmath
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]
mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = Info
before = mallinfo2().hblkhd
array = np.ones(2 ** 21, dtype=np.float32)
print(mallinfo2().hblkhd - before)
"""


def _mmapped_bytes_of_a_fresh_array(env_extra):
    env = {**os.environ, **env_extra}
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout)


@glibc
def test_a_large_array_comes_from_the_heap_not_from_fresh_pages():
    assert _mmapped_bytes_of_a_fresh_array({}) == 0
    # the probe can see the difference: left to glibc's defaults the same array is mapped on its own
    assert _mmapped_bytes_of_a_fresh_array({"GLIBC_TUNABLES": "glibc.malloc.check=0"}) >= 2 ** 23


@pytest.mark.parametrize("name, value", [("MALLOC_TRIM_THRESHOLD_", "1000"), ("MALLOC_MMAP_THRESHOLD_", "65536"),
                                         ("MALLOC_TOP_PAD_", "0"), ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1")])
def test_the_users_own_malloc_settings_are_left_alone(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    assert _malloc.keep_freed_memory() is False


@glibc
def test_the_thresholds_are_set_when_the_user_chose_none(monkeypatch):
    for name in _malloc._USER_SETTINGS + ("GLIBC_TUNABLES",):
        monkeypatch.delenv(name, raising=False)
    assert _malloc.keep_freed_memory() is True
