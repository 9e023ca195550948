"""What one workspace may take from a shared server: disk, and actions per minute.

The numbers are settings (core/settings.py). A limit reached raises LimitError, whose code and params let a
page say which limit it was and when to try again, in the reader's language.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

from core import settings
from core.errors import LabError
from core.lab.workspaces import Workspace

WINDOW = 60.0  # seconds: the "per minute" of every rate


class LimitError(LabError):
    """A limit reached; `code` names which (ws_disk_full, home_disk_full, shared_disk_full, too_fast,
    class_set_full)."""


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


def take(ws: Workspace, action: str, per_minute: int) -> None:
    """Count one `action` for the workspace, or raise LimitError (too_fast) if it already did `per_minute` of
    them in the last minute. The times live in the workspace's folder, so every tab and server shares them."""
    path = ws.folder / "rates.json"
    with open(ws.folder / ".rates.lock", "a") as lock:  # two tabs clicking at once count twice, not once
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            rates = json.loads(path.read_text())
        except (OSError, ValueError):
            rates = {}
        now = time.time()
        recent = [t for t in rates.get(action, []) if isinstance(t, int | float) and now - t < WINDOW]
        if len(recent) >= per_minute:
            wait = max(1, round(WINDOW - (now - min(recent))))
            raise LimitError(f"{action}: at most {per_minute} a minute; try again in {wait} s", "too_fast",
                             action=action, n=per_minute, wait=wait)
        rates[action] = [*recent, now]
        tmp = path.with_name(f".rates.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(rates))
        os.replace(tmp, path)
