"""Run folders on disk: whole saves (written aside, synced, renamed in), recovery after a killed save, opening
a folder (settings and history now, weights when first used, through a small per-process cache), listing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path

from core.lab.runfiles.format import (
    FILES,
    MAX_HEADER_BYTES,
    RunError,
    check_ours,
    check_size,
    config_from_json,
    files_of,
    history_from_jsonl,
    model_from_bytes,
    run_from_files,
    weights_metadata,
)
from core.learn.history import History
from core.learn.run import Run

MAX_NAME = 64  # characters kept by safe_name


def write_file(path: Path, blob: bytes) -> None:
    """Whole or not at all: written aside, then renamed, so a reader never loads half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, path)


class HistoryTail:
    """metrics.jsonl read incrementally: each call parses only the complete lines added since the last one.

    A file that shrank or was replaced (a resumed job drops the events after its checkpoint) is read again
    from the start.
    """

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.events, self.inode = Path(path), 0, [], None

    def read(self) -> list[dict]:
        try:
            stat = self.path.stat()
        except OSError:
            return self.events
        size = stat.st_size
        if size < self.offset or stat.st_ino != self.inode:  # cut short, or replaced (rewritten aside, renamed)
            self.offset, self.events, self.inode = 0, [], stat.st_ino
        if size == self.offset:
            return self.events
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            chunk = f.read(size - self.offset)
        end = chunk.rfind(b"\n") + 1  # only whole lines: the writer may be in the middle of one
        for line in chunk[:end].splitlines():
            if line.strip():
                try:
                    self.events.append(json.loads(line))
                except ValueError:  # a damaged line is skipped, not fatal for a page
                    continue
        self.offset += end
        return self.events


def _sync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # a system without directory handles (Windows): the renames are still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _aside(folder: Path, tag: str) -> Path:
    """A hidden sibling of `folder` for a save in progress (tag "saving") or the run it replaces ("old")."""
    return folder.with_name(f".{folder.name}.{os.getpid()}-{time.monotonic_ns()}.{tag}")


def save_run(run: Run, folder: str | Path) -> Path:
    """Write the run as a whole: into a hidden folder beside `folder`, synced, then renamed into place.

    Overwriting moves the old run aside first and removes it only once the new one is in place, so a kill
    at any moment leaves the old run or the new one (recover() puts an old run back if it was moved aside
    and the new one never arrived), never files of both.
    """
    def write(tmp: Path) -> None:
        for fname, blob in files_of(run).items():
            (tmp / fname).write_bytes(blob)

    return save_whole(folder, write)


