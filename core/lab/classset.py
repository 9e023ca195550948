"""The class's own test set: drawings saved by students as labelled 28x28 PNGs, and fine-tuning on them.

The folder (env MNIST_LAB_CLASS_DIR, default `class_test_set/`) holds one PNG per drawing, named
`<label>_<timestamp>.png`, so a teacher can browse it, delete a bad drawing, or copy it to another
machine; the Draw page relabels (renames) and removes drawings through `relabel_drawing` and
`remove_drawing`. Images are the preprocessed network inputs (white digit on black, like MNIST).

Fine-tuning holds back about a quarter of the drawings (at least one of each digit that has two or
more, see `held_back_split`) and reports the copy's accuracy on them before and after, so a class sees
whether it learned their handwriting or only memorised these drawings. The defaults (FT_EPOCHS passes,
the run's learning rate x FT_LR_FACTOR, REPLAY_RATIO MNIST images per drawing in every batch) were
measured with benchmarks/fine_tune.py to keep MNIST's test accuracy within half a point.
"""

from __future__ import annotations

import copy
import re
import time
import zlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from core import settings
from core.errors import LabError
from core.lab.limits import LimitError
from core.learn import families
from core.learn.config import TrainConfig
from core.learn.data import MNIST, normalise
from core.learn.losses import compute_loss
from core.learn.optim import make_optimizer
from core.learn.training import evaluate, predict_proba

NAME = re.compile(r"^([0-9])_[\w.-]*\.png$")  # <label>_<timestamp>.png
FT_EPOCHS = 30  # passes over the drawings
FT_LR_FACTOR = 0.5  # the fine-tuning rate: the run's own times this
REPLAY_RATIO = 16  # MNIST training images mixed into every batch, per drawing
ANCHOR = 0.1  # weight of keeping the copy's scores on those MNIST images where the original's were
HELD_BACK = 0.25  # the share of each digit's drawings fine-tuning never trains on


class FineTuneError(LabError):
    """This learner cannot be fine-tuned; the message says why, for the user (`code` names the reason)."""


def class_dir() -> Path:
    """The class test set's folder: MNIST_LAB_CLASS_DIR, or class_test_set/ beside where the app runs."""
    return settings.class_dir()


