"""Training jobs on background threads, a server-wide limit on concurrent jobs and a FIFO queue.

A job runs `training.train(...)` on a daemon thread and appends every event (without the model)
to a lock-guarded, append-only history. The Streamlit Train page polls `Job.latest()` and
`Job.history(since)` from a fragment; nothing here ever blocks the poller or calls Streamlit.
Jobs whose owner (a browser session) is gone are stopped by a reaper thread, so the server never
keeps training for nobody.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable

import torch

from core import training
from core.config import TrainConfig
from core.data import MNIST
from core.runs import Run, history_entry

STATES = ("queued", "running", "paused", "finished", "stopped", "diverged", "failed")
ENDED = frozenset({"finished", "stopped", "diverged", "failed"})
# train()'s final status -> the job's state ("target" is a normal, successful end).
FINAL_STATE = {"finished": "finished", "target": "finished", "stopped": "stopped", "diverged": "diverged"}
MAX_JOBS_ENV = "MNIST_LAB_MAX_JOBS"


def default_max_jobs() -> int:
    """MNIST_LAB_MAX_JOBS if set, else one job per CPU core.

    Measured on 2 cores (benchmarks/load.py): a job on a background thread trains the MLPs about 2x
    faster with one intra-op thread than with two (tiny matrix products do not pay for the thread
    hand-offs), so one single-threaded job per core serves a class best.
    """
    raw = os.environ.get(MAX_JOBS_ENV)
    if raw is None or raw.strip() == "":
        return max(1, os.cpu_count() or 1)
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError(f"{MAX_JOBS_ENV} must be a whole number of jobs >= 1, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"{MAX_JOBS_ENV} must be at least 1 (jobs that may train at once), got {raw!r}")
    return value


def _one_line(exc: BaseException) -> str:
    """`Type: message` on one line, for a status line in the UI."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _train_size(config: TrainConfig, data: MNIST | None) -> int:
    """Training images one epoch sees (what train() itself uses), 0 if the data is unusable."""
    try:
        n = len(data.train_labels)  # type: ignore[union-attr]
    except Exception:  # bad data fails in the thread with a proper message, not here
        return 0
    return min(config.train_subset, n) if config.train_subset else n


