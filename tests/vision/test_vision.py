"""nnmath.vision: IDX parsing (real MNIST files when present), dataset layouts, download through a
local HTTP server (no network), transforms, make_grid and save_image."""
from __future__ import annotations

import functools
import gzip
import http.server
import os
import struct
import threading
import zlib

import numpy as np
import pytest

import nnmath
from nnmath.vision import datasets, transforms, utils
from fake_data import fake_mnist, idx_bytes

SHARED = "/work/shared/data/mnist"


# --- real data -------------------------------------------------------------------------------------
def test_real_mnist_files():
    if not os.path.exists(os.path.join(SHARED, "train-images-idx3-ubyte.gz")):
        pytest.skip(f"MNIST not found in {SHARED}")
    train = datasets.MNIST(SHARED, train=True, transform=transforms.ToTensor())
    test = datasets.MNIST(SHARED, train=False)
    assert len(train) == 60000 and len(test) == 10000
    assert tuple(train.data.shape) == (60000, 28, 28) and train.data.dtype == nnmath.uint8
    assert train.targets[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert test.targets[:5].tolist() == [7, 2, 1, 0, 4]
    x, y = train[0]
    assert tuple(x.shape) == (1, 28, 28) and x.dtype == nnmath.float32 and y == 5 and isinstance(y, int)
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    batch = train.__getitems__([0, 1, 2])
    np.testing.assert_array_equal(batch.fields[0].numpy()[0], x.numpy())


def test_real_fashion_mnist_through_nnmath_data(monkeypatch, tmp_path):
    if not os.path.exists("/work/shared/data/fashion-mnist/t10k-labels-idx1-ubyte.gz"):
        pytest.skip("Fashion-MNIST not found")
    monkeypatch.setenv("NNMATH_DATA", "/work/shared/data")
    ds = datasets.FashionMNIST(str(tmp_path), train=False)          # not in root: found via NNMATH_DATA
    assert len(ds) == 10000 and ds.targets[:3].tolist() == [9, 2, 1]


# --- layouts, parsing errors ------------------------------------------------------------------------
def test_torchvision_layout_and_flat_folder(tmp_path):
    fake_mnist(tmp_path / "MNIST" / "raw")
    ds = datasets.MNIST(str(tmp_path), train=True)
    assert len(ds) == 6 and isinstance(ds[0][0], np.ndarray) or hasattr(ds[0][0], "size")
    fake_mnist(tmp_path / "flat")
    assert len(datasets.MNIST(str(tmp_path / "flat"), train=False)) == 4


def test_not_found_message_names_files_and_places(tmp_path, monkeypatch):
    monkeypatch.delenv("NNMATH_DATA", raising=False)
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte.gz.*MNIST/raw.*NNMATH_DATA.*download=True"):
        datasets.MNIST(str(tmp_path))


def test_truncated_and_corrupted_files(tmp_path):
    fake_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError, match="corrupted or truncated"):
        datasets.MNIST(str(tmp_path))
    path.write_bytes(b"not a gzip file at all")
    with pytest.raises(RuntimeError, match="corrupted or truncated"):
        datasets.MNIST(str(tmp_path))
    raw = idx_bytes(np.zeros((6, 28, 28), np.uint8))
    path.write_bytes(gzip.compress(raw[:-10]))                      # valid gzip, short payload
    with pytest.raises(RuntimeError, match=r"need 4704 bytes.*has 4694"):
        datasets.MNIST(str(tmp_path))
    path.write_bytes(gzip.compress(struct.pack(">I", 2049) + raw[4:]))
    with pytest.raises(RuntimeError, match="bad magic number 2049, expected 2051"):
        datasets.MNIST(str(tmp_path))


# --- download -----------------------------------------------------------------------------------------
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def local_server(tmp_path):
    served = tmp_path / "served"
    md5s = fake_mnist(served)
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", md5s
    server.shutdown()
    server.server_close()


def test_download_from_local_mirror(tmp_path, local_server, monkeypatch):
    url, md5s = local_server
    monkeypatch.delenv("NNMATH_DATA", raising=False)
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["http://127.0.0.1:9/", url])   # first mirror refuses
    monkeypatch.setattr(datasets.MNIST, "resources", sorted(md5s.items()))
    root = tmp_path / "root"
    ds = datasets.MNIST(str(root), train=True, download=True, transform=transforms.ToTensor())
    assert len(ds) == 6 and tuple(ds[0][0].shape) == (1, 28, 28)
    raw = root / "MNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(md5s)                   # no temporary files left
    before = {f: os.stat(raw / f).st_mtime_ns for f in md5s}
    datasets.MNIST(str(root), train=False, download=True)             # present: nothing fetched again
    assert before == {f: os.stat(raw / f).st_mtime_ns for f in md5s}


def test_download_md5_mismatch_and_offline_message(tmp_path, local_server, monkeypatch):
    url, md5s = local_server
    monkeypatch.delenv("NNMATH_DATA", raising=False)
    monkeypatch.setattr(datasets.MNIST, "mirrors", [url])
    monkeypatch.setattr(datasets.MNIST, "resources", [(f, "0" * 32) for f in sorted(md5s)])
    with pytest.raises(RuntimeError, match="md5 mismatch"):
        datasets.MNIST(str(tmp_path / "a"), download=True)
    assert not any(f.endswith(".gz") for f in os.listdir(tmp_path / "a" / "MNIST" / "raw"))
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(RuntimeError, match=r"(?s)could not download .*train-images-idx3-ubyte.gz.*put them in"):
        datasets.MNIST(str(tmp_path / "b"), download=True)


