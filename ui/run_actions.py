"""What the Runs page does to a workspace's runs on disk: rename, delete, upload, save to the shared folder.

Plain functions on a runs folder (the workspace's `runs/`), so that tests can call them directly. Only
the workspace's own runs change; the server's shared runs are read-only for every workspace.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from core import settings
from core.lab import limits
from core.lab.jobs import store as jobs
from core.lab.runfiles.folders import DiskRun, safe_name, save_run
from core.lab.runfiles.format import FILES
from core.lab.runfiles.zips import run_to_zip, save_zip
from core.lab.workspaces import Workspace
from core.learn.run import Run


class ActionError(Exception):
    """An action the user asked for that cannot be done; `key` and `values` make the UI message."""

    def __init__(self, key: str, **values) -> None:
        super().__init__(key)
        self.key, self.values = key, values


def _taken(ws: Workspace) -> set[str]:
    return {d.name for d in ws.runs_dir.iterdir()} if ws.runs_dir.is_dir() else set()


def _own_folder(ws: Workspace, name: str) -> Path:
    """The workspace's folder of run `name`; ActionError if it is not one of the workspace's own runs."""
    folder = ws.runs_dir / safe_name(name)
    if safe_name(name) != name or not folder.is_dir():
        raise ActionError("runs.readonly", name=name)
    return folder


def _busy(ws: Workspace, name: str) -> bool:
    return any(job.name == name and not job.done for job in jobs.list_jobs(ws))


def rename_run(ws: Workspace, old: str, wanted: str) -> str:
    """Rename the workspace's run `old` to the safe form of `wanted`; returns the new name."""
    folder = _own_folder(ws, old)
    if not wanted.strip():
        raise ActionError("runs.rename.empty")
    new = safe_name(wanted)
    if new == old:
        return old
    if new in _taken(ws):
        raise ActionError("runs.rename.taken", name=new)
    if _busy(ws, old):
        raise ActionError("runs.busy", name=old)
    os.rename(folder, ws.runs_dir / new)
    jobs.rename_run(ws, old, new)
    return new


def delete_run(ws: Workspace, name: str) -> bool:
    """Remove the workspace's run `name` (its folder and the job that made it); False if there was none."""
    try:
        folder = _own_folder(ws, name)
    except ActionError:
        return False
    if _busy(ws, name):
        raise ActionError("runs.busy", name=name)
    shutil.rmtree(folder)
    jobs.forget_run(ws, name)
    return True


def add_uploaded_run(ws: Workspace, filename: str, blob: bytes) -> str:
    """Validate an uploaded zip and save the run it holds into the workspace; returns its name there.
    LimitError when the workspace uploaded too often or is full, RunError when the zip is not a run."""
    limits.take(ws, "saves", settings.saves_per_minute())  # counted before the work of validating it
    limits.check_workspace_room(ws, len(blob))
    stem = safe_name(Path(filename).stem) if filename else "uploaded"
    return save_zip(blob, ws.runs_dir, name=stem, taken=_taken(ws))  # RunError before anything is in place


def share_run(ws: Workspace, run: Run, root: str | Path) -> Path:
    """Save a copy of `run` into the server's shared folder `root` (whole: an existing run there is replaced
    only once the copy is complete). LimitError when the workspace shares too often or the folder is full."""
    limits.take(ws, "saves", settings.saves_per_minute())
    size = limits.folder_bytes(run.folder) if isinstance(run, DiskRun) else len(run_to_zip(run))
    folder = folder_for(run, root)
    limits.check_disk(root, size - limits.folder_bytes(folder), settings.shared_bytes(), "shared_disk_full")
    return save_run(run, folder)


def folder_for(run: Run, root: str | Path) -> Path:
    """Where save_to_folder puts a run: root / its safe name."""
    return Path(root) / safe_name(run.name)


def folder_taken(folder: Path) -> bool:
    """True when `folder` already holds something a save would overwrite."""
    return folder.exists() and (not folder.is_dir() or any((folder / f).exists() for f in FILES))
