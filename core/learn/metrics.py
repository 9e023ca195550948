"""What the Evaluate page and `python -m core evaluate` report: confusion matrix, per-class scores, mistakes."""

from __future__ import annotations

import torch


def confusion_matrix(preds: torch.Tensor, labels: torch.Tensor, n_classes: int = 10) -> torch.Tensor:
    """cm[true, pred] = how many test images of digit `true` were read as `pred`."""
    flat = labels.long().cpu() * n_classes + preds.long().cpu()
    return torch.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def per_class(cm: torch.Tensor) -> list[dict]:
    """Precision, recall (= accuracy on that digit), F1 and counts for each digit (0 where undefined)."""
    cm = cm.double()
    tp, predicted, actual = cm.diag(), cm.sum(0), cm.sum(1)
    rows = []
    for d in range(cm.shape[0]):
        precision = float(tp[d] / predicted[d]) if predicted[d] else 0.0
        recall = float(tp[d] / actual[d]) if actual[d] else 0.0
        rows.append({
            "digit": d,
            "precision": precision,
            "recall": recall,  # = the accuracy on this digit's images
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "support": int(actual[d]),
            "correct": int(tp[d]),
            "predicted": int(predicted[d]),
        })
    return rows


def misclassified(probs: torch.Tensor, labels: torch.Tensor, true: int | None = None,
                  pred: int | None = None, least_confident_first: bool = False) -> torch.Tensor:
    """Indices of the mistakes, most confident first, optionally only true digit `true` read as `pred`."""
    guess = probs.argmax(1)  # argmax, like evaluate(): ties (kNN votes) go the same way everywhere
    confidence = probs.gather(1, guess.unsqueeze(1)).squeeze(1)
    labels = labels.to(guess.device)
    mask = guess != labels
    if true is not None:
        mask &= labels == true
    if pred is not None:
        mask &= guess == pred
    idx = mask.nonzero().flatten()
    return idx[confidence[idx].argsort(descending=not least_confident_first, stable=True)]


def cell_indices(preds: torch.Tensor, labels: torch.Tensor, true: int, pred: int) -> torch.Tensor:
    """The test images in one confusion-matrix cell."""
    return ((labels == true) & (preds == pred)).nonzero().flatten()


def report(preds: torch.Tensor, labels: torch.Tensor) -> dict:
    cm = confusion_matrix(preds, labels)
    return {
        "accuracy": float((preds.cpu() == labels.cpu()).double().mean()),
        "per_class": per_class(cm),
        "confusion_matrix": cm.tolist(),
    }


CHANCE = 0.2  # ten digits: guessing scores about 10%; a run that ends below this has not learned
STALL = 0.05  # a loss that fell less than 5% from the first steps to the last did not move


def did_not_learn(history: list[dict]) -> bool:
    """True when a finished run is no better than guessing, or its training loss barely moved.

    The loss is compared as the mean of the first and of the last tenth of the steps (at least 5 each), so
    one noisy batch decides nothing.
    """
    evals = [e for e in history if e.get("kind") == "eval" and e.get("full")]
    if evals and evals[-1].get("test_acc") is not None and evals[-1]["test_acc"] < CHANCE:
        return True
    losses = [e["loss"] for e in history if e.get("kind") == "step"]
    if len(losses) < 20:
        return False
    n = max(5, len(losses) // 10)
    first, last = sum(losses[:n]) / n, sum(losses[-n:]) / n
    return first > 0 and (first - last) / first < STALL
