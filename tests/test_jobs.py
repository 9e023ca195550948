"""Training jobs (core.lab.jobs.store) with the real task (core.lab.jobs.runner.run_job) and real training.

Most tests use Huey's immediate mode: the task runs in this process as soon as it is queued. The queue tests use
the real SqliteHuey with no worker consuming it, so that jobs stay queued. Real worker processes: test_worker.py.
"""

from __future__ import annotations

import json

import pytest
import torch

from core.lab import workspaces
from core.lab.jobs import queue as job_queue
from core.lab.jobs import runner as worker
from core.lab.jobs import store as jobs
from core.lab.jobs.store import JobError
from core.lab.runfiles.checkpoint import CHECKPOINT
from core.lab.runfiles.folders import list_run_dirs, load_run
from core.learn.config import ConfigError, TrainConfig

# 3000 training images (MNIST_LAB_SUBSET below), 47 steps an epoch: a fraction of a second per job.
QUICK = TrainConfig(arch="mlp:32", epochs=2, batch_size=64, lr=3e-3, device="cpu", eval_subset=300)


# Each test has its own data folder and the real SQLite queue, with nobody consuming it unless the test asks for
# immediate mode (conftest's real_queue).
pytestmark = pytest.mark.usefixtures("real_queue")


@pytest.fixture
def immediate():
    """Tasks run synchronously in this process; the task sets torch to one thread, which is put back after."""
    threads = torch.get_num_threads()
    job_queue.set_immediate(True)
    yield
    job_queue.set_immediate(False)
    torch.set_num_threads(threads)


@pytest.fixture
def ws():
    return workspaces.create()


