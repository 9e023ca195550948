"""core.learn.families: every family of learners offers the same interface, chosen once from the config or the
object, and every architecture the registry lists goes the whole way: build -> train -> save -> load -> predict ->
evaluate. Adding a family to the registry adds it here."""

from __future__ import annotations

import pytest
import torch

from core.lab.runfiles.folders import load_run, save_run
from core.lab.runfiles.format import model_from_bytes, tensors_bytes
from core.learn import families
from core.learn.config import ConfigError, TrainConfig
from core.learn.training import evaluate, predict_proba
from tests.conftest import train_run

EXAMPLES = [TrainConfig(arch=spec, device="cpu") for f in families.FAMILIES.values() for spec in f.examples]


def test_the_registry_lists_every_architecture_kind_once():
    assert families.ARCH_KINDS[:6] == ("linear", "mlp", "cnn", "lenet5", "scratch", "knn")  # a new family: after
    assert len(set(families.ARCH_KINDS)) == len(families.ARCH_KINDS)
    assert {c.arch.split(":")[0] for c in EXAMPLES} == set(families.ARCH_KINDS)


@pytest.mark.parametrize("config", EXAMPLES, ids=lambda c: c.arch)
def test_every_learner_builds_predicts_reports_loss_and_round_trips(config, small_mnist):
    family = families.FAMILIES[config.family]
    model = family.build(config)
    if not family.has_steps:
        model.fit(small_mnist.images("train")[:200], small_mnist.labels("train")[:200])
    assert families.of_model(model) is family
    x, y = small_mnist.images("test")[:32], small_mnist.labels("test")[:32]
    assert family.scores(model, x).shape == (32, 10)
    loss = family.test_loss(model, x, y, "ce")
    assert (loss is None) == (config.family == "knn")  # only kNN truly has no loss
    assert loss is None or loss > 0
    again = model_from_bytes(config, tensors_bytes(config, model.state_dict()))
    assert torch.allclose(family.scores(again, x).float(), family.scores(model, x).float())
    assert family.has_steps == (config.family != "knn") and family.has_gradients == (config.family == "torch")


@pytest.mark.parametrize("config", EXAMPLES, ids=lambda c: c.arch)
def test_every_architecture_trains_saves_loads_predicts_and_evaluates(config, small_mnist, tmp_path):
    """A short real training run of each, through the run files, learns something (well above the 10% of chance)."""
    # Nielsen's own recipe for his network (batch 10, rate 3.0); Adam's default rate for the torch nets
    recipe = {"batch_size": 10, "lr": 3.0} if config.family == "scratch" else {"batch_size": 32, "lr": 3e-3}
    config = config.replace(train_subset=3000, eval_subset=200, **recipe)
    run = train_run(config, small_mnist, name=config.arch.replace(":", "-"))
    loaded = load_run(save_run(run, tmp_path / "run"))
    x, y = small_mnist.images("test"), small_mnist.labels("test")
    probs = predict_proba(loaded.model, x[:64])
    assert probs.shape == (64, 10) and torch.allclose(probs.sum(1), torch.ones(64), atol=1e-4)
    result = evaluate(loaded.model, x, y, config.loss)
    assert result["test_acc"] > 0.5, result["test_acc"]
    assert result["test_acc"] == pytest.approx(evaluate(run.model, x, y, config.loss)["test_acc"])


def test_settings_the_family_does_not_use_are_not_its_settings():
    assert "loss" not in TrainConfig(arch="knn").settings() and "k" in TrainConfig(arch="knn").settings()
    assert "optimizer" not in TrainConfig(arch="scratch:10").settings()
    assert "k" not in TrainConfig(arch="cnn").settings() and "optimizer" in TrainConfig(arch="cnn").settings()


def test_a_family_limit_is_checked_by_the_config_itself():
    lo, hi = families.FAMILIES["knn"].limits["k"]
    TrainConfig(arch="knn", k=hi).validated()
    with pytest.raises(ConfigError) as err:
        TrainConfig(arch="knn", k=hi + 1).validated()
    assert err.value.code == "config_range"


def test_an_unknown_object_is_not_a_learner():
    with pytest.raises(TypeError):
        families.of_model(object())


def test_the_same_seed_builds_the_same_weights():
    a, b = (families.build(TrainConfig(arch="mlp:16", seed=3)) for _ in range(2))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


@pytest.mark.parametrize("config", EXAMPLES, ids=lambda c: c.arch)
def test_what_a_learner_shows_the_inside_page_draws(config, small_mnist):
    """The Inside and Draw pages draw what the family says a learner shows (Family.shows), and every view it names
    works on it: a new family's pictures need no page edit, and this test runs them."""
    from core.learn import inside as ins
    from core.learn.families.base import VIEWS

    model = families.build(config)
    x = small_mnist.images("test")[:50]
    if not families.FAMILIES[config.family].has_steps:
        model.fit(small_mnist.images("train")[:200], small_mnist.labels("train")[:200])
    views = ins.shows(model)
    assert views and views <= set(VIEWS), views
    from ui.i18n import CATALOGS

    caption = f"inside.kind.{ins.model_kind(model)}"  # the Inside page's caption (not over a kNN's neighbours)
    assert "neighbours" in views or all(caption in catalog for catalog in CATALOGS.values()), caption
    if "weights" in views:
        weights = ins.first_layer_weights(model)
        assert weights.shape[1:] == (28, 28) and len(weights) >= 10
    if "layers" in views:
        layers = ins.unit_activations(model, x[:1])
        assert layers[-1].output and layers[-1].values.sum() == pytest.approx(1.0, abs=1e-5)
    if "filters" in views:
        assert ins.conv_filters(model, 0).dim() == 4
    if "feature_maps" in views:
        assert all(maps.dim() == 3 for _, maps in ins.feature_maps(model, x[:1]))
    if "pca" in views:
        assert ins.hidden_representation(model, x).shape[0] == 50
    if "neighbours" in views:
        _, idx = model.kneighbors(x[:1], 3)
        assert idx.shape == (1, 3)
    if "weights" not in views:  # a cnn, kNN: said plainly, not a broken picture
        with pytest.raises(ins.NotInspectable):
            ins.first_layer_weights(model)
