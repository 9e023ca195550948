"""What every page shares: the workspace (from the URL), the language, the dataset, the runs and the jobs.

Nothing a student makes lives in session state: runs and jobs are read from the workspace's folder on
every page run (cheaply: runs are cached by their files' times), so a reload, a second tab or a restarted
server shows the same things. Session state only remembers which workspace this tab has open, because
Streamlit drops the URL's query parameters when the user changes page (app.py writes them back).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

import streamlit as st

from core import settings
from core.lab import limits
from core.lab import workspaces as wss
from core.lab.jobs import queue as job_queue
from core.lab.jobs import store as jobs
from core.lab.runfiles.folders import list_run_dirs, listed_run, safe_name
from core.lab.runfiles.folders import unique_name as unique_name_in
from core.learn.data import MNIST, load_mnist
from core.learn.metrics import did_not_learn
from core.learn.run import Run
from ui.i18n import LANGS
from ui.i18n import reason as translate_reason
from ui.i18n import t as translate

RUNS_DIR = settings.runs_dir()  # the server's shared runs, read-only here (`python -m core train --out runs/NAME`)
WS_PARAM, LANG_PARAM = "ws", "lang"


# ---- language ---------------------------------------------------------------------------------------------

def lang() -> str:
    return st.session_state.get("lang", "en")


def t(key: str, **values) -> str:
    """The UI string for `key` in the session's language."""
    return translate(key, lang(), **values)


def reason(exc: BaseException) -> str:
    """An error's reason in the session's language (core errors name theirs; others keep their text)."""
    return translate_reason(exc, lang())


def _browser_lang() -> str | None:
    try:
        locale = st.context.locale or ""
    except Exception:  # AppTest and old servers: no browser to ask
        return None
    return "zh" if locale.lower().startswith("zh") else "en" if locale else None


def resolve_lang(ws: wss.Workspace | None) -> str:
    """?lang= when given, else this tab's choice, else the workspace's, else the browser's, else English."""
    asked = st.query_params.get(LANG_PARAM)
    if asked in LANGS and asked != st.session_state.get("lang_url_seen"):  # a new link, not our own echo
        st.session_state["lang_url_seen"] = asked
        return asked
    if st.session_state.get("lang") in LANGS:
        return st.session_state["lang"]
    saved = ws.settings().get("lang") if ws is not None else None
    return saved if saved in LANGS else _browser_lang() or "en"


def _lang_changed() -> None:
    choice = st.session_state.get("lang_switch")
    if choice in LANGS:
        st.session_state["lang"] = choice
        ws = current_workspace()
        if ws is not None:
            ws.set_setting("lang", choice)


def language_ui() -> str:
    """The language switch in the sidebar: it sets the tab's language, the URL's and the workspace's."""
    ws = current_workspace()
    chosen = resolve_lang(ws)
    if st.session_state.get("lang") != chosen:
        st.session_state["lang"] = chosen
        if ws is not None and st.query_params.get(LANG_PARAM) in LANGS:
            ws.set_setting("lang", chosen)  # a teacher's ?lang=zh link makes Chinese the workspace's language
    st.session_state["lang_switch"] = chosen
    st.sidebar.segmented_control(
        "🌐 " + t("app.language"), options=list(LANGS), format_func=LANGS.get, key="lang_switch",
        selection_mode="single", on_change=_lang_changed,
    )
    return chosen


# ---- workspace --------------------------------------------------------------------------------------------

def current_workspace() -> wss.Workspace | None:
    wid = st.session_state.get("ws_id")
    if not wid:
        return None
    return wss.at(wid)


def workspace() -> wss.Workspace:
    """The open workspace (app.py has opened one before any page runs)."""
    ws = current_workspace()
    if ws is None:  # a page run on its own (tests): open what the URL says, or a new one
        ws = open_workspace()
        if ws is None:
            raise wss.WorkspaceError("no workspace is open", "ws_unknown")
    return ws


def open_workspace() -> wss.Workspace | None:
    """The URL's workspace, else the one this tab had, else a new one; None (and the reason kept) if refused."""
    wid = st.query_params.get(WS_PARAM)
    st.session_state.pop("ws_refused", None)
    if wid:
        if wid == st.session_state.get("ws_id"):
            return current_workspace()
        try:
            ws = wss.open_id(wid)
        except wss.WorkspaceError as exc:
            st.session_state["ws_refused"] = exc
            return None
    elif st.session_state.get("ws_id"):
        return current_workspace()
    else:
        try:
            ws = limits.new_workspace()
        except limits.LimitError as exc:  # the server's bound on new workspaces a minute: said on the page
            st.session_state["ws_refused"] = exc
            return None
    st.session_state["ws_id"] = ws.id
    return ws


