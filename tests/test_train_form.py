"""ui.train_form: the Train page's form values <-> TrainConfig, names and advice."""

from __future__ import annotations

import pytest

from core.learn.config import ConfigError, TrainConfig
from core.learn.presets import PRESETS
from ui.train_form import (
    BATCH_CHOICES,
    LR_CHOICES,
    config_from_form,
    divergence_tips,
    form_from_config,
    format_duration,
    lower_lr,
    nearest,
    parse_widths,
    run_name,
    summary,
    uses,
)


def test_learning_rates_cover_1e5_to_10_on_a_log_grid():
    assert LR_CHOICES[0] == 1e-5 and LR_CHOICES[-1] == 10.0
    assert list(LR_CHOICES) == sorted(LR_CHOICES)
    for p in PRESETS.values():
        assert p.config.lr in LR_CHOICES and p.config.batch_size in BATCH_CHOICES
    assert nearest(0.0011, LR_CHOICES) == 1e-3 and nearest(0.04, LR_CHOICES) == 0.05


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_survives_the_form(name):
    config = PRESETS[name].config
    assert config_from_form(form_from_config(config)) == config
    assert run_name(config, name) == name


def test_widths_are_parsed_kindly():
    assert parse_widths("128, 64") == [128, 64]
    assert parse_widths("mlp:32") == [32]
    for bad in ("abc", "", "128,,64", "-3", "0"):
        with pytest.raises(ConfigError):
            parse_widths(bad)


def test_settings_a_learner_does_not_use_take_fixed_values():
    form = form_from_config(TrainConfig(arch="mlp:32", optimizer="adam", loss="ce", l2=1e-3, device="cpu"))
    scratch = config_from_form({**form, "arch_kind": "scratch", "hidden": 30})
    assert (scratch.arch, scratch.activation, scratch.loss, scratch.optimizer, scratch.device) == \
        ("scratch:30", "sigmoid", "mse", "sgd", "cpu")
    knn = config_from_form({**form, "arch_kind": "knn", "k": 5})
    assert knn.arch == "knn" and knn.k == 5 and knn.l2 == 0.0 and knn.optimizer == TrainConfig().optimizer
    assert uses("mlp", "activation") and not uses("cnn", "activation")
    smoothed = form_from_config(TrainConfig(arch="cnn", label_smoothing=0.1))
    assert config_from_form(smoothed).label_smoothing == 0.1
    assert config_from_form({**smoothed, "loss": "mse"}).label_smoothing == 0.0  # cross-entropy's only
    assert config_from_form({**smoothed, "arch_kind": "knn"}).label_smoothing == 0.0
    assert not uses("knn", "lr") and uses("scratch", "lr") and not uses("scratch", "device")


def test_bad_form_values_raise_user_ready_errors():
    form = form_from_config(TrainConfig())
    with pytest.raises(ConfigError, match="hidden widths"):
        config_from_form({**form, "arch_kind": "mlp", "widths": "mlp:abc"})
    with pytest.raises(ConfigError, match="hidden layer"):
        config_from_form({**form, "arch_kind": "scratch", "hidden": 0})


def test_names_summaries_and_durations():
    assert run_name(TrainConfig(arch="mlp:128,64", optimizer="sgd")) == "mlp-128-64-sgd"
    assert run_name(TrainConfig(arch="scratch:30")) == "numpy-30"
    assert run_name(TrainConfig(arch="knn", k=5)) == "knn-k5-blocks"
    assert run_name(PRESETS["mlp-adam"].config.replace(lr=0.01), "mlp-adam") == "mlp-128-64-adam"
    assert summary(TrainConfig(arch="mlp:32", epochs=1)).startswith("mlp:32 · relu · ce · adam · lr 0.001")
    assert [format_duration(s) for s in (None, 4.4, 83, 3725)] == ["–", "4 s", "1:23", "1:02:05"]


def test_divergence_advice_starts_with_a_rate_that_learns():
    config = TrainConfig(arch="mlp:32", loss="mse", optimizer="momentum", lr=10.0, batch_size=10)
    keys = [k for k, _, _ in divergence_tips(config)]
    assert keys[0] == "train.tip.lr" and lower_lr(config) == 0.01  # not 1: 10x below 10 still does not learn
    assert {"train.tip.adam", "train.tip.onecycle", "train.tip.batch", "train.tip.ce"} <= set(keys)
    assert lower_lr(TrainConfig(lr=3e-3)) == 3e-4  # already small: 10x smaller
    assert lower_lr(TrainConfig(lr=1e-5)) == 1e-5  # nothing smaller on the grid


def test_run_names_say_what_differs_from_a_run_of_the_same_name():
    from types import SimpleNamespace

    from ui.train_form import distinct_name

    old = SimpleNamespace(config=TrainConfig(arch="mlp:32", optimizer="sgd", lr=0.1))
    existing = {"mlp-32-sgd": old}
    assert distinct_name("mlp-32-sgd", TrainConfig(arch="mlp:32", optimizer="sgd", lr=0.1), existing) == "mlp-32-sgd"
    assert distinct_name("mlp-32-sgd", TrainConfig(arch="mlp:32", optimizer="sgd", lr=1.0, loss="mse"),
                         existing) == "mlp-32-sgd-mse-lr1"
    assert distinct_name("knn-k3-blocks", TrainConfig(arch="knn"), {}) == "knn-k3-blocks"
