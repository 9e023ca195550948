"""Training jobs of a workspace: records on disk, run by worker processes through the Huey queue.

A job is a JSON record in `<workspace>/jobs/<id>.json`; its run folder `<workspace>/runs/<name>/` fills up
as it trains (core.lab.jobs.runner writes it). Everything here only reads and writes files and enqueues tasks, so
the web server, the command line and a test can all use it, and a reload, a second tab or a restarted web
server sees the same jobs.

    queued --(a worker takes it)--> running --> finished | stopped | diverged | failed
                                       |  ^
                   pause (checkpoint)  v  |  resume
                                     paused          interrupted (its worker died) --resume--> queued

Fairness: a workspace has at most one job on the queue or running at a time (the others wait in the
workspace, at most MNIST_LAB_QUEUE_PER_WORKSPACE of them); when it ends, the next one is queued. Control
(pause, stop) goes through a small file the training loop reads between steps (see Control).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import socket
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from core import settings
from core.errors import LabError
from core.lab import limits
from core.lab.runfiles import HistoryTail, Run, open_run, safe_name, unique_name, write_file
from core.lab.workspaces import Workspace
from core.learn.config import TrainConfig

STATES = ("queued", "running", "paused", "interrupted", "finished", "stopped", "diverged", "failed")
ENDED = frozenset({"finished", "stopped", "diverged", "failed"})
RESUMABLE = frozenset({"paused", "interrupted"})
# train()'s final status -> the job's state ("target" is a normal, successful end).
FINAL_STATE = {"finished": "finished", "target": "finished", "stopped": "stopped", "diverged": "diverged"}
BEAT_EVERY_S = 2.0  # a running job touches its beat file this often
STALE_AFTER_S = 15.0  # a running job whose beat is older than this lost its worker: "interrupted"
POOL_BEAT_S = 5.0  # a worker pool rewrites its file this often
JOB_ID = re.compile(r"[0-9a-f]{12}")


class JobError(LabError):
    """A job that cannot be submitted or changed; `code` says why (e.g. queue_full)."""


def device_queue(config: TrainConfig) -> str:
    """Which pool may run a config: CUDA and MPS jobs go only to workers started with that device."""
    return config.device if config.device in ("cuda", "mps") else "cpu"


# ---- files ------------------------------------------------------------------------------------------------

def _record_path(ws: Workspace, job_id: str) -> Path:
    return ws.jobs_dir / f"{job_id}.json"


def _control_path(ws: Workspace, job_id: str) -> Path:
    return ws.jobs_dir / f"{job_id}.control"


def beat_path(ws: Workspace, job_id: str) -> Path:
    return ws.jobs_dir / f"{job_id}.beat"


def _queue_dir(queue: str) -> Path:
    return settings.home() / "queue" / queue


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _write(path: Path, record: dict) -> None:
    write_file(path, json.dumps(record, indent=1).encode())


@contextmanager
def _locked(ws: Workspace) -> Iterator[None]:
    """One writer at a time per workspace (app servers and workers alike): records change under it."""
    ws.jobs_dir.mkdir(parents=True, exist_ok=True)
    with open(ws.jobs_dir / ".lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def update(ws: Workspace, job_id: str, **changes) -> dict:
    """Change fields of a job's record under the workspace lock; returns the new record."""
    with _locked(ws):
        record = _read(_record_path(ws, job_id)) or {}
        record.update(changes)
        _write(_record_path(ws, job_id), record)
    return record


# ---- the view the pages use ------------------------------------------------------------------------------

_tails: OrderedDict[str, HistoryTail] = OrderedDict()  # the runs pages watch, most recent last
MAX_TAILS = 64  # a long-running server forgets the oldest: reading one again costs one full parse


def _tail(path: Path) -> HistoryTail:
    key = str(path)
    if key in _tails:
        _tails.move_to_end(key)
    else:
        _tails[key] = HistoryTail(path)
        while len(_tails) > MAX_TAILS:
            _tails.popitem(last=False)
    return _tails[key]


