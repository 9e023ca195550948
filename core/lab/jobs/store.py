"""Training jobs of a workspace: their records on disk, their locks and control flags, and every state change.

A job is a JSON record in `<workspace>/jobs/<id>.json`; its run folder `<workspace>/runs/<name>/` fills up
as it trains (core.lab.jobs.runner writes it). This module only reads and writes files: it never queues
anything (core.lab.jobs.queue does) and never trains (core.lab.jobs.runner does), so the web server, the
command line, a worker and a test all change a job through the same transitions, each under the
workspace's lock:

    queued  --take-->    running  (a worker of a pool)       queued --stop--> stopped (no run)
    running --finish-->  finished | stopped | diverged | failed | paused
    running --pause, stop-->  a flag the worker reads between steps (a stop wins over a pause)
    running --interrupt, interrupt_if_lost-->  interrupted   (its worker, or its whole pool, died)
    paused | interrupted --resume-->  queued      (interrupted by its pool's end: resume_lost, by itself)
    paused | interrupted --stop-->    stopped     (its run closed at its checkpoint)

A job interrupted because its worker pool ended (not by the student) is resumed by itself when a pool runs
again (`resume_lost`), unless its pool ended with it MAX_POOL_LOSSES times in a row. Fairness: a workspace
has at most one job on the queue or running at a time; the others wait in the workspace, at most
MNIST_LAB_QUEUE_PER_WORKSPACE of them (`dispatch_next` picks the next). Control (pause, stop) goes through a
small file the training loop reads between steps (see Control).

A record that cannot be read or does not have the shape below is *damaged*: it costs that job only (listed
by `damaged`, removable by `remove_damaged`), never a page.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import math
import os
import re
import secrets
import socket
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from core import settings
from core.errors import LabError
from core.lab import limits
from core.lab.runfiles.checkpoint import checkpoint_position, read_checkpoint, truncate_events
from core.lab.runfiles.folders import HistoryTail, open_run, safe_name, unique_name, write_file
from core.lab.workspaces import Workspace
from core.learn.config import TrainConfig
from core.learn.run import Run

log = logging.getLogger(__name__)

STATES = ("queued", "running", "paused", "interrupted", "finished", "stopped", "diverged", "failed")
ENDED = frozenset({"finished", "stopped", "diverged", "failed"})
RESUMABLE = frozenset({"paused", "interrupted"})
QUEUES = ("cpu", "cuda", "mps")
# train()'s final status -> the job's state ("target" is a normal, successful end).
FINAL_STATE = {"finished": "finished", "target": "finished", "stopped": "stopped", "diverged": "diverged"}
BEAT_EVERY_S = 2.0  # a running job touches its beat file this often
STALE_AFTER_S = 15.0  # a running job whose beat is older than this lost its worker: "interrupted"
POOL_BEAT_S = 5.0  # a worker pool rewrites its file this often
MAX_POOL_LOSSES = 3  # a job whose pool ended with it this many times in a row waits for the student
JOB_ID = re.compile(r"[0-9a-f]{12}")
TICKET = re.compile(r"\d{20}-[a-z2-7]+-[0-9a-f]{12}")  # dispatch time, workspace id, job id


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


def queue_dir(queue: str) -> Path:
    """The device queue's tickets: one empty file per dispatched job, named so that they sort in queue order."""
    return settings.home() / "queue" / queue


def _read_json(path: Path) -> object:
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


# ---- the shape of a record: anything else is a damaged record ----------------------------------------------

def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _opt(kind) -> Callable[[object], bool]:
    return lambda v: v is None or isinstance(v, kind)


_FIELDS: dict[str, Callable[[object], bool]] = {  # optional fields and what they may hold
    "dispatched": lambda v: isinstance(v, bool), "resume": lambda v: isinstance(v, bool),
    "total": lambda v: v is None or _number(v),
    "error": _opt(str), "error_code": _opt(str), "error_params": _opt(dict), "ticket": _opt(str),
    "continue_of": _opt(str), "outcome": _opt(dict), "started": lambda v: v is None or _number(v),
    "ended": lambda v: v is None or _number(v), "worker": _opt(str), "pool": _opt(str), "click": _opt(str),
    "more_epochs": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
    "until_step": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
    "resumed": _opt(dict), "pool_losses": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
    "finetune": _opt(dict),
}


@lru_cache(maxsize=256)
def _config_ok(config_json: str) -> bool:
    try:
        TrainConfig.from_dict(json.loads(config_json))
        return True
    except Exception:  # any way a config can be wrong: the record is damaged, not the page
        return False


