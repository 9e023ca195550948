"""The training loop for real on MNIST: events, accuracy reached, determinism, divergence, stopping."""

from __future__ import annotations

import threading

import pytest
import torch

from core.learn.config import ConfigError, TrainConfig
from core.learn.presets import PRESETS, get_preset
from core.learn.training import evaluate, predict_proba, train


def run(config, data, stop=None):
    events = list(train(config, data, stop))
    return events, events[-1]


def test_event_stream_shape(mnist):
    config = TrainConfig(arch="mlp:32", epochs=2, batch_size=100, train_subset=4000, device="cpu")
    events, final = run(config, mnist)
    evals = [e for e in events if e["kind"] == "eval"]
    assert evals[0]["step"] == 0 and 0.03 < evals[0]["test_acc"] < 0.2  # untrained: ~10%
    assert not evals[0]["full"] and evals[0]["n_test"] == config.eval_subset  # measured on the subset: at once
    assert evals[1]["step"] == 0 and evals[1]["full"] and evals[1]["n_test"] == 10000  # then on all of them
    for epoch in (1, 2):
        in_epoch = [e for e in evals if epoch - 1 < e["epoch"] <= epoch]
        assert len(in_epoch) >= 4 and in_epoch[-1]["full"] and in_epoch[-1]["n_test"] == 10000
        assert not any(e["full"] for e in in_epoch[:-1])  # the cheap ones use the fixed subset
    steps = [e for e in events if e["kind"] == "step"]
    assert len(steps) == 2 * 40 and all(e["images_per_s"] > 0 for e in steps)
    assert [e["seen"] for e in steps][-1] == 8000
    assert final["kind"] == "final" and final["status"] == "finished" and final["steps"] == 80
    assert final["test_acc"] == evals[-1]["test_acc"] and len(evals[-1]["test_preds"]) == 10000
    assert isinstance(final["model"], torch.nn.Module)


def test_mlp_reaches_accuracy(mnist):
    config = TrainConfig(arch="mlp:128,64", epochs=2, batch_size=64, lr=1e-3, train_subset=20000, device="cpu")
    _, final = run(config, mnist)
    assert final["test_acc"] >= 0.94


def test_cnn_reaches_accuracy(mnist):
    config = TrainConfig(arch="cnn", epochs=1, batch_size=64, lr=3e-3, train_subset=12000, device="cpu")
    _, final = run(config, mnist)
    assert final["test_acc"] >= 0.95


def test_linear_hinge_reaches_accuracy(mnist):
    config = get_preset("linear-hinge").config.replace(epochs=1, train_subset=12000)
    _, final = run(config, mnist)
    assert final["test_acc"] >= 0.85


def test_mse_learns_too(mnist):
    config = get_preset("mlp-mse-sgd").config.replace(epochs=1, train_subset=12000)
    _, final = run(config, mnist)
    assert final["test_acc"] >= 0.80


def test_same_seed_same_run(mnist):
    config = TrainConfig(arch="mlp:16", epochs=1, batch_size=50, train_subset=1000, device="cpu", seed=7)
    losses = [[e["loss"] for e in run(config, mnist)[0] if e["kind"] == "step"] for _ in range(2)]
    assert losses[0] == losses[1]
    other = [e["loss"] for e in run(config.replace(seed=8), mnist)[0] if e["kind"] == "step"]
    assert other != losses[0]


def test_divergence_is_an_event_not_a_crash(mnist):
    config = TrainConfig(arch="mlp:64", loss="mse", optimizer="sgd", lr=1e4, epochs=1, batch_size=64,
                         train_subset=3000, device="cpu")
    events, final = run(config, mnist)
    diverged = [e for e in events if e["kind"] == "diverged"]
    assert diverged and "learning rate" in diverged[0]["reason"]
    assert final["status"] == "diverged" and final["model"] is not None


