"""What the Evaluate page computes: a run's test predictions, its evaluations over time, the image gallery."""

from __future__ import annotations

import base64
import copy
import io
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from core.data import MNIST
from core.metrics import cell_indices, confusion_matrix, misclassified
from core.training import predict_proba

PAGE_SIZE = 24  # gallery images shown at once ("show more" adds as many again)
TRUE_RGB = (44, 160, 44)  # the true digit's probability bar
WRONG_RGB = (214, 39, 40)  # a wrong prediction's bar
OTHER_RGB = (170, 170, 170)


@dataclass(frozen=True)
class Predictions:
    """A learner's class probabilities on a set of test images, with their labels (all on the CPU)."""

    probs: torch.Tensor  # [N, 10] float, rows sum to 1
    labels: torch.Tensor  # [N] int64

    @cached_property
    def preds(self) -> torch.Tensor:
        """Predicted digit per image (argmax, as evaluate() and the training history use)."""
        return self.probs.argmax(1)

    @cached_property
    def confidence(self) -> torch.Tensor:
        """The probability given to the predicted digit."""
        return self.probs.gather(1, self.preds.unsqueeze(1)).squeeze(1)

    @property
    def accuracy(self) -> float:
        return float((self.preds == self.labels).double().mean()) if len(self.labels) else 0.0

    @cached_property
    def confusion(self) -> torch.Tensor:
        return confusion_matrix(self.preds, self.labels)


def test_predictions(model, data: MNIST) -> Predictions:
    """Probabilities of `model` on every test image of `data`; works on a copy, the shared model is untouched."""
    probs = predict_proba(copy.deepcopy(model), data.images("test")).float().cpu()
    probs = torch.nan_to_num(probs, nan=0.0)  # a diverged model: all zeros, not NaN, so pictures still draw
    return Predictions(probs=probs, labels=data.labels("test").long().cpu())


@dataclass(frozen=True)
class Snapshot:
    """One full evaluation from a run's history: what the model predicted at that moment."""

    step: int
    epoch: float
    test_acc: float
    preds: torch.Tensor  # [N] predicted digit per test image


def snapshots(history: list[dict]) -> list[Snapshot]:
    """The full evaluations that recorded their predictions, in training order (step 0 = untrained)."""
    return [
        Snapshot(step=int(e.get("step", 0)), epoch=float(e.get("epoch", 0.0)), test_acc=float(e["test_acc"]),
                 preds=torch.tensor(e["test_preds"], dtype=torch.long))
        for e in history
        if e.get("kind") == "eval" and e.get("full") and e.get("test_preds") is not None
    ]


def snapshots_fit(snaps: list[Snapshot], n_test: int) -> bool:
    """True when every snapshot predicted exactly `n_test` images (the app's test set is the run's)."""
    return bool(snaps) and all(len(s.preds) == n_test for s in snaps)


def gallery_indices(labels: torch.Tensor, preds: torch.Tensor, probs: torch.Tensor | None = None,
                    true: int | None = None, pred: int | None = None,
                    least_confident_first: bool = False) -> torch.Tensor:
    """Test images for the gallery.

    Both digits given: exactly one confusion-matrix cell (the diagonal holds the correct readings).
    Otherwise the mistakes, optionally only of true digit `true` or only read as `pred`.
    Sorted by confidence (most confident first, or least) when probabilities are given, else by index.
    `preds` must be the argmax of `probs` when both are given.
    """
    if true is not None and pred is not None:
        idx = cell_indices(preds, labels, true, pred)
        if probs is not None:
            confidence = probs[idx, pred]
            idx = idx[confidence.argsort(descending=not least_confident_first, stable=True)]
        return idx
    if probs is not None:
        return misclassified(probs, labels, true, pred, least_confident_first)
    mask = preds != labels
    if true is not None:
        mask &= labels == true
    if pred is not None:
        mask &= preds == pred
    return mask.nonzero().flatten()


# ---- pictures -----------------------------------------------------------------------------------------

def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def digit_card(image: np.ndarray | torch.Tensor, probs: torch.Tensor | None = None, true: int | None = None,
               scale: int = 5) -> Image.Image:
    """A 28x28 digit scaled up crisply, with ten small probability bars under it (true green, wrong red)."""
    img = np.asarray(image.cpu() if isinstance(image, torch.Tensor) else image, dtype=np.float32)
    if img.max() > 1.0:
        img = img / 255.0
    pixels = (np.kron(img, np.ones((scale, scale), dtype=np.float32)).clip(0, 1) * 255).astype(np.uint8)
    digit = Image.fromarray(pixels, mode="L").convert("RGB")
    if probs is None:
        return digit
    width = digit.width
    bar_h, label_h = 36, 15
    card = Image.new("RGB", (width, digit.height + bar_h + label_h + 4), "white")
    card.paste(digit, (0, 0))
    draw = ImageDraw.Draw(card)
    font = _font(12)
    slot = width / 10
    top = digit.height + 3
    guess = int(probs.argmax())
    for d in range(10):
        p = float(probs[d])
        x0, x1 = round(d * slot + 1), round((d + 1) * slot - 2)
        colour = TRUE_RGB if d == true else WRONG_RGB if d == guess else OTHER_RGB
        h = max(1, round(p * bar_h)) if p > 0.005 else 0
        draw.line((x0, top + bar_h, x1, top + bar_h), fill=(220, 220, 220))
        if h:
            draw.rectangle((x0, top + bar_h - h, x1, top + bar_h), fill=colour)
        cx = (x0 + x1) / 2
        draw.text((cx, top + bar_h + 1), str(d), fill=(60, 60, 60), font=font, anchor="mt")
    return card


def png_base64(image: Image.Image) -> str:
    """A PIL image as a base64 PNG, ready for <img src="data:image/png;base64,...">."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return base64.b64encode(buf.getvalue()).decode("ascii")