def keep_query_params() -> None:
    """Write the workspace and language back into the URL (navigation drops them) so a reload keeps both."""
    ws = current_workspace()
    if ws is not None and st.query_params.get(WS_PARAM) != ws.id:
        st.query_params[WS_PARAM] = ws.id
    if st.query_params.get(LANG_PARAM) != lang():
        st.query_params[LANG_PARAM] = lang()
    st.session_state["lang_url_seen"] = lang()


def switch_workspace(ws: wss.Workspace) -> None:
    """Open another workspace in this tab (what it shows is all read from its folder)."""
    st.session_state["ws_id"] = ws.id
    st.query_params[WS_PARAM] = ws.id


# ---- data -------------------------------------------------------------------------------------------------

def _load(subset: tuple[int, int] | None) -> MNIST:
    data = load_mnist()
    return data.subset(*subset) if subset else data


@st.cache_resource(show_spinner=False)
def _loading(subset: tuple[int, int] | None) -> Future[MNIST]:
    """MNIST, decoded once per server process in a thread of its own and shared read-only by every session:
    a fresh server shows its first page at once, and only what draws the data waits for it."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mnist-load")
    loading = pool.submit(_load, subset)
    pool.shutdown(wait=False)  # the thread ends when the load does
    return loading


def dataset() -> MNIST:
    """The dataset, waiting for it with a notice where the caller draws while the server is still loading it."""
    loading = _loading(settings.subset())
    if not loading.done():
        with st.spinner(t("app.loading")):
            wait([loading])
    if loading.exception() is not None:
        st.rerun()  # data_problem() says why on the rerun
    from ui.challenges import pages_dataset  # here: ui.challenges draws with this module's t()

    return pages_dataset(loading.result())  # without a running challenge's hidden MNIST images


def data_problem() -> str | None:
    """None when MNIST is available or still loading, else the reason it is not (the app then says how to get it).
    A failed load is forgotten once reported, so that the next visit tries again."""
    subset = settings.subset()
    loading = _loading(subset)
    if not loading.done() or loading.exception() is None:
        return None
    _loading.clear(subset)
    return reason(loading.exception())


# ---- runs -------------------------------------------------------------------------------------------------

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
    training = {job.name for job in my_jobs() if not job.done}
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


# ---- jobs -------------------------------------------------------------------------------------------------

def my_jobs() -> list[jobs.Job]:
    """The workspace's jobs, newest first (from disk: any tab, any server process sees the same)."""
    return jobs.list_jobs(workspace())


def live_jobs() -> list[jobs.Job]:
    """The workspace's jobs that have not ended, in the order they will train: the running ones, the waiting
    ones in queue order (the one on the queue first, then the oldest), then the paused and interrupted ones."""
    found = [job for job in my_jobs() if not job.done]
    running = [job for job in found if job.state == "running"]
    waiting = sorted((job for job in found if job.state == "queued"),
                     key=lambda job: job.latest().get("queue_position") or 0)
    held = sorted((job for job in found if job.state in jobs.RESUMABLE), key=lambda job: job.created)
    return running + waiting + held


def workers_ready(queue: str = "cpu") -> bool:
    """True when a worker pool serving `queue` is alive somewhere (it beats every few seconds), or when
    tasks run in this process (Huey's immediate mode, for tests)."""
    return job_queue.is_immediate() or bool(jobs.pools(queue))


def submit(configs: list, names: list[str], continue_of: str | None = None,
           more_epochs: int | None = None) -> list[jobs.Job]:
    """Queue jobs for this workspace; JobError (queue full) or ConfigError are for the caller to show.

    `names` are what the runs should be called: the queue adds -2, -3, ... where the workspace has the name
    already (so a double click, asking for the same names again, is recognised as one click), and here a name
    is kept clear of the shared runs', which a workspace run of the same name would hide."""
    n_train = len(dataset().train_labels)
    shared = {name for name, run in runs().items() if run.origin == "disk"}
    items = [(config, unique_name_in(shared, safe_name(name))) for config, name in zip(configs, names, strict=True)]
    return job_queue.submit_many(workspace(), items, n_train=n_train, continue_of=continue_of, more_epochs=more_epochs)
