"""Background training jobs: real MNIST subset, real training, real threads."""

from __future__ import annotations

import ast
import os
import time

import pytest

os.environ.setdefault("MNIST_DATA_DIR", "/work/shared/data/mnist")

from core import jobs as jobs_module  # noqa: E402
from core.config import TrainConfig  # noqa: E402
from core.data import load_mnist  # noqa: E402
from core.jobs import JobManager, default_max_jobs  # noqa: E402
from core.runs import Run  # noqa: E402
from core.training import evaluate  # noqa: E402
from tests.conftest import slow_knn_search  # noqa: E402

pytestmark = pytest.mark.timeout(60)

# 2000 training images, 64 per batch: 32 steps an epoch, well under a second on one core.
QUICK = TrainConfig(arch="mlp:32", lr=3e-3, epochs=2, batch_size=64, train_subset=2000, eval_subset=200, device="cpu")
# Long enough (500 epochs, about a minute) to pause, stop or queue behind; always stopped early.
LONG = QUICK.replace(epochs=500)


@pytest.fixture(scope="module")
def data():
    return load_mnist(download=False).subset(train=2000, test=500)


@pytest.fixture
def jm():
    manager = JobManager(max_jobs=1, reap_interval=0)
    yield manager
    manager.shutdown()
    for job in manager.jobs():
        job.wait(10)


