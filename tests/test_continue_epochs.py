"""Continue for N more epochs: exactly N epochs from where the run stopped (issue 18), and the queue's words."""

from __future__ import annotations

import json

import pytest
import torch

from core.lab import workspaces
from core.lab.jobs import queue as job_queue
from core.lab.jobs import store as jobs
from core.lab.jobs.store import JobError
from core.learn.config import TrainConfig

# 3000 training images, 47 steps an epoch: a fraction of a second per job.
QUICK = TrainConfig(arch="mlp:32", epochs=3, batch_size=64, lr=3e-3, device="cpu", eval_subset=300)
PER_EPOCH = 47


@pytest.fixture(autouse=True)
def home(lab_home, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_SUBSET", "3000,1000")
    monkeypatch.delenv("MNIST_LAB_QUEUE", raising=False)
    monkeypatch.delenv("MNIST_LAB_QUEUE_PER_WORKSPACE", raising=False)
    threads = torch.get_num_threads()
    job_queue.set_immediate(True)
    yield lab_home
    job_queue.set_immediate(False)
    torch.set_num_threads(threads)


def events(job) -> list[dict]:
    return [json.loads(line) for line in (job.run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]


def steps(job) -> list[dict]:
    return [e for e in events(job) if e["kind"] == "step"]


def test_continue_two_more_epochs_from_the_middle_of_one():
    """A run that ended at about epoch 0.25 (a target reached) continued for 2 epochs ends 2 epochs later,
    not at the config's last epoch: 94 more steps, 6000 more images, one full evaluation at the end."""
    ws = workspaces.create()
    source = job_queue.submit(ws, QUICK.replace(target_accuracy=0.3), name="early")
    assert source.state == "finished"
    stopped_at = steps(source)[-1]
    assert stopped_at["epoch"] < 1  # it ended in the middle of its first epoch
    more = job_queue.submit_many(ws, [(QUICK.replace(epochs=3), "early-more")], continue_of=source.name,
                            more_epochs=2)[0].refresh()
    assert more.state == "finished", more.error
    new = steps(more)
    assert new[-1]["step"] == stopped_at["step"] + 2 * PER_EPOCH
    assert new[-1]["seen"] == stopped_at["seen"] + 2 * 3000
    assert new[-1]["epoch"] == pytest.approx(stopped_at["epoch"] + 2, abs=1e-9)
    assert more.latest()["fraction"] == 1.0  # the progress bar's total is the 2 epochs asked for
    last_eval = next(e for e in reversed(events(more)) if e["kind"] == "eval")
    assert last_eval["full"] and last_eval["step"] == new[-1]["step"]
    final = next(e for e in events(more) if e["kind"] == "final")
    assert final["status"] == "finished" and more.result.test_acc == final["test_acc"]


def test_continue_a_finished_run_two_more_epochs():
    """A finished 1-epoch run continued for 2 ends at epoch 3: 94 more steps."""
    ws = workspaces.create()
    source = job_queue.submit(ws, QUICK.replace(epochs=1), name="one")
    more = job_queue.submit_many(ws, [(QUICK, "one-more")], continue_of=source.name, more_epochs=2)[0].refresh()
    assert more.state == "finished", more.error
    assert steps(more)[-1]["step"] == 3 * PER_EPOCH and steps(more)[-1]["epoch"] == 3.0


def test_a_refusal_says_how_many_places_are_needed_and_free(monkeypatch):
    """A 4-run sweep with 2 of 4 places taken: the refusal names 4 needed and 2 free."""
    job_queue.set_immediate(False)  # nobody consumes the queue: jobs stay queued
    ws = workspaces.create()
    job_queue.submit_many(ws, [(QUICK.replace(seed=1), "a"), (QUICK.replace(seed=2), "b")])
    with pytest.raises(JobError) as err:
        job_queue.submit_many(ws, [(QUICK.replace(seed=s), f"s{s}") for s in range(3, 7)])
    assert err.value.code == "queue_full"
    assert err.value.params["need"] == 4 and err.value.params["free"] == 2 and err.value.params["limit"] == 4


def test_queue_ahead_names_own_jobs_and_counts_other_workspaces():
    """Who is before a waiting job: its own workspace's jobs by name, in queue order, and other workspaces' count."""
    job_queue.set_immediate(False)
    mine = workspaces.create()
    theirs = job_queue.submit(workspaces.create(), QUICK, name="theirs")
    first, second, third = (job_queue.submit(mine, QUICK.replace(seed=i), name=n) for i, n in enumerate("xyz"))
    assert jobs.queue_ahead(first.refresh()) == {"mine": [], "others": 1}
    assert jobs.queue_ahead(second.refresh()) == {"mine": ["x"], "others": 1}
    assert jobs.queue_ahead(third.refresh()) == {"mine": ["x", "y"], "others": 1}
    assert jobs.queue_ahead(theirs.refresh()) == {"mine": [], "others": 0}