def _fine_tune_ok(spec: object) -> bool:
    return (isinstance(spec, dict) and isinstance(spec.get("source"), str)
            and isinstance(spec.get("drawings"), str) and isinstance(spec.get("epochs"), int)
            and _number(spec.get("lr")) and isinstance(spec.get("replay"), bool))


def _well_formed(record: object, job_id: str) -> bool:
    """A record this code can act on: its id, state, run folder, queue and config all of the right kind."""
    if not isinstance(record, dict) or record.get("id") != job_id or record.get("state") not in STATES:
        return False
    run = record.get("run")
    if not isinstance(run, str) or not run or safe_name(run) != run:
        return False
    if not isinstance(record.get("name"), str) or not record["name"]:
        return False
    if record.get("queue") not in QUEUES or record.get("kind", "train") not in ("train", "finetune"):
        return False
    if not _number(record.get("created")) or not isinstance(record.get("config"), dict):
        return False
    if record.get("ticket") is not None and not (isinstance(record["ticket"], str)
                                                  and TICKET.fullmatch(record["ticket"])):
        return False
    if record.get("continue_of") is not None and not (isinstance(record["continue_of"], str)
                                                       and safe_name(record["continue_of"]) == record["continue_of"]):
        return False
    if any(key in record and not check(record[key]) for key, check in _FIELDS.items()):
        return False
    if record.get("kind") == "finetune" and not _fine_tune_ok(record.get("finetune")):
        return False
    return _config_ok(json.dumps(record["config"], sort_keys=True))


def _read(ws: Workspace, job_id: str) -> dict | None:
    """The job's record if it is well formed; None if it is missing or damaged."""
    record = _read_json(_record_path(ws, job_id))
    return record if _well_formed(record, job_id) else None


def _records(ws: Workspace) -> list[dict]:
    """The workspace's well-formed records, oldest first."""
    if not ws.jobs_dir.is_dir():
        return []
    out = []
    for path in ws.jobs_dir.glob("*.json"):
        if JOB_ID.fullmatch(path.stem):
            record = _read_json(path)
            if _well_formed(record, path.stem):
                out.append(record)
    return sorted(out, key=lambda r: r.get("created", 0.0))


def damaged(ws: Workspace) -> list[str]:
    """Ids of the workspace's job records that cannot be read or have the wrong shape (a write cut short by a
    full disk, a hand edit): the pages list them as damaged, with a way to remove them."""
    if not ws.jobs_dir.is_dir():
        return []
    return sorted(path.stem for path in ws.jobs_dir.glob("*.json")
                  if JOB_ID.fullmatch(path.stem) and not _well_formed(_read_json(path), path.stem))


def remove_damaged(ws: Workspace, job_id: str) -> bool:
    """Remove a damaged record and its flag files (its run folder stays); False if it is not damaged (any more)."""
    if not JOB_ID.fullmatch(job_id or ""):
        return False
    with _locked(ws):
        path = _record_path(ws, job_id)
        if not path.exists() or _well_formed(_read_json(path), job_id):
            return False
        for p in (path, _control_path(ws, job_id), beat_path(ws, job_id)):
            p.unlink(missing_ok=True)
    log.info("removed the damaged job record %s of workspace %s", job_id, ws.id)
    return True


def update(ws: Workspace, job_id: str, **changes) -> dict | None:
    """Change fields of a well-formed record under the workspace lock (progress figures, tests); returns the new
    record, or None when there is none to change. States change through the named transitions below."""
    with _locked(ws):
        record = _read(ws, job_id)
        if record is None:
            return None
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


# Who wakes the queue when a job leaves the way (stopped) or comes back (resumed): core.lab.jobs.queue registers
# itself on import. The store never imports the queue: it only says that a workspace's jobs changed.
_wakers: list[Callable[[Workspace], object]] = []


def on_change(waker: Callable[[Workspace], object]) -> None:
    """Call `waker(ws)` after a resume or stop changed which of the workspace's jobs may run next."""
    if waker not in _wakers:
        _wakers.append(waker)


