"""``nnmath.save`` / ``nnmath.load``: tensors and nested containers in a safetensors file, with no pickle.

A saved file is a standard safetensors file: every tensor (and NumPy array) of the object is one named
entry, so ``safetensors.torch.load_file`` reads a saved ``state_dict`` directly, and a safetensors file
written by PyTorch loads here as a flat ``{name: Tensor}`` dict. Everything else in the object (dicts,
lists, tuples, numbers, strings, bools, None: an optimizer's hyperparameters, an epoch counter, RNG
states) is JSON in the header's ``__metadata__`` under the key ``"nnmath"``, where each tensor appears
as a reference to its entry. Loading parses JSON and copies bytes: it never executes code.

The JSON tree, decoded by :func:`_decode`::

    null, true, 1, 2.5, "s", [..]   themselves
    {"k": ..}                       a dict whose keys are strings not starting with "$"
    {"$dict": [[key, value], ..]}   any other dict (optimizer state is keyed by int)
    {"$tuple": [..]}                a tuple
    {"$float": "nan"}               nan, inf, -inf (not valid JSON numbers)
    {"$tensor": name}               an nnmath Tensor ("requires_grad": true when it did; "device": "cuda:0"
                                    for a GPU tensor, whose bytes are copied to the host to be saved)
    {"$ndarray": name}              a NumPy array ("scalar": true for a NumPy scalar such as np.float32(1))

Each tensor's SHA-256 is stored alongside, so a file whose bytes were damaged fails to load with an
error naming the tensor, rather than loading wrong numbers. Writes are atomic (:mod:`nnmath._atomic`).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import struct

import numpy as np

from nnmath._atomic import atomic_write_bytes
from nnmath.backend import check_available, cuda_device_count, to_device
from nnmath.device import CPU
from nnmath.tensor import Tensor

__all__ = ["save", "load", "FileFormatError"]

FORMAT_VERSION = 1
_METADATA_KEY = "nnmath"
# The safetensors format: an 8-byte little-endian header length, then the JSON header. Its reader
# rejects headers above 100 MB; so does this one, before reading them.
_HEADER_LIMIT = 100_000_000


class FileFormatError(RuntimeError):
    """A file that is not a readable nnmath/safetensors file: truncated, corrupted or another format."""


# --- save ------------------------------------------------------------------------------------------
def save(obj, f) -> None:
    """Save ``obj`` (a tensor, a ``state_dict``, or nested dicts/lists/tuples of tensors, NumPy arrays,
    numbers, strings, bools and None) to ``f``, a path (written atomically) or a binary file object.

    A ``state_dict`` (a dict of str -> Tensor) keeps its keys as the safetensors tensor names, so the
    file is a ``state_dict`` for ``safetensors.torch.load_file`` too.

    Example::

        >>> nnmath.save({"model": model.state_dict(), "epoch": 3}, "ckpt.safetensors")
        >>> ckpt = nnmath.load("ckpt.safetensors")
    """
    import safetensors.numpy

    arrays: dict[str, np.ndarray] = {}
    tree = _Encoder(arrays, flat_names=_is_flat_state_dict(obj)).encode(obj, ())
    header = {"format": FORMAT_VERSION, "tree": tree,
              "sha256": {name: _digest(array) for name, array in arrays.items()}}
    try:
        data = safetensors.numpy.save(arrays, metadata={_METADATA_KEY: json.dumps(header, allow_nan=False)})
    except Exception as error:  # safetensors rejects e.g. complex128 with its own error type
        raise TypeError(f"nnmath.save: safetensors cannot store these tensors: {error}") from error
    if hasattr(f, "write"):
        f.write(data)
    else:
        _check_target(f)
        atomic_write_bytes(f, data)


def _check_target(path) -> None:
    """A path ``save`` can write: not a directory, in a directory that exists (PyTorch's RuntimeErrors)."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise RuntimeError(f"nnmath.save: {os.fspath(path)!r} is a directory; give a file name")
    if not os.path.isdir(directory):
        raise RuntimeError(f"nnmath.save: Parent directory {directory} does not exist (can't write "
                           f"{os.fspath(path)}); create it first")


def _is_flat_state_dict(obj) -> bool:
    return (isinstance(obj, dict) and len(obj) > 0
            and all(isinstance(key, str) and isinstance(value, Tensor) for key, value in obj.items()))


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(_contiguous(array).reshape(-1).view(np.uint8)).hexdigest()


def _contiguous(array: np.ndarray) -> np.ndarray:
    # Not np.ascontiguousarray: it turns a 0-d array into a 1-d one.
    return array if array.flags.c_contiguous else array.copy(order="C")


class _Encoder:
    """Turns an object into the JSON tree, moving its tensors into ``arrays`` under unique names."""

    def __init__(self, arrays: dict, flat_names: bool):
        self.arrays = arrays
        self.flat_names = flat_names  # a state_dict's tensors keep their keys as names

    def encode(self, value, path: tuple):
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return int(value)  # an IntEnum or other int subclass is saved as its value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"$float": repr(value)}
        if isinstance(value, Tensor):
            node = {"$tensor": self._add(to_device(value._data, CPU), path)}
            if value.requires_grad:
                node["requires_grad"] = True
            if value.device != CPU:
                node["device"] = str(value.device)
            return node
        if isinstance(value, np.ndarray):
            return {"$ndarray": self._add(value, path)}
        if isinstance(value, np.generic):
            return {"$ndarray": self._add(np.asarray(value), path), "scalar": True}
        if isinstance(value, tuple):
            return {"$tuple": [self.encode(item, path + (i,)) for i, item in enumerate(value)]}
        if isinstance(value, list):
            return [self.encode(item, path + (i,)) for i, item in enumerate(value)]
        if isinstance(value, dict):
            if all(isinstance(key, str) and not key.startswith("$") for key in value):
                return {key: self.encode(item, path + (key,)) for key, item in value.items()}
            return {"$dict": [[self.encode(key, path + ("<key>",)), self.encode(item, path + (key,))]
                              for key, item in value.items()]}
        raise TypeError(f"nnmath.save: cannot save a {type(value).__module__}.{type(value).__qualname__} at "
                        f"{_describe(path)}; supported: Tensor, numpy.ndarray, dict, list, tuple, str, int, "
                        "float, bool, None (save a module's state_dict(), not the module)")

    def _add(self, array: np.ndarray, path: tuple) -> str:
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        name = path[-1] if self.flat_names else "/".join(str(part) for part in path) or "tensor"
        unique, copy_number = name, 1
        while unique in self.arrays:  # keys 1 and "1" would otherwise share a name
            copy_number += 1
            unique = f"{name}~{copy_number}"
        self.arrays[unique] = _contiguous(array)
        return unique


def _describe(path: tuple) -> str:
    return "obj" + "".join(f"[{part!r}]" for part in path)


# --- load ------------------------------------------------------------------------------------------
def load(f, map_location=None, weights_only: bool = True):
    """Load what :func:`save` saved (or any safetensors file, as a flat ``{name: Tensor}`` dict).

    ``f`` is a path or a binary file object. Tensors return to the device they were saved from, unless
    ``map_location`` says otherwise, as in PyTorch: a device (``'cpu'``, ``'cuda'``) for all of them, a
    dict from saved to new locations (``{'cuda:0': 'cpu'}``), or a callable ``f(tensor, location)``
    given each tensor on the CPU and its saved location, whose returned tensor is kept.
    ``weights_only`` is accepted for PyTorch compatibility: nnmath files never contain
    code, so loading is always as safe as ``weights_only=True``. Raises :class:`FileFormatError`,
    naming the file, if it is truncated, corrupted or not a safetensors file.
    """
    _check_map_location(map_location)
    name = repr(os.fspath(f)) if not hasattr(f, "read") else repr(getattr(f, "name", "<file object>"))
    if hasattr(f, "read"):
        data = f.read()
    else:
        data = _read_file(f)
    arrays, metadata = _read_safetensors(data, name)
    if metadata is None or _METADATA_KEY not in metadata:
        return {key: Tensor._make(_place(np.array(array), "cpu", map_location)) for key, array in arrays.items()}
    try:
        header = json.loads(metadata[_METADATA_KEY])
        version = header["format"]
        tree = header["tree"]
        digests = dict(header["sha256"])
    except (ValueError, KeyError, TypeError) as error:
        raise FileFormatError(f"nnmath.load: {name} has a damaged nnmath header ({error})") from None
    if version != FORMAT_VERSION:
        raise FileFormatError(f"nnmath.load: {name} has nnmath format version {version!r}; this nnmath "
                              f"reads version {FORMAT_VERSION} (upgrade nnmath)")
    for key, array in arrays.items():
        if digests.get(key) != _digest(array):
            raise FileFormatError(f"nnmath.load: {name} is corrupted: the bytes of tensor {key!r} do not "
                                  "match their checksum")
    return _Decoder(arrays, name, map_location).decode(tree)


def _read_file(path) -> bytes:
    """The bytes of the file at ``path``; a missing file is a FileNotFoundError naming load and the path."""
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError as e:
        raise FileNotFoundError(e.errno, "nnmath.load: no such file", e.filename) from None


def _check_map_location(map_location) -> None:
    if map_location is None or callable(map_location):
        return  # a callable decides per tensor
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for target in targets:
        check_available(target)


def _place(array: np.ndarray, saved: str, map_location):
    """A loaded array on the device ``map_location`` gives for its saved location (PyTorch's rules)."""
    if callable(map_location):
        mapped = map_location(Tensor._make(array), saved)
        return mapped._data if isinstance(mapped, Tensor) else array
    target = map_location.get(saved, saved) if isinstance(map_location, dict) else map_location or saved
    if str(target).startswith("cuda") and cuda_device_count() == 0:
        raise RuntimeError("Attempting to deserialize object on a CUDA device but nnmath.cuda.is_available() is "
                           "False. If you are running on a CPU-only machine, please use nnmath.load with "
                           "map_location=nnmath.device('cpu') to map your storages to the CPU.")
    return to_device(array, check_available(target))


def _read_safetensors(data: bytes, name: str) -> tuple[dict, dict | None]:
    """The arrays and the ``__metadata__`` of a safetensors file's bytes, or a FileFormatError."""
    import safetensors
    import safetensors.numpy

    if len(data) < 8:
        raise FileFormatError(f"nnmath.load: {name} is not a safetensors file: it has {len(data)} bytes "
                              "(truncated or empty)")
    header_size, = struct.unpack("<Q", data[:8])
    if header_size > _HEADER_LIMIT or 8 + header_size > len(data):
        hint = " (a PyTorch .pt/.pth pickle? nnmath never unpickles: convert it with " \
               "safetensors.torch.save_file(state_dict, path))" if data[:2] in (b"PK", b"\x80\x02") else ""
        raise FileFormatError(f"nnmath.load: {name} is truncated or not a safetensors file: its header "
                              f"claims {header_size} bytes, the file has {len(data)}{hint}")
    try:
        arrays = safetensors.numpy.load(data)
        metadata = json.loads(data[8:8 + header_size]).get("__metadata__")
    except (safetensors.SafetensorError, ValueError, KeyError) as error:
        raise FileFormatError(f"nnmath.load: {name} is truncated or corrupted: {error}") from None
    return arrays, metadata


class _Decoder:
    """Rebuilds the saved object from the JSON tree and the file's arrays (copied: they are writable
    and own their memory)."""

    def __init__(self, arrays: dict, name: str, map_location=None):
        self.arrays = arrays
        self.name = name
        self.map_location = map_location

    def decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(item) for item in node]
        if not isinstance(node, dict):
            raise self._damaged(f"unexpected JSON value {node!r}")
        if "$tensor" in node:
            tensor = Tensor._make(_place(self._array(node["$tensor"]), node.get("device", "cpu"), self.map_location))
            if node.get("requires_grad"):
                tensor.requires_grad_(True)
            return tensor
        if "$ndarray" in node:
            array = self._array(node["$ndarray"])
            return array[()] if node.get("scalar") else array
        if "$tuple" in node:
            return tuple(self.decode(item) for item in node["$tuple"])
        if "$float" in node:
            return float(node["$float"])
        if "$dict" in node:
            return {self.decode(key): self.decode(value) for key, value in node["$dict"]}
        return {key: self.decode(value) for key, value in node.items()}

    def _array(self, key) -> np.ndarray:
        if key not in self.arrays:
            raise self._damaged(f"it refers to a tensor {key!r} that the file does not contain")
        return np.array(self.arrays[key])

    def _damaged(self, what: str) -> FileFormatError:
        return FileFormatError(f"nnmath.load: {self.name} has a damaged nnmath header: {what}")

