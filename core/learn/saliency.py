"""Which pixels made the network say what it said: gradient and occlusion saliency, and a red overlay.

gradient: |d score_pred / d pixel| for torch models (one backward pass; how sensitive the winning score
    is to each pixel, not whether the pixel helped).
occlusion: blank a patch, see how much the predicted class's probability drops (works for any learner
    through core.learn.training.predict_proba, so also for the NumPy network and kNN; slower, but it answers
    "did the model rely on this region?" directly).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from core.learn import families
from core.learn.data import MEAN, STD
from core.learn.training import predict_proba

SIZE = 28
BACKGROUND = (0.0 - MEAN) / STD  # a blank (ink-free) pixel, normalised like the training data


def _as_batch(x: torch.Tensor | np.ndarray) -> torch.Tensor:
    """A normalised image as [1, 1, 28, 28] float32 (accepts [28, 28], [1, 28, 28] or [1, 1, 28, 28])."""
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x).detach().float().cpu()
    if t.numel() != SIZE * SIZE:
        raise ValueError(f"expected one 28x28 image, got shape {tuple(t.shape)}")
    return t.reshape(1, 1, SIZE, SIZE)


def predicted_class(model, x: torch.Tensor) -> int:
    """The class the learner predicts for one normalised image."""
    return int(predict_proba(model, _as_batch(x)).argmax(1))


def gradient_saliency(model: nn.Module, x: torch.Tensor, target: int | None = None) -> np.ndarray:
    """|d score[target] / d input| as float32 [28, 28] (target: the predicted class unless given)."""
    if not families.of_model(model).has_gradients:
        raise TypeError("gradient saliency needs a PyTorch model; use occlusion_saliency for other learners")
    device = next(model.parameters()).device
    inp = _as_batch(x).to(device).requires_grad_(True)
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            scores = model(inp)
            cls = int(scores.argmax(1)) if target is None else int(target)
            # autograd.grad fills no parameter .grad: the (possibly shared) model is left untouched.
            (grad,) = torch.autograd.grad(scores[0, cls], inp)
    finally:
        model.train(was_training)
    return grad.abs().reshape(SIZE, SIZE).cpu().numpy().astype(np.float32)


def occlusion_saliency(model, x: torch.Tensor, patch: int = 4, stride: int | None = None,
                       target: int | None = None) -> np.ndarray:
    """Drop in the target class's probability when a patch x patch square is blanked, per pixel [28, 28].

    Each pixel gets the mean drop over the patches covering it (stride defaults to patch // 2, so patches
    overlap and the map is smoother). Positive: the model relied on that ink; negative: blanking it
    made the prediction more confident.
    """
    if not 1 <= patch <= SIZE:
        raise ValueError(f"patch must be between 1 and 28 pixels, got {patch}")
    stride = max(1, patch // 2) if stride is None else int(stride)
    base = _as_batch(x)
    probs = predict_proba(model, base)[0]
    cls = int(probs.argmax()) if target is None else int(target)
    starts = list(range(0, SIZE - patch + 1, stride))
    if starts[-1] != SIZE - patch:
        starts.append(SIZE - patch)  # cover the last rows and columns too
    boxes = [(r, c) for r in starts for c in starts]
    batch = base.repeat(len(boxes), 1, 1, 1)
    for i, (r, c) in enumerate(boxes):
        batch[i, 0, r:r + patch, c:c + patch] = BACKGROUND
    drops = (probs[cls] - predict_proba(model, batch)[:, cls]).numpy()
    total = np.zeros((SIZE, SIZE), np.float64)
    count = np.zeros((SIZE, SIZE), np.float64)
    for drop, (r, c) in zip(drops, boxes, strict=True):
        total[r:r + patch, c:c + patch] += drop
        count[r:r + patch, c:c + patch] += 1
    return (total / np.maximum(count, 1)).astype(np.float32)


def overlay(image: np.ndarray, saliency: np.ndarray, scale: int = 8, strength: float = 0.85) -> np.ndarray:
    """The 28x28 input in grey with the saliency's positive part in red, as RGB uint8 [28*scale, 28*scale, 3].

    The saliency is scaled so its largest positive value is full red; negative values are not shown.
    """
    img = np.asarray(image, dtype=np.float32)
    if img.max() > 1.0:
        img = img / 255.0
    sal = np.clip(np.asarray(saliency, dtype=np.float32), 0.0, None)
    peak = float(sal.max())
    heat = sal / peak if peak > 0 else sal
    alpha = (strength * heat)[..., None]
    grey = np.repeat((0.15 + 0.6 * img)[..., None], 3, axis=2)  # dimmed, so the red stands out
    red = np.array([1.0, 0.05, 0.05], np.float32)
    rgb = (1.0 - alpha) * grey + alpha * red
    rgb = np.kron(rgb, np.ones((scale, scale, 1), np.float32))
    return (np.clip(rgb, 0.0, 1.0) * 255).round().astype(np.uint8)
