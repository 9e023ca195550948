"""Every environment setting of MNIST Lab, read in one place (at call time, so tests and tools can set them).

| variable                        | default          | what                                                   |
| MNIST_DATA_DIR                  | unset            | folder with the four MNIST IDX files                   |
| MNIST_LAB_HOME                  | ./lab-data       | workspaces, the job queue's SQLite file, worker beats  |
| MNIST_LAB_QUEUE                 | unset            | redis://HOST:PORT/DB: the queue lives in Redis instead  |
| MNIST_LAB_WORKERS               | one per core     | process workers `make run` / `python -m core worker` start |
| MNIST_LAB_QUEUE_PER_WORKSPACE   | 3                | jobs one workspace may have waiting behind its running one |
| MNIST_LAB_KEEP_DAYS             | 30               | `python -m core workspaces prune` removes older ones |
| MNIST_LAB_RUNS_DIR              | runs             | the server's shared runs, read-only for every workspace |
| MNIST_LAB_CLASS_DIR             | class_test_set   | the class's own handwriting, saved from the Draw page  |
| MNIST_LAB_SUBSET                | unset            | TRAIN,TEST: use only the first images (tests, slow machines) |
| MNIST_LAB_WORKSPACE_MB          | 500              | disk one workspace may fill with runs (uploads, jobs)  |
| MNIST_LAB_SHARED_MB             | 2000             | disk the server's shared runs folder may fill          |
| MNIST_LAB_HOME_MB               | 20000            | disk all workspaces together may fill                  |
| MNIST_LAB_SAVES_PER_MINUTE      | 6                | runs a workspace may upload or share per minute       |
| MNIST_LAB_DRAWINGS_PER_MINUTE   | 30               | class-set drawings a workspace may add per minute     |
| MNIST_LAB_CLASS_MAX             | 2000             | drawings the class test set holds at most             |
| MNIST_LAB_CLASS_SAVES_PER_MINUTE    | 30           | runs all workspaces together may upload or share per minute |
| MNIST_LAB_CLASS_DRAWINGS_PER_MINUTE | 300          | class-set drawings all workspaces together may add per minute |
| MNIST_LAB_NEW_WORKSPACES_PER_MINUTE | 60           | new workspaces the server opens per minute            |
| MNIST_LAB_CLASS_SIZE            | 60               | students one class (core.lab.classes) may have        |
| MNIST_LAB_SUBMISSIONS           | 5                | submissions one student may make to one challenge     |
| MNIST_LAB_WORKER_NICE           | 10               | how much the worker pool yields the CPU to pages (0-19) |
"""

from __future__ import annotations

import os
from pathlib import Path

from core.errors import LabError

MAX_WORKERS = 256  # process workers in one pool: a typo such as 10**20 would otherwise fork until the machine stops


class SettingError(LabError):
    """An environment variable with a value MNIST Lab cannot use; the message names it."""


def _raw(name: str) -> str:
    return os.environ.get(name, "").strip()


