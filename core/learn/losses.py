"""Losses on raw scores [B, 10] and integer labels [B]: cross-entropy, MSE on one-hot, multiclass hinge."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# Formulas shown beside the loss picker (LaTeX); s = scores, y = true class, C = 10 classes.
FORMULAS = {
    "ce": r"L = -\log \frac{e^{s_y}}{\sum_j e^{s_j}}",
    "mse": r"L = \frac{1}{C}\sum_j (s_j - \mathbb{1}[j = y])^2",
    "hinge": r"L = \sum_{j \ne y} \max(0,\; s_j - s_y + 1)",
}


def cross_entropy(scores: torch.Tensor, labels: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    """With label smoothing s the target is 1 - s on the right digit plus s/10 on every digit: the net is never
    pushed to infinite confidence, which lets it train at a higher rate (the speedrun recipe uses 0.1)."""
    return F.cross_entropy(scores, labels, label_smoothing=label_smoothing)


def mse_one_hot(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean squared error between the raw outputs and the one-hot target (mean over all B*10 entries)."""
    target = F.one_hot(labels, scores.shape[1]).to(scores.dtype)
    return F.mse_loss(scores, target)


def multiclass_hinge(scores: torch.Tensor, labels: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    """Multiclass SVM loss (CS231n): sum over wrong classes of max(0, s_j - s_y + margin), batch mean."""
    correct = scores.gather(1, labels[:, None])
    margins = (scores - correct + margin).clamp(min=0)
    margins = margins.scatter(1, labels[:, None], 0.0)  # the true class contributes nothing
    return margins.sum(dim=1).mean()


LOSS_FUNCTIONS = {"ce": cross_entropy, "mse": mse_one_hot, "hinge": multiclass_hinge}


def l2_penalty(model: nn.Module) -> torch.Tensor:
    """0.5 * sum of squared weights (biases are not penalised, as is usual)."""
    return 0.5 * sum((p * p).sum() for name, p in model.named_parameters() if p.dim() > 1)


def compute_loss(name: str, scores: torch.Tensor, labels: torch.Tensor,
                 model: nn.Module | None = None, l2: float = 0.0, label_smoothing: float = 0.0) -> torch.Tensor:
    """The training loss; label smoothing applies to cross-entropy only (the test loss is always without it)."""
    if name == "ce" and label_smoothing:
        loss = cross_entropy(scores, labels, label_smoothing)
    else:
        loss = LOSS_FUNCTIONS[name](scores, labels)
    if l2 and model is not None:
        loss = loss + l2 * l2_penalty(model)
    return loss
