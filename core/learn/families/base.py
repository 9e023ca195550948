"""What every family of learners answers: how to build one, what it scores, which settings it trains with.

A family is a small object with plain attributes and a few methods; `core.learn.families` keeps one of each
and every other module asks it instead of branching on a model's type or an architecture string.
"""

from __future__ import annotations

import numpy as np
import torch

# What the pages can draw of a learner (Family.shows): Draw shows a kNN's "neighbours"; the Inside page draws
# first-layer "weights" as images or conv "filters", one image through the fully connected "layers" or through
# conv "feature_maps", and a "pca" of the hidden layer (or, for "neighbours", what a kNN compares).
VIEWS = ("neighbours", "weights", "filters", "layers", "feature_maps", "pca")
# The settings of every learner trained step by step (the others: Family.uses)
STEPPED = frozenset({"lr", "batch_size", "epochs", "seed", "target_accuracy", "train_subset"})


class NotInspectable(ValueError):
    """The learner has no such thing to show (e.g. kNN has no weights, an MLP has no filters)."""


class Family:
    name: str  # torch | scratch | knn (TrainConfig.family)
    archs: tuple[str, ...]  # the architecture kinds (spec heads) it trains, in the order the form offers them
    examples: tuple[str, ...]  # a small spec of each kind: what the family test trains
    has_steps: bool  # trained step by step: can be paused, checkpointed and continued
    has_gradients: bool  # gradient saliency works (the others use occlusion)
    can_fine_tune: bool = True
    raw_scores: bool = False  # scores() are raw scores before a softmax (the Draw page shows both), not probabilities
    # What TrainConfig checks and the Train form offers: plain values, read by core.learn.config
    uses: frozenset[str]  # the TrainConfig fields it trains with; the form hides the others
    widths: dict[str, tuple[str, str, int | None]] = {}  # kinds whose spec takes hidden widths: kind -> (how it
    # is written, an example, the exact number of hidden layers or None for any)
    fixed: dict = {}  # what it always trains with, whatever a form or file says
    limits: dict[str, tuple[int, int]] = {}  # ranges of its own settings (the form's ranges too)

    def size(self, kind: str, widths: list[int]) -> int:
        """Weights and biases of the learner a spec builds, by arithmetic before anything is built (0: it learns
        none). A spec with hidden widths is a fully connected chain 784 -> widths -> 10 (core.learn.config)."""
        return 0

    def owns(self, model) -> bool:
        """Is this learner object one of ours?"""
        raise NotImplementedError

    def build(self, config):
        """A fresh, untrained learner for this config (a TrainConfig, checked)."""
        raise NotImplementedError

    def scores(self, model, images: torch.Tensor) -> torch.Tensor:
        """What its loss is computed on: raw scores for torch models, probabilities for the others."""
        return model.predict_proba(images)

    def test_loss(self, model, images: torch.Tensor, labels: torch.Tensor, loss: str | None,
                  scores: torch.Tensor | None = None) -> float | None:
        """Mean loss on these images (None when the learner has no loss)."""
        return None

    def load(self, model, tensors: dict[str, torch.Tensor]) -> None:
        """Weights from safetensors, strictly."""
        model.load_state_dict(tensors)

    def parameters(self, model) -> int | None:
        """How many numbers it learned (None for a learner that learns none)."""
        return None

    def device(self, model) -> torch.device:
        return torch.device("cpu")

    # ---- what the Inside and Draw pages show (core.learn.inside asks these; a family may show nothing) ----

    def inside_kind(self, model) -> str:
        """What the Inside page calls this learner (its caption is inside.kind.<kind>): the family's name unless
        its learners differ (torch: linear, mlp or cnn)."""
        return self.name

    def shows(self, model) -> frozenset[str]:
        """Which of VIEWS the pages draw for this learner."""
        return frozenset()

    def activations(self, model, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
        """The output of every layer for normalised images x [B, 1, 28, 28], in order; the last is the output."""
        raise NotInspectable(f"a {self.name} learner has no layers to show")

    def hidden_units(self, model, x: torch.Tensor) -> tuple[list[tuple[str, np.ndarray]], np.ndarray]:
        """For one image [1, 1, 28, 28]: each fully connected hidden layer's (non-linearity, activations), and the
        output's ten class probabilities ("layers")."""
        raise NotInspectable(f"a {self.name} learner has no fully connected layers to show")

    def first_layer_weights(self, model) -> torch.Tensor:
        """The first fully connected layer's weights as images [units, 28, 28] ("weights")."""
        raise NotInspectable(f"a {self.name} learner has no fully connected first layer to show as images")

    def hidden_representation(self, model, images: torch.Tensor) -> torch.Tensor:
        """What the output layer sees for each image, float [N, D] ("pca"; for a linear model: the pixels)."""
        raise NotInspectable(f"a {self.name} learner has no hidden layer")

    def __repr__(self) -> str:
        return f"<family {self.name}>"