def _changed(ws: Workspace) -> None:
    for waker in _wakers:
        waker(ws)


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
    def resumed(self) -> dict:
        """How it last went on from a checkpoint: {"auto": resumed by itself after its pool ended (else the
        student's click), "epoch", "step", "seen": where the checkpoint stood, "at": when}; {} if never."""
        return self._r.get("resumed") or {}

    @property
    def stop_requested(self) -> bool:
        return _control(self.ws, self.id) == "stop"

    def refresh(self) -> Job:
        record = _read(self.ws, self.id)
        if record:
            self._r = interrupt_if_lost(self.ws, record)
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
            "elapsed_s": elapsed, "error": self.error, "resumed": self.resumed,
        }

    # --- control: from any tab, any server; each is idempotent and decided under the workspace lock ----------

    def pause(self) -> None:
        """Ask the worker to checkpoint and free itself (kNN has no steps to pause between)."""
        self._r = pause(self.ws, self.id) or self._r

    def resume(self) -> None:
        """Queue a paused or interrupted job again; it goes on from its last checkpoint."""
        self._r = resume(self.ws, self.id) or self._r
        _changed(self.ws)

    def stop(self) -> None:
        """Stop and keep the model trained so far; a queued job just leaves the queue."""
        self._r = stop(self.ws, self.id) or self._r
        _changed(self.ws)

    def wait(self, timeout: float | None = None, poll: float = 0.1) -> bool:
        """Block until the job ends (tests, the command line; never the UI); True if it did in time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.refresh().done:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(poll)
        return True


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


# ---- transitions: the student's (pause, resume, stop) ------------------------------------------------------

def pause(ws: Workspace, job_id: str) -> dict | None:
    """running -> (the worker checkpoints) paused. Anything else, or a stop already asked for, is left as it is."""
    with _locked(ws):
        record = _read(ws, job_id)
        if record is None:
            return None
        if (record["state"] == "running" and TrainConfig.from_dict(record["config"]).family != "knn"
                and _control(ws, job_id) != "stop"):  # a stop asked for in another tab wins over a pause
            _set_control(ws, job_id, "pause")
        return record


def _checkpoint_at(ws: Workspace, record: dict) -> dict:
    """Where the job's checkpoint stands, for "resumed from epoch X": {"step", "seen", "epoch"} or {}."""
    position = checkpoint_position(ws.runs_dir / record["run"])
    if position is None:
        return {}
    epochs, total = record["config"].get("epochs") or 1, record.get("total") or 0
    epoch = position["seen"] * epochs / total if total else None
    return {"step": position["step"], "seen": position["seen"], "epoch": epoch}


def _resume(ws: Workspace, record: dict, auto: bool) -> dict:
    """paused | interrupted -> queued, going on from the checkpoint (lock held)."""
    record.update(state="queued", resume=True, dispatched=False, error=None, error_code=None, error_params=None,
                  resumed={**_checkpoint_at(ws, record), "auto": auto, "at": time.time()},
                  pool_losses=record.get("pool_losses", 0) if auto else 0)
    _write(_record_path(ws, record["id"]), record)
    return record


def resume(ws: Workspace, job_id: str) -> dict | None:
    """The student's resume: paused | interrupted -> queued. A job in any other state is left as it is (a second
    tab's click, or a click on a stale page, changes nothing). The caller wakes the queue."""
    with _locked(ws):
        record = _read(ws, job_id)
        if record is None or record["state"] not in RESUMABLE:
            return record
        return _resume(ws, record, auto=False)


def stop(ws: Workspace, job_id: str) -> dict | None:
    """Stop and keep: running -> (the worker ends it) stopped; queued -> stopped with no run; paused |
    interrupted -> stopped, its run closed at the checkpoint here. Ended jobs stay as they are."""
    with _locked(ws):
        record = _read(ws, job_id)
        if record is None:
            return None
        state = record["state"]
        if state == "running":
            _set_control(ws, job_id, "stop")
        elif state == "queued":
            _unqueue(record)
            record.update(state="stopped", ended=time.time(), dispatched=False)
            _write(_record_path(ws, job_id), record)
        elif state in RESUMABLE:  # nobody is training it: close the run at its checkpoint here
            _close_at_checkpoint(ws.runs_dir / record["run"], record)
            record.update(state="stopped", ended=time.time())
            _write(_record_path(ws, job_id), record)
        return record


def _close_at_checkpoint(run_dir: Path, record: dict) -> None:
    """A paused or interrupted run stopped for good: its events after the checkpoint go, a final event ends it."""
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


# ---- transitions: the worker's (take, finish, interrupt) --------------------------------------------------

_this_pool: str | None = None  # the worker pool this process belongs to (its workers inherit it)


def set_pool(name: str | None) -> None:
    """This process (and the worker processes it forks) trains for the pool `name` (pool_file's stem)."""
    global _this_pool
    _this_pool = name


