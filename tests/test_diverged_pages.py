"""A diverged run (NaN weights) is kept for its curve, marked, never picked by default, and no page breaks on it."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from core.learn.config import TrainConfig
from tests.conftest import open_view, train_run


@pytest.fixture(scope="module")
def diverged_run(small_mnist):
    config = TrainConfig(arch="mlp:32", epochs=1, batch_size=64, lr=10.0, loss="mse", optimizer="momentum",
                         device="cpu", eval_subset=300)
    run = train_run(config, small_mnist, name="wild-lr")
    assert run.status == "diverged" and run.diverged
    return run


def test_a_run_with_nan_weights_counts_as_diverged(tiny_run):
    import copy

    assert not tiny_run.diverged
    model = copy.deepcopy(tiny_run.model)
    with torch.no_grad():
        next(model.parameters()).fill_(float("nan"))
    assert dataclasses.replace(tiny_run, model=model).diverged


@pytest.mark.parametrize("view,key", [("draw", "draw_run"), ("evaluate", "evaluate_run"), ("inside", "inside_run")])
def test_pages_pick_the_run_that_learned_and_survive_the_diverged_one(view, key, tiny_run, diverged_run):
    runs = {tiny_run.name: tiny_run, diverged_run.name: diverged_run}  # the diverged one is the newest
    at = open_view(view, runs)
    assert at.session_state[key] == tiny_run.name
    at.selectbox(key=key).set_value(diverged_run.name).run()
    assert not at.exception and not at.error
    assert "diverged" in " ".join(w.value for w in at.warning)


def test_compare_leaves_the_diverged_run_out_of_its_first_choice(tiny_run, diverged_run, small_mnist):
    other = train_run(tiny_run.config.replace(seed=1), small_mnist, name="tiny-seed1")
    at = open_view("compare", {tiny_run.name: tiny_run, other.name: other, diverged_run.name: diverged_run})
    chosen = at.multiselect(key="compare_runs").value  # the best run that learned first (the current run)
    assert sorted(chosen) == ["tiny-mlp", "tiny-seed1"] and diverged_run.name not in chosen
    assert not at.exception


def test_fine_tuning_a_diverged_model_is_refused_with_a_reason(tiny_run, small_mnist):
    import copy

    from core.lab import classset

    model = copy.deepcopy(tiny_run.model)
    with torch.no_grad():
        next(model.parameters()).fill_(float("inf"))
    with pytest.raises(classset.FineTuneError) as err:
        classset.fine_tune(model, tiny_run.config, small_mnist.test_images[:4].numpy(),
                           small_mnist.test_labels[:4].numpy())
    assert err.value.code == "diverged_run"