def wait_until(predicate, timeout: float = 10.0, every: float = 0.02) -> bool:
    """Poll like the Train page's fragment does; True once `predicate()` holds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def steps(job) -> int:
    return sum(1 for e in job.history() if e["kind"] == "step")


def accuracy(run: Run, data) -> float:
    return evaluate(run.model, data.images("test"), data.labels("test"))["test_acc"]


def test_job_finishes_with_a_model_that_reads_digits(jm, data):
    job = jm.submit(QUICK, data, name="quick")
    assert job.state in ("running", "finished")
    assert job.wait(30)
    assert job.state == "finished" and job.done and job.error is None
    run = job.result
    assert isinstance(run, Run) and run.name == "quick" and run.config == QUICK
    assert run.status == "finished"
    assert accuracy(run, data) > 0.7
    # history: every event of the run, without the model object
    history = job.history()
    assert history == run.history and history[-1]["kind"] == "final"
    assert all("model" not in e for e in history)
    assert steps(job) == 2 * 32
    latest = job.latest()
    assert latest["state"] == "finished" and latest["seen"] == latest["total"] == 2 * 2000
    assert latest["fraction"] == 1.0 and latest["eta_s"] == 0.0 and latest["queue_position"] is None
    assert latest["test_acc"] == pytest.approx(run.test_acc) and latest["loss"] is not None
    assert job.history(since=len(history) - 1) == history[-1:]


def test_history_grows_while_running_and_latest_reports_progress(jm, data):
    job = jm.submit(LONG, data)
    assert wait_until(lambda: steps(job) >= 5)
    first = len(job.history())
    snap = job.latest()
    assert wait_until(lambda: len(job.history()) > first + 5)
    assert job.history(since=first)[0] == job.history()[first]  # `since` hands only what is new
    assert snap["state"] == "running" and snap["total"] == 500 * 2000
    assert 0 < snap["seen"] < snap["total"] and 0 < snap["fraction"] < 1
    assert snap["images_per_s"] > 0 and snap["eta_s"] > 0 and snap["elapsed_s"] > 0
    assert snap["epoch"] > 0 and snap["loss"] is not None and snap["test_acc"] is not None
    assert job.latest()["seen"] > snap["seen"]
    job.stop()
    assert job.wait(15)


def test_pause_really_pauses_and_resume_continues(jm, data):
    job = jm.submit(LONG, data)
    assert wait_until(lambda: steps(job) >= 3)
    job.pause()
    assert job.state == "paused"
    time.sleep(0.15)  # the step in flight when pause() was called may still land
    held = steps(job)
    eta_before = job.latest()["eta_s"]
    time.sleep(0.6)
    assert steps(job) == held, "a paused job kept training"
    assert job.state == "paused"
    # paused time is not training time: the ETA does not grow while nothing happens
    assert job.latest()["eta_s"] == pytest.approx(eta_before, rel=0.05)
    job.resume()
    assert job.state == "running"
    assert wait_until(lambda: steps(job) > held + 3)
    job.stop()
    assert job.wait(15) and job.state == "stopped"


def test_stop_keeps_the_model_trained_so_far(jm, data):
    job = jm.submit(LONG, data)
    assert wait_until(lambda: steps(job) >= 25)
    job.stop()
    assert job.wait(15)
    assert job.state == "stopped" and job.error is None
    run = job.result
    assert run is not None and run.status == "stopped"
    final = job.history()[-1]
    assert final["kind"] == "final" and final["status"] == "stopped"
    assert 25 <= final["steps"] < 500 * 32
    assert accuracy(run, data) > 0.3  # chance is 0.1: the kept model learned something


def test_stopping_a_paused_job_wakes_it_and_keeps_the_model(jm, data):
    job = jm.submit(LONG, data)
    assert wait_until(lambda: steps(job) >= 3)
    job.pause()
    job.stop()
    assert job.wait(15) and job.state == "stopped" and job.result is not None


def test_queue_is_fifo_and_the_next_job_starts_when_a_slot_frees(jm, data):
    first = jm.submit(LONG, data, owner="a", name="first")
    second = jm.submit(QUICK, data, owner="b", name="second")
    third = jm.submit(QUICK, data, owner="b", name="third")
    assert first.state == "running"
    assert second.state == "queued" and second.latest()["queue_position"] == 1
    assert third.latest()["queue_position"] == 2
    assert jm.queue() == [second, third]
    assert second.history() == [] and second.latest()["seen"] == 0 and second.latest()["eta_s"] is None
    assert [j.name for j in jm.jobs()] == ["third", "second", "first"]  # newest first
    assert jm.jobs(owner="b") == [third, second] and jm.get(first.id) is first

    # stopping a queued job takes it out of the queue: nothing trained, nothing to keep
    third.stop()
    assert third.state == "stopped" and third.wait(0) and third.result is None
    assert jm.queue() == [second] and second.latest()["queue_position"] == 1

    assert wait_until(lambda: steps(first) >= 2)
    first.stop()
    assert first.wait(15)
    assert second.state in ("running", "finished")  # started as soon as the slot was free
    assert second.latest()["queue_position"] is None and jm.queue() == []
    assert second.wait(30) and second.state == "finished" and second.result is not None

    jm.forget(first.id)
    assert jm.get(first.id) is None and first not in jm.jobs()


def test_two_slots_run_two_jobs_at_once(data):
    jm = JobManager(max_jobs=2, reap_interval=0)
    try:
        a, b = jm.submit(LONG, data), jm.submit(LONG, data)
        assert a.state == b.state == "running" and jm.queue() == []
        assert wait_until(lambda: steps(a) >= 2 and steps(b) >= 2)
    finally:
        jm.shutdown()
    assert a.wait(15) and b.wait(15) and a.state == b.state == "stopped"


def test_reaper_stops_jobs_whose_owner_is_gone(data):
    owner_here = [True]
    jm = JobManager(max_jobs=1, reap_interval=0.2)
    try:
        job = jm.submit(LONG, data, owner="tab-1", alive=lambda: owner_here[0])
        assert wait_until(lambda: steps(job) >= 2)
        time.sleep(0.5)  # a few reaper passes with the owner present change nothing
        assert job.state == "running"
        owner_here[0] = False
        assert job.wait(0.2 * 2 + 5), "the reaper did not stop an orphaned job"
        assert job.state == "stopped" and job.result is not None
        # once ended, an orphaned job is dropped: nobody is left to collect its model
        assert wait_until(lambda: jm.get(job.id) is None, timeout=2)
    finally:
        jm.shutdown()


def test_reap_counts_and_treats_a_broken_owner_check_as_gone(jm, data):
    def broken() -> bool:
        raise RuntimeError("session registry is gone")

    running = jm.submit(LONG, data, owner="x", alive=broken)
    queued = jm.submit(LONG, data, owner="y", alive=lambda: False)
    kept = jm.submit(LONG, data, owner="z", alive=lambda: True)
    assert jm.reap() == 2
    assert queued.state == "stopped" and queued.result is None
    assert running.wait(15) and running.state == "stopped"
    assert jm.reap() == 0  # nothing new to stop; the ended ones are dropped
    assert jm.get(running.id) is None and jm.get(kept.id) is kept
    jm.stop_owner("z")
    assert kept.wait(15) and kept.state == "stopped"


def test_invalid_config_fails_at_once_without_taking_a_slot(jm, data):
    bad = jm.submit(QUICK.replace(lr=-1.0), data)
    assert bad.state == "failed" and bad.done and bad.result is None
    assert bad.error.startswith("ConfigError: learning rate must be > 0")
    assert "\n" not in bad.error and bad.latest()["error"] == bad.error
    good = jm.submit(QUICK, data)  # the slot is still free
    assert good.state in ("running", "finished") and good.wait(30)


def test_a_job_that_raises_ends_failed_and_frees_its_slot(jm, data):
    broken = jm.submit(QUICK, None)  # no dataset: train() raises inside the thread
    assert broken.wait(15)
    assert broken.state == "failed" and broken.result is None
    assert broken.error.startswith("AttributeError:") and "\n" not in broken.error
    after = jm.submit(QUICK, data)
    assert after.wait(30) and after.state == "finished"


def test_a_crash_mid_training_keeps_the_events_so_far(jm, data, monkeypatch):
    real_train = jobs_module.training.train

    def crashing(config, data, stop=None):
        for event in real_train(config, data, stop):
            yield event
            if event["kind"] == "step" and event["step"] == 5:
                raise RuntimeError("out of memory\nwhile doing step 6")

    monkeypatch.setattr(jobs_module.training, "train", crashing)
    job = jm.submit(QUICK, data)
    assert job.wait(15)
    assert job.state == "failed" and job.error == "RuntimeError: out of memory while doing step 6"
    assert steps(job) == 5 and job.result is None


def test_diverging_job_ends_diverged_with_a_run(jm, data):
    job = jm.submit(QUICK.replace(loss="mse", optimizer="sgd", lr=1e6), data)
    assert job.wait(15)
    assert job.state == "diverged" and job.result is not None and job.result.status == "diverged"
    assert any(e["kind"] == "diverged" for e in job.history())


def test_default_max_jobs_honours_the_environment(monkeypatch):
    monkeypatch.delenv("MNIST_LAB_MAX_JOBS", raising=False)
    assert default_max_jobs() == max(1, os.cpu_count() or 1)
    monkeypatch.setenv("MNIST_LAB_MAX_JOBS", "3")
    assert default_max_jobs() == 3
    assert JobManager(reap_interval=0).max_jobs == 3
    for bad in ("0", "-2", "abc", "1.5"):
        monkeypatch.setenv("MNIST_LAB_MAX_JOBS", bad)
        with pytest.raises(ValueError, match="MNIST_LAB_MAX_JOBS") as info:
            default_max_jobs()
        assert repr(bad) in str(info.value)
    with pytest.raises(ValueError, match="at least 1"):
        JobManager(max_jobs=0)


def test_manager_is_a_process_wide_singleton():
    assert jobs_module.manager() is jobs_module.manager()
    assert jobs_module.manager().max_jobs >= 1


def test_core_jobs_does_not_import_streamlit():
    tree = ast.parse(open(jobs_module.__file__, encoding="utf-8").read())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.split(".")[0] == "streamlit"]


def test_stopping_a_knn_job_mid_search_ends_it_at_once_with_nothing_to_keep(jm, data, monkeypatch):
    # 10 of the 500 test images per chunk: a 50-chunk search of ~2.5 s, so there is time to press Stop
    searching, chunks = slow_knn_search(monkeypatch, 4 * 21 * 784 * 10)
    job = jm.submit(TrainConfig(arch="knn", knn_features="pixels", train_subset=2000, device="cpu"), data)
    assert searching.wait(10) and wait_until(lambda: len(chunks) >= 2)
    pressed = time.monotonic()
    job.stop()
    assert job.wait(5) and time.monotonic() - pressed < 1.0
    assert job.state == "stopped" and job.result is None and len(chunks) < 50
    assert [e["kind"] for e in job.history()] == ["final"]  # no curve, no accuracy: nothing was measured