def _whole(name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    raw = _raw(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, got {raw!r}", "setting_bad", name=name,
                           value=raw) from None
    if value < minimum:
        raise SettingError(f"{name} must be at least {minimum}, got {raw!r}", "setting_bad", name=name, value=raw)
    if maximum is not None and value > maximum:
        raise SettingError(f"{name} must be at most {maximum}, got {raw!r}", "setting_bad", name=name, value=raw)
    return value


def data_dir() -> str | None:
    return _raw("MNIST_DATA_DIR") or None


def home() -> Path:
    """The data folder: every workspace, the SQLite queue, the worker pools' heartbeats."""
    return Path(_raw("MNIST_LAB_HOME") or "lab-data").absolute()


def queue_url() -> str | None:
    """redis://... when the queue is shared by several machines, else None (SQLite in home())."""
    url = _raw("MNIST_LAB_QUEUE")
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingError(f"MNIST_LAB_QUEUE must be a redis:// URL, got {url!r}", "setting_bad",
                           name="MNIST_LAB_QUEUE", value=url)
    return url or None


def workers() -> int:
    """Process workers in a pool: one single-threaded worker per core (measured in benchmarks/load.py)."""
    return _whole("MNIST_LAB_WORKERS", max(1, os.cpu_count() or 1), 1, MAX_WORKERS)


def queue_per_workspace() -> int:
    return _whole("MNIST_LAB_QUEUE_PER_WORKSPACE", 3, 0)


def keep_days() -> int:
    return _whole("MNIST_LAB_KEEP_DAYS", 30, 1)


def runs_dir() -> Path:
    """The server's shared runs (`python -m core train --out runs/NAME` lands here)."""
    return Path(_raw("MNIST_LAB_RUNS_DIR") or "runs")


def class_dir() -> Path:
    return Path(_raw("MNIST_LAB_CLASS_DIR") or "class_test_set")


def workspace_bytes() -> int:
    return _whole("MNIST_LAB_WORKSPACE_MB", 500, 1) * 1024 * 1024


def home_bytes() -> int:
    return _whole("MNIST_LAB_HOME_MB", 20000, 1) * 1024 * 1024


def shared_bytes() -> int:
    return _whole("MNIST_LAB_SHARED_MB", 2000, 1) * 1024 * 1024


def saves_per_minute() -> int:
    return _whole("MNIST_LAB_SAVES_PER_MINUTE", 6, 1)


def drawings_per_minute() -> int:
    return _whole("MNIST_LAB_DRAWINGS_PER_MINUTE", 30, 1)


def class_saves_per_minute() -> int:
    """Uploads and shares of the whole server: each costs up to a second of CPU and 60 MB while it is checked."""
    return _whole("MNIST_LAB_CLASS_SAVES_PER_MINUTE", 30, 1)


def class_drawings_per_minute() -> int:
    return _whole("MNIST_LAB_CLASS_DRAWINGS_PER_MINUTE", 300, 1)


def new_workspaces_per_minute() -> int:
    """A class of 30 opening the app at once fits twice over; a script opening workspace after workspace does not."""
    return _whole("MNIST_LAB_NEW_WORKSPACES_PER_MINUTE", 60, 1)


def class_max() -> int:
    return _whole("MNIST_LAB_CLASS_MAX", 2000, 1)


def class_size() -> int:
    """Students one class may have (a teacher's page stays readable, a join code cannot fill the disk)."""
    return _whole("MNIST_LAB_CLASS_SIZE", 60, 1)


def submissions() -> int:
    """Submissions one student may make to one challenge (core.lab.challenges): a leaderboard, not a search."""
    return _whole("MNIST_LAB_SUBMISSIONS", 5, 1)


def worker_nice() -> int:
    """The worker pool's niceness: training yields the CPU to the web server, so a stroke is read at once while
    the class trains (0 = the same priority as the pages; 19 = only idle cycles)."""
    value = _whole("MNIST_LAB_WORKER_NICE", 10, 0)
    if value > 19:
        raise SettingError(f"MNIST_LAB_WORKER_NICE must be at most 19, got {value}", "setting_bad",
                           name="MNIST_LAB_WORKER_NICE", value=str(value))
    return value


def subset() -> tuple[int, int] | None:
    """MNIST_LAB_SUBSET="TRAIN,TEST": only the first images of each split, else None (all of them)."""
    raw = _raw("MNIST_LAB_SUBSET")
    if not raw:
        return None
    try:
        n_train, n_test = (int(v) for v in raw.split(","))
    except ValueError:
        raise SettingError(f"MNIST_LAB_SUBSET must be TRAIN,TEST (two whole numbers), got {raw!r}", "setting_bad",
                           name="MNIST_LAB_SUBSET", value=raw) from None
    if n_train < 1 or n_test < 1:
        raise SettingError(f"MNIST_LAB_SUBSET must name at least 1 image of each split, got {raw!r}",
                           "setting_bad", name="MNIST_LAB_SUBSET", value=raw)
    return n_train, n_test


def check_all() -> None:
    """Read every setting once, so a bad value stops the app or a worker at start (SettingError names it)."""
    for read in (data_dir, home, queue_url, workers, queue_per_workspace, keep_days, runs_dir, class_dir,
                 workspace_bytes, home_bytes, shared_bytes, saves_per_minute, drawings_per_minute, class_max,
                 class_size, submissions, subset, class_saves_per_minute, class_drawings_per_minute,
                 new_workspaces_per_minute, worker_nice):
        read()
