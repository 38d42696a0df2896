"""Image transforms with torchvision's names. Images are uint8 NumPy arrays (H, W) or (H, W, C), PIL
images (when Pillow is installed) or float tensors (C, H, W); random ones draw from nnmath's global
generator (``nnmath.manual_seed`` makes them repeatable)."""
from __future__ import annotations

import math
import numbers

import numpy as np

from nnmath import dtypes
from nnmath.random import rng
from nnmath.tensor import Tensor

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "RandomCrop", "RandomHorizontalFlip", "RandomRotation",
           "Resize", "Pad", "CenterCrop", "PILToTensor", "ConvertImageDtype"]


def _is_pil(img) -> bool:
    return type(img).__module__.startswith("PIL.")


def _as_array(img) -> np.ndarray:
    """An image as an array: (H, W) / (H, W, C) for arrays and PIL images, (C, H, W) for tensors."""
    if isinstance(img, Tensor):
        return img._data
    return np.asarray(img)


def _rebuild(img, array):
    """``array`` in the kind of ``img`` (tensor, PIL image or array)."""
    if isinstance(img, Tensor):
        return Tensor._make(np.ascontiguousarray(array))
    if _is_pil(img):
        from PIL import Image
        return Image.fromarray(np.ascontiguousarray(array))
    return np.ascontiguousarray(array)


def _spatial(img):
    """(array, axis of height): tensors are (…, H, W), arrays and PIL images (H, W[, C])."""
    a = _as_array(img)
    return a, (a.ndim - 2 if isinstance(img, Tensor) else 0)


class Compose:
    """Apply transforms in order: ``Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])``."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        body = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class ToTensor:
    """uint8 image (H, W) or (H, W, C) array, or PIL image -> float32 tensor (C, H, W) in [0, 1].
    Float arrays are only transposed to (C, H, W)."""

    def __call__(self, pic):
        if not (isinstance(pic, np.ndarray) or _is_pil(pic)):
            raise TypeError(f"ToTensor: pic should be a PIL Image or a NumPy array, got {type(pic).__name__}")
        a = np.asarray(pic)
        if a.ndim == 2:
            a = a[:, :, None]
        if a.ndim != 3:
            raise ValueError(f"ToTensor: pic should be 2/3 dimensional, (H, W) or (H, W, C); got {a.ndim} dimensions "
                             f"(shape {a.shape})")
        a = a.transpose(2, 0, 1)
        if a.dtype == np.uint8:
            return Tensor._make(np.multiply(a, np.float32(1 / 255), dtype=np.float32))
        if a.dtype.kind == "b":
            return Tensor._make(a.astype(np.float32))
        return Tensor._make(np.ascontiguousarray(a if a.dtype.kind == "f" else a.astype(np.float32)))

    def __repr__(self):
        return "ToTensor()"


class PILToTensor:
    """PIL image / uint8 array -> uint8 tensor (C, H, W), values unchanged."""

    def __call__(self, pic):
        a = np.asarray(pic)
        a = a[:, :, None] if a.ndim == 2 else a
        return Tensor._make(np.ascontiguousarray(a.transpose(2, 0, 1)))


class ConvertImageDtype:
    """Convert a tensor image to ``dtype``, rescaling integer images to [0, 1]."""

    def __init__(self, dtype):
        self.dtype = dtype

    def __call__(self, img):
        np_dtype = dtypes.as_dtype(self.dtype, "ConvertImageDtype").np
        a = img._data
        if a.dtype.kind in "iu" and np.dtype(np_dtype).kind == "f":
            return Tensor._make((a / np.iinfo(a.dtype).max).astype(np_dtype))
        return Tensor._make(a.astype(np_dtype))


class Normalize:
    """x ← (x − mean[c]) / std[c] per channel of a float tensor (C, H, W) or (N, C, H, W)."""

    def __init__(self, mean, std, inplace: bool = False):
        self.mean = tuple(mean) if isinstance(mean, (list, tuple)) else (mean,)
        self.std = tuple(std) if isinstance(std, (list, tuple)) else (std,)
        if any(s == 0 for s in self.std):
            raise ValueError(f"Normalize: std evaluated to zero after conversion to float, leading to division "
                             f"by zero (std={self.std})")
        self.inplace = inplace

    def _arrays(self, dtype):
        return (np.asarray(self.mean, dtype=dtype).reshape(-1, 1, 1),
                np.asarray(self.std, dtype=dtype).reshape(-1, 1, 1))

    def _apply(self, a):
        mean, std = self._arrays(a.dtype)
        return (a - mean) / std

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor) or tensor._data.dtype.kind != "f":
            got = f"{type(tensor).__name__} {tensor.dtype}" if isinstance(tensor, Tensor) else type(tensor).__name__
            raise TypeError(f"Normalize: expected a float tensor (apply ToTensor first), got {got}")
        if tensor.ndim < 3:
            raise ValueError(f"Normalize: expected a tensor image of size (C, H, W), got {tuple(tensor.shape)}")
        channels = tensor.shape[-3]
        for name, values in (("mean", self.mean), ("std", self.std)):
            if len(values) not in (1, channels):
                raise RuntimeError(f"Normalize: {len(values)} values of {name} for an image of {channels} channels "
                                   f"(shape {tuple(tensor.shape)}); give one value per channel")
        if tensor.requires_grad:
            mean, std = self._arrays(tensor._data.dtype)
            return (tensor - Tensor._make(mean)) / Tensor._make(std)
        if self.inplace:
            mean, std = self._arrays(tensor._data.dtype)
            tensor._data -= mean
            tensor._data /= std
            tensor._vc.value += 1
            return tensor
        return Tensor._make(self._apply(tensor._data))

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


class Lambda:
    """Apply a user function."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return "Lambda()"


