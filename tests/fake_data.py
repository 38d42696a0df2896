"""Tiny stand-ins for the shared datasets, written into a temporary folder: tests of the programs that
read MNIST run without the real files (and in a fraction of the time)."""
from __future__ import annotations

import gzip
import hashlib
import os
import struct

import numpy as np


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file's bytes: magic 2051 (images, 3-D) or 2049 (labels), the sizes, the uint8 data."""
    magic = 2051 if array.ndim == 3 else 2049
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape) + array.tobytes()


def fake_mnist(folder, n_train=6, n_test=4, seed=0) -> dict:
    """Write the four gzip IDX files of a tiny MNIST (random pixels and labels) into ``folder``;
    returns {filename: md5}."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    md5s = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        for kind, arr in (("images-idx3", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)),
                          ("labels-idx1", rng.integers(0, 10, n, dtype=np.uint8))):
            name = f"{prefix}-{kind}-ubyte.gz"
            data = gzip.compress(idx_bytes(arr))
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
            md5s[name] = hashlib.md5(data).hexdigest()
    return md5s
