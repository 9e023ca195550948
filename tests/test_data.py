"""Finding and decoding MNIST: the real files, the cache, a faked torchvision download, and bad input."""

from __future__ import annotations

import gzip
import shutil
import tempfile
from pathlib import Path
from urllib.error import URLError

import pytest
import torch

import core.learn.data as data_mod
from core.learn.data import FILES, DataError, load_mnist, normalise, pixel_stats

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


@pytest.fixture
def no_sources(tmp_path, monkeypatch):
    """No MNIST_DATA_DIR and an empty ./data cache; the decode cache is cleared around the test."""
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.setattr(data_mod, "CACHE_DIR", tmp_path / "data")
    data_mod._load.cache_clear()
    yield tmp_path / "data"
    data_mod._load.cache_clear()


def test_real_mnist_shapes_and_labels(mnist):
    assert mnist.train_images.shape == (60000, 28, 28) and mnist.train_images.dtype == torch.uint8
    assert mnist.test_images.shape == (10000, 28, 28)
    assert torch.bincount(mnist.train_labels).tolist()[:2] == [5923, 6742]  # the published class counts
    assert mnist.test_labels[:5].tolist() == [7, 2, 1, 0, 4]


def test_normalisation_constants_are_computed_from_the_training_set(mnist):
    mean, std = pixel_stats(mnist.train_images)
    assert round(mean, 4) == 0.1307 and round(std, 4) == 0.3081
    x = mnist.images("train")
    assert x.shape == (60000, 1, 28, 28) and abs(float(x.mean())) < 1e-3 and abs(float(x.std()) - 1) < 1e-3
    assert x is mnist.images("train")  # normalised once, then shared


def test_uncompressed_files_are_read_too(tmp_path, monkeypatch):
    for name in FILES.values():
        with gzip.open(SHARED / f"{name}.gz") as src:
            (tmp_path / name).write_bytes(src.read())
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path))
    data = load_mnist(download=False)
    assert data.test_labels[:3].tolist() == [7, 2, 1] and data.source == str(tmp_path)


def test_missing_folder_names_the_variable_and_the_four_files(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataError) as err:
        load_mnist()
    message = str(err.value)
    assert "MNIST_DATA_DIR" in message
    assert all(name in message for name in FILES.values())


def test_no_data_and_no_network_is_one_clear_message(no_sources, monkeypatch):
    def offline(*args, **kwargs):
        raise URLError("network is unreachable")

    monkeypatch.setattr("torchvision.datasets.mnist.download_and_extract_archive", offline)
    with pytest.raises(DataError) as err:
        load_mnist()
    message = str(err.value)
    assert "MNIST_DATA_DIR" in message and "download failed" in message
    assert all(name in message for name in FILES.values())
    assert "\n" not in message


def test_download_path_uses_torchvision_and_fills_the_cache(no_sources, monkeypatch):
    """torchvision's own MNIST.download runs; only the network fetch is faked with the shared files."""
    fetched = []

    def fake_download(url, download_root, filename=None, md5=None, **kwargs):
        fetched.append(url)
        with gzip.open(SHARED / filename) as src:
            Path(download_root, filename.removesuffix(".gz")).write_bytes(src.read())

    monkeypatch.setattr("torchvision.datasets.mnist.download_and_extract_archive", fake_download)
    data = load_mnist()
    assert len(fetched) == 4 and all(url.startswith("http") for url in fetched)
    assert data.train_images.shape == (60000, 28, 28)
    assert (no_sources / "MNIST" / "raw" / FILES["test_labels"]).is_file()
    data_mod._load.cache_clear()
    monkeypatch.setattr("torchvision.datasets.mnist.download_and_extract_archive", None)  # no second download
    assert load_mnist().test_labels[:3].tolist() == [7, 2, 1]


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_corrupt_file_is_named(tmp_path, monkeypatch, damage):
    for name in FILES.values():
        shutil.copy(SHARED / f"{name}.gz", tmp_path / f"{name}.gz")
    bad = tmp_path / f"{FILES['train_images']}.gz"
    blob = bad.read_bytes()
    bad.write_bytes(blob[: len(blob) // 3] if damage == "truncate" else b"not an idx file at all" * 10)
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path))
    data_mod._load.cache_clear()
    with pytest.raises(DataError) as err:
        load_mnist()
    assert str(bad) in str(err.value)
    data_mod._load.cache_clear()


def test_the_idx_reader_reads_what_torchvision_reads(mnist):
    """core's own IDX reader (no torchvision import on the way to the first page) against torchvision's."""
    from torchvision.datasets.mnist import read_sn3_pascalvincent_tensor

    for key, name in FILES.items():
        with gzip.open(SHARED / f"{name}.gz") as src, tempfile.NamedTemporaryFile() as tmp:
            tmp.write(src.read())
            tmp.flush()
            theirs = read_sn3_pascalvincent_tensor(tmp.name)
        mine = getattr(mnist, key)
        assert mine.shape == theirs.shape and torch.equal(mine.to(theirs.dtype), theirs), key


@pytest.mark.parametrize("blob", [b"", b"\x00\x00\x08", b"\x00\x00\x08\x01\x00\x00", b"\x00\x00\x0d\x01" + bytes(8),
                                  b"\x00\x00\x08\x01\x00\x00\x00\x05" + bytes(6)])
def test_a_malformed_idx_header_is_named(tmp_path, blob):
    bad = tmp_path / "t10k-labels-idx1-ubyte"
    bad.write_bytes(blob)
    with pytest.raises(DataError, match="t10k-labels"):
        data_mod._read_idx(bad)


def test_truncated_uncompressed_file_is_named(tmp_path, monkeypatch):
    for name in FILES.values():
        with gzip.open(SHARED / f"{name}.gz") as src:
            blob = src.read()
        if name == FILES["test_images"]:
            blob = blob[:100_000]
        (tmp_path / name).write_bytes(blob)
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path))
    data_mod._load.cache_clear()
    with pytest.raises(DataError, match=FILES["test_images"]):
        load_mnist()
    data_mod._load.cache_clear()


def test_normalise_matches_torchvision_transforms(mnist):
    from torchvision import transforms

    img = mnist.test_images[0]
    tv = transforms.Normalize((0.1307,), (0.3081,))(transforms.ToTensor()(img.numpy()))
    assert torch.allclose(normalise(img).unsqueeze(0), tv, atol=1e-6)