def add_drawing(folder: str | Path, image_uint8: np.ndarray, label: int) -> Path:
    """Save one 28x28 uint8 drawing as <label>_<timestamp>.png in `folder`; returns the file's path."""
    img = np.asarray(image_uint8)
    if img.shape != (28, 28):
        raise ValueError(f"a class drawing must be 28x28, got shape {img.shape}")
    if img.dtype != np.uint8:
        raise ValueError(f"a class drawing must be uint8 (0-255), got {img.dtype}")
    limit = settings.class_max()  # a class's set, not a student's scrapbook: Draw reads every file
    if len(drawing_files(folder)) >= limit:
        raise LimitError(f"the class test set already holds {limit} drawings, its limit", "class_set_full",
                         limit=limit)
    label = int(label)
    if not 0 <= label <= 9:
        raise ValueError(f"the label must be a digit 0-9, got {label}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now)) + f"-{int(now * 1e6) % 1_000_000:06d}"
    path, n = folder / f"{label}_{stamp}.png", 2
    while path.exists():  # two students saving in the same microsecond
        path, n = folder / f"{label}_{stamp}-{n}.png", n + 1
    tmp = path.with_name(f".{path.name}.tmp")
    Image.fromarray(img, mode="L").save(tmp, format="PNG")
    tmp.replace(path)  # atomic: other sessions never read half a file
    return path


def drawing_files(folder: str | Path) -> list[Path]:
    """The class drawings in `folder` (files named <label>_*.png), sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and NAME.match(p.name))


def load_class_files(folder: str | Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """All drawings in `folder`: uint8 images [N, 28, 28], int64 labels [N] and their file names
    (unreadable files skipped, so image i is always file names[i])."""
    images, labels, names = [], [], []
    for path in drawing_files(folder):
        try:
            with Image.open(path) as im:
                arr = np.asarray(im.convert("L"), dtype=np.uint8)
        except (OSError, ValueError):
            continue  # a half-copied or foreign file is not a drawing
        if arr.shape != (28, 28):
            continue
        images.append(arr)
        labels.append(int(NAME.match(path.name).group(1)))
        names.append(path.name)
    if not images:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64), []
    return np.stack(images), np.array(labels, dtype=np.int64), names


def load_class_set(folder: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """All drawings in `folder`: uint8 images [N, 28, 28] and int64 labels [N] (unreadable files skipped)."""
    images, labels, _ = load_class_files(folder)
    return images, labels


def _drawing_path(folder: str | Path, name: str | Path) -> Path:
    """The drawing `name` (a file name, or a path) inside `folder`; ValueError for anything that is not a
    drawing file directly in that folder (another folder, '..', a link leading out, a foreign name)."""
    base = Path(folder).resolve()
    path = (base / name).resolve()  # an absolute `name` stays itself; links and '..' are followed
    if path.parent != base or not NAME.match(path.name) or Path(name).name != path.name:
        raise ValueError(f"{name} is not a drawing of the class test set in {base}")
    return path


def relabel_drawing(folder: str | Path, name: str | Path, label: int) -> Path:
    """Give drawing `name` in `folder` the digit `label` by renaming <old>_<time>.png to <label>_<time>.png
    (never over another file); returns the new path. FileNotFoundError if it is gone (someone else removed
    or relabelled it), ValueError for a label outside 0-9 or a path outside the class folder."""
    label = int(label)
    if not 0 <= label <= 9:
        raise ValueError(f"the label must be a digit 0-9, got {label}")
    path = _drawing_path(folder, name)
    if not path.is_file():
        raise FileNotFoundError(f"{path.name} is no longer in the class test set")
    if int(path.name[0]) == label:
        return path
    stem = f"{label}{path.stem[1:]}"
    target, n = path.with_name(f"{stem}.png"), 2
    while target.exists():
        target, n = path.with_name(f"{stem}-{n}.png"), n + 1
    path.rename(target)
    return target


def remove_drawing(folder: str | Path, name: str | Path) -> bool:
    """Delete drawing `name` from `folder`; False if it was already gone. ValueError for a path outside it."""
    path = _drawing_path(folder, name)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def held_back_split(images_uint8: np.ndarray, labels: np.ndarray, fraction: float = HELD_BACK
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the drawings to train on and of those held back, both sorted.

    Of each digit with k >= 2 drawings, round(k * fraction) are held back, at least one and at most k - 1
    (a digit drawn once is only trained on). Which ones is decided by a checksum of each image, so the
    split is the same every time, and a drawing stays on its side when others are added.
    """
    labels = np.asarray(labels, dtype=np.int64)
    keys = np.array([zlib.crc32(np.ascontiguousarray(img).tobytes()) for img in images_uint8], dtype=np.int64)
    held = []
    for d in np.unique(labels):
        idx = np.flatnonzero(labels == d)
        k = len(idx)
        if k < 2:
            continue
        n = min(k - 1, max(1, int(k * fraction + 0.5)))
        held.extend(idx[np.argsort(keys[idx], kind="stable")][:n].tolist())
    held_idx = np.array(sorted(held), dtype=np.int64)
    return np.setdiff1d(np.arange(len(labels)), held_idx), held_idx


def counts_per_digit(labels: np.ndarray) -> list[int]:
    """How many drawings of each digit 0-9."""
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=10)[:10].tolist()


def to_tensor(images_uint8: np.ndarray) -> torch.Tensor:
    """uint8 [N, 28, 28] -> normalised float [N, 1, 28, 28], like the training data."""
    return normalise(torch.from_numpy(np.ascontiguousarray(images_uint8))).unsqueeze(1)