def save_whole(folder: str | Path, write: Callable[[Path], None]) -> Path:
    """save_run's whole-or-nothing save for any writer: `write(tmp)` fills the hidden folder `tmp` (an exception
    leaves nothing behind), which is then synced and renamed into `folder`."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    recover(folder.parent, only=folder.name)
    tmp = _aside(folder, "saving")
    tmp.mkdir()
    try:
        write(tmp)
        for f in tmp.iterdir():
            with open(f, "rb+") as synced:
                os.fsync(synced.fileno())
        _sync_dir(tmp)
        if folder.exists():
            old = _aside(folder, "old")
            os.rename(folder, old)
            os.rename(tmp, folder)
            _sync_dir(folder.parent)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _sync_dir(folder.parent)
    return folder


_ASIDE = re.compile(r"^\.(?P<name>.+)\.\d+-\d+\.(?P<tag>saving|old)$")


def recover(root: str | Path, grace: float = 60.0, only: str | None = None) -> None:
    """Finish what a killed save left under `root`: an old run moved aside with no new one in its place goes
    back; leftovers (a half-written new run, an old run already replaced) are removed. Folders younger than
    `grace` seconds are left alone: another process may be saving them right now."""
    root = Path(root)
    try:
        entries = list(root.iterdir())
    except OSError:
        return
    now = time.time()
    for entry in entries:
        match = _ASIDE.match(entry.name)
        if not match or (only is not None and match["name"] != only):
            continue
        try:
            if now - entry.stat().st_ctime < grace:
                continue
            target = root / match["name"]
            if match["tag"] == "old" and not target.exists():
                os.rename(entry, target)
            else:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:  # another process got there first
            continue


def _read_files(folder: Path, names: Iterable[str]) -> dict[str, bytes]:
    """The run files of `folder` among `names` that exist, each checked against its limit before it is read."""
    if not folder.is_dir():
        raise RunError(f"no run at {folder} (not a folder)", "no_run", folder=str(folder))
    try:
        files = {}
        for fname in names:
            if (folder / fname).is_file():
                check_size(fname, (folder / fname).stat().st_size)
                files[fname] = (folder / fname).read_bytes()
    except OSError as exc:
        raise RunError(f"cannot read the run at {folder}: {exc.strerror or exc}", "no_run",
                       folder=str(folder)) from None
    return files


def load_run(folder: str | Path) -> Run:
    """A run folder, weights and all, validated throughout."""
    folder = Path(folder)
    return run_from_files(folder.name, _read_files(folder, FILES), origin="disk")


class DiskRun(Run):
    """A run on disk whose weights load when a page first uses them (open_run), through a small cache shared
    by the process: listing a folder of runs reads only their settings and histories."""

    def __init__(self, folder: Path, **fields) -> None:
        self.folder = folder
        super().__init__(model=None, **fields)

    @property
    def model(self):
        key = (*self.version, self.config)
        if key not in _weights:
            blob = _read_files(self.folder, ["model.safetensors"]).get("model.safetensors")
            if blob is None:  # removed since it was listed (another tab deleted the run)
                raise RunError(f"no run at {self.folder} any more", "no_run", folder=str(self.folder))
            _weights[key] = model_from_bytes(self.config, blob)
            while len(_weights) > WEIGHTS_CACHED:
                _weights.popitem(last=False)
        _weights.move_to_end(key)
        return _weights[key]

    @model.setter
    def model(self, value) -> None:  # Run's __init__ sets it; the weights on disk are the model
        if value is not None:
            raise AttributeError("a DiskRun's model is its weights file")

    @property
    def version(self) -> tuple:
        path = self.folder / "model.safetensors"
        try:
            return (str(path), path.stat().st_mtime_ns)
        except OSError:  # removed since it was listed: loading it says so
            return (str(path), None)

    @property
    def diverged(self) -> bool:
        """As Run.diverged, without loading weights only to check them: a run that ended diverged says so in
        its history; the weights themselves are checked once something has loaded them."""
        if self.status == "diverged":
            return True
        return (*self.version, self.config) in _weights and super().diverged


WEIGHTS_CACHED = 8  # models kept loaded per process (a pixel kNN is about 190 MB once loaded)
_weights: OrderedDict = OrderedDict()


def open_run(folder: str | Path, origin: str = "disk") -> Run:
    """A run folder with its settings and history read now and its weights when first used. The weights file's
    header is checked now (ours, this architecture, within the limits), so a listed run loads."""
    folder = Path(folder)
    files = _read_files(folder, ("config.json",))
    missing = [f for f in FILES if f not in files and not (folder / f).is_file()]
    if missing:
        raise RunError(f"not an MNIST Lab run: {', '.join(missing)} missing", "missing_files", files=", ".join(missing))
    config = config_from_json(files["config.json"])
    weights = folder / "model.safetensors"
    try:
        check_size("metrics.jsonl", (folder / "metrics.jsonl").stat().st_size)
        with open(folder / "metrics.jsonl", "rb") as lines:  # parsed as it is read: the history costs its table
            history = history_from_jsonl(lines)
        size = weights.stat().st_size
        check_size("model.safetensors", size)
        with open(weights, "rb") as f:
            head = f.read(8)
            (header,) = struct.unpack("<Q", head) if len(head) == 8 else (0,)
            blob = head + f.read(min(header, MAX_HEADER_BYTES + 1))
    except OSError as exc:
        raise RunError(f"cannot read the run at {folder}: {exc.strerror or exc}", "no_run",
                       folder=str(folder)) from None
    check_ours(config, weights_metadata(blob, data_bytes=size - len(blob)))
    return DiskRun(folder, name=folder.name, config=config, history=history, origin=origin)


LISTED_BYTES = 64 * 1024 * 1024  # listed runs (settings and compact histories) kept per process: about 7 worst ones
_listed: OrderedDict[tuple[str, str], tuple[tuple, Run, int]] = OrderedDict()
_listed_bytes = 0
_listed_lock = threading.Lock()


def _stamp(folder: Path) -> tuple:
    return tuple((folder / f).stat().st_mtime_ns for f in FILES)


def run_nbytes(run: Run) -> int:
    """About what a listed run holds: its compact history, or ~600 bytes per event of a plain list."""
    history = run.history
    return 4096 + (history.nbytes() if isinstance(history, History) else 600 * len(history))


def listed_run(folder: str | Path, origin: str = "disk") -> Run:
    """open_run through a per-process cache bounded in bytes (LISTED_BYTES), not in entries: a page listing a
    class's runs reads each folder once per version of its files, and the oldest-used leave first. OSError
    when the folder vanished, RunError when it is not a valid run."""
    global _listed_bytes
    folder = Path(folder)
    key, stamp = (str(folder), origin), _stamp(folder)
    with _listed_lock:
        hit = _listed.get(key)
        if hit is not None and hit[0] == stamp:
            _listed.move_to_end(key)
            return hit[1]
    run = open_run(folder, origin)
    size = run_nbytes(run)
    with _listed_lock:
        old = _listed.pop(key, None)
        _listed_bytes -= old[2] if old else 0
        _listed[key] = (stamp, run, size)
        _listed_bytes += size
        while _listed_bytes > LISTED_BYTES and len(_listed) > 1:
            _, (_, _, gone) = _listed.popitem(last=False)
            _listed_bytes -= gone
    return run


def safe_name(name: str) -> str:
    """A name usable as a folder: letters (any script), digits, dot, dash, underscore; at most 64 characters."""
    cleaned = re.sub(r"[^\w.-]+", "-", str(name).strip()).strip("-.")
    return cleaned[:MAX_NAME].strip("-.") or "run"


def unique_name(taken, base: str) -> str:
    """`base`, or `base-2`, `base-3`, ... whichever is not in `taken` (any container of names)."""
    if base not in taken:
        return base
    i = 2
    while f"{base}-{i}" in taken:
        i += 1
    return f"{base}-{i}"


def list_run_dirs(root: str | Path) -> list[Path]:
    """Folders under `root` that look like runs (all three files present), newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    recover(root)
    dirs = [d for d in root.iterdir()
            if not d.name.startswith(".") and d.is_dir() and all((d / f).is_file() for f in FILES)]

    def mtime(d: Path) -> float:
        try:
            return d.stat().st_mtime
        except OSError:  # removed while we looked
            return 0.0

    return sorted(dirs, key=mtime, reverse=True)
