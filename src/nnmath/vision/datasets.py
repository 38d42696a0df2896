"""MNIST and Fashion-MNIST, read from the original gzip IDX files into one uint8 array in memory.

Where the files are looked for, in order (``<Name>`` is ``MNIST`` or ``FashionMNIST``):

1. ``root/<Name>/raw/`` (torchvision's layout), ``root/<Name>/``, ``root/<folder>/`` (``mnist`` or
   ``fashion-mnist``) and ``root`` itself (a folder that directly holds the four ``.gz`` files);
2. the same places under the directory named by the ``NNMATH_DATA`` environment variable;
3. with ``download=True``, the public mirrors, into ``root/<Name>/raw/`` (md5-checked, atomic writes).
"""
from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zlib

import numpy as np

from nnmath.tensor import Tensor
from nnmath.utils.data.dataset import Dataset, StackedSamples
from nnmath.vision import transforms

_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049


def read_idx(path: str, expected_magic: int | None = None) -> np.ndarray:
    """The array in an IDX file (gzip-compressed or not), checking magic number, dims and size."""
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            with open(path, "rb") as f:
                raw = f.read()
    except (EOFError, OSError, zlib.error) as e:
        raise RuntimeError(f"{path}: corrupted or truncated file ({type(e).__name__}: {e}); delete it and "
                           f"download it again") from e
    if len(raw) < 4:
        raise RuntimeError(f"{path}: not an IDX file (only {len(raw)} bytes)")
    magic = int.from_bytes(raw[:4], "big")
    if expected_magic is not None and magic != expected_magic:
        kind = {_IMAGES_MAGIC: "images", _LABELS_MAGIC: "labels"}.get(expected_magic, "IDX")
        raise RuntimeError(f"{path}: bad magic number {magic}, expected {expected_magic} for an IDX {kind} file")
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise RuntimeError(f"{path}: unsupported IDX header {raw[:4].hex()} (expected unsigned bytes, 0x0000 08 nn)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise RuntimeError(f"{path}: truncated IDX header ({len(raw)} bytes, expected {header})")
    dims = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    size = int(np.prod(dims, dtype=np.int64))
    if len(raw) - header != size:
        raise RuntimeError(f"{path}: IDX dims {dims} need {size} bytes of data, the file has {len(raw) - header} "
                           f"(truncated or corrupted)")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims).copy()   # writable


