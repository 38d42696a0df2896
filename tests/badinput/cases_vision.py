"""Vision: transforms and datasets given images, sizes and options they cannot take. torchvision is not
a test dependency, so these cases run with nnmath only: each declares what torchvision 0.28 does (an
error and its built-in class, or a valid result and its value)."""
from __future__ import annotations

import os

import numpy as np

from differential import Case, scratch

CASES: list[Case] = []


def _t(lib):
    return lib.vision.transforms


def _without_data_variable(make):
    """``make()`` with NNMATH_DATA unset: a missing root would otherwise fall back to that directory."""
    saved = os.environ.pop("NNMATH_DATA", None)
    try:
        return make()
    finally:
        if saved is not None:
            os.environ["NNMATH_DATA"] = saved


def _image(lib, c=3, h=4, w=4):
    return lib.linspace(0.0, 1.0, c * h * w).reshape(c, h, w)


ERRORS = [
    ("normalize-channel-count", lambda lib: _t(lib).Normalize([0.5, 0.5], [0.5, 0.5])(_image(lib)), ("Normalize",),
     ("2", "3"), RuntimeError),
    ("normalize-std-zero", lambda lib: _t(lib).Normalize([0.5], [0.0])(_image(lib, 1)), ("Normalize",),
     ("std", "zero", "0"), ValueError),
    ("normalize-uint8", lambda lib: _t(lib).Normalize([0.5], [0.5])(lib.ones(1, 2, 2, dtype=lib.uint8)),
     ("Normalize",), ("uint8", "float"), TypeError),
    ("normalize-2d", lambda lib: _t(lib).Normalize([0.5], [0.5])(lib.ones(4, 4)), ("Normalize",), ("(4, 4)", "C, H, W"),
     ValueError),
    ("to-tensor-4d-array", lambda lib: _t(lib).ToTensor()(np.zeros((1, 2, 2, 3), np.uint8)), ("ToTensor", "pic"),
     ("4", "(1, 2, 2, 3)"), ValueError),
    ("to-tensor-not-an-image", lambda lib: _t(lib).ToTensor()("image.png"), ("ToTensor", "pic"), ("str",), TypeError),
    ("resize-three-sizes", lambda lib: _t(lib).Resize([1, 2, 3]), ("Resize", "size"), ("3", "[1, 2, 3]", "1 or 2"),
     ValueError),
    ("resize-float-size", lambda lib: _t(lib).Resize(2.5), ("Resize", "size"), ("2.5", "float", "int"), TypeError),
    ("random-crop-too-large", lambda lib: _t(lib).RandomCrop(5)(_image(lib)), ("RandomCrop", "crop"),
     ("5", "(4, 4)"), ValueError),
    ("pad-three-values", lambda lib: _t(lib).Pad((1, 2, 3)), ("Pad", "padding"), ("3", "(1, 2, 3)"), ValueError),
    ("pad-bad-mode", lambda lib: _t(lib).Pad(1, padding_mode="wrap"), ("Pad", "padding_mode", "padding mode"),
     ("wrap", "constant"), ValueError),
    ("rotation-negative-degrees", lambda lib: _t(lib).RandomRotation(-10), ("RandomRotation", "degrees"),
     ("-10", "positive"), ValueError),
    ("lambda-not-callable", lambda lib: _t(lib).Lambda(3), ("Lambda",), ("int", "callable"), TypeError),
    ("center-crop-three-sizes", lambda lib: _t(lib).CenterCrop((1, 2, 3)), ("CenterCrop", "size"),
     ("3", "(1, 2, 3)", "1 or 2"), ValueError),
    ("mnist-missing-root", lambda lib: _without_data_variable(lambda: lib.vision.datasets.MNIST(
        os.path.join(scratch(), "none"))), ("MNIST",),
     ("not found", "none"), RuntimeError),
    ("make-grid-5d", lambda lib: lib.vision.utils.make_grid(lib.ones(1, 1, 1, 2, 2)), ("make_grid",),
     ("(1, 1, 1, 2, 2)", "5"), ValueError),
]
for name, program, op, values, error_class in ERRORS:
    CASES.append(Case(f"vision/{name}", program, True, op, values, torch=False, error_class=error_class))

VALID = [
    ("center-crop-larger-pads", lambda lib: _t(lib).CenterCrop(3)(lib.ones(1, 1, 1)),
     np.pad(np.ones((1, 1, 1), np.float32), ((0, 0), (1, 1), (1, 1)))),
    ("to-tensor-hwc-uint8", lambda lib: _t(lib).ToTensor()(np.full((2, 3, 1), 255, np.uint8)),
     np.ones((1, 2, 3), np.float32)),
    ("to-tensor-float64-kept", lambda lib: str(_t(lib).ToTensor()(np.full((2, 2), 0.5)).dtype).split(".")[-1],
     "float64"),
    ("normalize-one-value-all-channels", lambda lib: _t(lib).Normalize([0.5], [0.25])(lib.ones(3, 1, 1)),
     np.full((3, 1, 1), 2.0, np.float32)),
    ("flip-probability-one", lambda lib: _t(lib).RandomHorizontalFlip(1.0)(lib.arange(4.0).reshape(1, 2, 2)),
     np.array([[[1.0, 0.0], [3.0, 2.0]]], np.float32)),
    ("pad-zero-ok", lambda lib: _t(lib).Pad(0)(lib.ones(1, 2, 2)), np.ones((1, 2, 2), np.float32)),
    ("make-grid-one-image", lambda lib: tuple(lib.vision.utils.make_grid(lib.ones(1, 1, 2, 2), padding=0).shape),
     (3, 2, 2)),
]
for name, program, expected in VALID:
    CASES.append(Case(f"vision/{name}", program, False, torch=False, expected=expected))
