"""Limits a hostile config meets before anything is allocated, and the two that need data or training:
kNN's k against the training set, and weights that blow up while the loss stays finite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from core.learn import families
from core.learn.config import MAX_HIDDEN_LAYERS, MAX_PARAMETERS, MAX_SEED, ConfigError, TrainConfig, parameter_count
from core.learn.presets import PRESETS
from core.learn.training import WEIGHT_LIMIT, train
from ui.i18n import reason, t
from ui.train_form import config_from_form, form_from_config

ROOT = Path(__file__).resolve().parents[1]
HUGE_MLP = "mlp:" + ",".join(["4096"] * 200)


def refused(code: str, **fields) -> None:
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict(fields)
    assert info.value.code == code, info.value


@pytest.mark.parametrize("arch", ["linear", "mlp:128,64", "mlp:7,3,5", "cnn", "lenet5", "scratch:30"])
def test_parameter_count_is_what_the_built_learner_has(arch):
    model = families.build(TrainConfig(arch=arch))
    assert parameter_count(arch) == families.of_model(model).parameters(model)


def test_every_preset_and_the_forms_widest_layer_fit_the_limit():
    for preset in PRESETS.values():
        assert parameter_count(preset.config.arch) <= MAX_PARAMETERS, preset.name
    for arch in ("mlp:4096", "scratch:4096", "mlp:" + ",".join(["64"] * MAX_HIDDEN_LAYERS)):
        assert TrainConfig(arch=arch).validated().arch == arch


def test_a_huge_mlp_is_refused_by_arithmetic_before_torch_is_even_imported():
    code = (
        "import sys\n"
        "from core.learn.config import ConfigError, TrainConfig\n"
        f"for arch in ({HUGE_MLP!r}, 'mlp:4096,4096'):\n"
        "    try:\n"
        "        TrainConfig.from_dict({'arch': arch})\n"
        "    except ConfigError as exc:\n"
        "        print(exc.code)\n"
        "print('torch' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.split() == ["config_depth", "config_size", "False"], proc.stderr


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"lr": float("inf")}, "config_lr_finite"),
        ({"lr": float("nan")}, "config_lr"),
        ({"l2": float("nan")}, "config_l2_finite"),
        ({"l2": float("inf")}, "config_l2_finite"),
        ({"target_accuracy": float("nan")}, "config_target"),
        ({"seed": -1}, "config_seed"),
        ({"seed": MAX_SEED + 1}, "config_seed"),
        ({"label_smoothing": 0.6}, "config_smoothing"),
        ({"epochs": 10**12}, "config_too_long"),
        ({"batch_size": 10**9}, "config_too_long"),
        ({"evals_per_epoch": 10**9}, "config_eval"),
        ({"eval_subset": 10**9}, "config_eval"),
        ({"label_smoothing": -0.1}, "config_smoothing"),
        ({"label_smoothing": float("nan")}, "config_smoothing"),
    ],
)
def test_numbers_that_cannot_train_are_refused_with_a_reason(fields, code):
    refused(code, **fields)


def test_the_largest_seed_allowed_seeds_every_learner():
    torch.Generator().manual_seed(MAX_SEED)  # the batch order; each of these raises on a seed out of its range
    for arch in ("mlp:8", "scratch:8"):
        families.build(TrainConfig(arch=arch, seed=MAX_SEED))


def test_the_train_form_refuses_an_oversized_network_with_its_reason():
    form = form_from_config(TrainConfig(arch="mlp:128,64"))
    for widths, code, limit in ((HUGE_MLP.removeprefix("mlp:"), "config_depth", str(MAX_HIDDEN_LAYERS)),
                                ("4096,4096", "config_size", f"{MAX_PARAMETERS:,}")):
        with pytest.raises(ConfigError) as info:
            config_from_form({**form, "widths": widths})
        assert info.value.code == code
        assert all(limit in reason(info.value, lang) for lang in ("en", "zh"))  # what the Train page shows


def test_knn_refuses_a_k_beyond_its_training_images_before_fitting(small_mnist):
    with pytest.raises(ConfigError) as info:
        next(train(TrainConfig(arch="knn", k=11, train_subset=10, device="cpu"), small_mnist))
    assert info.value.code == "config_k_images" and info.value.params == {"k": 11, "n": 10}
    # k within the set, though below the curve's largest k (21): the curve stops at the set's size
    events = list(train(TrainConfig(arch="knn", k=5, train_subset=10, device="cpu"), small_mnist))
    assert [e["k"] for e in events if e["kind"] == "knn"] == [1, 2, 3, 4, 5, 7, 9]
    assert events[-1]["status"] == "finished"


@pytest.mark.parametrize("arch", ["linear", "scratch:30"])
def test_weights_that_blow_up_with_a_finite_loss_end_as_diverged(small_mnist, arch):
    """At lr 1e30 a linear model's loss stays finite (1e30) and a sigmoid net saturates at loss 0.5."""
    config = TrainConfig(arch=arch, optimizer="sgd", lr=1e30, device="cpu", train_subset=640, batch_size=64)
    events = list(train(config, small_mnist))
    diverged = next(e for e in events if e["kind"] == "diverged")
    assert diverged["code"] == "diverged_weights" and float(diverged["params"]["weight"]) > WEIGHT_LIMIT
    assert events[-1]["kind"] == "final" and events[-1]["status"] == "diverged"
    assert not any(e["kind"] == "eval" and e["step"] > 0 for e in events)  # a blown-up model is not evaluated
    for lang in ("en", "zh"):
        assert "1e+30" in t("error.diverged_weights", lang, **diverged["params"])


def test_a_sane_run_is_not_taken_for_diverged(small_mnist):
    config = TrainConfig(arch="linear", optimizer="sgd", lr=10.0, device="cpu", train_subset=2000)
    assert list(train(config, small_mnist))[-1]["status"] == "finished"
