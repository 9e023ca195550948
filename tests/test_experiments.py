"""One-click experiments: configs differ in exactly the compared field, share the seed; summaries read right."""

from __future__ import annotations

import itertools

import pytest

from core.learn.config import TrainConfig
from core.learn.events import history_entry
from core.learn.experiments import (
    EXPERIMENTS,
    base_config,
    differing_fields,
    outcome,
    ranked,
    settings_rows,
)
from core.learn.training import train
from tests.conftest import train_run
from ui.i18n import CATALOGS
from ui.i18n.readings import summarize

BASES = [
    base_config(),
    base_config(epochs=3, train_subset=None, seed=7, arch="cnn"),
    TrainConfig(arch="linear", optimizer="sgd", lr=0.5, loss="hinge", seed=3, batch_size=10),
]


@pytest.mark.parametrize("key", list(EXPERIMENTS))
@pytest.mark.parametrize("base", BASES, ids=["default", "cnn", "linear-sgd"])
def test_configs_differ_in_exactly_the_compared_field_and_share_the_seed(key, base):
    exp = EXPERIMENTS[key]
    configs = [c for _, c in exp.configs(base)]
    assert len(configs) >= 2
    for a, b in itertools.combinations(configs, 2):
        assert differing_fields([a, b]) == set(exp.fields)
    assert {c.seed for c in configs} == {base.seed}
    for c in configs:
        c.validated()
        # everything else is the base's, apart from what the experiment fixes for all its runs
        changed = differing_fields([base, c]) - set(exp.fields)
        assert changed <= {f for f, _ in exp.fixed} | ({"arch"} if exp.needs_mlp else set())
    names = [exp.run_name(c) for c in configs]
    assert len(set(names)) == len(names) and all(n.startswith(key + "-") for n in names)


def test_the_experiments_asked_for_are_there_with_their_values():
    base = base_config()
    values = {k: [tuple(getattr(c, f) for f in e.fields) for _, c in e.configs(base)] for k, e in EXPERIMENTS.items()}
    assert values["loss"] == [("ce",), ("mse",)]
    assert values["lr"] == [(1e-4,), (1e-3,), (1e-2,), (1e-1,)]
    assert values["optimizer"] == [("sgd",), ("momentum",), ("adam",)]
    assert values["activation"] == [("sigmoid",), ("relu",)]
    cnn = base_config(arch="cnn")
    assert {c.arch for _, c in EXPERIMENTS["activation"].configs(cnn)} == {"mlp:128,64"}  # activation needs an MLP
    assert base.arch == "mlp:128,64" and base.epochs == 1 and base.batch_size == 64  # small and fast
    for key in EXPERIMENTS:  # the page shows every experiment's name and question in both languages
        for lang in ("en", "zh"):
            assert f"compare.exp.{key}.name" in CATALOGS[lang] and f"compare.exp.{key}.question" in CATALOGS[lang]


def test_settings_rows_mark_the_differing_fields():
    a, b = base_config(), base_config().replace(lr=0.01, train_subset=None)
    rows = {r["field"]: r for r in settings_rows([a, b])}
    assert {f for f, r in rows.items() if r["differs"]} == {"lr", "train_subset"}
    assert rows["lr"]["values"] == ["0.001", "0.01"] and rows["train_subset"]["values"] == ["20000", "–"]


def _first_step(config: TrainConfig, data) -> dict:
    events = train(config, data)
    try:
        first = next(events)  # the untrained model's evaluation, then (after its full one) step 1
        return {"eval": first, "step": next(e for e in events if e["kind"] == "step")}
    finally:
        events.close()


def test_same_seed_same_initial_weights_and_first_batch(small_mnist):
    base = base_config(train_subset=2000).replace(device="cpu")
    for key in ("lr", "optimizer"):  # same loss, same architecture: step 1's loss is computed before any update
        firsts = [_first_step(c, small_mnist) for _, c in EXPERIMENTS[key].configs(base)]
        assert len({f["step"]["loss"] for f in firsts}) == 1
        assert len({f["eval"]["test_acc"] for f in firsts}) == 1
    # different loss functions: same initial weights, so the untrained model reads every image the same way
    firsts = [_first_step(c, small_mnist) for _, c in EXPERIMENTS["loss"].configs(base)]
    assert firsts[0]["eval"]["test_acc"] == firsts[1]["eval"]["test_acc"]
    other_seed = _first_step(base.replace(seed=1), small_mnist)
    assert other_seed["step"]["loss"] != _first_step(base, small_mnist)["step"]["loss"]


def test_mse_vs_cross_entropy_for_real(small_mnist):
    base = base_config(train_subset=3000).replace(device="cpu")
    runs = [(label, train_run(config, small_mnist, name=label)) for label, config in EXPERIMENTS["loss"].configs(base)]
    assert [label for label, _ in runs] == ["cross-entropy", "MSE"]
    accs = {label: run.test_acc for label, run in runs}
    assert all(run.status == "finished" for _, run in runs)
    assert accs["cross-entropy"] > accs["MSE"]  # with momentum SGD, MSE's small gradients learn slowly
    text = summarize([(label, run.history) for label, run in runs])
    assert text.startswith(f"**cross-entropy** reached {accs['cross-entropy']:.1%}")
    assert f"MSE reached {accs['MSE']:.1%}" in text


