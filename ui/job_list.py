"""The workspace's jobs as the pages show them (from disk: any tab, any server process sees the same), whether a
worker pool serves them, and submitting new ones."""

from __future__ import annotations

from core.lab.jobs import queue as job_queue
from core.lab.jobs import store as jobs
from core.lab.runfiles.folders import safe_name
from core.lab.runfiles.folders import unique_name as unique_name_in
from ui.dataset import dataset
from ui.run_list import runs
from ui.session import workspace


def my_jobs() -> list[jobs.Job]:
    """The workspace's jobs, newest first (from disk: any tab, any server process sees the same)."""
    return jobs.list_jobs(workspace())


def live_jobs() -> list[jobs.Job]:
    """The workspace's jobs that have not ended, in the order they will train: the running ones, the waiting
    ones in queue order (the one on the queue first, then the oldest), then the paused and interrupted ones."""
    found = [job for job in my_jobs() if not job.done]
    running = [job for job in found if job.state == "running"]
    waiting = sorted((job for job in found if job.state == "queued"),
                     key=lambda job: job.latest().get("queue_position") or 0)
    held = sorted((job for job in found if job.state in jobs.RESUMABLE), key=lambda job: job.created)
    return running + waiting + held


def workers_ready(queue: str = "cpu") -> bool:
    """True when a worker pool serving `queue` is alive somewhere (it beats every few seconds), or when
    tasks run in this process (Huey's immediate mode, for tests)."""
    return job_queue.is_immediate() or bool(jobs.pools(queue))


def submit(configs: list, names: list[str], continue_of: str | None = None,
           more_epochs: int | None = None) -> list[jobs.Job]:
    """Queue jobs for this workspace; JobError (queue full) or ConfigError are for the caller to show.

    `names` are what the runs should be called: the queue adds -2, -3, ... where the workspace has the name
    already (so a double click, asking for the same names again, is recognised as one click), and here a name
    is kept clear of the shared runs', which a workspace run of the same name would hide."""
    n_train = len(dataset().train_labels)
    shared = {name for name, run in runs().items() if run.origin == "disk"}
    items = [(config, unique_name_in(shared, safe_name(name))) for config, name in zip(configs, names, strict=True)]
    return job_queue.submit_many(workspace(), items, n_train=n_train, continue_of=continue_of, more_epochs=more_epochs)