class Job:
    """One training run on a background thread; created by `JobManager.submit`."""

    def __init__(self, manager: JobManager, job_id: str, name: str, owner: str, config: TrainConfig,
                 data: MNIST, alive: Callable[[], bool] | None):
        self.id = job_id
        self.name = name
        self.owner = owner
        self.config = config
        self.created = time.time()
        self.alive = alive
        self._manager = manager
        self._data = data
        self._lock = threading.Lock()
        self._history: list[dict] = []  # append-only; readers copy under the lock
        self._stop = threading.Event()  # handed to train(), which checks it before every step
        self._gate = threading.Event()  # set = may run; cleared while paused
        self._gate.set()
        self._done = threading.Event()
        self._state = "queued"
        self._stop_requested = False
        self._result: Run | None = None
        self._error: str | None = None
        # progress, updated per event so latest() never scans the history
        self._per_epoch = _train_size(config, data)
        self._total = self._per_epoch * (1 if config.family == "knn" else config.epochs)
        self._seen = 0
        self._epoch = 0.0
        self._loss: float | None = None
        self._test_acc: float | None = None
        # clocks (monotonic): paused time is kept apart so the ETA only counts training time
        self._started: float | None = None
        self._ended: float | None = None
        self._paused_total = 0.0
        self._paused_at: float | None = None

    def __repr__(self) -> str:
        return f"Job(id={self.id!r}, name={self.name!r}, state={self.state!r})"

    @property
    def state(self) -> str:
        """queued | running | paused | finished | stopped | diverged | failed."""
        with self._lock:
            return self._state

    @property
    def done(self) -> bool:
        """True once the job has ended, whichever way."""
        return self.state in ENDED

    @property
    def result(self) -> Run | None:
        """The run built from the final event (finished, stopped, diverged); None otherwise."""
        with self._lock:
            return self._result

    @property
    def error(self) -> str | None:
        """One-line message if the thread raised (state "failed")."""
        with self._lock:
            return self._error

    def history(self, since: int = 0) -> list[dict]:
        """A copy of the recorded events from index `since` on (the dicts themselves are shared, never mutated)."""
        with self._lock:
            return self._history[max(0, since):]

    def latest(self) -> dict:
        """A cheap summary for a progress bar (see the keys below)."""
        position = self._manager._queue_position(self)  # manager lock first, never inside the job lock
        with self._lock:
            now = time.monotonic()
            end = self._ended if self._ended is not None else now
            elapsed = 0.0 if self._started is None else end - self._started
            paused = self._paused_total + (now - self._paused_at if self._paused_at is not None else 0.0)
            active = max(elapsed - paused, 0.0)
            rate = self._seen / active if self._seen and active > 0 else None
            if self._state in ENDED:
                eta = 0.0
            elif rate and self._total:
                eta = max(self._total - self._seen, 0) / rate
            else:
                eta = None
            return {
                "state": self._state,
                "seen": self._seen,
                "total": self._total,
                "fraction": min(1.0, self._seen / self._total) if self._total else 0.0,
                "epoch": self._epoch,
                "images_per_s": rate,  # average over unpaused time, evaluations included (what the ETA uses)
                "eta_s": eta,
                "test_acc": self._test_acc,
                "loss": self._loss,
                "queue_position": position,
                "elapsed_s": elapsed,  # wall time since the job started, pauses included
                "error": self._error,
            }

    def pause(self) -> None:
        """Hold the thread before its next step (no-op unless running)."""
        with self._lock:
            if self._state != "running" or self._stop_requested:
                return
            self._state = "paused"
            self._paused_at = time.monotonic()
            self._gate.clear()

    def resume(self) -> None:
        """Let a paused job go on (no-op otherwise)."""
        with self._lock:
            self._unpause()

    def _unpause(self) -> None:  # caller holds self._lock
        if self._state == "paused":
            self._state = "running"
            self._paused_total += time.monotonic() - (self._paused_at or time.monotonic())
            self._paused_at = None
        self._gate.set()

    def stop(self) -> None:
        """Stop the job, keeping the model trained so far; a queued job just leaves the queue."""
        with self._lock:
            if self._state in ENDED or self._stop_requested:
                return
            self._stop_requested = True
        if self._manager._unqueue(self):
            with self._lock:
                self._state = "stopped"
                self._started = self._ended = time.monotonic()
            self._done.set()
            return
        self._stop.set()  # train() yields a full evaluation and a "stopped" final at its next step
        with self._lock:
            self._unpause()  # a paused thread must wake up to see the stop

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (not for the UI); True if it did within `timeout`."""
        return self._done.wait(timeout)

    @property
    def stop_requested(self) -> bool:
        """True once stop() was called (the job may still be finishing its evaluation)."""
        with self._lock:
            return self._stop_requested

    # --- the thread -----------------------------------------------------------------------------

    def _start(self, threads: int) -> None:
        """Called by the manager when a slot is free (holding the manager lock)."""
        with self._lock:
            self._state = "running"
            self._started = time.monotonic()
        thread = threading.Thread(target=self._run, args=(threads,), name=f"mnist-job-{self.id}", daemon=True)
        thread.start()

    def _fail_now(self, message: str) -> None:
        """End a job that never got a thread (e.g. its config is invalid)."""
        with self._lock:
            self._state, self._error = "failed", message
            self._started = self._ended = time.monotonic()
        self._done.set()

    def _run(self, threads: int) -> None:
        try:
            # Intra-op threads for this job, so N concurrent jobs share the cores instead of fighting.
            torch.set_num_threads(threads)
            events = training.train(self.config, self._data, stop=self._stop)
            try:
                final = None
                while final is None:
                    self._gate.wait()  # paused: the generator simply is not advanced
                    event = next(events, None)
                    if event is None:
                        raise RuntimeError("training ended without a final event")
                    self._record(event)
                    if event.get("kind") == "final":
                        final = event
            finally:
                events.close()
            # No model: a kNN stopped during its neighbour search has nothing to keep (see training._train_knn).
            run = None if final["model"] is None else \
                Run(name=self.name, config=self.config, model=final["model"], history=self.history())
            state = FINAL_STATE.get(final.get("status"), "finished")
            with self._lock:
                self._result, self._state = run, state
        except Exception as exc:  # anything: the poller must only ever see a state and a message
            with self._lock:
                self._state, self._error = "failed", _one_line(exc)
        finally:
            with self._lock:
                self._ended = time.monotonic()
                if self._paused_at is not None:  # cannot normally happen; keeps the clocks sane
                    self._paused_total += self._ended - self._paused_at
                    self._paused_at = None
            self._data = None  # type: ignore[assignment]  # the job no longer needs the dataset
            self._manager._release(self)  # start the next queued job before waiters wake up
            self._done.set()

    def _record(self, event: dict) -> None:
        entry = history_entry(event)
        kind = entry.get("kind")
        with self._lock:
            self._history.append(entry)
            if "seen" in entry:
                self._seen = entry["seen"]
            if "epoch" in entry:
                self._epoch = entry["epoch"]
            if kind == "step":
                self._loss = entry["loss"]
            if kind in ("eval", "final") and entry.get("test_acc") is not None:
                self._test_acc = entry["test_acc"]


class JobManager:
    """Runs at most `max_jobs` jobs at once; the rest wait in a FIFO queue."""

    def __init__(self, max_jobs: int | None = None, reap_interval: float = 2.0):
        self.max_jobs = default_max_jobs() if max_jobs is None else int(max_jobs)
        if self.max_jobs < 1:
            raise ValueError(f"max_jobs must be at least 1, got {max_jobs}")
        self.reap_interval = reap_interval  # seconds between reaper passes; <= 0 turns the reaper off
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}  # insertion order = submission order
        self._queue: deque[Job] = deque()
        self._running: set[str] = set()
        self._reaper: threading.Thread | None = None
        self._closed = threading.Event()

    def submit(self, config: TrainConfig, data: MNIST, owner: str = "", name: str | None = None,
               alive: Callable[[], bool] | None = None) -> Job:
        """A new job: started now if a slot is free, else queued (FIFO). Never raises for a bad config."""
        with self._lock:
            job_id = secrets.token_hex(4)
            while job_id in self._jobs:
                job_id = secrets.token_hex(4)
            job = Job(self, job_id, name or f"{config.arch} {job_id}", owner, config, data, alive)
            self._jobs[job_id] = job
        try:
            config.validated()  # a bad config fails at once, without taking a slot or a place in the queue
        except Exception as exc:
            job._fail_now(_one_line(exc))
            return job
        with self._lock:
            self._queue.append(job)
            self._dispatch()
        self._ensure_reaper()
        return job

    def jobs(self, owner: str | None = None) -> list[Job]:
        """All known jobs (or one owner's), newest first."""
        with self._lock:
            jobs = list(self._jobs.values())
        return [j for j in reversed(jobs) if owner is None or j.owner == owner]

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def queue(self) -> list[Job]:
        """Waiting jobs, next to start first."""
        with self._lock:
            return list(self._queue)

    def running(self) -> list[Job]:
        """Jobs holding a slot (running or paused)."""
        with self._lock:
            return [self._jobs[i] for i in self._running if i in self._jobs]

    def stop_owner(self, owner: str) -> None:
        """Stop every unfinished job of one owner (e.g. a session that ended)."""
        for job in self.jobs(owner):
            job.stop()

    def reap(self) -> int:
        """Stop unfinished jobs whose owner is gone (alive() False or raising); drop their ended jobs."""
        stopped = 0
        for job in self.jobs():
            if job.alive is None:
                continue
            try:
                is_alive = bool(job.alive())
            except Exception:  # an owner check that breaks counts as an owner that is gone
                is_alive = False
            if is_alive:
                continue
            if job.done:
                self.forget(job.id)  # nobody is left to collect it: free its model and history
            elif not job.stop_requested:
                job.stop()
                stopped += 1
        return stopped

    def forget(self, job_id: str) -> None:
        """Drop an ended job from the list (unfinished jobs are left alone)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and job.done:
                del self._jobs[job_id]

    def shutdown(self) -> None:
        """Stop every job and the reaper (tests, process exit)."""
        self._closed.set()
        for job in self.jobs():
            job.stop()

    # --- internals ------------------------------------------------------------------------------

    def _threads_per_job(self) -> int:
        return max(1, (os.cpu_count() or 2) // self.max_jobs)

    def _dispatch(self) -> None:  # caller holds self._lock
        while self._queue and len(self._running) < self.max_jobs:
            job = self._queue.popleft()
            self._running.add(job.id)
            job._start(self._threads_per_job())

    def _release(self, job: Job) -> None:
        with self._lock:
            self._running.discard(job.id)
            self._dispatch()

    def _unqueue(self, job: Job) -> bool:
        """Take a job out of the queue; False if it already started (or never queued)."""
        with self._lock:
            try:
                self._queue.remove(job)
            except ValueError:
                return False
            return True

    def _queue_position(self, job: Job) -> int | None:
        with self._lock:
            for i, queued in enumerate(self._queue):
                if queued is job:
                    return i + 1
            return None

    def _ensure_reaper(self) -> None:
        if self.reap_interval <= 0 or self._closed.is_set():
            return
        with self._lock:
            if self._reaper is not None and self._reaper.is_alive():
                return
            # A weak reference: a manager nobody uses any more can be collected, and its reaper ends.
            self._reaper = threading.Thread(target=_reap_loop, args=(weakref.ref(self), self.reap_interval,
                                                                      self._closed), name="mnist-job-reaper",
                                            daemon=True)
            self._reaper.start()


def _reap_loop(ref: weakref.ref, interval: float, closed: threading.Event) -> None:
    while not closed.wait(interval):
        manager = ref()
        if manager is None:
            return
        try:
            manager.reap()
        except Exception:  # the reaper must outlive any one bad owner check
            pass
        del manager  # drop the strong reference while sleeping


_manager: JobManager | None = None
_manager_lock = threading.Lock()


def manager() -> JobManager:
    """The process-wide job manager, created on first use with default_max_jobs()."""
    global _manager
    with _manager_lock:
        if _manager is None:
            _manager = JobManager(default_max_jobs())
        return _manager