def _history(accs: list[float], epochs_per_eval: float = 0.25, images_per_eval: int = 1000,
             seconds_per_eval: float = 2.0, final: str | None = "finished") -> list[dict]:
    """A hand-made history: evaluations at regular intervals (the first at epoch 0), then a final event."""
    history = []
    for i, acc in enumerate(accs):
        history.append({"kind": "step", "epoch": i * epochs_per_eval, "step": i * 10, "seen": i * images_per_eval,
                        "seconds": i * seconds_per_eval, "loss": 1.0 / (i + 1)})
        history.append({"kind": "eval", "epoch": i * epochs_per_eval, "step": i * 10, "seen": i * images_per_eval,
                        "seconds": i * seconds_per_eval, "test_acc": acc, "full": i in (0, len(accs) - 1)})
    if final:
        history.append({"kind": "final", "status": final, "test_acc": accs[-1]})
    return history


def test_summarize_names_the_winner_and_time_to_90():
    adam = _history([0.1, 0.85, 0.93, 0.961])
    sgd = _history([0.1, 0.6, 0.8, 0.89])
    text = summarize([("SGD", sgd), ("Adam", adam)])
    assert text == ("**Adam** reached 96.1% (90% after 0.5 epochs, 4.0 s); "
                    "SGD reached 89.0% and never reached 90%.")
    first = ranked([("SGD", sgd), ("Adam", adam)])[0]
    assert first.label == "Adam" and first.reached == {"epoch": 0.5, "step": 20, "seen": 2000, "seconds": 4.0}
    zh = summarize([("SGD", sgd), ("Adam", adam)], lang="zh")
    assert zh.startswith("**Adam** 达到 96.1%") and "始终没有达到 90%" in zh


def test_summarize_ties_go_to_the_faster_run_and_diverged_runs_come_last():
    slow, fast = _history([0.1, 0.5, 0.92, 0.95]), _history([0.1, 0.91, 0.93, 0.95])
    blown = _history([0.1, 0.97], final="diverged") + [{"kind": "diverged", "step": 30, "reason": "nan"}]
    outs = ranked([("slow", slow), ("blown", blown), ("fast", fast)])
    assert [o.label for o in outs] == ["fast", "slow", "blown"]
    assert "blown diverged" in summarize([("slow", slow), ("blown", blown), ("fast", fast)])


def test_a_running_history_is_read_so_far():
    running = _history([0.1, 0.7, 0.8], final=None)
    o = outcome("mlp", running)
    assert o.status == "running" and o.acc == 0.8 and o.reached is None  # the latest quick check, not epoch 0
    assert summarize([("mlp", running), ("other", _history([0.1], final=None))]).startswith("So far: **mlp**")
    assert summarize([]) == ""


def test_real_history_events_are_what_summarize_reads(tiny_run):
    o = outcome("tiny", [history_entry(e) for e in tiny_run.history])
    assert o.acc == pytest.approx(tiny_run.test_acc) and o.status == "finished"


def test_catalog_has_the_same_keys_in_both_languages():
    from ui.i18n import compare

    assert set(compare.EN) == set(compare.ZH) and all(k.startswith("compare.") for k in compare.EN)


def test_shared_summary_names_what_is_common_and_leaves_out_the_compared_choice():
    from ui.i18n.readings import shared_summary

    base = base_config()
    opt = shared_summary(EXPERIMENTS["optimizer"], base)
    assert "lr 0.01" in opt and "adam" not in opt and "seed 0" in opt and "20,000 images" in opt
    assert "lr " not in shared_summary(EXPERIMENTS["lr"], base) and "adam" in shared_summary(EXPERIMENTS["lr"], base)
    assert "relu" not in shared_summary(EXPERIMENTS["activation"], base)
    assert "momentum" in shared_summary(EXPERIMENTS["loss"], base) and " ce " not in shared_summary(
        EXPERIMENTS["loss"], base)
    assert "学习率 0.01" in shared_summary(EXPERIMENTS["optimizer"], base, lang="zh")


def test_jobs_running_side_by_side_still_share_initial_weights(small_mnist):
    """Worker threads (serve_in_threads) train side by side: one must not reseed another's initial weights."""
    import threading

    for seed in range(3):
        base = base_config(train_subset=200, seed=seed).replace(device="cpu")
        histories = []
        threads = [threading.Thread(target=lambda c=c, out=histories: out.append(train_run(c, small_mnist).history))
                   for _, c in EXPERIMENTS["lr"].configs(base)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert len(histories) == 4
        first = {next(e["loss"] for e in history if e["kind"] == "step") for history in histories}
        assert len(first) == 1


def test_each_learner_shows_only_the_settings_it_has():
    from core.learn.run import Run, summary

    knn, mlp, numpy_net = TrainConfig(arch="knn", k=5), TrainConfig(arch="mlp:32"), TrainConfig(arch="scratch:30")
    assert "loss" not in knn.settings() and "lr" not in knn.settings() and "k" in knn.settings()
    assert "k" not in mlp.settings() and "optimizer" not in numpy_net.settings() and "lr" in numpy_net.settings()
    row = summary(Run("knn", knn, model=None))
    assert row["loss"] is None and row["optimizer"] is None and row["lr"] is None and row["epochs"] is None
    rows = {r["field"]: r for r in settings_rows([knn, mlp])}
    assert rows["optimizer"]["values"] == ["–", "adam"] and not rows["optimizer"]["differs"]
    assert rows["k"]["values"] == ["5", "–"] and rows["arch"]["differs"]
