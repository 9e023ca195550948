"""The one interface every learner offers, chosen once: a torch module, the NumPy network or kNN.

    kind = learners.kind_of(model)       # or learners.KINDS[config.family]
    kind.build(config)                   # a fresh, untrained learner
    kind.scores(model, images)           # what its loss is computed on (probabilities for the others)
    kind.test_loss(model, x, y, loss)    # mean test loss, None only for kNN (which has none)
    kind.load(model, tensors)            # weights from safetensors, strict

Training, runs, saliency, the class set, reports and pages ask this module instead of branching on the
type. Adding a kind of learner is one more `Kind` here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import torch
from torch import nn

from core.learn.config import TrainConfig, parse_arch
from core.learn.losses import compute_loss

# torch's default generator is shared by every thread: one job must not reseed it while another job
# draws its initial weights, or two runs with the same seed would start from different weights.
_RNG_LOCK = threading.Lock()


@dataclass(frozen=True)
class Kind:
    """What one family of learners can do; the methods take the learner as their first argument."""

    name: str  # torch | scratch | knn (TrainConfig.family)
    has_steps: bool  # trained step by step: can be paused, checkpointed and continued
    has_gradients: bool  # gradient saliency works (the others use occlusion)
    can_fine_tune: bool = True

    def build(self, config: TrainConfig):
        head, widths = parse_arch(config.arch)
        if self.name == "scratch":
            from core.learn.families.scratch import ScratchNet

            return ScratchNet(hidden=widths[0], seed=config.seed)
        if self.name == "knn":
            from core.learn.families.knn import KNN

            return KNN(k=config.k, features=config.knn_features, grid=config.knn_grid)
        from core.learn.families.nets import build_model

        with _RNG_LOCK:
            torch.manual_seed(config.seed)
            return build_model(config.arch, config.activation)

    def scores(self, model, images: torch.Tensor) -> torch.Tensor:
        return model(images) if self.name == "torch" else model.predict_proba(images)

    def test_loss(self, model, images: torch.Tensor, labels: torch.Tensor, loss: str | None,
                  scores: torch.Tensor | None = None) -> float | None:
        """Mean loss on these images: the run's own loss for torch (on `scores` when already computed), the
        quadratic cost for the NumPy network, None for kNN."""
        if self.name == "torch":
            with torch.no_grad():
                return float(compute_loss(loss or "ce", model(images) if scores is None else scores, labels))
        if self.name == "scratch":
            return model.quadratic_loss(images, labels)
        return None

    def load(self, model, tensors: dict[str, torch.Tensor]) -> None:
        if self.name == "torch":
            model.load_state_dict(tensors, strict=True)
            model.eval()
        else:
            model.load_state_dict(tensors)

    def parameters(self, model) -> int | None:
        """How many numbers it learned (None for kNN, which learns none: it remembers the images)."""
        if self.name == "torch":
            return sum(p.numel() for p in model.parameters())
        if self.name == "scratch":
            return sum(int(t.numel()) for t in model.state_dict().values())
        return None

    def device(self, model) -> torch.device:
        return next(model.parameters()).device if self.name == "torch" else torch.device("cpu")


KINDS = {
    "torch": Kind("torch", has_steps=True, has_gradients=True),
    "scratch": Kind("scratch", has_steps=True, has_gradients=False),
    "knn": Kind("knn", has_steps=False, has_gradients=False),
}


def kind_of(model) -> Kind:
    """The Kind of a learner object (a run's model)."""
    from core.learn.families.knn import KNN
    from core.learn.families.scratch import ScratchNet

    if isinstance(model, nn.Module):
        return KINDS["torch"]
    if isinstance(model, ScratchNet):
        return KINDS["scratch"]
    if isinstance(model, KNN):
        return KINDS["knn"]
    raise TypeError(f"{type(model).__name__} is not an MNIST Lab learner")


def build(config: TrainConfig):
    """A fresh, untrained learner for a config: an nn.Module, a ScratchNet or a KNN."""
    return KINDS[config.family].build(config)