@lru_cache(maxsize=32)
def _load_result(folder: str, mtime_ns: int) -> Run:
    return open_run(folder, origin="trained")


class Job:
    """A job as its record says now; `refresh()` reads it again. Cheap: pages build these every second."""

    def __init__(self, ws: Workspace, record: dict):
        self.ws, self._r = ws, record

    def __repr__(self) -> str:
        return f"Job(id={self.id!r}, name={self.name!r}, state={self.state!r})"

    @property
    def id(self) -> str:
        return self._r["id"]

    @property
    def name(self) -> str:
        return self._r["name"]

    @property
    def config(self) -> TrainConfig:
        return TrainConfig.from_dict(self._r["config"])

    @property
    def state(self) -> str:
        return self._r["state"]

    @property
    def done(self) -> bool:
        return self.state in ENDED

    @property
    def error(self) -> str | None:
        return self._r.get("error")

    @property
    def error_code(self) -> str:
        return self._r.get("error_code") or ""

    @property
    def error_params(self) -> dict:
        return self._r.get("error_params") or {}

    @property
    def run_dir(self) -> Path:
        return self.ws.runs_dir / self._r["run"]

    @property
    def kind(self) -> str:
        """train (the Train, Compare and Home pages) or finetune (the Draw page)."""
        return self._r.get("kind", "train")

    @property
    def outcome(self) -> dict:
        """What a fine-tuning job measured: class-set and MNIST accuracy before and after."""
        return self._r.get("outcome") or {}

    @property
    def created(self) -> float:
        return self._r.get("created", 0.0)

    @property
    def stop_requested(self) -> bool:
        return _control(self.ws, self.id) == "stop"

    def refresh(self) -> Job:
        record = _read(_record_path(self.ws, self.id))
        if record:
            self._r = _check_alive(self.ws, record)
        return self

    def history(self, since: int = 0) -> list[dict]:
        """The run's events so far (read incrementally from metrics.jsonl), from index `since` on."""
        return _tail(self.run_dir / "metrics.jsonl").read()[max(0, since):]

    @property
    def result(self) -> Run | None:
        """The run, once the job has ended with weights to keep; None otherwise."""
        if not self.done:
            return None
        weights = self.run_dir / "model.safetensors"
        try:
            return _load_result(str(self.run_dir), weights.stat().st_mtime_ns)
        except (OSError, LabError):
            return None

    def latest(self) -> dict:
        """A cheap summary for a progress bar, from the record and the tail of the run's events."""
        events = self.history()
        step = next((e for e in reversed(events) if e.get("kind") == "step"), {})
        acc = next((e["test_acc"] for e in reversed(events) if e.get("kind") in ("eval", "final")
                    and e.get("test_acc") is not None), None)
        total, seen = self._r.get("total") or 0, step.get("seen", 0)
        elapsed = next((e["seconds"] for e in reversed(events) if e.get("seconds") is not None), 0.0)
        rate = seen / step["seconds"] if step.get("seconds") else None
        eta = 0.0 if self.done else (max(total - seen, 0) / rate if rate and total else None)
        return {
            "state": self.state, "seen": seen, "total": total,
            "fraction": min(1.0, seen / total) if total else (1.0 if self.done else 0.0),
            "epoch": step.get("epoch", 0.0), "images_per_s": rate, "eta_s": eta, "test_acc": acc,
            "loss": step.get("loss"), "queue_position": queue_position(self) if self.state == "queued" else None,
            "elapsed_s": elapsed, "error": self.error,
        }

    # --- control: from any tab, any server ---------------------------------------------------------------

    def pause(self) -> None:
        """Ask the worker to checkpoint and free itself (kNN has no steps to pause between)."""
        if self.state == "running" and self.config.family != "knn":
            _set_control(self.ws, self.id, "pause")

    def resume(self) -> None:
        """Queue a paused or interrupted job again; it goes on from its last checkpoint."""
        with _locked(self.ws):
            record = _read(_record_path(self.ws, self.id)) or self._r
            if record["state"] not in RESUMABLE:
                return
            record.update(state="queued", resume=True, dispatched=False, error=None, error_code=None)
            _write(_record_path(self.ws, self.id), record)
        self._r = record
        kick(self.ws)

    def stop(self) -> None:
        """Stop and keep the model trained so far; a queued job just leaves the queue."""
        with _locked(self.ws):
            record = _read(_record_path(self.ws, self.id)) or self._r
            state = record["state"]
            if state == "running":
                _set_control(self.ws, self.id, "stop")
            elif state == "queued":
                _unqueue(record)
                record.update(state="stopped", ended=time.time(), dispatched=False)
                _write(_record_path(self.ws, self.id), record)
            elif state in RESUMABLE:  # nobody is training it: close the run at its checkpoint here
                _close_at_checkpoint(self.run_dir, record)
                record.update(state="stopped", ended=time.time())
                _write(_record_path(self.ws, self.id), record)
            self._r = record
        kick(self.ws)

    def wait(self, timeout: float | None = None, poll: float = 0.1) -> bool:
        """Block until the job ends (tests, the command line; never the UI); True if it did in time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.refresh().done:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(poll)
        return True


def _close_at_checkpoint(run_dir: Path, record: dict) -> None:
    """A paused or interrupted run stopped for good: its events after the checkpoint go, a final event ends it."""
    from core.lab.jobs.runner import read_checkpoint, truncate_events

    checkpoint = read_checkpoint(run_dir)
    if checkpoint is None or not (run_dir / "model.safetensors").exists():
        return  # nothing learned was kept: the job ends with no run, as a stopped queued job does
    events = truncate_events(run_dir, checkpoint["lines"])
    last = next((e for e in reversed(events) if e.get("kind") == "eval"), {})
    final = {"kind": "final", "status": "stopped", "test_acc": last.get("test_acc"),
             "seconds": last.get("seconds"), "train_seconds": last.get("train_seconds"), "time_to_target_s": None,
             "steps": checkpoint["state"]["step"], "seen": checkpoint["state"]["seen"]}
    with open(run_dir / "metrics.jsonl", "a") as f:
        f.write(json.dumps(final) + "\n")


# ---- control flags --------------------------------------------------------------------------------------

def _set_control(ws: Workspace, job_id: str, what: str) -> None:
    write_file(_control_path(ws, job_id), what.encode())


def _control(ws: Workspace, job_id: str) -> str:
    try:
        return _control_path(ws, job_id).read_text().strip()
    except OSError:
        return ""


def clear_control(ws: Workspace, job_id: str) -> None:
    _control_path(ws, job_id).unlink(missing_ok=True)


class Control:
    """What the training loop checks between steps: stop, pause, and a heartbeat that shows the job alive.

    The file is read at most every `every` seconds, so a check costs nothing next to a training step.
    """

    def __init__(self, ws: Workspace, job_id: str, every: float = 0.2):
        self.ws, self.job_id, self.every = ws, job_id, every
        self._checked = 0.0
        self._beat = 0.0
        self._flag = ""

    def _poll(self) -> str:
        now = time.monotonic()
        if now - self._beat >= BEAT_EVERY_S:
            beat_path(self.ws, self.job_id).touch()
            self._beat = now
        if now - self._checked >= self.every:
            self._flag, self._checked = _control(self.ws, self.job_id), now
        return self._flag

    def is_set(self) -> bool:
        return self._poll() == "stop"

    def pause_requested(self) -> bool:
        return self._poll() == "pause"


# ---- submitting and dispatching ---------------------------------------------------------------------------

def _records(ws: Workspace) -> list[dict]:
    if not ws.jobs_dir.is_dir():
        return []
    out = []
    for path in ws.jobs_dir.glob("*.json"):
        record = _read(path)
        if record and JOB_ID.fullmatch(str(record.get("id", ""))):
            out.append(record)
    return sorted(out, key=lambda r: r.get("created", 0.0))


def _taken_names(ws: Workspace, records: list[dict]) -> set[str]:
    names = {r.get("run") for r in records}
    if ws.runs_dir.is_dir():
        names |= {d.name for d in ws.runs_dir.iterdir()}
    return names


def _epochs_total(config: TrainConfig, n_train: int | None) -> int:
    n = config.train_subset or n_train or 0
    return n * (1 if config.family == "knn" else config.epochs)


def submit(ws: Workspace, config: TrainConfig, name: str | None = None, n_train: int | None = None,
           continue_of: str | None = None) -> Job:
    """Queue one job; see submit_many."""
    return submit_many(ws, [(config, name)], n_train=n_train, continue_of=continue_of)[0]


def _check_room(ws: Workspace, records: list[dict], n: int) -> None:
    """JobError("queue_full") unless `n` more jobs fit beside the workspace's queued and running ones
    (`records`: the workspace's, read under the lock the caller holds)."""
    limits.check_workspace_room(ws, 0)  # a full workspace (or a full data folder) trains no more
    limit = settings.queue_per_workspace()
    live = [r for r in records if r["state"] in ("queued", "running")]
    if len(live) + n > limit + 1:
        free = max(0, limit + 1 - len(live))
        raise JobError(f"this needs {n} places in the queue and {free} of {limit + 1} are free ({len(live)} jobs "
                       "running or waiting): wait for one to finish or stop one", "queue_full", limit=limit + 1,
                       live=len(live), need=n, free=free)


def _new_job(ws: Workspace, taken: set[str], name: str, config: TrainConfig, **fields) -> Job:
    """Write a queued job's record and claim its run folder under a name no run or job has (lock held)."""
    job_id = secrets.token_hex(6)
    run = unique_name(taken, safe_name(name))
    taken.add(run)
    (ws.runs_dir / run).mkdir(parents=True)  # the name is this job's now
    record = {
        "id": job_id, "name": run, "run": run, "config": config.to_dict(), "state": "queued",
        "created": time.time(), "dispatched": False, "resume": False, "continue_of": None,
        "queue": device_queue(config), "total": 0, "error": None, **fields,
    }
    _write(_record_path(ws, job_id), record)
    return Job(ws, record)


def submit_many(ws: Workspace, items: list[tuple[TrainConfig, str | None]], n_train: int | None = None,
                continue_of: str | None = None, more_epochs: int | None = None) -> list[Job]:
    """Queue jobs (an experiment's runs together): all of them, or none with JobError("queue_full").

    `n_train` (the training images one epoch has) lets the progress bar show a total; `continue_of` names a
    run of this workspace whose checkpoint the (single) job goes on from, for `more_epochs` epochs from
    where it stopped (the config's epochs then only need to reach that far).
    """
    configs = [config.validated() for config, _ in items]  # ConfigError before anything is written
    click = _click_key([[c.to_dict() for c in configs], [name for _, name in items], continue_of, more_epochs])
    with _locked(ws):
        records = _records(ws)
        same = _same_click(ws, records, click)
        if same:
            return same
        _check_room(ws, records, len(items))
        taken = _taken_names(ws, records)
        jobs = [_new_job(ws, taken, name or config.arch, config, continue_of=continue_of, more_epochs=more_epochs,
                         total=_epochs_total(config, n_train), click=click)
                for config, (_, name) in zip(configs, items, strict=True)]
    kick(ws)
    return [job.refresh() for job in jobs]


SAME_CLICK_S = 5.0  # the same jobs asked for again within this many seconds are one click, not two


def _click_key(asked: object) -> str:
    """What a click asked for (JSON-able): the same request makes the same key."""
    return hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()[:16]


def _same_click(ws: Workspace, records: list[dict], click: str) -> list[Job]:
    """The jobs a click asking for the same thing made in the last SAME_CLICK_S seconds (a double click, or a
    second tab clicking too): returned instead of new ones, so one click makes one set of jobs (lock held)."""
    same = [r for r in records if r.get("click") == click and time.time() - r["created"] < SAME_CLICK_S]
    return [Job(ws, r) for r in sorted(same, key=lambda r: r["created"])]


def submit_fine_tune(ws: Workspace, source: Path, config: TrainConfig, name: str, drawings: Path, epochs: int,
                     lr: float, replay: bool) -> Job:
    """Queue a fine-tuning job: a copy of the run in `source` trained a little on the class's drawings in
    `drawings`, saved as the workspace's run `name`. Like every job, it runs in a worker, never in a page."""
    finetune = {"source": str(Path(source).absolute()), "drawings": str(Path(drawings).absolute()),
                "epochs": int(epochs), "lr": float(lr), "replay": bool(replay)}
    click = _click_key(["finetune", finetune])
    with _locked(ws):
        records = _records(ws)
        same = _same_click(ws, records, click)
        if same:
            return same[0]
        _check_room(ws, records, 1)
        job = _new_job(ws, _taken_names(ws, records), name, config, kind="finetune", queue="cpu", finetune=finetune,
                       click=click)
    kick(ws)
    return job.refresh()


def kick(ws: Workspace) -> str | None:
    """Put the workspace's next waiting job on the queue if none of its jobs is queued there or running."""
    with _locked(ws):
        records = _records(ws)
        if any(r["state"] == "running" or (r["state"] == "queued" and r.get("dispatched")) for r in records):
            return None
        waiting = [r for r in records if r["state"] == "queued"]
        if not waiting:
            return None
        record = waiting[0]
        ticket = _queue_dir(record["queue"]) / f"{time.time_ns():020d}-{ws.id}-{record['id']}"
        ticket.parent.mkdir(parents=True, exist_ok=True)
        ticket.touch()
        record.update(dispatched=True, ticket=ticket.name)
        _write(_record_path(ws, record["id"]), record)
    from core.lab.jobs.runner import enqueue  # here, not at the top: the worker imports this module

    try:
        enqueue(record["queue"], ws.id, record["id"])
    except Exception as exc:  # the queue itself is unreachable (Redis down): say so on the job
        update(ws, record["id"], state="failed", error=f"the job queue cannot be reached: {exc}",
               error_code="queue_down", dispatched=False)
        _unqueue(record)
        kick(ws)  # the next waiting job tries too (and says the same if the queue is still down)
    return record["id"]


def _unqueue(record: dict) -> None:
    if record.get("ticket"):
        (_queue_dir(record["queue"]) / record["ticket"]).unlink(missing_ok=True)


def queue_position(job: Job) -> int:
    """1 = next to start. Jobs queued before it on its device's queue, plus its own workspace's waiting jobs."""
    tickets = sorted(os.listdir(_queue_dir(job._r["queue"]))) if _queue_dir(job._r["queue"]).is_dir() else []
    if job._r.get("dispatched") and job._r.get("ticket") in tickets:
        return tickets.index(job._r["ticket"]) + 1
    ahead = [r for r in _records(job.ws) if r["state"] == "queued" and r.get("created", 0) < job.created]
    return len(tickets) + len([r for r in ahead if not r.get("dispatched")]) + 1


def queue_ahead(job: Job) -> dict:
    """Who is before a waiting job: {"mine": names of its own workspace's jobs (running first, then the waiting
    ones in queue order), "others": jobs of other workspaces queued before it on its device's queue}."""
    folder = _queue_dir(job._r["queue"])
    tickets = sorted(os.listdir(folder)) if folder.is_dir() else []
    records = _records(job.ws)
    mine = [r["name"] for r in records if r["state"] == "running"]
    mine += [r["name"] for r in records if r["state"] == "queued" and r["id"] != job.id
             and (r.get("dispatched"), -r.get("created", 0)) > (job._r.get("dispatched"), -job.created)]
    if job._r.get("dispatched") and job._r.get("ticket") in tickets:
        before = tickets[:tickets.index(job._r["ticket"])]
    else:
        before = tickets
    others = sum(1 for ticket in before if f"-{job.ws.id}-" not in ticket)
    return {"mine": mine, "others": others}


def _check_alive(ws: Workspace, record: dict) -> dict:
    """A running job whose worker stopped beating was killed: mark it interrupted (resumable)."""
    if record.get("state") != "running":
        return record
    try:
        last = beat_path(ws, record["id"]).stat().st_mtime
    except OSError:
        last = record.get("started") or record.get("created", 0.0)
    if time.time() - last < STALE_AFTER_S:
        return record
    with _locked(ws):
        fresh = _read(_record_path(ws, record["id"])) or record
        if fresh.get("state") == "running":
            fresh.update(state="interrupted", error="its worker process stopped (killed or crashed)",
                         error_code="worker_lost")
            _write(_record_path(ws, record["id"]), fresh)
    kick(ws)
    return fresh


def rename_run(ws: Workspace, old: str, new: str) -> None:
    """The run folder `old` was renamed to `new`: the jobs that made it follow (a continued run's source too)."""
    with _locked(ws):
        for record in _records(ws):
            changed = False
            if record.get("run") == old:
                record.update(run=new, name=new)
                changed = True
            if record.get("continue_of") == old:
                record["continue_of"] = new
                changed = True
            if changed:
                _write(_record_path(ws, record["id"]), record)


def forget_run(ws: Workspace, name: str) -> None:
    """The run folder `name` was deleted: drop the ended jobs that made it, with their flag files."""
    with _locked(ws):
        for record in _records(ws):
            if record.get("run") == name and record.get("state") in ENDED:
                for path in (_record_path(ws, record["id"]), _control_path(ws, record["id"]),
                             beat_path(ws, record["id"])):
                    path.unlink(missing_ok=True)


def sweep_interrupted() -> int:
    """Mark every running job whose worker stopped beating as interrupted, in every workspace (worker pools
    call this every few seconds, so a killed worker's job is marked even when no page is open)."""
    from core.lab.workspaces import all_workspaces

    marked = 0
    for ws in all_workspaces():
        for record in _records(ws):
            if record.get("state") == "running" and _check_alive(ws, record).get("state") == "interrupted":
                marked += 1
    return marked


def list_jobs(ws: Workspace) -> list[Job]:
    """The workspace's jobs, newest first; running jobs whose worker died are marked interrupted on the way."""
    return [Job(ws, _check_alive(ws, r)) for r in reversed(_records(ws))]


def get(ws: Workspace, job_id: str) -> Job | None:
    if not JOB_ID.fullmatch(job_id or ""):
        return None
    record = _read(_record_path(ws, job_id))
    return Job(ws, _check_alive(ws, record)) if record else None


# ---- worker pools -----------------------------------------------------------------------------------------

def pool_file() -> Path:
    return settings.home() / "workers" / f"{socket.gethostname()}-{os.getpid()}.json"


def pools(queue: str | None = None) -> list[dict]:
    """Worker pools that beat recently (on any machine sharing MNIST_LAB_HOME), optionally for one queue."""
    folder = settings.home() / "workers"
    if not folder.is_dir():
        return []
    alive = []
    for path in folder.glob("*.json"):
        info = _read(path)
        if info and time.time() - info.get("time", 0) < 3 * POOL_BEAT_S and queue in (None, info.get("queue")):
            alive.append(info)
    return alive