def pool_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def take(ws: Workspace, job_id: str) -> dict | None:
    """queued -> running in this worker (None: it was stopped, removed or damaged while it waited)."""
    with _locked(ws):
        record = _read(ws, job_id)
        if record is None:
            return None
        _unqueue(record)
        if record["state"] != "queued":
            return None
        record.update(state="running", dispatched=False, started=record.get("started") or time.time(),
                      worker=worker_name(), pool=_this_pool)
        clear_control(ws, job_id)
        beat_path(ws, job_id).touch()
        _write(_record_path(ws, job_id), record)
        return record


def finish(ws: Workspace, job_id: str, state: str, **fields) -> dict | None:
    """running -> `state` (paused, or how it ended), by the worker that runs it; its control flag is cleared in
    the same step. A job no longer running in this worker (marked interrupted and resumed elsewhere, removed)
    is left alone."""
    with _locked(ws):
        record = _read(ws, job_id)
        if record is None or record["state"] != "running" or record.get("worker") != worker_name():
            return None
        record.update(state=state, ended=None if state in RESUMABLE else time.time(), resume=state == "paused",
                      **fields)
        if state in ENDED or state == "paused":
            record["pool_losses"] = 0
        clear_control(ws, job_id)
        _write(_record_path(ws, job_id), record)
        return record


def _interrupted(record: dict, with_pool: bool) -> dict:
    """The fields of an interrupted job: a lost worker waits for the student; a pool's end resumes by itself,
    unless it was the MAX_POOL_LOSSES-th in a row."""
    if not with_pool:
        return {"state": "interrupted", "error": "its worker process stopped (killed or crashed)",
                "error_code": "worker_lost", "error_params": None}
    losses = (record.get("pool_losses") or 0) + 1
    if losses >= MAX_POOL_LOSSES:
        return {"state": "interrupted", "pool_losses": losses, "error_code": "pool_lost_repeatedly",
                "error": f"its worker pool ended while training it {losses} times in a row; it waits for you "
                         "to resume it", "error_params": {"times": losses}}
    return {"state": "interrupted", "pool_losses": losses, "error_code": "pool_ended", "error_params": None,
            "error": "its worker pool stopped; it goes on by itself from its last checkpoint when a pool runs again"}


def interrupt(ws: Workspace, job_id: str) -> dict | None:
    """running -> interrupted, by the worker itself when its pool stops under it (SIGTERM)."""
    with _locked(ws):
        record = _read(ws, job_id)
        if record is None or record["state"] != "running" or record.get("worker") != worker_name():
            return None
        record.update(_interrupted(record, with_pool=True))
        clear_control(ws, job_id)
        _write(_record_path(ws, job_id), record)
        return record


def _pool_alive(name: str | None) -> bool:
    """Whether the pool `name` still beats (a pool on this machine whose process is gone is dead at once)."""
    if not name:
        return False
    info = _read_json(settings.home() / "workers" / f"{name}.json")
    if not isinstance(info, dict) or not _number(info.get("time")):
        return False
    if _gone_here(f"{info.get('host')}-{info.get('pid')}", "-"):
        return False
    return time.time() - info["time"] < 3 * POOL_BEAT_S


def _gone_here(who: str | None, sep: str) -> bool:
    """Whether `who` ("host<sep>pid") ran on this machine and its process exists no more."""
    host, _, pid = (who or "").rpartition(sep)
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # someone else's process: it exists
        return False
    return False


def interrupt_if_lost(ws: Workspace, record: dict) -> dict:
    """running -> interrupted when its beat is older than STALE_AFTER_S: its worker died. If its whole pool is
    gone too, the job resumes by itself when a pool runs again (resume_lost); a pool and worker of this machine
    whose processes are gone are known dead at once. Returns the record as it is now."""
    if record.get("state") != "running":
        return record
    try:
        last = beat_path(ws, record["id"]).stat().st_mtime
    except OSError:
        last = record.get("started") or record.get("created", 0.0)
    age = time.time() - last
    # A beat younger than two beats means someone trains it, whatever the process table of this machine says
    # (a container may share the host name but not the process ids).
    if age < STALE_AFTER_S and not (age > 2 * BEAT_EVERY_S and _gone_here(record.get("worker"), ":")
                                    and not _pool_alive(record.get("pool"))):
        return record
    with _locked(ws):
        fresh = _read(ws, record["id"])
        if fresh is None:
            return record
        if fresh["state"] == "running":
            fresh.update(_interrupted(fresh, with_pool=not _pool_alive(fresh.get("pool"))))
            _write(_record_path(ws, record["id"]), fresh)
            log.info("job %s of workspace %s: %s", fresh["id"], ws.id, fresh["error"])
    return fresh