def evaluate_images(model, images_uint8: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy overall and per digit on labelled drawings, plus the misses (most confident first).

    Returns {n, correct, accuracy (None if empty), per_digit: [{digit, n, correct, accuracy}],
    preds [N], confidence [N], misses: [{index, label, pred, confidence}]}.
    """
    labels = np.asarray(labels, dtype=np.int64)
    n = len(labels)
    if n == 0:
        probs = np.zeros((0, 10), np.float32)
    else:
        probs = predict_proba(model, to_tensor(images_uint8)).numpy()
    preds = probs.argmax(1) if n else np.zeros(0, np.int64)
    confidence = probs.max(1) if n else np.zeros(0, np.float32)
    hit = preds == labels
    per_digit = []
    for d in range(10):
        mask = labels == d
        k = int(mask.sum())
        c = int(hit[mask].sum())
        per_digit.append({"digit": d, "n": k, "correct": c, "accuracy": c / k if k else None})
    wrong = np.flatnonzero(~hit)
    wrong = wrong[np.argsort(-confidence[wrong], kind="stable")]
    misses = [{"index": int(i), "label": int(labels[i]), "pred": int(preds[i]), "confidence": float(confidence[i])}
              for i in wrong]
    return {
        "n": n, "correct": int(hit.sum()), "accuracy": float(hit.mean()) if n else None,
        "per_digit": per_digit, "preds": preds, "confidence": confidence, "misses": misses,
    }


def evaluate_on_class_set(model, folder: str | Path) -> dict:
    """evaluate_images on every drawing in `folder`."""
    return evaluate_images(model, *load_class_set(folder))


def can_fine_tune(model) -> bool:
    """True for learners fine_tune handles: torch models, the NumPy network and kNN."""
    try:
        return families.of_model(model).can_fine_tune
    except TypeError:
        return False


def default_lr(config: TrainConfig) -> float:
    """The fine-tuning rate the Draw page proposes: the run's own times FT_LR_FACTOR (a half). Replay and the
    anchor do most of the protecting (benchmarks/fine_tune.py); the smaller step keeps a margin for runs they
    protect less (plain SGD, the NumPy network, which has no anchor)."""
    return float(config.lr) * FT_LR_FACTOR


def fine_tune(model, config: TrainConfig, images_uint8: np.ndarray, labels: np.ndarray, epochs: int = FT_EPOCHS,
              lr: float | None = None, batch_size: int = 16, replay: tuple[torch.Tensor, torch.Tensor] | None = None,
              seed: int = 0, replay_ratio: int = REPLAY_RATIO, anchor: float = ANCHOR):
    """A NEW learner: a copy of `model` trained a little more on the drawings (the original is untouched).

    torch models and the NumPy network take `epochs` passes of batches of `batch_size` drawings with the
    run's optimiser and loss at rate `lr` (default: `default_lr`, half the run's own). `replay`
    (normalised MNIST images, labels) mixes `replay_ratio` MNIST training images per drawing into every
    batch, so the model learns the drawings without forgetting MNIST; for torch models the loss also
    holds the copy's scores on those images near the original's (mean squared difference times `anchor`,
    a light distillation that still works on images the run has memorised). kNN simply adds the drawings
    to its memory.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) == 0:
        raise FineTuneError("the class test set is empty: save some drawings first", "class_set_empty")
    if len(labels) != len(images_uint8):
        raise ValueError(f"{len(images_uint8)} drawings but {len(labels)} labels")
    weights = model.state_dict().values() if hasattr(model, "state_dict") else []
    if not all(bool(torch.isfinite(v).all()) for v in weights if torch.is_tensor(v) and v.is_floating_point()):
        raise FineTuneError("this run diverged (its weights are not finite numbers): nothing to fine-tune",
                            "diverged_run")
    x, y = to_tensor(images_uint8), torch.from_numpy(labels)
    if not can_fine_tune(model):
        raise FineTuneError(f"fine-tuning is not supported for {type(model).__name__}", "fine_tune_unsupported")
    kind = families.of_model(model)
    if kind.name == "knn":
        return model.remember(x, y)
    lr = default_lr(config) if lr is None else float(lr)
    new = copy.deepcopy(model)
    g = torch.Generator().manual_seed(seed)
    if kind.name == "scratch":
        for _ in range(epochs):
            for xb, yb, _ in _batches(x, y, batch_size, replay, replay_ratio, g):
                new.train_step(xb, yb, lr)
        return new
    device = next(new.parameters()).device
    opt = make_optimizer(config.replace(lr=lr), new.parameters())
    new.train()
    for _ in range(epochs):
        for xb, yb, drawn in _batches(x, y, batch_size, replay, replay_ratio, g):
            xb, yb = xb.to(device), yb.to(device)
            scores = new(xb)
            loss = compute_loss(config.loss, scores, yb, new, config.l2, config.label_smoothing)
            if anchor and len(yb) > drawn:  # the replay images come after the drawings
                with torch.no_grad():
                    was = model(xb[drawn:])
                loss = loss + anchor * (scores[drawn:] - was).pow(2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    new.eval()
    return new


def _batches(x: torch.Tensor, y: torch.Tensor, batch_size: int, replay, ratio: int, g: torch.Generator):
    """Shuffled mini-batches of the drawings, each topped up with `ratio` random replay images per drawing:
    (images, labels, how many of them are drawings)."""
    order = torch.randperm(len(y), generator=g)
    for i in range(0, len(y), batch_size):
        idx = order[i:i + batch_size]
        xb, yb = x[idx], y[idx]
        if replay is not None and len(replay[1]) and ratio > 0:
            pick = torch.randint(0, len(replay[1]), (len(idx) * int(ratio),), generator=g)
            xb = torch.cat([xb, replay[0][pick].cpu()])
            yb = torch.cat([yb, replay[1][pick].cpu()])
        yield xb, yb, len(idx)


def fine_tune_outcome(source, images_uint8: np.ndarray, labels: np.ndarray, data: MNIST, epochs: int = FT_EPOCHS,
                      lr: float | None = None, replay: bool = True, fraction: float = HELD_BACK, **options):
    """A fine-tuning job from start to end: hold back part of the drawings (`held_back_split`), fine-tune a
    copy of `source` (a core.lab.runfiles.Run) on the rest, mixing in MNIST's training images when `replay`, and
    test it on MNIST's full test set; `options` go to `fine_tune` (replay_ratio, anchor, seed, batch_size).
    Returns (model, event, outcome):

    - event: `fine_tune_event`, the evaluation that ends the new run's history;
    - outcome: {source, drawings (all), trained, held_back (counts), before/after (accuracy on the drawings
      trained on), held_before/held_after (on the held-back ones; None when none are held back),
      test_before/test_after (MNIST test accuracy)}.
    """
    images_uint8 = np.asarray(images_uint8)
    labels = np.asarray(labels, dtype=np.int64)
    trained, held = held_back_split(images_uint8, labels, fraction)
    t0 = time.perf_counter()
    mix = (data.images("train"), data.labels("train")) if replay else None
    model = fine_tune(source.model, source.config, images_uint8[trained], labels[trained], epochs=epochs, lr=lr,
                      replay=mix, **options)
    event = fine_tune_event(model, source.config, data, source.history, len(trained), epochs,
                            time.perf_counter() - t0, held_back=len(held))

    def accuracy(learner, idx: np.ndarray) -> float | None:
        return evaluate_images(learner, images_uint8[idx], labels[idx])["accuracy"]

    outcome = {
        "source": source.name, "drawings": int(len(labels)), "trained": int(len(trained)),
        "held_back": int(len(held)), "before": accuracy(source.model, trained), "after": accuracy(model, trained),
        "held_before": accuracy(source.model, held), "held_after": accuracy(model, held),
        "test_before": source.test_acc, "test_after": event["test_acc"],
    }
    return model, event, outcome


def fine_tune_event(model, config: TrainConfig, data: MNIST, base_history: list[dict], drawings: int,
                    epochs: int, seconds: float, held_back: int | None = None) -> dict:
    """The full-test-set evaluation event that ends a fine-tuned run's history (`drawings`: how many it
    trained on; `held_back`: how many it was tested on without training on them, when known)."""
    kind = families.of_model(model)
    device = kind.device(model)
    result = evaluate(model, data.images("test", device), data.labels("test", device),
                      config.loss if kind.name == "torch" else None)
    last = next((e for e in reversed(base_history) if e.get("kind") == "eval"), {})
    return {
        "kind": "eval", "epoch": last.get("epoch", 0.0), "step": last.get("step", 0),
        "seen": last.get("seen", 0), "seconds": last.get("seconds", 0.0) + round(seconds, 4),
        "train_seconds": last.get("train_seconds", 0.0) + round(seconds, 4), "train_loss": None,
        "test_loss": result["test_loss"], "test_acc": result["test_acc"], "n_test": len(data.test_labels),
        "full": True, "test_preds": result["preds"].tolist(),
        "fine_tuned": {"drawings": int(drawings), "epochs": int(epochs),
                       **({} if held_back is None else {"held_back": int(held_back)})},
    }
