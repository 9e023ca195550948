"""Small drawing helpers used by several pages (widgets end in _ui)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.lab import limits
from core.lab import workspaces as wss
from ui import job_list, session
from ui.figures.draw import pixelated
from ui.job_list import my_jobs
from ui.session import t


def no_data_ui(reason: str) -> None:
    st.title("📦 " + t("nodata.title"))
    st.markdown(t("nodata.body", reason=reason))


def _open_code(key: str) -> None:
    """on_click of Open: the workspace a typed code names, or a friendly reason next to the field."""
    try:
        ws = wss.open_code(st.session_state.get(key, ""))
    except wss.WorkspaceError as exc:
        st.session_state["ws_code_error"] = exc
        return
    st.session_state.pop("ws_code_error", None)
    st.session_state.pop("ws_refused", None)
    st.session_state[key] = ""
    session.switch_workspace(ws)


def _new_workspace() -> None:
    try:
        ws = limits.new_workspace()
    except limits.LimitError as exc:  # too many new workspaces on the server this minute
        st.session_state["ws_new_error"] = exc
        return
    st.session_state.pop("ws_new_error", None)
    st.session_state.pop("ws_refused", None)
    session.switch_workspace(ws)


def _new_refused_ui() -> None:
    error = st.session_state.get("ws_new_error")
    if error is not None:
        st.warning(t("ws.new.refused", reason=session.reason(error)))


def open_code_ui(key: str) -> None:
    """A code field with its Open button, and the reason when the code opens nothing."""
    st.text_input(t("ws.open"), key=key, placeholder=t("ws.open.placeholder"), help=t("ws.open.help"),
                  max_chars=20)
    st.button(t("ws.open.button"), key=f"{key}_go", on_click=_open_code, args=(key,))
    error = st.session_state.get("ws_code_error")
    if error is not None:  # a whole sentence around core's reason, which is only a clause
        st.warning(t("ws.open.failed", reason=session.reason(error)))


def workspace_refused_ui() -> None:
    """The page shown for a link whose workspace id is malformed or unknown: why, and two ways on."""
    refused = st.session_state.get("ws_refused")
    busy = isinstance(refused, limits.LimitError)  # no new workspace this minute, rather than a bad link
    st.title("🔑 " + t("ws.busy.title" if busy else "ws.refused.title"))
    st.warning(t("ws.busy.body" if busy else "ws.refused.body", reason=session.reason(refused) if refused else "?"))
    st.button(t("ws.new"), key="ws_refused_new", type="primary", on_click=_new_workspace, help=t("ws.new.help"))
    _new_refused_ui()
    open_code_ui("ws_refused_code")


def workspace_link(ws) -> str:
    try:
        base = (st.context.url or "").split("?")[0]
    except Exception:  # AppTest: no browser URL
        base = ""
    return f"{base}?ws={ws.id}"


def workspace_sidebar_ui() -> None:
    """The workspace's link to copy, its short code, opening another by code, and a new one."""
    ws = session.workspace()
    with st.sidebar.expander("🔑 " + t("ws.title"), expanded=False):
        st.caption(t("ws.body"))
        st.markdown(t("ws.code", code=wss.pretty_code(ws.code)))
        st.code(workspace_link(ws), language=None, wrap_lines=True)
        open_code_ui("ws_code")
        st.button(t("ws.new"), key="ws_new", on_click=_new_workspace, help=t("ws.new.help"))
        _new_refused_ui()


@st.fragment(run_every=1.0)
def jobs_sidebar_ui() -> None:
    """The workspace's unfinished jobs in the sidebar, on every page, from any tab; a finished one reruns the page."""
    jobs = my_jobs()
    live = {job.id for job in jobs if not job.done}
    seen = st.session_state.get("sidebar_live_jobs", set())
    st.session_state["sidebar_live_jobs"] = live
    if seen - live:
        st.rerun()  # a job just ended: its run is on disk now, let the page list it
    box = st.sidebar.container()  # drawn on every run, so a job started mid-run has a place to appear
    for job in job_list.live_jobs():  # by name, in the order they will train
        with box:
            if job.state == "queued":
                st.caption(t("sidebar.job.queued", name=job.name))
            elif job.state in ("paused", "interrupted"):
                st.caption(t(f"sidebar.job.{job.state}", name=job.name))
            else:
                info = job.latest()
                st.progress(min(max(info.get("fraction") or 0.0, 0.0), 1.0), text=t("sidebar.job", name=job.name))