def sweep_interrupted() -> int:
    """Mark every running job whose worker stopped beating as interrupted, in every workspace (worker pools
    call this every few seconds, so a killed worker's job is marked even when no page is open)."""
    from core.lab.workspaces import all_workspaces

    marked = 0
    for ws in all_workspaces():
        for record in _records(ws):
            if record["state"] == "running" and interrupt_if_lost(ws, record)["state"] == "interrupted":
                marked += 1
    return marked


def resume_lost() -> list[Workspace]:
    """interrupted by its pool's end -> queued, for every such job in every workspace, in the order they were
    queued before; returns their workspaces in that order (the queue wakes each)."""
    from core.lab.workspaces import all_workspaces

    lost = [(record.get("ticket") or "", record.get("started") or 0.0, ws, record["id"])
            for ws in all_workspaces() for record in _records(ws)
            if record["state"] == "interrupted" and record.get("error_code") == "pool_ended"]
    woken = []
    for _ticket, _started, ws, job_id in sorted(lost, key=lambda item: item[:2]):
        with _locked(ws):
            record = _read(ws, job_id)
            if record is None or record["state"] != "interrupted" or record.get("error_code") != "pool_ended":
                continue
            _resume(ws, record, auto=True)
        log.info("job %s of workspace %s resumes by itself from its last checkpoint", job_id, ws.id)
        woken.append(ws)
    return woken


# ---- transitions: submitting and dispatching --------------------------------------------------------------

def _taken_names(ws: Workspace, records: list[dict]) -> set[str]:
    names = {r.get("run") for r in records}
    if ws.runs_dir.is_dir():
        names |= {d.name for d in ws.runs_dir.iterdir()}
    if ws.jobs_dir.is_dir():  # a damaged record's run folder is still its own
        names |= {p.stem for p in ws.jobs_dir.glob("*.json")}
    return names


def epochs_total(config: TrainConfig, n_train: int | None) -> int:
    """The images a job sees in all (its progress bar's end)."""
    n = config.train_subset or n_train or 0
    return n * (1 if config.family == "knn" else config.epochs)


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


SAME_CLICK_S = 5.0  # the same jobs asked for again within this many seconds are one click, not two


def _click_key(asked: object) -> str:
    """What a click asked for (JSON-able): the same request makes the same key."""
    return hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()[:16]


def _same_click(ws: Workspace, records: list[dict], click: str) -> list[Job]:
    """The jobs a click asking for the same thing made in the last SAME_CLICK_S seconds (a double click, or a
    second tab clicking too): returned instead of new ones, so one click makes one set of jobs (lock held)."""
    same = [r for r in records if r.get("click") == click and time.time() - r["created"] < SAME_CLICK_S]
    return [Job(ws, r) for r in sorted(same, key=lambda r: r["created"])]


def add(ws: Workspace, items: list[tuple[TrainConfig, str | None]], n_train: int | None = None,
        continue_of: str | None = None, more_epochs: int | None = None) -> list[Job]:
    """New queued jobs (all of them, or none with JobError("queue_full")); see core.lab.jobs.queue.submit_many,
    which also puts the first on the queue."""
    configs = [config.validated() for config, _ in items]  # ConfigError before anything is written
    click = _click_key([[c.to_dict() for c in configs], [name for _, name in items], continue_of, more_epochs])
    with _locked(ws):
        records = _records(ws)
        same = _same_click(ws, records, click)
        if same:
            return same
        _check_room(ws, records, len(items))
        taken = _taken_names(ws, records)
        return [_new_job(ws, taken, name or config.arch, config, continue_of=continue_of, more_epochs=more_epochs,
                         total=epochs_total(config, n_train), click=click)
                for config, (_, name) in zip(configs, items, strict=True)]


def add_fine_tune(ws: Workspace, finetune: dict, config: TrainConfig, name: str) -> Job:
    """A new queued fine-tuning job; see core.lab.jobs.queue.submit_fine_tune."""
    click = _click_key(["finetune", finetune])
    with _locked(ws):
        records = _records(ws)
        same = _same_click(ws, records, click)
        if same:
            return same[0]
        _check_room(ws, records, 1)
        return _new_job(ws, _taken_names(ws, records), name, config, kind="finetune", queue="cpu",
                        finetune=finetune, click=click)