def _pad_array(a, h_axis, left, top, right, bottom, fill=0, mode="constant"):
    widths = [(0, 0)] * a.ndim
    widths[h_axis], widths[h_axis + 1] = (top, bottom), (left, right)
    if mode == "constant":
        return np.pad(a, widths, mode="constant", constant_values=fill)
    return np.pad(a, widths, mode={"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}[mode])


_PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


def _padding4(padding, op):
    if isinstance(padding, numbers.Number):
        return (int(padding),) * 4
    padding = tuple(int(p) for p in padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return (padding[0], padding[1], padding[0], padding[1])
    if len(padding) == 4:
        return padding
    raise ValueError(f"{op}: padding must be an int or a 1-, 2- or 4-element tuple, got {padding}")


def _check_padding_mode(mode, op):
    if mode not in _PADDING_MODES:
        raise ValueError(f"{op}: padding_mode should be one of {', '.join(_PADDING_MODES)}; got {mode!r}")


class Pad:
    """Pad the borders: ``padding`` int, (left/right, top/bottom) or (left, top, right, bottom);
    ``padding_mode`` constant (with ``fill``), edge, reflect or symmetric."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        self.padding = _padding4(padding, "Pad")
        _check_padding_mode(padding_mode, "Pad")
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, img):
        a, h_axis = _spatial(img)
        return _rebuild(img, _pad_array(a, h_axis, *self.padding, fill=self.fill, mode=self.padding_mode))

    def __repr__(self):
        return f"Pad(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


def _size2(size, op):
    """(h, w) from an int or a sequence of 1 or 2 ints (torchvision's rule)."""
    if isinstance(size, numbers.Number):
        return (int(size), int(size))
    size = tuple(int(s) for s in size)
    if len(size) not in (1, 2):
        raise ValueError(f"{op}: size should be an int or a sequence of 1 or 2 values (h, w), got {size}")
    return size * (3 - len(size))


class RandomCrop:
    """Crop a random ``size`` (h, w) window, after optional ``padding`` (as :class:`Pad`)."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _size2(size, "RandomCrop")
        _check_padding_mode(padding_mode, "RandomCrop")
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, img):
        a, h_axis = _spatial(img)
        if self.padding is not None:
            a = _pad_array(a, h_axis, *_padding4(self.padding, "RandomCrop"), fill=self.fill,
                           mode=self.padding_mode)
        th, tw = self.size
        h, w = a.shape[h_axis], a.shape[h_axis + 1]
        if self.pad_if_needed and (h < th or w < tw):
            dh, dw = max(th - h, 0), max(tw - w, 0)
            a = _pad_array(a, h_axis, dw, dh, dw, dh, fill=self.fill, mode=self.padding_mode)
            h, w = a.shape[h_axis], a.shape[h_axis + 1]
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than the input image size "
                             f"{(h, w)}")
        g = rng()
        i = int(g.integers(0, h - th + 1))
        j = int(g.integers(0, w - tw + 1))
        index = [slice(None)] * a.ndim
        index[h_axis], index[h_axis + 1] = slice(i, i + th), slice(j, j + tw)
        return _rebuild(img, a[tuple(index)])

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class CenterCrop:
    """Crop the central ``size`` (h, w) window."""

    def __init__(self, size):
        self.size = _size2(size, "CenterCrop")

    def __call__(self, img):
        a, h_axis = _spatial(img)
        th, tw = self.size
        h, w = a.shape[h_axis], a.shape[h_axis + 1]
        if h < th or w < tw:
            pad_h, pad_w = max(th - h, 0), max(tw - w, 0)
            a = _pad_array(a, h_axis, pad_w // 2, pad_h // 2, pad_w - pad_w // 2, pad_h - pad_h // 2)
            h, w = a.shape[h_axis], a.shape[h_axis + 1]
        i, j = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
        index = [slice(None)] * a.ndim
        index[h_axis], index[h_axis + 1] = slice(i, i + th), slice(j, j + tw)
        return _rebuild(img, a[tuple(index)])


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p``."""

    def __init__(self, p: float = 0.5):
        self.p = p

    def __call__(self, img):
        if rng().random() < self.p:
            a, h_axis = _spatial(img)
            return _rebuild(img, np.flip(a, axis=h_axis + 1))
        return img

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


class RandomRotation:
    """Rotate by an angle drawn uniformly from ``degrees`` = (min, max) (or (−d, d)), about the centre,
    by nearest-neighbour sampling; uncovered pixels get ``fill``."""

    def __init__(self, degrees, interpolation="nearest", expand=False, center=None, fill=0):
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError("RandomRotation: if degrees is a single number, it must be positive")
            degrees = (-degrees, degrees)
        self.degrees = (float(degrees[0]), float(degrees[1]))
        if expand:
            raise NotImplementedError("RandomRotation: expand=True is not implemented")
        self.center = center
        self.fill = fill

    def __call__(self, img):
        angle = float(rng().uniform(self.degrees[0], self.degrees[1]))
        a, h_axis = _spatial(img)
        h, w = a.shape[h_axis], a.shape[h_axis + 1]
        cy, cx = ((h - 1) / 2.0, (w - 1) / 2.0) if self.center is None else (self.center[1], self.center[0])
        theta = math.radians(angle)
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
        # inverse map: output pixel -> source pixel (counter-clockwise rotation of the image, as torchvision)
        cos, sin = math.cos(theta), math.sin(theta)
        sx = cos * (xs - cx) - sin * (ys - cy) + cx
        sy = sin * (xs - cx) + cos * (ys - cy) + cy
        sxi, syi = np.rint(sx).astype(np.intp), np.rint(sy).astype(np.intp)
        inside = (sxi >= 0) & (sxi < w) & (syi >= 0) & (syi < h)
        sxi, syi = np.clip(sxi, 0, w - 1), np.clip(syi, 0, h - 1)
        moved = np.moveaxis(a, (h_axis, h_axis + 1), (0, 1))
        out = moved[syi, sxi]
        mask = inside.reshape(inside.shape + (1,) * (out.ndim - 2))
        out = np.where(mask, out, np.asarray(self.fill, dtype=a.dtype))
        return _rebuild(img, np.moveaxis(out, (0, 1), (h_axis, h_axis + 1)))

    def __repr__(self):
        return f"RandomRotation(degrees={self.degrees})"


class Resize:
    """Resize to ``size`` (h, w), or make the shorter side ``size`` keeping the aspect ratio;
    ``interpolation`` 'nearest' or 'bilinear' (half-pixel centres, as torchvision)."""

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=True):
        if not isinstance(size, (int, list, tuple)) or isinstance(size, bool):
            raise TypeError(f"Resize: size should be an int or a sequence of 1 or 2 ints, got {type(size).__name__} "
                            f"{size!r}")
        if isinstance(size, (list, tuple)) and len(size) not in (1, 2):
            raise ValueError(f"Resize: if size is a sequence, it should have 1 or 2 values, got {list(size)}")
        self.size = size
        self.interpolation = getattr(interpolation, "value", interpolation)
        if self.interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(f"Resize: interpolation {interpolation!r} is not implemented "
                                      f"(nearest, bilinear)")

    def _target(self, h, w):
        if isinstance(self.size, numbers.Number) or len(self.size) == 1:
            s = int(self.size if isinstance(self.size, numbers.Number) else self.size[0])
            return (s, int(s * w / h)) if h <= w else (int(s * h / w), s)
        return _size2(self.size, "Resize")

    def __call__(self, img):
        a, h_axis = _spatial(img)
        h, w = a.shape[h_axis], a.shape[h_axis + 1]
        th, tw = self._target(h, w)
        moved = np.moveaxis(a, (h_axis, h_axis + 1), (0, 1))
        if self.interpolation == "nearest":
            rows = np.minimum(np.floor(np.arange(th) * (h / th)).astype(np.intp), h - 1)
            cols = np.minimum(np.floor(np.arange(tw) * (w / tw)).astype(np.intp), w - 1)
            out = moved[rows][:, cols]
        else:
            def axis(n_in, n_out):
                pos = np.clip((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0, n_in - 1)
                lo = np.floor(pos).astype(np.intp)
                hi = np.minimum(lo + 1, n_in - 1)
                return lo, hi, pos - lo
            r0, r1, fr = axis(h, th)
            c0, c1, fc = axis(w, tw)
            f = moved.astype(np.float64)
            extra = (1,) * (f.ndim - 2)
            fr = fr.reshape((-1, 1) + extra)
            fc = fc.reshape((1, -1) + extra)
            top = f[r0][:, c0] * (1 - fc) + f[r0][:, c1] * fc
            bottom = f[r1][:, c0] * (1 - fc) + f[r1][:, c1] * fc
            out = top * (1 - fr) + bottom * fr
            out = np.clip(np.rint(out), 0, 255).astype(a.dtype) if a.dtype == np.uint8 else out.astype(a.dtype)
        return _rebuild(img, np.moveaxis(out, (0, 1), (h_axis, h_axis + 1)))

    def __repr__(self):
        return f"Resize(size={self.size}, interpolation={self.interpolation})"


def _batch_transform(transform):
    """A function converting a uint8 batch (N, 1, H, W) in one NumPy operation, when ``transform`` is
    made only of ToTensor followed by Normalize steps (or is None); else None."""
    steps = transform.transforms if isinstance(transform, Compose) else [transform]
    if transform is None or not steps or not isinstance(steps[0], ToTensor) or \
            not all(type(s) is Normalize for s in steps[1:]) or type(steps[0]) is not ToTensor:
        return None

    def convert(batch):
        x = np.multiply(batch, np.float32(1 / 255), dtype=np.float32)
        for s in steps[1:]:
            mean, std = s._arrays(np.float32)
            x -= mean
            x /= std
        return x
    return convert
