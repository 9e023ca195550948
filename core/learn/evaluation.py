"""What the Evaluate page computes: a run's test predictions, its evaluations over time, the image gallery."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property

import torch

from core.learn.data import MNIST
from core.learn.metrics import cell_indices, confusion_matrix, misclassified
from core.learn.training import predict_proba

PAGE_SIZE = 24  # gallery images shown at once ("show more" adds as many again)


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