def test_target_accuracy_stops_early_and_reports_time(mnist):
    config = TrainConfig(arch="mlp:64", epochs=3, batch_size=64, lr=2e-3, train_subset=20000, device="cpu",
                         target_accuracy=0.90)
    events, final = run(config, mnist)
    assert final["status"] == "target" and final["test_acc"] >= 0.90
    assert 0 < final["time_to_target_s"] <= final["train_seconds"] + 1e-6
    assert final["seen"] < 3 * 20000
    # The target is on the real test set: every evaluation after the untrained model's quick first point.
    quick, *evals = [e for e in events if e["kind"] == "eval"]
    assert quick["step"] == 0 and not quick["full"] and all(e["n_test"] == 10000 and e["full"] for e in evals)


def test_stop_keeps_what_was_learned(mnist):
    stop = threading.Event()
    config = TrainConfig(arch="mlp:64", epochs=5, batch_size=64, train_subset=20000, device="cpu")
    seen = 0
    for event in train(config, mnist, stop):
        if event["kind"] == "step":
            seen = event["seen"]
            if seen >= 6400:
                stop.set()
        final = event
    assert final["status"] == "stopped" and final["seen"] == seen < 5 * 20000
    result = evaluate(final["model"], mnist.images("test")[:2000], mnist.labels("test")[:2000])
    assert result["test_acc"] > 0.8


def test_onecycle_schedule_warms_up_then_anneals(mnist):
    config = TrainConfig(arch="mlp:16", epochs=1, batch_size=100, train_subset=3000, schedule="onecycle",
                         lr=0.01, device="cpu")
    lrs = [e["lr"] for e in run(config, mnist)[0] if e["kind"] == "step"]
    peak = lrs.index(max(lrs))
    assert 0 < peak < len(lrs) - 1 and max(lrs) == pytest.approx(0.01, rel=0.05) and lrs[-1] < 1e-4


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_trains_a_few_steps(mnist, name):
    config = get_preset(name).config.replace(train_subset=600, epochs=1, eval_subset=200, device="cpu")
    small = mnist.subset(train=600, test=500)
    events, final = run(config, small)
    assert final["kind"] == "final" and final["status"] in ("finished", "target")
    probs = predict_proba(final["model"], small.images("test")[:8])
    assert probs.shape == (8, 10) and torch.allclose(probs.sum(1), torch.ones(8), atol=1e-4)


def test_invalid_configs_are_refused(mnist):
    for bad in (dict(lr=0), dict(batch_size=0), dict(arch="mlp:x"), dict(epochs=0), dict(optimizer="rmsprop")):
        with pytest.raises(ConfigError):
            next(train(TrainConfig(**bad), mnist))


def test_knn_reports_the_curve_and_the_chosen_k_from_one_search(small_mnist):
    config = TrainConfig(arch="knn", k=5, knn_features="blocks", device="cpu")
    events, final = run(config, small_mnist)
    curve = {e["k"]: e["test_acc"] for e in events if e["kind"] == "knn"}
    quick, *evals = [e for e in events if e["kind"] == "eval"]
    # first a quick point for the chosen k on the nets' cheap subset, before any of the whole search's events
    assert events[0] is quick and not quick["full"] and quick["n_test"] == min(1000, len(small_mnist.test_labels))
    assert 0.85 <= quick["test_acc"] <= 1
    assert 5 in curve and len(evals) == 1 and evals[0]["full"] and final["status"] == "finished"
    assert evals[0]["test_acc"] == final["test_acc"] == curve[5] >= 0.85
    # the same predictions the Evaluate page gets from the saved model
    again = evaluate(final["model"], small_mnist.images("test"), small_mnist.labels("test"), loss=None)
    assert evals[0]["test_preds"] == again["preds"].tolist() and again["test_acc"] == final["test_acc"]


def test_knn_stopped_before_its_search_keeps_nothing(small_mnist):
    stop = threading.Event()
    stop.set()
    events, final = run(TrainConfig(arch="knn", device="cpu"), small_mnist, stop)
    assert [e["kind"] for e in events] == ["final"]
    assert final["status"] == "stopped" and final["model"] is None and final["test_acc"] is None
