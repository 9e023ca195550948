"""What the Runs page does to this session's runs: rename, delete, upload, save, reload from disk.

Plain functions on the session's dict of runs (name -> Run), so that tests can call them directly.
Runs loaded from disk are shared between sessions (cached once per server), so nothing here changes
a Run in place: a renamed run is a new Run object with the same model and history.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from core.runs import FILES, Run, RunError, list_run_dirs, load_run, run_from_zip, safe_name


class ActionError(Exception):
    """An action the user asked for that cannot be done; `key` and `values` make the UI message."""

    def __init__(self, key: str, **values) -> None:
        super().__init__(key)
        self.key, self.values = key, values


def unique_name(existing, base: str) -> str:
    """`base`, or `base-2`, `base-3`, ... whichever is not taken yet."""
    if base not in existing:
        return base
    i = 2
    while f"{base}-{i}" in existing:
        i += 1
    return f"{base}-{i}"


def rename_run(runs: dict[str, Run], old: str, wanted: str) -> str:
    """Rename run `old` to the safe form of `wanted`, keeping the order of `runs`; returns the new name."""
    if old not in runs:
        raise ActionError("runs.rename.gone", name=old)
    if not wanted.strip():
        raise ActionError("runs.rename.empty")
    new = safe_name(wanted)
    if new == old:
        return old
    if new in runs:
        raise ActionError("runs.rename.taken", name=new)
    items = [(new, dataclasses.replace(run, name=new)) if name == old else (name, run) for name, run in runs.items()]
    runs.clear()  # the same dict object: session state and every page keep pointing at it
    runs.update(items)
    return new


def delete_run(runs: dict[str, Run], name: str) -> Run | None:
    """Remove a run from the session (its folder on disk, if any, stays); returns it, or None if absent."""
    return runs.pop(name, None)


def add_uploaded_run(runs: dict[str, Run], filename: str, blob: bytes) -> str:
    """Validate an uploaded zip and add the run it holds; returns its name. Raises RunError, adding nothing."""
    stem = safe_name(Path(filename).stem) if filename else "uploaded"
    run = run_from_zip(blob, name=stem)  # raises before anything is added
    name = unique_name(runs, run.name)
    runs[name] = dataclasses.replace(run, name=name)
    return name


def folder_for(run: Run, root: str | Path) -> Path:
    """Where save_to_folder puts a run: root / its safe name."""
    return Path(root) / safe_name(run.name)


def folder_taken(folder: Path) -> bool:
    """True when `folder` already holds something a save would overwrite."""
    return folder.exists() and (not folder.is_dir() or any((folder / f).exists() for f in FILES))


def disk_key(root: str | Path, name: str) -> str | None:
    """Identifies one saved version of a run folder (name plus weights' mtime); None if there is none."""
    try:
        return f"{name}@{(Path(root) / name / 'model.safetensors').stat().st_mtime_ns}"
    except OSError:
        return None


def reload_from_disk(runs: dict[str, Run], root: str | Path, skip: set[str], loader=load_run) -> list[str]:
    """Add run folders under `root` that this session does not have yet; returns the names added.

    A folder is skipped when a run of that name is already in the session, or when its current version
    is in `skip` (folders this session deleted or renamed away, so a reload does not bring them back).
    Folders that fail to load are skipped too (half-written, foreign); newest folders come first on
    disk, the session keeps oldest first, so they are added oldest first.
    """
    added = []
    for folder in reversed(list_run_dirs(root)):
        if folder.name in runs or disk_key(root, folder.name) in skip:
            continue
        try:
            runs[folder.name] = loader(folder)
        except (RunError, OSError):
            continue
        added.append(folder.name)
    return added