# --- batches ------------------------------------------------------------------------------------------
def test_getitems_fast_path_equals_per_item(tmp_path):
    fake_mnist(tmp_path, n_train=10)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    ds = datasets.MNIST(str(tmp_path), transform=tf)
    batch = ds.__getitems__([3, 1, 4])
    images, labels = batch.fields
    assert images.dtype == nnmath.float32 and labels.dtype == nnmath.int64
    for k, i in enumerate([3, 1, 4]):
        x, y = ds[i]
        np.testing.assert_allclose(images.numpy()[k], x.numpy(), rtol=1e-6, atol=1e-6)
        assert labels[k].item() == y
    from nnmath.utils.data import DataLoader
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert tuple(xb.shape) == (4, 1, 28, 28) and tuple(yb.shape) == (4,)
    ds.transform = transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda t: t * 2)])
    assert isinstance(ds.__getitems__([0, 1]), list)                # other transforms: per sample


# --- transforms ---------------------------------------------------------------------------------------
def test_to_tensor_and_normalize_match_definition():
    img = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    t = transforms.ToTensor()(img)
    assert tuple(t.shape) == (1, 3, 4) and t.dtype == nnmath.float32
    np.testing.assert_allclose(t.numpy()[0], img / 255.0, rtol=1e-6)
    rgb = np.random.default_rng(0).integers(0, 256, (5, 6, 3), dtype=np.uint8)
    assert tuple(transforms.ToTensor()(rgb).shape) == (3, 5, 6)
    n = transforms.Normalize((0.5, 0.2, 0.1), (0.5, 0.5, 2.0))(transforms.ToTensor()(rgb))
    np.testing.assert_allclose(n.numpy()[2], (rgb[:, :, 2] / 255.0 - 0.1) / 2.0, rtol=1e-5)
    with pytest.raises(TypeError, match="apply ToTensor first"):
        transforms.Normalize((0.5,), (0.5,))(img)


def test_random_transforms_are_seeded_and_shaped():
    img = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    nnmath.manual_seed(1)
    a = transforms.RandomCrop(24, padding=2)(img)
    nnmath.manual_seed(1)
    b = transforms.RandomCrop(24, padding=2)(img)
    assert a.shape == (24, 24) and np.array_equal(a, b)
    assert np.array_equal(transforms.RandomHorizontalFlip(p=1.0)(img), img[:, ::-1])
    assert transforms.RandomHorizontalFlip(p=0.0)(img) is img
    rot = transforms.RandomRotation((90, 90))(img)
    assert np.array_equal(rot, np.rot90(img))                        # counter-clockwise, as torchvision
    assert transforms.RandomRotation(10)(img).shape == (28, 28)
    assert transforms.Pad(2)(img).shape == (32, 32)
    assert transforms.Pad((1, 2, 3, 4))(img).shape == (34, 32)
    t = transforms.ToTensor()(img)
    assert tuple(transforms.RandomCrop(20)(t).shape) == (1, 20, 20)


def test_resize_matches_torch_for_tensors():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).random((1, 7, 9)).astype(np.float32)
    ours = transforms.Resize((5, 12), interpolation="bilinear")(nnmath.tensor(x)).numpy()
    theirs = torch.nn.functional.interpolate(torch.tensor(x)[None], size=(5, 12), mode="bilinear",
                                             align_corners=False)[0].numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    near = transforms.Resize((14, 18), interpolation="nearest")(nnmath.tensor(x)).numpy()
    np.testing.assert_array_equal(near, torch.nn.functional.interpolate(torch.tensor(x)[None], size=(14, 18))[0])
    assert transforms.Resize(14)(np.zeros((28, 56), np.uint8)).shape == (14, 28)


# --- make_grid / save_image ---------------------------------------------------------------------------
def test_make_grid_layout():
    batch = nnmath.tensor(np.arange(5, dtype=np.float32).reshape(5, 1, 1, 1) * np.ones((1, 1, 2, 3), np.float32))
    grid = utils.make_grid(batch, nrow=2, padding=1, pad_value=-1.0).numpy()
    assert grid.shape == (3, 3 * 3 + 1, 2 * 4 + 1)
    assert (grid[:, 1:3, 1:4] == 0).all() and (grid[:, 1:3, 5:8] == 1).all() and (grid[:, 7:9, 1:4] == 4).all()
    assert grid[0, 0, 0] == -1.0
    norm = utils.make_grid(batch, nrow=5, normalize=True).numpy()
    assert norm.min() == 0.0 and norm.max() == 1.0


def _read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        length = struct.unpack(">I", data[pos:pos + 4])[0]
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    w, h, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(h, -1)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(h, w, -1)


def test_save_image_writes_a_valid_png(tmp_path):
    x = np.random.default_rng(0).random((4, 1, 5, 6)).astype(np.float32)
    path = tmp_path / "grid.png"
    utils.save_image(nnmath.tensor(x), str(path), nrow=2, padding=0)
    pixels = _read_png(path)
    assert pixels.shape == (10, 12, 3)
    np.testing.assert_array_equal(pixels[:5, :6, 0], np.clip(x[0, 0] * 255 + 0.5, 0, 255).astype(np.uint8))
    try:
        import PIL  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="pip install pillow"):
            utils.save_image(nnmath.tensor(x), str(tmp_path / "grid.jpg"))


@pytest.mark.parametrize("mean, std", [([0.5, 0.5], [0.5, 0.5]), ([0.5], [0.1, 0.2])])
def test_normalize_with_the_wrong_number_of_channel_values_says_so(mean, std):
    with pytest.raises(RuntimeError, match="values of (mean|std) for an image of 3 channels"):
        transforms.Normalize(mean, std)(nnmath.ones(3, 2, 2))


def test_normalize_with_one_value_applies_it_to_every_channel():
    out = transforms.Normalize([0.5], [0.25])(nnmath.ones(3, 2, 2))
    np.testing.assert_allclose(out.numpy(), 2.0)
