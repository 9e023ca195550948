"""Session state shared by every page: language, the dataset, this session's runs and jobs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from core.data import MNIST, DataError, load_mnist
from core.runs import Run, load_run
from ui import runs_parts
from ui.i18n import LANGS
from ui.i18n import reason as translate_reason
from ui.i18n import t as translate

RUNS_DIR = Path(os.environ.get("MNIST_LAB_RUNS_DIR", "runs"))  # `python -m core train --out runs/NAME` lands here


def lang() -> str:
    return st.session_state.get("lang", "en")


def t(key: str, **values) -> str:
    """The UI string for `key` in the session's language."""
    return translate(key, lang(), **values)


def reason(exc: BaseException) -> str:
    """An error's reason in the session's language (core errors name theirs; others keep their text)."""
    return translate_reason(exc, lang())


def language_ui() -> str:
    """The language switch in the sidebar; the choice lives in session state, so every page keeps it."""
    st.session_state.setdefault("lang", "en")
    return st.sidebar.segmented_control(
        "🌐 " + t("app.language"), options=list(LANGS), format_func=LANGS.get, key="lang",
        selection_mode="single",
    ) or "en"


@st.cache_resource(show_spinner="Loading MNIST (downloaded once on first start) · 正在加载 MNIST（首次启动时下载）…")
def _dataset(subset: str) -> MNIST:
    """Decoded once per server process and shared read-only by every session."""
    data = load_mnist()
    if subset:  # MNIST_LAB_SUBSET="train,test": a small dataset for tests and slow machines
        n_train, n_test = (int(v) for v in subset.split(","))
        data = data.subset(n_train, n_test)
    return data


def dataset() -> MNIST:
    return _dataset(os.environ.get("MNIST_LAB_SUBSET", ""))


def data_problem() -> str | None:
    """None when MNIST is available, else the reason it is not (the app then shows how to get it)."""
    try:
        dataset()
    except DataError as exc:
        return str(exc)
    return None


def session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else ""


def session_alive(sid: str) -> Callable[[], bool]:
    """A check the job reaper calls: False once this browser session is gone (tab closed, expired)."""

    def alive() -> bool:
        from streamlit.runtime import Runtime

        if not Runtime.exists():  # AppTest and scripts: no server, no sessions to lose
            return True
        return Runtime.instance().is_active_session(sid)

    return alive


# ---- runs -------------------------------------------------------------------------------------------

@st.cache_resource(show_spinner=False, max_entries=64)
def _disk_run(path: str, mtime: float) -> Run:
    return load_run(path)


def load_disk_run(folder: Path) -> Run:
    """A run folder under RUNS_DIR, loaded once per process (and per version of its weights) for every session."""
    return _disk_run(str(folder), (folder / "model.safetensors").stat().st_mtime)


def runs() -> dict[str, Run]:
    """This session's runs by name, oldest first; runs saved with the command line under RUNS_DIR included."""
    if "runs" not in st.session_state:
        st.session_state["runs"] = {}
        runs_parts.reload_from_disk(st.session_state["runs"], RUNS_DIR, skip=set(), loader=load_disk_run)
    return st.session_state["runs"]


def unique_name(base: str) -> str:
    """`base`, or `base-2`, `base-3`, ... whichever no run of this session has yet."""
    return runs_parts.unique_name(runs(), base)


def add_run(run: Run) -> str:
    run.name = unique_name(run.name)
    runs()[run.name] = run
    return run.name


def run_picker_ui(key: str = "run", label_key: str = "runs.pick", container=st) -> Run | None:
    """A select box over this session's runs (newest first); None with a hint when there are none."""
    available = runs()
    if not available:
        container.info(t("runs.none"))
        return None
    names = list(reversed(available))
    if st.session_state.get(key) not in names:
        st.session_state[key] = names[0]
    name = container.selectbox(t(label_key), names, key=key, help=t("runs.pick.help"),
                               format_func=lambda n: run_label(available[n]))
    return available[name]


def run_label(run: Run) -> str:
    acc = run.test_acc
    return f"{run.name} · {run.config.arch} · {acc:.1%}" if acc is not None else f"{run.name} · {run.config.arch}"


# ---- jobs -------------------------------------------------------------------------------------------

def my_jobs() -> list:
    from core.jobs import manager

    return manager().jobs(owner=session_id())


def harvest_jobs() -> list[str]:
    """Turn this session's ended jobs into runs (once each); returns the names added."""
    harvested = st.session_state.setdefault("harvested_jobs", set())
    added = []
    for job in my_jobs():
        if job.done and job.id not in harvested:
            harvested.add(job.id)
            if job.result is not None:
                added.append(add_run(job.result))
    return added
