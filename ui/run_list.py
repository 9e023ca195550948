"""The runs a page can show: the workspace's own, the server's shared runs folder, a run the teacher projects; and
the workspace's current run (the one its user picked last, on any page).

Runs are read from the folders on every page run, cheaply: a run is loaded once per process and per version of
its files, through a cache bounded in bytes (core.lab.runfiles.folders.listed_run).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core import settings
from core.lab.jobs import store as jobs
from core.lab.runfiles.folders import list_run_dirs, listed_run
from core.learn.metrics import did_not_learn
from core.learn.run import Run
from ui.session import t, workspace

RUNS_DIR = settings.runs_dir()  # the server's shared runs, read-only here (`python -m core train --out runs/NAME`)


def load_disk_run(folder: Path, origin: str = "disk") -> Run:
    """A run folder, loaded once per process (and per version of its files) for every session, through a cache
    bounded in bytes (core.lab.runfiles.folders.listed_run)."""
    return listed_run(folder, origin)


def _load_runs(root: Path, origin: str, skip: set[str] = frozenset()) -> list[Run]:
    """The runs under `root`, oldest first, leaving out the folders named in `skip`."""
    found = []
    for folder in list_run_dirs(root):
        if folder.name in skip:
            continue
        try:
            run = load_disk_run(folder, origin)
        except (OSError, ValueError):  # half-written or foreign: not listed
            continue
        found.append(((folder / "config.json").stat().st_mtime, run))
    return [run for _, run in sorted(found, key=lambda pair: pair[0])]


def runs() -> dict[str, Run]:
    """The workspace's runs (oldest first), then the server's shared runs that no workspace run shadows.

    A run whose job has not ended (queued, training, paused, interrupted) is not listed yet: the Train
    page and the sidebar show it, and its weights are only an epoch's checkpoint so far.
    """
    training = {job.name for job in jobs.list_jobs(workspace()) if not job.done}
    mine = {run.name: run for run in _load_runs(workspace().runs_dir, "trained", training)}
    shared = {run.name: run for run in _load_runs(RUNS_DIR, "disk") if run.name not in mine}
    from ui.classroom import projected_runs  # a student's run the teacher shows on the projector, read-only

    return {**shared, **mine, **projected_runs()}


def is_mine(run: Run) -> bool:
    """True for a run of this workspace (it may be renamed or deleted); shared runs are read-only."""
    return (workspace().runs_dir / run.name).is_dir() and run.origin != "disk"


CURRENT_RUN = "current_run"  # the workspace's setting: the run its user picked last, on any page


def current_run(available: dict[str, Run] | None = None) -> str | None:
    """The workspace's current run: the one its user picked last on any page (kept on disk, so a reload, a
    page change or another tab keeps it), else the default pick; None when there are no runs."""
    available = runs() if available is None else available
    picked = workspace().settings().get(CURRENT_RUN)
    return picked if picked in available else default_run(available)


def set_current_run(name: str) -> None:
    workspace().set_setting(CURRENT_RUN, name)


def _picked(key: str) -> None:
    """on_change of a run picker: the choice becomes the workspace's current run, on every page."""
    name = st.session_state.get(key)
    if name:
        set_current_run(name)


def run_picker_ui(key: str = "run", label_key: str = "runs.pick", container=st) -> Run | None:
    """A select box over the runs (newest first) showing the workspace's current run; picking another makes it
    the current run on every page. None with a hint when there are none."""
    available = runs()
    if not available:
        container.info(t("runs.none"))
        return None
    names = list(reversed(available))
    st.session_state[key] = current_run(available) or names[0]  # what another page picked wins over this key
    name = container.selectbox(t(label_key), names, key=key, help=t("runs.pick.help"), on_change=_picked,
                               args=(key,), format_func=lambda n: run_label(available[n]))
    return available[name]


def _learned(run: Run) -> bool:
    if run.diverged or run.test_acc is None:
        return False
    try:
        return not did_not_learn(list(run.history))
    except (KeyError, TypeError):  # an odd history: judge by the accuracy alone
        return True


def default_run(available: dict[str, Run]) -> str | None:
    """The run a page shows before anyone picks one: the most accurate run that learned (newest first on a
    tie), else the newest that did not diverge, else None. Never merely the newest: a fresh MSE or
    stuck run would read every drawing badly."""
    learned = [name for name in reversed(available) if _learned(available[name])]
    if learned:
        return max(learned, key=lambda name: available[name].test_acc)
    return next((name for name in reversed(available) if not available[name].diverged), None)


def run_label(run: Run) -> str:
    if run.diverged:
        return f"💥 {run.name} · {run.config.arch} · {t('runs.status.diverged')}"
    acc = run.test_acc
    return f"{run.name} · {run.config.arch} · {acc:.1%}" if acc is not None else f"{run.name} · {run.config.arch}"