def _md5(path: str, chunk: int = 1 << 20) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def download_url(url: str, folder: str, filename: str, md5: str | None = None, timeout: float = 30.0) -> str:
    """Fetch ``url`` into ``folder/filename`` through a temporary file renamed into place (atomic),
    checking the md5 when given. Returns the path."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, filename)
    fd, tmp = tempfile.mkstemp(prefix=f".{filename}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while block := response.read(1 << 20):
                out.write(block)
        if md5 is not None and _md5(tmp) != md5:
            raise RuntimeError(f"{url}: md5 mismatch (expected {md5}); the download is corrupted")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


class MNIST(Dataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images of 28 × 28 grey pixels.

    Args:
        root: the data directory (see the module docstring for where files are looked for); None uses
            ``$NNMATH_DATA``
        train: the training set (True) or the test set
        transform: applied to each image (a PIL image when Pillow is installed, else a uint8 (28, 28)
            array), e.g. ``transforms.ToTensor()``
        target_transform: applied to each label (an int)
        download: fetch the files from the public mirrors if they are not found

    ``data`` is the uint8 tensor (N, 28, 28) and ``targets`` the int64 labels (N,). With a transform made
    of ToTensor / Normalize only, ``__getitems__`` converts a whole batch with one NumPy operation.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    folder_names = ("mnist",)
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root: str | None = None, train: bool = True, transform=None, target_transform=None,
                 download: bool = False):
        env = os.environ.get("NNMATH_DATA")
        if root is None:
            if not env:
                raise ValueError(f"{type(self).__name__}: give root, or set NNMATH_DATA to the data directory")
            root = env
        self.root = os.path.expanduser(str(root))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        prefix = "train" if train else "t10k"
        images_file, labels_file = f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"
        folder = self._find(self.root, (images_file, labels_file))
        if folder is None and env:
            folder = self._find(os.path.expanduser(env), (images_file, labels_file))
        if folder is None and download:
            self.download()
            folder = self.raw_folder
        if folder is None:
            raise RuntimeError(self._not_found_message())
        images = read_idx(self._path(folder, images_file), _IMAGES_MAGIC)
        labels = read_idx(self._path(folder, labels_file), _LABELS_MAGIC)
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise RuntimeError(f"{folder}: images {images.shape} and labels {labels.shape} do not match "
                               f"(expected (N, H, W) images and N labels)")
        self._images = images
        self._labels = labels.astype(np.int64)
        self.data = Tensor._make(self._images)
        self.targets = Tensor._make(self._labels)

    # --- files ------------------------------------------------------------------------------------
    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    def _candidates(self, base):
        name = type(self).__name__
        return [os.path.join(base, name, "raw"), os.path.join(base, name)] + \
               [os.path.join(base, f) for f in self.folder_names] + [base]

    @staticmethod
    def _path(folder, filename):
        path = os.path.join(folder, filename)
        return path if os.path.exists(path) else path[:-3]          # also accept the gunzipped file

    def _find(self, base, files):
        for folder in self._candidates(base):
            if all(os.path.exists(self._path(folder, f)) for f in files):
                return folder
        return None

    def _check_exists(self) -> bool:
        return all(os.path.exists(self._path(self.raw_folder, f)) for f, _ in self.resources)

    def _not_found_message(self) -> str:
        files = ", ".join(f for f, _ in self.resources)
        return (f"{type(self).__name__}: dataset not found. Put the files {files} in {self.raw_folder} (or "
                f"directly in {self.root}, or in a directory named by the NNMATH_DATA environment variable), "
                f"or pass download=True. They are published at {self.mirrors[0]}")

    def download(self) -> None:
        """Fetch the four files into ``raw_folder`` (skipping those already there), trying each mirror."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        missing = []
        for filename, md5 in self.resources:
            path = os.path.join(self.raw_folder, filename)
            if os.path.exists(path) and _md5(path) == md5:
                continue
            errors = []
            for mirror in self.mirrors:
                try:
                    download_url(mirror + filename, self.raw_folder, filename, md5)
                    break
                except (urllib.error.URLError, OSError, RuntimeError, ValueError) as e:
                    errors.append(f"{mirror + filename}: {e}")
            else:
                missing.append((filename, errors))
        if missing:
            lines = "\n".join(f"  {f}:\n    " + "\n    ".join(errs) for f, errs in missing)
            raise RuntimeError(
                f"{type(self).__name__}: could not download {', '.join(f for f, _ in missing)} (offline?): "
                f"download them by hand from {self.mirrors[0]} and put them in {self.raw_folder} (or set "
                f"NNMATH_DATA to a directory that holds them). The attempts:\n{lines}")

    # --- samples ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._labels)

    def __getitem__(self, index):
        img = self._images[index]
        target = int(self._labels[index])
        if self.transform is not None:
            img = self.transform(_to_pil(img))
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __getitems__(self, indices):
        """The samples at ``indices``. With a ToTensor/Normalize-only transform, the whole batch is
        converted with one NumPy operation and returned already stacked."""
        batch = transforms._batch_transform(self.transform)
        if batch is None:
            return [self[i] for i in indices]
        rows = np.asarray(indices, dtype=np.intp)
        images = batch(self._images[rows][:, None])
        targets = self._labels[rows]
        if self.target_transform is not None:
            return [(Tensor._make(img), self.target_transform(int(t))) for img, t in zip(images, targets)]
        return StackedSamples((Tensor._make(images), Tensor._make(targets)))

    @property
    def class_to_idx(self) -> dict:
        return {c: i for i, c in enumerate(self.classes)}

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}", f"    {self.extra_repr()}"]
        if self.transform is not None:
            lines.append(f"    StandardTransform\nTransform: {self.transform!r}")
        return "\n".join(lines)


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando): 28 × 28 grey images of 10 kinds of clothing, MNIST's format and sizes."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
               "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    folder_names = ("fashion-mnist", "fashion_mnist", "FashionMNIST")
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


def _to_pil(img: np.ndarray):
    """A PIL image when Pillow is installed (as torchvision gives), else the uint8 array itself."""
    try:
        from PIL import Image
    except ImportError:
        return img
    return Image.fromarray(img, mode="L")
