"""Challenges (core.lab.challenges): rules on saved configs, the submission cap, a hidden set frozen at the start
and split public/private, scoring in the queue's task, a leaderboard ranked fairly, CSV."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import numpy as np
import pytest

from core.lab import challenges as chs
from core.lab import classes
from core.lab.jobs.queue import enqueue_scoring
from core.learn.config import TrainConfig
from tests.conftest import new_workspace, renamed, train_run


@pytest.fixture(scope="module")
def small_runs(small_mnist, tiny_linear_run, tiny_run):
    """A linear model (7,850 parameters), an mlp:32 (25,450) and a kNN, each trained on the page-test slice."""
    knn = train_run(TrainConfig(arch="knn", k=3, device="cpu"), small_mnist, "knn")
    return {"small-linear": renamed(tiny_linear_run, "small-linear"), "wide-mlp": renamed(tiny_run, "wide-mlp"),
            "knn": knn}


def submit(ch, ws, run):
    """What the Runs page does: submit, then queue the scoring (in immediate mode the task runs here)."""
    sub = chs.submit(ch, ws, run)
    enqueue_scoring(ch.class_id, ch.id, sub.id)
    return sub


def student(cls, nickname: str, runs: dict):
    ws = new_workspace(runs)
    classes.join(ws, cls.join_code, nickname)
    return ws


def test_rules_are_checked_on_the_saved_config():
    rules = chs.Rules(max_parameters=10_000, max_epochs=2, families=("torch", "scratch"), losses=("ce",))
    assert chs.rule_problems(rules, TrainConfig(arch="linear", epochs=2)) == []
    codes = [p.code for p in chs.rule_problems(rules, TrainConfig(arch="mlp:128,64", epochs=3, loss="mse"))]
    assert codes == ["challenge_rule_parameters", "challenge_rule_epochs", "challenge_rule_loss"]
    assert [p.code for p in chs.rule_problems(rules, TrainConfig(arch="knn"))] == ["challenge_rule_family"]
    assert chs.rule_problems(chs.Rules(), TrainConfig(arch="knn")) == []


def test_a_challenge_end_to_end(mnist, small_runs, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_SUBMISSIONS", "2")
    cls, _ = classes.create_class("7B")
    ch = chs.open_challenge(cls, "Under 10k", "best accuracy with at most 10,000 parameters",
                            chs.Rules(max_parameters=10_000, families=("torch", "scratch")), "mnist", mnist=mnist)
    assert chs.mnist_hidden() and ch.open
    images, labels, public = chs.hidden_set(ch)
    assert images.shape == (1000, 28, 28) and (images == mnist.test_images[9000:].numpy()).all()
    assert public.sum() == 500 and (labels == mnist.test_labels[9000:].numpy()).all()

    ana = student(cls, "ana", {"small-linear": small_runs["small-linear"]})
    ben = student(cls, "ben", {"small-linear": small_runs["small-linear"], "wide-mlp": small_runs["wide-mlp"],
                               "knn": small_runs["knn"]})
    outsider = new_workspace({"small-linear": small_runs["small-linear"]})

    sub = submit(ch, ana, "small-linear")  # immediate mode: the worker's task has run
    scored = next(s for s in chs.submissions(ch) if s.id == sub.id)
    assert scored.state == "scored" and 0.5 < scored.public <= 1 and 0.5 < scored.private <= 1
    for ws, run, code in ((ben, "wide-mlp", "challenge_rule_parameters"), (ben, "knn", "challenge_rule_family"),
                          (ben, "nothing", "challenge_run_missing"), (ana, "../../x", "challenge_run_missing"),
                          (outsider, "small-linear", "challenge_not_member")):
        with pytest.raises(chs.ChallengeError) as refused:
            chs.submit(ch, ws, run)
        assert refused.value.code == code
    submit(ch, ben, "small-linear")
    submit(ch, ana, "small-linear")
    with pytest.raises(chs.ChallengeError) as refused:
        chs.submit(ch, ana, "small-linear")
    assert refused.value.code == "challenge_cap"

    board = chs.leaderboard(ch)  # the same model three times: ana's first submission wins the tie
    assert [(e.rank, e.nickname, e.private, e.submissions) for e in board] == [(1, "ana", None, 2), (2, "ben", None, 1)]
    rows = list(csv.reader(io.StringIO(chs.leaderboard_csv(ch))))
    assert rows[0][:4] == ["rank", "nickname", "public_accuracy", "private_accuracy"] and rows[1][1] == "ana"
    assert rows[1][3] == ""  # private scores hidden while open

    closed = chs.close_challenge(ch)
    assert not chs.mnist_hidden() and not closed.open
    board = chs.leaderboard(closed)
    assert board[0].private == pytest.approx(scored.private) and board[0].nickname == "ana"
    with pytest.raises(chs.ChallengeError) as refused:
        chs.submit(closed, ben, "small-linear")
    assert refused.value.code == "challenge_closed"


def test_unfinished_and_diverged_runs_are_refused(mnist, small_runs):
    cls, _ = classes.create_class("7C")
    run = small_runs["small-linear"]
    history = [e for e in run.history if e["kind"] != "final"]
    diverged = dataclasses.replace(run, history=[*history, {**run.final, "status": "diverged"}])
    stopped = dataclasses.replace(run, history=[*history, {**run.final, "status": "stopped"}])
    ws = student(cls, "cara", {"boom": diverged, "halfway": stopped})
    ch = chs.open_challenge(cls, "Any", "", chs.Rules(), "mnist", mnist=mnist)
    for name, code in (("boom", "challenge_run_diverged"), ("halfway", "challenge_run_unfinished")):
        with pytest.raises(chs.ChallengeError) as refused:
            chs.submit(ch, ws, name)
        assert refused.value.code == code
    assert chs.submissions(ch) == [] and chs.leaderboard(ch) == []


def test_a_run_deleted_in_another_tab_while_it_is_submitted_is_refused_cleanly(mnist, small_runs, monkeypatch):
    """The run is checked, then deleted (another tab) before its files are copied: refused as a missing run, with
    nothing recorded and no empty submission folder left behind."""
    import shutil

    cls, _ = classes.create_class("7D")
    ws = student(cls, "dev", {"small-linear": small_runs["small-linear"]})
    ch = chs.open_challenge(cls, "Any", "", chs.Rules(), "mnist", mnist=mnist)
    checked = chs._finished_run

    def checked_then_deleted(ws, run):
        config = checked(ws, run)
        shutil.rmtree(ws.runs_dir / run)
        return config

    monkeypatch.setattr(chs, "_finished_run", checked_then_deleted)
    with pytest.raises(chs.ChallengeError) as refused:
        chs.submit(ch, ws, "small-linear")
    assert refused.value.code == "challenge_run_missing"
    assert chs.submissions(ch) == [] and not any((ch.folder / "runs").iterdir())


def test_the_class_set_is_frozen_when_the_challenge_opens(tmp_path, monkeypatch):
    from core.lab.classset import add_drawing

    monkeypatch.setenv("MNIST_LAB_CLASS_DIR", str(tmp_path / "drawings"))
    cls, _ = classes.create_class("8A")
    with pytest.raises(chs.ChallengeError):
        chs.open_challenge(cls, "Ours", "", chs.Rules(), "classset")
    for digit in range(4):
        add_drawing(tmp_path / "drawings", np.full((28, 28), 40 * digit, np.uint8), digit)
    ch = chs.open_challenge(cls, "Ours", "best accuracy on our own handwriting", chs.Rules(), "classset")
    add_drawing(tmp_path / "drawings", np.full((28, 28), 255, np.uint8), 9)  # drawn after the start: not in it
    images, labels, public = chs.hidden_set(ch)
    assert sorted(labels.tolist()) == [0, 1, 2, 3] and public.sum() == 2 and not chs.mnist_hidden()


def test_scoring_is_a_task_with_a_stable_name():
    from core.lab.jobs import queue

    huey = queue.huey_for("cpu")
    names = set(huey._registry._registry)
    assert "core.lab.challenges.score_submission" in names and "core.worker.train_job" in names


def test_bad_challenges_are_refused():
    cls, _ = classes.create_class("9Z")
    for title, rules, hidden in (("", chs.Rules(), "mnist"), ("x" * 200, chs.Rules(), "mnist"),
                                 ("ok", chs.Rules(max_parameters=0), "mnist"), ("ok", chs.Rules(), "elsewhere"),
                                 ("ok", chs.Rules(families=("svm",)), "mnist")):
        with pytest.raises(chs.ChallengeError):
            chs.open_challenge(cls, title, "", rules, hidden, mnist=object())
    assert chs.challenges_of(cls) == []
    assert json.loads(json.dumps(chs.Rules(max_epochs=2).to_dict()))["max_epochs"] == 2


def test_a_submission_made_while_the_queue_was_down_is_scored_when_a_pool_starts(mnist, small_runs, monkeypatch):
    """The Runs page submits, but the queue (a Redis that is down) refuses the scoring task: the submission waits,
    marked as never sent; a worker pool starting on a real SQLite queue sends it and a worker thread scores it."""
    import time

    from core.lab.jobs import pool
    from core.lab.jobs import queue as job_queue

    cls, _ = classes.create_class("7D")
    ch = chs.open_challenge(cls, "Any", "", chs.Rules(), "mnist", mnist=mnist)
    ana = student(cls, "ana", {"small-linear": small_runs["small-linear"]})
    monkeypatch.setenv("MNIST_LAB_QUEUE", "redis://127.0.0.1:9/0")  # nothing listens on the discard port
    job_queue.set_immediate(False)
    sub = chs.submit(ch, ana, "small-linear")
    with pytest.raises(Exception):  # noqa: B017 (redis' ConnectionError: what the page catches and reports)
        job_queue.enqueue_scoring(ch.class_id, ch.id, sub.id)
    assert chs.waiting(unsent_only=True) == [(cls.id, ch.id, sub.id)] and chs.leaderboard(ch) == []

    monkeypatch.delenv("MNIST_LAB_QUEUE")
    job_queue.set_immediate(False)  # forget the Redis queue: the default SQLite one in the test's data folder
    stop = pool.serve_in_threads(1)
    try:
        deadline = time.time() + 30
        while chs.waiting() and time.time() < deadline:
            time.sleep(0.1)
    finally:
        stop()
    (scored,) = chs.submissions(ch)
    assert scored.state == "scored" and 0.5 < scored.public <= 1
    assert [e.nickname for e in chs.leaderboard(ch)] == ["ana"]
    assert job_queue.resend_scoring(at_start=True) == 0 and chs.waiting() == []  # nothing is sent twice
