"""core.learn.families: every kind of learner offers the same interface, chosen once from the config or the object."""

from __future__ import annotations

import pytest
import torch

from core.lab.runfiles import model_from_bytes, tensors_bytes
from core.learn import families as learners
from core.learn.config import TrainConfig

CONFIGS = [TrainConfig(arch="mlp:16"), TrainConfig(arch="cnn"), TrainConfig(arch="scratch:10"), TrainConfig(arch="knn")]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.arch)
def test_every_learner_builds_predicts_reports_loss_and_round_trips(config, small_mnist):
    kind = learners.KINDS[config.family]
    model = kind.build(config)
    if config.family == "knn":
        model.fit(small_mnist.images("train")[:200], small_mnist.labels("train")[:200])
    assert learners.kind_of(model) is kind
    x, y = small_mnist.images("test")[:32], small_mnist.labels("test")[:32]
    assert kind.scores(model, x).shape == (32, 10)
    loss = kind.test_loss(model, x, y, "ce")
    assert (loss is None) == (config.family == "knn")  # only kNN truly has no loss
    assert loss is None or loss > 0
    again = model_from_bytes(config, tensors_bytes(config, model.state_dict()))
    assert torch.allclose(kind.scores(again, x).float(), kind.scores(model, x).float())
    assert kind.has_steps == (config.family != "knn") and kind.has_gradients == (config.family == "torch")


def test_an_unknown_object_is_not_a_learner():
    with pytest.raises(TypeError):
        learners.kind_of(object())


def test_the_same_seed_builds_the_same_weights():
    a, b = (learners.build(TrainConfig(arch="mlp:16", seed=3)) for _ in range(2))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
