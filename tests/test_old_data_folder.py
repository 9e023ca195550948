"""A data folder written before the core/learn + core/lab restructure (issue 15) opens after it.

tests/fixtures/before_issue15/ was written once by the code of commit 500407f (before the restructure; how:
its README.md): a workspace (code, language) with a finished linear run and its job record, a linear job paused
mid-epoch with its checkpoint, the old queue.db, and two class drawings. Today's code must open all of it:
the workspace, its runs (listed, loaded, predicting and evaluating as they did), its jobs, the paused job
resumed from the old checkpoint to the end, and the drawings.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from core.lab import classset, workspaces
from core.lab.jobs import store
from core.lab.runfiles.folders import list_run_dirs, load_run
from core.learn.data import normalise
from core.learn.training import evaluate, predict_proba, train
from tests.conftest import open_view

OLD = Path(__file__).parent / "fixtures" / "before_issue15"
WS_ID, WS_CODE = "qoxl5wobriwwhpevec2vgh3c", "rjcf7xdp"
FINISHED_JOB, PAUSED_JOB = "d2b0a047462a", "9c3cb16e8c1b"
SUBSET = (3000, 500)  # MNIST_LAB_SUBSET when the folder was written
STEPS = 2 * 94  # the paused job: 2 epochs of 3000 images in batches of 32


@pytest.fixture
def old_home(lab_home, tmp_path, monkeypatch):
    """A copy of the old data folder as this test's MNIST_LAB_HOME (the fixture itself is never written)."""
    shutil.copytree(OLD / "home", lab_home)
    shutil.copytree(OLD / "class_test_set", tmp_path / "class_test_set")
    monkeypatch.setenv("MNIST_LAB_CLASS_DIR", str(tmp_path / "class_test_set"))
    monkeypatch.setenv("MNIST_LAB_SUBSET", ",".join(map(str, SUBSET)))
    return lab_home


@pytest.fixture(scope="module")
def test_set(mnist):
    part = mnist.subset(*SUBSET)
    return normalise(part.test_images).unsqueeze(1), part.test_labels


def steps(run_dir: Path) -> list[int]:
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [e["step"] for e in map(json.loads, lines) if e["kind"] == "step"]


def test_the_workspace_its_runs_and_drawings_open(old_home, test_set):
    ws = workspaces.open_id(WS_ID)
    assert workspaces.open_code(WS_CODE).id == WS_ID
    assert ws.settings()["lang"] == "zh"
    assert sorted(d.name for d in list_run_dirs(ws.runs_dir)) == ["old-linear", "old-paused"]

    images, labels = test_set
    run = load_run(ws.runs_dir / "old-linear")
    assert run.config.arch == "linear" and run.status == "finished"
    # The weights read today score the test images exactly as the old code measured at the run's end.
    measured = evaluate(run.model, images, labels, run.config.loss)
    assert measured["test_acc"] == pytest.approx(run.test_acc, abs=1e-6)
    assert run.test_acc > 0.6  # 66.6% (SGD, one epoch on 3000 images): it learned
    probs = predict_proba(run.model, images[:20])
    assert probs.shape == (20, 10) and torch.allclose(probs.sum(1), torch.ones(20))
    assert (probs.argmax(1) == labels[:20]).float().mean() > 0.5

    paused = load_run(ws.runs_dir / "old-paused")  # the weights so far can be looked at
    assert paused.test_acc is not None and 0 < len(steps(ws.runs_dir / "old-paused")) < STEPS

    images_uint8, digit_labels = classset.load_class_set(classset.class_dir())
    assert images_uint8.shape == (2, 28, 28) and sorted(digit_labels.tolist()) == [2, 7]


def test_the_old_jobs_list_and_the_paused_one_resumes_to_the_end(old_home, mnist):
    ws = workspaces.open_id(WS_ID)
    jobs = {job.id: job for job in store.list_jobs(ws)}
    assert {i: j.state for i, j in jobs.items()} == {FINISHED_JOB: "finished", PAUSED_JOB: "paused"}
    assert not store.damaged(ws)
    assert jobs[FINISHED_JOB].result.test_acc == load_run(ws.runs_dir / "old-linear").test_acc

    job = jobs[PAUSED_JOB]
    before = steps(job.run_dir)
    job.resume()  # Huey's immediate mode (conftest): the task runs here, from the old checkpoint
    assert job.wait(120) and job.state == "finished", job.error
    after = steps(job.run_dir)
    assert after == list(range(1, STEPS + 1)) and after[:len(before)] == before  # no step repeated or lost
    # The same weights, optimizer and batch order as a run never paused: today's loop gives the very same result.
    config = job.config
    whole = [e for e in train(config, mnist.subset(*SUBSET)) if e["kind"] == "final"][-1]
    assert job.result.test_acc == pytest.approx(whole["test_acc"], abs=1e-6)


def test_the_app_opens_the_old_workspace_on_the_runs_page(old_home, tmp_path, monkeypatch):
    import ui.run_list

    monkeypatch.setattr(ui.run_list, "RUNS_DIR", tmp_path / "runs")  # only the workspace's runs in the table
    at = open_view("runs", ws=WS_ID, lang="zh")
    assert at.session_state["ws_id"] == WS_ID
    assert any("rjcf-7xdp" in m.value for m in at.markdown)  # the sidebar's workspace code
    table = at.dataframe[0].value
    # The finished run; the paused one is its job's, still in progress, so the Train page shows it instead.
    assert list(table.iloc[:, 0]) == ["old-linear"]
    assert table.iloc[0]["测试准确率"] == pytest.approx(0.666, abs=1e-3)