def dispatch_next(ws: Workspace) -> dict | None:
    """The workspace's next waiting job -> dispatched (a ticket in its device's queue), if none of its jobs is
    on the queue or running; returns its record for the queue to send, or None."""
    with _locked(ws):
        records = _records(ws)
        if any(r["state"] == "running" or (r["state"] == "queued" and r.get("dispatched")) for r in records):
            return None
        waiting = [r for r in records if r["state"] == "queued"]
        if not waiting:
            return None
        record = waiting[0]
        ticket = queue_dir(record["queue"]) / f"{time.time_ns():020d}-{ws.id}-{record['id']}"
        ticket.parent.mkdir(parents=True, exist_ok=True)
        ticket.touch()
        record.update(dispatched=True, ticket=ticket.name)
        _write(_record_path(ws, record["id"]), record)
        return record


def fail_dispatch(ws: Workspace, job_id: str, exc: BaseException) -> None:
    """dispatched -> failed: the queue itself could not be reached (Redis down); said on the job."""
    with _locked(ws):
        record = _read(ws, job_id)
        if record is None or record["state"] != "queued":
            return
        _unqueue(record)
        record.update(state="failed", error=f"the job queue cannot be reached: {exc}", error_code="queue_down",
                      dispatched=False)
        _write(_record_path(ws, job_id), record)


def _unqueue(record: dict) -> None:
    if record.get("ticket"):
        (queue_dir(record["queue"]) / record["ticket"]).unlink(missing_ok=True)


def queue_position(job: Job) -> int:
    """1 = next to start. Jobs queued before it on its device's queue, plus its own workspace's waiting jobs."""
    tickets = sorted(os.listdir(queue_dir(job._r["queue"]))) if queue_dir(job._r["queue"]).is_dir() else []
    if job._r.get("dispatched") and job._r.get("ticket") in tickets:
        return tickets.index(job._r["ticket"]) + 1
    ahead = [r for r in _records(job.ws) if r["state"] == "queued" and r.get("created", 0) < job.created]
    return len(tickets) + len([r for r in ahead if not r.get("dispatched")]) + 1


def queue_ahead(job: Job) -> dict:
    """Who is before a waiting job: {"mine": names of its own workspace's jobs (running first, then the waiting
    ones in queue order), "others": jobs of other workspaces queued before it on its device's queue}."""
    folder = queue_dir(job._r["queue"])
    tickets = sorted(os.listdir(folder)) if folder.is_dir() else []
    records = _records(job.ws)
    mine = [r["name"] for r in records if r["state"] == "running"]
    mine += [r["name"] for r in records if r["state"] == "queued" and r["id"] != job.id
             and (bool(r.get("dispatched")), -r["created"]) > (bool(job._r.get("dispatched")), -job.created)]
    if job._r.get("dispatched") and job._r.get("ticket") in tickets:
        before = tickets[:tickets.index(job._r["ticket"])]
    else:
        before = tickets
    others = sum(1 for ticket in before if f"-{job.ws.id}-" not in ticket)
    return {"mine": mine, "others": others}


# ---- runs renamed or deleted --------------------------------------------------------------------------------

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


# ---- reading: never queues anything ---------------------------------------------------------------------------

def list_jobs(ws: Workspace) -> list[Job]:
    """The workspace's jobs, newest first (damaged records left out: see `damaged`); running jobs whose worker
    died are marked interrupted on the way."""
    return [Job(ws, interrupt_if_lost(ws, r)) for r in reversed(_records(ws))]


def get(ws: Workspace, job_id: str) -> Job | None:
    """One job, or None when there is no such job or its record is damaged."""
    if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
        return None
    record = _read(ws, job_id)
    return Job(ws, interrupt_if_lost(ws, record)) if record else None


# ---- worker pools -----------------------------------------------------------------------------------------

def pool_file(name: str | None = None) -> Path:
    return settings.home() / "workers" / f"{name or pool_name()}.json"


def pools(queue: str | None = None) -> list[dict]:
    """Worker pools that beat recently (on any machine sharing MNIST_LAB_HOME), optionally for one queue."""
    folder = settings.home() / "workers"
    if not folder.is_dir():
        return []
    alive = []
    for path in folder.glob("*.json"):
        info = _read_json(path)
        if (isinstance(info, dict) and _number(info.get("time")) and time.time() - info["time"] < 3 * POOL_BEAT_S
                and queue in (None, info.get("queue"))):
            alive.append(info)
    return alive
