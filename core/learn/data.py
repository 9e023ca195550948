"""Finding MNIST, decoding its IDX files, and holding it as preloaded tensors.

Where the files come from, in order: the folder named by MNIST_DATA_DIR, the ./data cache
(torchvision's layout, data/MNIST/raw), or a torchvision download into ./data.
Training never goes through a per-sample DataLoader: batches are index slices of these tensors.
"""

from __future__ import annotations

import functools
import gzip
import math
import struct
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import torch

from core import settings
from core.errors import LabError

# Mean and standard deviation of all training pixels scaled to [0, 1]; `pixel_stats` recomputes them.
MEAN = 0.1307
STD = 0.3081

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
CACHE_DIR = Path(__file__).resolve().parents[1] / "data"  # the ./data cache beside app.py


class DataError(LabError):
    """MNIST could not be found or read; the message says what to do (`code` names the reason)."""


def missing_message(where: str) -> str:
    names = ", ".join(FILES.values())
    return (
        f"MNIST was not found ({where}). Set MNIST_DATA_DIR to a folder holding the four "
        f"standard IDX files ({names}; .gz or uncompressed), or connect to the internet "
        f"so that it can be downloaded into {CACHE_DIR}."
    )


def _find_file(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _complete_folder(folder: Path) -> dict[str, Path] | None:
    found = {key: _find_file(folder, name) for key, name in FILES.items()}
    return found if all(found.values()) else None  # type: ignore[return-value]


def _download(root: Path) -> None:
    """Download through torchvision (the real product's path on a user's machine)."""
    from torchvision.datasets import MNIST as TorchvisionMNIST

    root.mkdir(parents=True, exist_ok=True)
    for train in (True, False):
        TorchvisionMNIST(str(root), train=train, download=True)


def resolve_files(download: bool = True) -> dict[str, Path]:
    """Return the four IDX file paths, downloading them into ./data if nothing else has them."""
    env = settings.data_dir()
    if env:
        found = _complete_folder(Path(env))
        if found is None:
            raise DataError(missing_message(f"MNIST_DATA_DIR={env} does not hold all four files"), "mnist_missing",
                            where=f"MNIST_DATA_DIR={env}")
        return found
    for folder in (CACHE_DIR / "MNIST" / "raw", CACHE_DIR):
        found = _complete_folder(folder)
        if found:
            return found
    if not download:
        raise DataError(missing_message("no MNIST_DATA_DIR and nothing in ./data"), "mnist_missing",
                        where="MNIST_DATA_DIR, ./data")
    try:
        _download(CACHE_DIR)
    except Exception as exc:  # no network, a refused connection, a bad mirror ...
        reason = " ".join(str(exc).split())[:300]  # torchvision's message spans lines, one per mirror
        raise DataError(missing_message(f"the download failed: {reason}"), "mnist_missing",
                        where=str(CACHE_DIR)) from None
    found = _complete_folder(CACHE_DIR / "MNIST" / "raw")
    if found is None:
        raise DataError(missing_message("the download finished but left no files"), "mnist_missing",
                        where=str(CACHE_DIR))
    return found


def _read_idx(path: Path) -> torch.Tensor:
    """Decode one IDX file of bytes (gzipped or not): zero, zero, 0x08 (unsigned bytes), the number of dimensions,
    each dimension as a big-endian 32-bit number, then the bytes. Read here in a few lines rather than through
    torchvision's reader, whose import alone took ~1 s of a fresh server's first page; name the file if it is bad."""
    def damaged(why: str) -> DataError:
        return DataError(f"{path} is truncated or not an MNIST IDX file ({why})", "mnist_damaged", path=str(path))

    try:
        raw = bytearray(gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes())
    except (OSError, EOFError, zlib.error) as exc:
        raise damaged(f"{exc.__class__.__name__}: {exc}") from None
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08" or not 1 <= raw[3] <= 3:
        raise damaged("its header does not say unsigned bytes in 1-3 dimensions")
    header = 4 + 4 * raw[3]
    if len(raw) < header:
        raise damaged("it ends inside its header")
    shape = struct.unpack(f">{raw[3]}I", raw[4:header])
    if len(raw) - header != math.prod(shape):
        raise damaged(f"{len(raw) - header} bytes of data for a {'x'.join(map(str, shape))} array")
    return torch.frombuffer(raw, dtype=torch.uint8, offset=header).view(*shape) if math.prod(shape) else \
        torch.zeros(shape, dtype=torch.uint8)


def _checked(images: torch.Tensor, labels: torch.Tensor, paths: tuple[Path, Path]) -> None:
    if images.dim() != 3 or tuple(images.shape[1:]) != (28, 28):
        raise DataError(f"{paths[0]} does not hold 28x28 images (shape {tuple(images.shape)})", "mnist_damaged",
                        path=str(paths[0]))
    if labels.dim() != 1 or len(labels) != len(images):
        raise DataError(f"{paths[1]} does not hold one label per image in {paths[0].name}", "mnist_damaged",
                        path=str(paths[1]))
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise DataError(f"{paths[1]} holds labels outside 0-9", "mnist_damaged", path=str(paths[1]))


@dataclass
class MNIST:
    """The dataset as uint8 images [N, 28, 28] and int64 labels [N], plus normalised copies per device."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    source: str = ""
    _normalised: dict = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def subset(self, train: int | None = None, test: int | None = None) -> MNIST:
        """The first `train` training and `test` test images (a small set for tests and demos)."""
        return MNIST(
            self.train_images[:train], self.train_labels[:train],
            self.test_images[:test], self.test_labels[:test], source=self.source,
        )

    def images(self, split: str, device: torch.device | str = "cpu") -> torch.Tensor:
        """Normalised float images [N, 1, 28, 28] on `device`, computed once per split and device."""
        key = (split, str(device))
        with self._lock:
            if key not in self._normalised:
                raw = getattr(self, f"{split}_images")
                self._normalised[key] = normalise(raw.to(device)).unsqueeze(1).contiguous()
            return self._normalised[key]

    def labels(self, split: str, device: torch.device | str = "cpu") -> torch.Tensor:
        key = (split + "_labels", str(device))
        with self._lock:
            if key not in self._normalised:
                self._normalised[key] = getattr(self, f"{split}_labels").to(device)
            return self._normalised[key]


def from_unit(pixels: torch.Tensor) -> torch.Tensor:
    """Pixels in [0, 1] (1 = ink) -> the network's input scale: (pixel - MEAN) / STD, as the training data."""
    return (pixels - MEAN) / STD


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """The network's input scale -> pixels in [0, 1] (the rounding residue clamped away)."""
    return (images * STD + MEAN).clamp(0.0, 1.0)


def normalise(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 0-255 -> float, scaled to [0, 1], then standardised with MNIST's mean and std."""
    return (images_uint8.float() / 255.0 - MEAN) / STD


def pixel_stats(images_uint8: torch.Tensor) -> tuple[float, float]:
    """Mean and standard deviation of all pixels scaled to [0, 1] (gives 0.1307 / 0.3081 on MNIST's train set)."""
    x = images_uint8.double() / 255.0
    return float(x.mean()), float(x.std())


@functools.lru_cache(maxsize=2)
def _load(paths: tuple[tuple[str, str], ...]) -> MNIST:
    files = {key: Path(p) for key, p in paths}
    tensors = {key: _read_idx(path) for key, path in files.items()}
    for split in ("train", "test"):
        _checked(tensors[f"{split}_images"], tensors[f"{split}_labels"],
                 (files[f"{split}_images"], files[f"{split}_labels"]))
    return MNIST(
        tensors["train_images"], tensors["train_labels"].long(),
        tensors["test_images"], tensors["test_labels"].long(),
        source=str(files["train_images"].parent),
    )


def load_mnist(download: bool = True) -> MNIST:
    """Find, decode and return MNIST (decoded once per process and folder)."""
    files = resolve_files(download=download)
    return _load(tuple(sorted((k, str(v)) for k, v in files.items())))
