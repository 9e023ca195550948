"""The job queue: one Huey instance per device, the task a worker runs, submitting, and waking the next job.

One queue per device ("cpu", "cuda", "mps"): a job that asked for CUDA waits for a worker started with
`python -m core worker --device cuda`. The queue is SqliteHuey in MNIST_LAB_HOME by default (nothing to
install) and RedisHuey when MNIST_LAB_QUEUE names a Redis server (several machines); the task is the same.
A workspace has one job on the queue at a time (core.lab.jobs.store.dispatch_next picks it); `kick` sends it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from core import settings
from core.lab.jobs import runner, store
from core.lab.jobs.store import QUEUES, Job
from core.lab.workspaces import Workspace
from core.learn.config import TrainConfig

log = logging.getLogger(__name__)
_hueys: dict[str, object] = {}
_immediate = False  # tests: tasks run at once, in the caller's process (Huey's immediate mode)


def set_immediate(on: bool) -> None:
    """Run tasks synchronously in this process (unit tests); forgets the queues made so far."""
    global _immediate
    _immediate = on
    _hueys.clear()


def is_immediate() -> bool:
    return _immediate


def huey_for(queue: str):
    """The Huey instance of one device's queue, with the training task registered on it."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}; one of {', '.join(QUEUES)}")
    if queue not in _hueys:
        from huey import MemoryHuey, RedisHuey, SqliteHuey

        name = f"mnist-lab-{queue}"
        url = settings.queue_url()
        if _immediate:
            huey = MemoryHuey(name, immediate=True)
        elif url:
            huey = RedisHuey(name, url=url)
        else:
            settings.home().mkdir(parents=True, exist_ok=True)
            huey = SqliteHuey(name, filename=str(settings.home() / "queue.db"))
        huey.train_job = huey.task(name="train_job")(_train_job)
        huey.score_submission = huey.task(name="score_submission")(_score_submission)  # challenges (issue 17)
        _hueys[queue] = huey
    return _hueys[queue]


def _train_job(workspace_id: str, job_id: str) -> str:
    """The task: train the job, then send the workspace's next waiting one."""
    from core.lab import workspaces

    try:
        return runner.run_job(workspace_id, job_id)
    finally:
        try:
            kick(workspaces.at(workspace_id))
        except Exception as exc:  # a workspace removed meanwhile: nothing of it to send
            log.info("no next job sent for workspace %s: %s", workspace_id, exc)


# Huey names a task by its function's module and name: jobs queued before core/ was split into learn/ and lab/
# say "core.worker.train_job", so the task keeps that name wherever the code lives.
TASK_MODULE = "core.worker"
_train_job.__module__ = TASK_MODULE


def enqueue(queue: str, workspace_id: str, job_id: str) -> None:
    huey_for(queue).train_job(workspace_id, job_id)


def _score_submission(class_id: str, challenge_id: str, submission_id: str) -> str:
    """The task: score one challenge submission on its hidden set (core.lab.challenges)."""
    from core.lab import challenges

    return challenges.score_submission(class_id, challenge_id, submission_id)


# A stable name, whatever the module is called: "core.lab.challenges.score_submission".
_score_submission.__module__ = "core.lab.challenges"


def enqueue_scoring(class_id: str, challenge_id: str, submission_id: str) -> None:
    """Score a challenge submission in a worker of the CPU queue (the web server never scores)."""
    from core.lab import challenges

    huey_for("cpu").score_submission(class_id, challenge_id, submission_id)
    challenges.mark_sent(class_id, challenge_id, submission_id)


def resend_scoring(at_start: bool = False) -> int:
    """Put challenge submissions still waiting for their scores back on the CPU queue; returns how many. A pool
    calls this when it starts (every waiting submission that is not on the queue: a submission made while the
    queue was down, or taken by a worker that died) and as it beats (those whose scoring never reached the queue)."""
    from core.lab import challenges

    if at_start:
        pending = {tuple(task.args) for task in huey_for("cpu").pending() if task.name == "score_submission"}
        todo = [w for w in challenges.waiting() if w not in pending]
    else:
        todo = challenges.waiting(unsent_only=True, older_than=5.0)  # 5 s: the page sends its own at once
    sent = 0
    for class_id, challenge_id, submission_id in todo:
        try:
            enqueue_scoring(class_id, challenge_id, submission_id)
            sent += 1
        except Exception as exc:  # a class removed meanwhile, or the queue still down: the next sweep tries again
            log.warning("challenge submission %s not re-sent: %s", submission_id, " ".join(str(exc).split()))
    return sent


def kick(ws: Workspace) -> str | None:
    """Put the workspace's next waiting job on the queue if none of its jobs is queued there or running."""
    record = store.dispatch_next(ws)
    if record is None:
        return None
    try:
        enqueue(record["queue"], ws.id, record["id"])
    except Exception as exc:  # the queue itself is unreachable (Redis down): say so on the job
        log.warning("job %s of workspace %s: the job queue cannot be reached: %s", record["id"], ws.id,
                    " ".join(str(exc).split()))
        store.fail_dispatch(ws, record["id"], exc)
        kick(ws)  # the next waiting job tries too (and says the same if the queue is still down)
    return record["id"]


store.on_change(kick)  # a resume or a stop from any page wakes the queue


def resume_lost() -> int:
    """Jobs interrupted by their pool's end go on from their checkpoints, in the order they were queued (a pool
    calls this when it starts and as it beats); returns how many were put back."""
    woken = store.resume_lost()
    for ws in woken:
        kick(ws)
    return len(woken)


def submit(ws: Workspace, config: TrainConfig, name: str | None = None, n_train: int | None = None,
           continue_of: str | None = None) -> Job:
    """Queue one job; see submit_many."""
    return submit_many(ws, [(config, name)], n_train=n_train, continue_of=continue_of)[0]


def submit_many(ws: Workspace, items: list[tuple[TrainConfig, str | None]], n_train: int | None = None,
                continue_of: str | None = None, more_epochs: int | None = None) -> list[Job]:
    """Queue jobs (an experiment's runs together): all of them, or none with JobError("queue_full").

    `n_train` (the training images one epoch has) lets the progress bar show a total; `continue_of` names a
    run of this workspace whose checkpoint the (single) job goes on from, for `more_epochs` epochs from
    where it stopped (the config's epochs then only need to reach that far). The same request made again
    within store.SAME_CLICK_S seconds (a double click, a second tab) returns the first click's jobs.
    """
    jobs = store.add(ws, items, n_train=n_train, continue_of=continue_of, more_epochs=more_epochs)
    kick(ws)
    return [job.refresh() for job in jobs]


def submit_fine_tune(ws: Workspace, source: Path, config: TrainConfig, name: str, drawings: Path, epochs: int,
                     lr: float, replay: bool) -> Job:
    """Queue a fine-tuning job: a copy of the run in `source` trained a little on the class's drawings in
    `drawings`, saved as the workspace's run `name`. Like every job, it runs in a worker, never in a page."""
    finetune = {"source": str(Path(source).absolute()), "drawings": str(Path(drawings).absolute()),
                "epochs": int(epochs), "lr": float(lr), "replay": bool(replay)}
    job = store.add_fine_tune(ws, finetune, config, name)
    kick(ws)
    return job.refresh()
