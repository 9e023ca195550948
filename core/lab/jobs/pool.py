"""A pool of workers taking jobs from one device's queue: `python -m core worker` (or threads, in page tests).

The pool beats a file under MNIST_LAB_HOME/workers (pages check it before queueing) and, as it beats, marks the
jobs of workers that died (here or on another machine) as interrupted. When it starts, and as it beats, the
jobs that were interrupted because their pool ended go on by themselves from their last checkpoints.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from pathlib import Path

from core import settings
from core.errors import LabError
from core.lab.jobs import queue as job_queue
from core.lab.jobs import store
from core.lab.runfiles.folders import write_file

log = logging.getLogger(__name__)

# An idle SQLite worker polls the queue; Huey's default back-off reaches 10 s, too slow for a click.
POLL = {"initial_delay": 0.1, "backoff": 1.15, "max_delay": 0.5}


# Held by the beat thread while it works; Huey's fork of a worker process waits for it (os.register_at_fork in
# run_pool). A worker forked while the beat thread was half-way through a sweep inherited what that thread held at
# that instant (an import half done, safetensors opening the checkpoint of the job it was putting back) and hung
# for good when it needed the same: after `make run` restarted, the job the new pool resumed could stay "running"
# without a single step.
_beat_busy = threading.Lock()


def _beat_pool(path: Path, info: dict, stop: threading.Event) -> None:
    """Say the pool is alive, mark the jobs of workers that died, and put back the jobs of pools that ended."""
    while not stop.is_set():
        with _beat_busy:
            write_file(path, json.dumps({**info, "time": time.time()}).encode())
            try:
                store.sweep_interrupted()
                job_queue.resume_lost()
                if info["queue"] == "cpu":
                    job_queue.resend_scoring()  # challenge submissions made while the queue was down
            except OSError as exc:  # a workspace removed while we looked: the next sweep sees the rest
                log.info("pool sweep: %s", exc)
        stop.wait(store.POOL_BEAT_S)


def _fork_between_beats() -> None:
    """Huey forks the worker processes (at start, and again for one that died) only between two beats."""
    os.register_at_fork(before=_beat_busy.acquire, after_in_parent=_beat_busy.release,
                        after_in_child=_beat_busy.release)


def _announce(workers: int, queue: str, kind: str):
    """Start beating the pool's file (pages check it before queueing); returns the function that stops it."""
    name = store.pool_name()
    store.set_pool(name)  # the jobs this pool's workers take say so: a job whose pool is gone resumes elsewhere
    path = store.pool_file(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    info = {"host": socket.gethostname(), "pid": os.getpid(), "workers": workers, "queue": queue, "kind": kind,
            "started": time.time()}
    write_file(path, json.dumps({**info, "time": time.time()}).encode())
    if queue == "cpu":
        try:
            job_queue.resend_scoring(at_start=True)  # submissions that waited for a pool
        except Exception as exc:  # the queue unreachable (Redis down): the consumer says so; the beats try again
            log.warning("worker pool: waiting challenge submissions not re-sent: %s", exc)
    stop = threading.Event()
    threading.Thread(target=_beat_pool, args=(path, info, stop), daemon=True, name="pool-beat").start()

    def done() -> None:
        stop.set()
        path.unlink(missing_ok=True)
        store.set_pool(None)

    return done


def _warm_up() -> None:
    """Decode and normalise MNIST and run the small CNN once before the workers are forked: each worker's first
    job then starts warm (the first job after `make run` spent seconds here), and the workers share these
    tensors copy-on-write instead of holding one copy each. One thread, as every job uses: no OpenMP pool exists
    in this process before the fork."""
    import torch

    from core.lab.jobs.runner import dataset
    from core.learn.families.nets import build_model

    torch.set_num_threads(1)
    try:
        data = dataset()
    except LabError as exc:  # no MNIST here (yet): each job says so in its own words; the pool still serves
        log.warning("worker pool: MNIST not loaded ahead of the jobs: %s", exc)
        return
    for split in ("train", "test"):
        data.images(split), data.labels(split)
    build_model("cnn")(data.images("test")[:8]).sum().backward()


def run_pool(workers: int, queue: str = "cpu") -> None:
    """Process workers taking jobs from one device's queue until SIGINT/SIGTERM (python -m core worker).

    The pool runs at a lower CPU priority (MNIST_LAB_WORKER_NICE, 10 by default) than the web server, so pages and
    strokes stay quick while the class trains; its workers inherit it."""
    os.nice(settings.worker_nice())
    if queue == "cpu":
        _warm_up()
    consumer = job_queue.huey_for(queue).create_consumer(workers=workers, worker_type="process", periodic=False,
                                                          check_worker_health=True, health_check_interval=1,
                                                          **POLL)
    _fork_between_beats()
    done = _announce(workers, queue, "process")
    try:
        consumer.run()
    finally:
        done()


def serve_in_threads(workers: int = 1, queue: str = "cpu"):
    """Worker threads in this process (page tests, where a test must reach into the training); returns stop()."""
    consumer = job_queue.huey_for(queue).create_consumer(workers=workers, worker_type="thread", periodic=False,
                                                          **POLL)
    # Huey's start() takes over SIGTERM (a flag for its own run loop, which threads never enter), SIGINT and SIGHUP
    # for good. The host process keeps its own: a process it forks later must still die of SIGTERM (a
    # multiprocessing Pool's terminate() waited forever on such a child), and Ctrl-C must still stop it.
    signums = [s for s in (signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGHUP", None)) if s is not None]
    handlers = {s: signal.getsignal(s) for s in signums}
    consumer.start()
    for signum, handler in handlers.items():
        if handler is not None:  # None: set outside Python, which Python cannot put back
            signal.signal(signum, handler)
    done = _announce(workers, queue, "thread")

    def stop() -> None:
        done()
        consumer.stop(graceful=True)

    return stop