def events(job) -> list[dict]:
    return [json.loads(line) for line in (job.run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]


def final(job) -> dict:
    return next(e for e in reversed(events(job)) if e["kind"] == "final")


def test_job_trains_and_writes_its_run(immediate, ws):
    """A submitted job trains: finished, its run folder holds all four files, and the accuracy is real."""
    job = job_queue.submit(ws, QUICK, name="first try")
    assert job.state == "finished", job.error
    assert job.done and job.error is None
    assert job.run_dir == ws.runs_dir / "first-try"
    for name in ("config.json", "metrics.jsonl", "model.safetensors", CHECKPOINT):
        assert (job.run_dir / name).is_file(), name
    assert TrainConfig.from_dict(json.loads((job.run_dir / "config.json").read_text())) == QUICK
    history = events(job)
    assert history[0]["kind"] == "eval" and history[0]["test_acc"] < 0.3  # the untrained model
    assert final(job)["status"] == "finished"
    assert final(job)["test_acc"] > 0.8  # mlp:32, 2 epochs on 3000 images: about 87%
    steps = [e for e in history if e["kind"] == "step"]
    assert [e["step"] for e in steps] == list(range(1, 2 * 47 + 1))
    assert steps[-1]["loss"] < steps[0]["loss"] / 3
    latest = job.latest()
    assert latest["state"] == "finished" and latest["fraction"] == 1.0 and latest["total"] == 2 * 3000
    assert latest["test_acc"] == final(job)["test_acc"] and latest["eta_s"] == 0.0
    assert latest["queue_position"] is None


def test_result_is_the_saved_run(immediate, ws):
    """job.result is the run on disk: load_run gives the same accuracy, history and predictions."""
    job = job_queue.submit(ws, QUICK)
    result = job.result
    assert result is not None and result.origin == "trained"
    saved = load_run(job.run_dir)
    assert saved.test_acc == result.test_acc == final(job)["test_acc"]
    assert saved.history == result.history == events(job)
    images = torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(saved.model(images), result.model(images))
    assert list_run_dirs(ws.runs_dir) == [job.run_dir]
    assert [j.id for j in jobs.list_jobs(ws)] == [job.id]
    assert jobs.get(ws, job.id).state == "finished"
    assert jobs.get(ws, "../../x") is None and jobs.get(ws, "0" * 12) is None


def test_several_jobs_run_one_after_another(immediate, ws):
    """submit_many queues them all; each ends in turn (the next is queued when one ends), each in its own run."""
    a, b, c = job_queue.submit_many(ws, [(QUICK, "same"), (QUICK.replace(seed=1), "same"),
                                         (QUICK.replace(lr=1e-2), None)])
    assert [j.refresh().state for j in (a, b, c)] == ["finished"] * 3
    assert [a.name, b.name, c.name] == ["same", "same-2", "mlp-32"]
    assert a.result.test_acc != b.result.test_acc  # another seed: another run
    assert [j.id for j in jobs.list_jobs(ws)] == [c.id, b.id, a.id]  # newest first
    assert len(list_run_dirs(ws.runs_dir)) == 3


def test_bad_config_is_refused_before_anything_is_written(ws):
    """A config that cannot work raises ConfigError at submit, and leaves no job and no run behind."""
    for bad in (QUICK.replace(lr=0), QUICK.replace(arch="mlp:"), QUICK.replace(optimizer="rmsprop")):
        with pytest.raises(ConfigError):
            job_queue.submit(ws, bad)
        with pytest.raises(ConfigError):
            job_queue.submit_many(ws, [(QUICK, "fine"), (bad, "bad")])
    assert list(ws.jobs_dir.glob("*.json")) == []
    assert list(ws.runs_dir.iterdir()) == []


def test_queue_positions_and_limit(ws):
    """With nobody consuming the queue jobs stay queued at positions 1, 2, ...; the 5th is refused (queue_full)."""
    queued = [job_queue.submit(ws, QUICK.replace(seed=i), name=f"run{i}", n_train=3000) for i in range(4)]
    assert [j.state for j in queued] == ["queued"] * 4
    assert [j.latest()["queue_position"] for j in queued] == [1, 2, 3, 4]
    assert queued[0].latest()["fraction"] == 0.0 and queued[0].latest()["total"] == 2 * 3000
    with pytest.raises(JobError) as err:
        job_queue.submit(ws, QUICK.replace(seed=9), name="one too many")
    assert err.value.code == "queue_full"
    assert err.value.params["limit"] == 4 and err.value.params["live"] == 4
    assert len(list(ws.jobs_dir.glob("*.json"))) == 4
    assert not (ws.runs_dir / "one-too-many").exists()


def test_queue_limit_is_all_or_nothing_and_configurable(ws, monkeypatch):
    """MNIST_LAB_QUEUE_PER_WORKSPACE sets the limit; a batch that does not fit is refused whole."""
    monkeypatch.setenv("MNIST_LAB_QUEUE_PER_WORKSPACE", "1")
    job_queue.submit(ws, QUICK)
    with pytest.raises(JobError) as err:
        job_queue.submit_many(ws, [(QUICK, "a"), (QUICK, "b")])
    assert err.value.code == "queue_full"
    assert len(list(ws.jobs_dir.glob("*.json"))) == 1
    job_queue.submit(ws, QUICK.replace(seed=1))  # another click asking for another run (the same one is one click)
    with pytest.raises(JobError):
        job_queue.submit(ws, QUICK.replace(seed=2))


def test_one_click_makes_one_job(ws, monkeypatch):
    """The same jobs asked for again within seconds (a double click, a second tab) are the first click's jobs."""
    first = job_queue.submit(ws, QUICK, name="mine")
    again = job_queue.submit(ws, QUICK, name="mine")
    assert again.id == first.id and len(jobs.list_jobs(ws)) == 1
    pair = job_queue.submit_many(ws, [(QUICK.replace(seed=1), "a"), (QUICK.replace(seed=2), "b")])
    assert [j.id for j in job_queue.submit_many(ws, [(QUICK.replace(seed=1), "a"), (QUICK.replace(seed=2), "b")])] == [
        j.id for j in pair]
    assert len(jobs.list_jobs(ws)) == 3
    monkeypatch.setattr(jobs, "SAME_CLICK_S", 0.0)  # later, the same settings again: a new run, on purpose
    assert job_queue.submit(ws, QUICK, name="mine").id != first.id
    assert len(jobs.list_jobs(ws)) == 4


def test_queue_is_fair_between_workspaces(ws):
    """Each workspace has one job on the queue at a time: another workspace's first job goes before our second."""
    mine = [job_queue.submit(ws, QUICK, name=f"mine{i}") for i in range(3)]
    theirs = job_queue.submit(workspaces.create(), QUICK, name="theirs")
    assert theirs.latest()["queue_position"] == 2
    assert [j.refresh().latest()["queue_position"] for j in mine] == [1, 3, 4]


def test_stop_a_queued_job(ws):
    """Stopping a queued job ends it at once as stopped, with no run; the next one moves up the queue."""
    first, second = job_queue.submit(ws, QUICK, name="first"), job_queue.submit(ws, QUICK, name="second")
    first.stop()
    assert first.state == "stopped" and first.refresh().state == "stopped"
    assert first.result is None
    assert not (first.run_dir / "model.safetensors").exists()
    assert list_run_dirs(ws.runs_dir) == []
    assert second.refresh().state == "queued" and second.latest()["queue_position"] == 1
    # The stopped job's task is still in queue.db; a worker that takes it later skips it.
    assert worker.run_job(ws.id, first.id) == "skipped"
    assert first.refresh().state == "stopped"
    # ...and the queued one, taken by a worker, trains (the task run here, in this process).
    threads = torch.get_num_threads()
    try:
        assert worker.run_job(ws.id, second.id) == "finished"
    finally:
        torch.set_num_threads(threads)
    assert second.refresh().state == "finished" and second.result.test_acc > 0.8


def test_pause_and_resume_are_refused_when_they_cannot_apply(immediate, ws):
    """pause() of a job that is not running and resume() of one that is not paused/interrupted change nothing."""
    job = job_queue.submit(ws, QUICK)
    job.pause()
    job.resume()
    assert job.refresh().state == "finished"
    assert not (ws.jobs_dir / f"{job.id}.control").exists()


def test_continue_training_goes_on_from_the_run(immediate, ws):
    """continue_of: the new run starts with the old run's events (without its end) and goes on for more epochs."""
    old = job_queue.submit(ws, QUICK.replace(epochs=1), name="short")
    assert old.state == "finished"
    old_events = events(old)
    more = job_queue.submit(ws, QUICK.replace(epochs=3), name="longer", continue_of=old.name)
    assert more.state == "finished", more.error
    assert more.run_dir != old.run_dir and events(old) == old_events  # the old run is left as it was
    new_events = events(more)
    kept = [e for e in old_events if e["kind"] != "final"]
    assert new_events[:len(kept)] == kept
    steps = [e for e in new_events if e["kind"] == "step"]
    assert [e["step"] for e in steps] == list(range(1, 3 * 47 + 1))  # one curve, no restart, no repeat
    assert steps[-1]["epoch"] == 3.0
    assert [e["seen"] for e in steps] == sorted(e["seen"] for e in steps)
    first_new = steps[47]
    old_steps = [e for e in old_events if e["kind"] == "step"]
    assert first_new["loss"] < old_steps[0]["loss"] / 2  # it goes on from trained weights, not from scratch
    assert first_new["seconds"] >= old_steps[-1]["seconds"]  # the clock goes on too
    assert sum(e["kind"] == "final" for e in new_events) == 1
    assert final(more)["test_acc"] >= final(old)["test_acc"] - 0.02
    assert more.result.test_acc == final(more)["test_acc"]


def test_continue_of_a_run_without_checkpoint_fails_with_a_reason(immediate, ws):
    """Continuing a run that has no checkpoint ends the job as failed with error code no_checkpoint."""
    (ws.runs_dir / "imported").mkdir(parents=True)
    job = job_queue.submit(ws, QUICK, name="more", continue_of="imported")
    assert job.state == "failed"
    assert job.error_code == "no_checkpoint" and "imported" in job.error
    assert job.result is None


def test_continued_run_equals_one_trained_in_one_go(immediate, ws):
    """1 epoch continued to 2 (constant learning rate) gives exactly the run trained for 2 epochs at once."""
    whole = job_queue.submit(ws, QUICK, name="whole")
    half = job_queue.submit(ws, QUICK.replace(epochs=1), name="half")
    rest = job_queue.submit(ws, QUICK, name="rest", continue_of=half.name)
    assert rest.state == "finished"
    losses = [[e["loss"] for e in events(j) if e["kind"] == "step"] for j in (whole, rest)]
    assert losses[0] == losses[1]
    assert final(rest)["test_acc"] == final(whole)["test_acc"]


def test_a_cuda_job_waits_on_the_cuda_queue_only():
    """Jobs that asked for a GPU go on their device's queue, where only `python -m core worker --device cuda`
    takes them; auto and cpu jobs go to the CPU workers."""
    from core import settings
    from core.lab.jobs.queue import submit
    from core.lab.jobs.store import device_queue

    assert [device_queue(TrainConfig(device=d)) for d in ("auto", "cpu", "cuda", "mps")] == ["cpu", "cpu", "cuda",
                                                                                           "mps"]
    job_queue.set_immediate(False)  # a real SQLite queue that nobody consumes
    job = submit(workspaces.create(), TrainConfig(arch="mlp:16", device="cuda"), name="gpu")
    assert job.state == "queued" and job._r["queue"] == "cuda"
    assert [p.name for p in (settings.home() / "queue").iterdir()] == ["cuda"]
    assert len(job_queue.huey_for("cuda")) == 1 and len(job_queue.huey_for("cpu")) == 0  # pending tasks per queue


def test_worker_threads_leave_the_process_its_signals(thread_workers):
    """Huey's consumer takes over SIGTERM and SIGINT when it starts; worker threads in a host process (page tests,
    here pytest) must not: a process forked afterwards still dies of SIGTERM (a multiprocessing Pool's terminate()
    once waited forever on such a child, and the whole test run with it)."""
    import multiprocessing
    import signal
    import time

    from tests.conftest import HOST_SIGNALS

    assert {s: signal.getsignal(s) for s in HOST_SIGNALS} == HOST_SIGNALS
    child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,))
    child.start()
    child.terminate()
    child.join(10)
    assert child.exitcode == -signal.SIGTERM
