"""The families of learners, one module each, and the registry every other module asks.

    family = families.of_model(model)     # or families.FAMILIES[config.family]
    family.build(config)                  # a fresh, untrained learner
    family.scores(model, images)          # what its loss is computed on (probabilities for the others)
    family.test_loss(model, x, y, loss)   # mean test loss, None only for kNN (which has none)
    family.load(model, tensors)           # weights from safetensors, strict
    family.uses, family.limits            # the settings it trains with, and their ranges

Training, runs, saliency, the class set, reports and pages ask this module instead of branching on the
type. Adding a family is one module here with a `Family` subclass, listed in FAMILIES (README: how to extend).
"""

from __future__ import annotations

from core.learn.families.base import Family
from core.learn.families.knn import KNN_FAMILY
from core.learn.families.nets import TORCH_FAMILY
from core.learn.families.scratch import SCRATCH_FAMILY

FAMILIES: dict[str, Family] = {f.name: f for f in (TORCH_FAMILY, SCRATCH_FAMILY, KNN_FAMILY)}
# Every architecture kind the app offers, in the form's order.
ARCH_KINDS: tuple[str, ...] = tuple(a for f in FAMILIES.values() for a in f.archs)


def of_model(model) -> Family:
    """The family of a learner object (a run's model)."""
    for family in FAMILIES.values():
        if family.owns(model):
            return family
    raise TypeError(f"{type(model).__name__} is not an MNIST Lab learner")



def build(config):
    """A fresh, untrained learner for a config: an nn.Module, a ScratchNet or a KNN."""
    return FAMILIES[config.family].build(config)
