"""Serialisation: files that are missing, not files, truncated, corrupted or of another kind; state_dicts
that do not fit the module they are loaded into. Each library reads the files it writes itself."""
from __future__ import annotations

import os

from differential import Case, scratch

CASES: list[Case] = []


def _path(name="x.pt"):
    return os.path.join(scratch(), name)


def _saved(lib, obj=None):
    path = _path()
    lib.save({"w": lib.arange(100.0)} if obj is None else obj, path)
    return path


def _load_missing(lib):
    return lib.load(_path("missing.pt"))


def _load_directory(lib):
    return lib.load(scratch())


def _load_garbage(lib):
    path = _path()
    with open(path, "wb") as file:
        file.write(b"this is not a tensor file at all" * 4)
    return lib.load(path)


def _load_empty(lib):
    path = _path()
    open(path, "wb").close()
    return lib.load(path)


def _load_truncated(lib):
    path = _saved(lib)
    with open(path, "rb") as file:
        data = file.read()
    with open(path, "wb") as file:
        file.write(data[: len(data) // 2])
    return lib.load(path)


def _load_corrupted_payload(lib):
    """One byte of the tensor data flipped: PyTorch loads the changed number; nnmath's checksum refuses it."""
    path = _saved(lib)
    with open(path, "rb") as file:
        data = bytearray(file.read())
    payload = bytes(lib.arange(100.0).numpy().tobytes())
    where = bytes(data).find(payload[200:216])
    data[where + 3] ^= 0x40
    with open(path, "wb") as file:
        file.write(bytes(data))
    return lib.load(path)["w"]


def _save_missing_dir(lib):
    lib.save({"w": lib.ones(2)}, os.path.join(scratch(), "no", "such", "x.pt"))


def _save_to_directory(lib):
    lib.save({"w": lib.ones(2)}, scratch())


def _round_trip_ok(lib):
    x = lib.arange(12.0).reshape(3, 4)
    obj = {"a": x[:, 1:3], "b": x.T, "n": 3, "s": "text", "l": [1.5, 2.5], "i": lib.arange(3)}
    return lib.load(_saved(lib, obj))


def _round_trip_dtypes_ok(lib):
    obj = {str(dtype).split(".")[-1]: lib.ones(2, dtype=dtype) for dtype in
           (lib.float16, lib.float64, lib.int8, lib.uint8, lib.int32, lib.bool)}
    return {k: v.float() for k, v in lib.load(_saved(lib, obj)).items()}


def _round_trip_empty_ok(lib):
    return lib.load(_saved(lib, {"e": lib.ones(0, 3), "s": lib.tensor(2.5)}))


class Point:
    def __init__(self, x):
        self.x = x


def _save_load_custom_object(lib):
    """An arbitrary object: PyTorch saves it (pickled) and, since 2.6, refuses to load it by default
    (weights_only=True); nnmath refuses it when saving."""
    path = _path()
    lib.save({"p": Point(1)}, path)
    return lib.load(path)


def _model(lib):
    """Linear-ReLU-Linear with fixed weights (the same in both libraries, whatever their random streams)."""
    model = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.ReLU(), lib.nn.Linear(2, 1))
    with lib.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(lib.linspace(-1.0, 1.0 + i, p.numel()).reshape(p.shape))
    return model


def _state_missing_key(lib):
    state = _model(lib).state_dict()
    del state["2.bias"]
    _model(lib).load_state_dict(state)


def _state_unexpected_key(lib):
    state = _model(lib).state_dict()
    state["3.weight"] = lib.ones(1)
    _model(lib).load_state_dict(state)


def _state_shape(lib):
    state = _model(lib).state_dict()
    state["0.weight"] = lib.ones(2, 4)
    _model(lib).load_state_dict(state)


def _state_not_strict_ok(lib):
    state = _model(lib).state_dict()
    del state["2.bias"]
    state["extra"] = lib.ones(1)
    result = _model(lib).load_state_dict(state, strict=False)
    return list(result.missing_keys), list(result.unexpected_keys)


def _state_list(lib):
    _model(lib).load_state_dict([("0.weight", lib.ones(2, 3))])


def _state_float64_ok(lib):
    model = _model(lib)
    model.load_state_dict({k: v.double() * 2 for k, v in model.state_dict().items()})
    return model.state_dict()


def _state_int_value(lib):
    state = _model(lib).state_dict()
    state["0.bias"] = 3
    _model(lib).load_state_dict(state)


def _state_round_trip_ok(lib):
    model = _model(lib)
    path = _path()
    lib.save(model.state_dict(), path)
    fresh = _model(lib)
    fresh.load_state_dict(lib.load(path))
    return fresh(lib.ones(2, 3))


def _load_map_location_cuda(lib):
    return lib.load(_saved(lib), map_location="cuda")


def _load_map_location_cpu_ok(lib):
    return lib.load(_saved(lib), map_location="cpu")


def _buffer_missing(lib):
    model = lib.nn.BatchNorm1d(3)
    state = model.state_dict()
    del state["running_mean"]
    model.load_state_dict(state)


def _save_file_object_ok(lib):
    import io
    buffer = io.BytesIO()
    lib.save({"w": lib.ones(3)}, buffer)
    buffer.seek(0)
    return lib.load(buffer)


def _load_closed_file(lib):
    import io
    buffer = io.BytesIO()
    lib.save({"w": lib.ones(3)}, buffer)
    buffer.close()
    return lib.load(buffer)


PROGRAMS = [
    ("load-missing-file", _load_missing, ("load", "No such file"), ("missing.pt",)),
    ("load-a-directory", _load_directory, ("load", "directory"), ("badinput-",)),
    ("load-garbage", _load_garbage, ("load",), ("x.pt", "not", "invalid")),
    ("load-empty-file", _load_empty, ("load",), ("x.pt", "empty", "0 bytes")),
    ("load-truncated", _load_truncated, ("load",), ("x.pt", "truncated", "zip")),
    ("load-corrupted-payload", _load_corrupted_payload, None, None),
    ("save-into-missing-directory", _save_missing_dir, ("save", "Parent directory"), ("no/such",)),
    ("save-to-a-directory", _save_to_directory, ("save", "directory"), ("badinput-",)),
    ("round-trip-ok", _round_trip_ok, None, None),
    ("round-trip-dtypes-ok", _round_trip_dtypes_ok, None, None),
    ("round-trip-empty-ok", _round_trip_empty_ok, None, None),
    ("save-load-custom-object", _save_load_custom_object, ("save", "load"), ("Point",)),
    ("state-missing-key", _state_missing_key, ("load_state_dict", "state_dict"), ("2.bias",)),
    ("state-unexpected-key", _state_unexpected_key, ("load_state_dict", "state_dict"), ("3.weight",)),
    ("state-shape-mismatch", _state_shape, ("load_state_dict", "state_dict"), ("0.weight", "(2, 4)", "[2, 4]")),
    ("state-not-strict-ok", _state_not_strict_ok, None, None),
    ("state-a-list", _state_list, ("load_state_dict", "state_dict"), ("list", "dict")),
    ("state-float64-ok", _state_float64_ok, None, None),
    ("state-int-value", _state_int_value, ("load_state_dict", "state_dict"), ("0.bias", "int")),
    ("state-round-trip-ok", _state_round_trip_ok, None, None),
    ("load-map-location-cuda", _load_map_location_cuda, ("load", "cuda", "CUDA"), ("cuda", "CUDA")),
    ("load-map-location-cpu-ok", _load_map_location_cpu_ok, None, None),
    ("state-buffer-missing", _buffer_missing, ("load_state_dict", "state_dict"), ("running_mean",)),
    ("save-file-object-ok", _save_file_object_ok, None, None),
    ("load-closed-file", _load_closed_file, ("load", "closed"), ("closed",)),
]
# PyTorch's class for these is what its unpickler happens to hit first (IndexError "pop from empty list",
# EOFError with no message); nnmath raises FileFormatError, a RuntimeError, for every unreadable file.
ACCIDENTAL = {"load-garbage": "IndexError('pop from empty list') from the unpickler",
              "load-empty-file": "EOFError() with no message from the unpickler",
              "save-load-custom-object": "pickle's UnpicklingError (weights_only), at load where nnmath refuses at save"}
for name, program, op, values in PROGRAMS:
    CASES.append(Case(f"serialization/{name}", program, op is not None, op or (), values or (),
                      loose_class=ACCIDENTAL.get(name, "")))