def no_workers_ui(queue: str = "cpu") -> bool:
    """A warning on pages that train when no worker pool would take the job; True if one would."""
    if job_list.workers_ready(queue):
        return True
    if queue == "cpu":
        st.warning(t("jobs.no_workers"), icon="⚠️")
    else:
        st.warning(t("jobs.no_workers.device", device=queue.upper()), icon="⚠️")
    return False


NARROW_PX = 1000  # below this width (tablets, phones) the open sidebar leaves the pages a thin column

# Runs once per browser tab (sessionStorage): a tablet opens with the sidebar folded away, and a student who
# opens it again by hand keeps it open. Streamlit has no server-side way to know the window's width.
_FOLD_SCRIPT = """<script>
const doc = window.parent.document, win = window.parent;
if (win.innerWidth < NARROW_PX && !win.sessionStorage.getItem("mnistlab-folded")) {
  win.sessionStorage.setItem("mnistlab-folded", "1");
  const fold = () => {
    const button = doc.querySelector('[data-testid="stSidebarCollapseButton"] button');
    const sidebar = doc.querySelector('[data-testid="stSidebar"]');
    const open = sidebar && sidebar.getBoundingClientRect().right > 100;
    if (button && open) { button.click(); } else if (!button) { setTimeout(fold, 100); }
  };
  fold();
}
</script>""".replace("NARROW_PX", str(NARROW_PX))


TIP_MS = 2500  # a help tooltip opened by a tap closes by itself after this long

# On a touch screen a tapped help icon keeps its tooltip open (there is no mouse to leave it), covering the label
# it explains. A tap on one closes it again after TIP_MS: the mouse leaving is simulated and the focus let go.
_TIP_SCRIPT = """<script>
const w = window.parent, d = w.document;
if (!w.__mnistLabTips && (w.matchMedia("(hover: none)").matches || w.navigator.maxTouchPoints > 0)) {
  w.__mnistLabTips = true;
  d.addEventListener("touchend", (event) => {
    const tip = event.target.closest && event.target.closest('[data-testid="stTooltipHoverTarget"]');
    if (!tip) return;
    setTimeout(() => {
      const away = d.querySelector("h1") || d.body;
      tip.dispatchEvent(new MouseEvent("mouseout", {bubbles: true, relatedTarget: away}));
      away.dispatchEvent(new MouseEvent("mouseover", {bubbles: true, relatedTarget: tip}));
      const active = d.activeElement;
      if (active && active.tagName !== "INPUT" && active.tagName !== "TEXTAREA") active.blur();
    }, TIP_MS);
  }, true);
}
</script>""".replace("TIP_MS", str(TIP_MS))


# On a touch screen (no hover) two toolbars stay on screen once shown, over what is above them:
# - Plotly's, once a finger has touched a chart, covers the legend at the chart's top (a tablet's narrow charts
#   wrap it across their whole width). A finger zooms and pans without it; a double tap zooms back out.
# - Streamlit's table toolbar floats above a table's top edge, over the line above it (the Class page's join
#   code): the table is moved down by the toolbar's height.
_TOUCH_STYLE = """<style>@media (hover: none) {
  .js-plotly-plot .modebar-container { display: none !important; }
  [data-testid="stDataFrame"] { margin-top: 2.25rem; }
}</style>"""


def fold_sidebar_on_narrow_screens() -> None:
    """Fold the sidebar once on a narrow screen, so that the Draw canvas and the charts get the full width; on a
    touch screen, close a tapped help tooltip after a moment and keep toolbars off what they would cover."""
    st.sidebar.iframe(_FOLD_SCRIPT + _TIP_SCRIPT, height=1)  # our own constant scripts, never user input
    st.html(_TOUCH_STYLE)  # only a style: it takes no room on the page


def digit_image(image: np.ndarray, size: int = 112) -> np.ndarray:
    """A 28x28 image (uint8 or [0,1] floats) scaled up with nearest-neighbour, crisp on a projector."""
    img = np.asarray(image, dtype=np.float32)
    return pixelated(img / 255.0 if img.max() > 1.0 else img, size)


def plotly_warmup_ui() -> None:
    """An empty Plotly chart kept out of sight: the browser loads and starts Plotly's code while the student picks
    the settings, instead of after Start (a new tab then spent 1-9 s on it before the first point could show;
    benchmarks/first_point.py)."""
    import plotly.graph_objects as go

    with st.container(key="plotly_warmup"):
        st.html("<style>.st-key-plotly_warmup { display: none; }</style>")
        st.plotly_chart(go.Figure(), key="plotly_warmup_chart", config={"staticPlot": True})
