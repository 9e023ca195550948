"""What one workspace, and the whole class together, may take from a shared server: disk, and actions per minute.

The numbers are settings (core/settings.py). A limit reached raises LimitError, whose code and params let a
page say which limit it was and when to try again, in the reader's language.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from core import settings
from core.errors import LabError
from core.lab import workspaces
from core.lab.workspaces import Workspace

WINDOW = 60.0  # seconds: the "per minute" of every rate


class LimitError(LabError):
    """A limit reached; `code` names which (ws_disk_full, home_disk_full, shared_disk_full, too_fast,
    class_set_full, and the server-wide rates class_saves, class_drawings, class_workspaces)."""


def folder_bytes(folder: str | Path) -> int:
    """Bytes of every file under `folder` (0 if there is none); files vanishing while we count are skipped."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def check_disk(folder: str | Path, adding: int, limit: int, code: str) -> None:
    """Refuse to add `adding` bytes under `folder` when it would then hold more than `limit` bytes."""
    used = folder_bytes(folder)
    if used + adding > limit:
        raise LimitError(f"{folder} holds {_mb(used)}; adding {_mb(adding)} would pass its limit of {_mb(limit)}",
                         code, used=_mb(used), limit=_mb(limit))


def check_workspace_room(ws: Workspace, adding: int) -> None:
    """Refuse `adding` bytes to the workspace when it, or all workspaces together (a student opening one new
    workspace after another), would pass their limit."""
    check_disk(ws.folder, adding, settings.workspace_bytes(), "ws_disk_full")
    check_disk(ws.folder.parent, adding, settings.home_bytes(), "home_disk_full")  # every workspace's folder


def _recent(path: Path, action: str, now: float) -> tuple[dict, list[float]]:
    try:
        rates = json.loads(path.read_text())
    except (OSError, ValueError):
        rates = {}
    if not isinstance(rates, dict):
        rates = {}
    times = rates.get(action, [])
    return rates, [t for t in (times if isinstance(times, list) else []) if isinstance(t, int | float)
                   and now - t < WINDOW]


def _refuse_if_full(recent: list[float], per_minute: int, now: float, what: str, code: str, action: str) -> None:
    if len(recent) >= per_minute:
        wait = max(1, round(WINDOW - (now - min(recent))))
        raise LimitError(f"{action}: at most {per_minute} a minute {what}; try again in {wait} s", code,
                         action=action, n=per_minute, wait=wait)


def _record(path: Path, rates: dict, action: str, recent: list[float], now: float) -> None:
    rates[action] = [*recent, now]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(rates))
    os.replace(tmp, path)


def _class_limit(action: str) -> int | None:
    """What the whole server allows of `action` per minute, whichever workspaces ask (None: no class bound)."""
    read = {"saves": settings.class_saves_per_minute, "drawings": settings.class_drawings_per_minute,
            "workspaces": settings.new_workspaces_per_minute}.get(action)
    return read() if read else None


@contextmanager
def _locked(folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".rates.lock", "a") as lock:  # two tabs (or servers) clicking at once count twice
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield folder / "rates.json"


def take(ws: Workspace | None, action: str, per_minute: int | None = None) -> None:
    """Count one `action` for the workspace and for the whole server, or raise LimitError: too_fast if the
    workspace already did `per_minute` of them in the last minute, class_<action> if every workspace together
    did the server's bound (a student cannot get past a limit by opening new workspaces). The times live in
    the workspace's folder and in MNIST_LAB_HOME, so every tab and server shares them. `ws=None`: the server
    bound only (opening a workspace)."""
    class_limit = _class_limit(action)
    now = time.time()
    with ExitStack() as stack:
        mine = server = None
        if ws is not None and per_minute is not None:  # locks taken in one order: workspace, then server
            mine = stack.enter_context(_locked(ws.folder))
            ws_rates, ws_recent = _recent(mine, action, now)
            _refuse_if_full(ws_recent, per_minute, now, "for one workspace", "too_fast", action)
        if class_limit is not None:
            server = stack.enter_context(_locked(settings.home()))
            all_rates, all_recent = _recent(server, action, now)
            _refuse_if_full(all_recent, class_limit, now, "for the whole server", f"class_{action}", action)
        if mine is not None:
            _record(mine, ws_rates, action, ws_recent, now)
        if server is not None:
            _record(server, all_rates, action, all_recent, now)


def new_workspace() -> Workspace:
    """A fresh workspace, within the server's bound on new workspaces a minute (LimitError class_workspaces)."""
    take(None, "workspaces")
    return workspaces.create()
