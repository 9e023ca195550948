"""A workspace: one student's (or teacher's) runs, jobs and settings, in one folder under MNIST_LAB_HOME.

    MNIST_LAB_HOME/workspaces/<id>/runs/<name>/   config.json, metrics.jsonl, model.safetensors,
                                                  checkpoint.safetensors (a trained job's, to continue from)
    MNIST_LAB_HOME/workspaces/<id>/jobs/<job>.json the job's record (see core.lab.jobs.store)
    MNIST_LAB_HOME/workspaces/<id>/settings.json  the UI language and other choices
    MNIST_LAB_HOME/codes/<code>                    the short code's workspace id

The id is 120 random bits from `secrets` (24 base32 letters), so a link cannot be guessed; the short code
(8 letters without look-alikes, e.g. "k7mp-3xqa") is what a student writes down. Neither ever becomes a path
until it has matched its pattern, so no id can name a folder outside the data folder.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from core import settings
from core.errors import LabError

ID_PATTERN = re.compile(r"[a-z2-7]{24}")
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: a code survives being written by hand
CODE_LENGTH = 8
TOUCH_EVERY_S = 60.0  # how often opening a workspace refreshes its last-used time


class WorkspaceError(LabError):
    """A workspace link or code that does not open a workspace; `code` says why."""


def _root() -> Path:
    return settings.home() / "workspaces"


def _codes() -> Path:
    return settings.home() / "codes"


def _write_json(path: Path, value: dict) -> None:
    """Whole or not at all: a reader never sees half a file (written aside, then renamed)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(value, indent=1, ensure_ascii=False))
    os.replace(tmp, path)


@dataclass(frozen=True)
class Workspace:
    id: str
    folder: Path

    @property
    def runs_dir(self) -> Path:
        return self.folder / "runs"

    @property
    def jobs_dir(self) -> Path:
        return self.folder / "jobs"

    @property
    def code(self) -> str:
        return self._meta().get("code", "")

    def _meta(self) -> dict:
        try:
            return json.loads((self.folder / "meta.json").read_text())
        except (OSError, ValueError):
            return {}

    def settings(self) -> dict:
        try:
            value = json.loads((self.folder / "settings.json").read_text())
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def set_setting(self, name: str, value) -> None:
        current = self.settings()
        if current.get(name) != value:
            _write_json(self.folder / "settings.json", {**current, name: value})

    def touch(self) -> None:
        """Mark the workspace as used now (what `prune` looks at); cheap enough for every page view."""
        stamp = self.folder / "last_used"
        try:
            if time.time() - stamp.stat().st_mtime < TOUCH_EVERY_S:
                return
        except OSError:
            pass
        stamp.touch()

    def last_used(self) -> float:
        try:
            return (self.folder / "last_used").stat().st_mtime
        except OSError:
            return (self.folder / "meta.json").stat().st_mtime


def pretty_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def at(wid: str) -> Workspace:
    """The workspace of an id this program issued itself (a session's, a job record's): no check, no touch.
    Ids from a link go through open_id."""
    return Workspace(wid, _root() / wid)


def create() -> Workspace:
    """A fresh, empty workspace with an unguessable id and a short code of its own."""
    wid = base64.b32encode(secrets.token_bytes(15)).decode().lower()
    folder = _root() / wid
    (folder / "runs").mkdir(parents=True)
    (folder / "jobs").mkdir()
    _codes().mkdir(parents=True, exist_ok=True)
    while True:  # a code names one workspace: claim it with an exclusive create
        code = _new_code()
        try:
            with open(_codes() / code, "x") as f:
                f.write(wid)
            break
        except FileExistsError:
            continue
    _write_json(folder / "meta.json", {"id": wid, "code": code, "created": time.time()})
    (folder / "last_used").touch()
    return Workspace(wid, folder)


def open_id(wid: str) -> Workspace:
    """The workspace with this id; WorkspaceError (malformed or unknown) otherwise."""
    wid = (wid or "").strip().lower()  # ids are lowercase base32: a link retyped in capitals is the same link
    if not ID_PATTERN.fullmatch(wid):
        raise WorkspaceError("this workspace link is malformed (an id is 24 letters and digits)", "ws_malformed")
    folder = _root() / wid
    if not (folder / "meta.json").is_file():
        raise WorkspaceError("there is no workspace with this link on this server", "ws_unknown")
    ws = Workspace(wid, folder)
    ws.touch()
    return ws


def open_code(code: str) -> Workspace:
    """The workspace a short code names ("k7mp-3xqa", any case, spaces and dashes ignored)."""
    cleaned = re.sub(r"[\s-]+", "", code or "").lower()
    if len(cleaned) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in cleaned):
        raise WorkspaceError(f"{code!r} is not a workspace code (8 letters and digits, like k7mp-3xqa)",
                             "ws_code_malformed", given=code)
    try:
        wid = (_codes() / cleaned).read_text().strip()
    except OSError:
        raise WorkspaceError(f"no workspace has the code {code!r} on this server", "ws_code_unknown",
                             given=code) from None
    return open_id(wid)


def all_workspaces() -> list[Workspace]:
    root = _root()
    if not root.is_dir():
        return []
    return [Workspace(d.name, d) for d in sorted(root.iterdir())
            if ID_PATTERN.fullmatch(d.name) and (d / "meta.json").is_file()]


def stale(days: int | None = None, now: float | None = None) -> list[Workspace]:
    """Workspaces untouched for more than `days` (MNIST_LAB_KEEP_DAYS by default)."""
    limit = (now or time.time()) - 86400 * (settings.keep_days() if days is None else days)
    return [ws for ws in all_workspaces() if ws.last_used() < limit]


def remove(ws: Workspace) -> None:
    """Delete a workspace and free its code (only `python -m core workspaces prune --yes` calls this)."""
    code = ws.code
    shutil.rmtree(ws.folder)
    if code:
        (_codes() / code).unlink(missing_ok=True)
