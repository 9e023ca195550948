"""Class: the teacher's live view of a class (opened with the teacher link): who trains what, the class's
curves, which settings worked, a student's run on the projector, the class's pinned setup."""

from datetime import datetime

import pandas as pd
import streamlit as st

from core.lab import classes, classwork
from core.learn.config import ConfigError
from core.learn.setup import from_setup, to_setup
from ui.challenges import class_challenges_ui
from ui.classroom import form_config, project, teacher_classes
from ui.figures.classroom import curves_figure, parallel_figure
from ui.session import lang, reason, t, workspace
from ui.train_form import summary

REFRESH_S = 3.0  # the table and charts redraw this often, without a reload
TABLE_HEIGHT, CHART_HEIGHT = 390, 340  # with the title, table and one chart fit a 1280x720 projector

st.title("🏫 " + t("nav.class"))
taught = teacher_classes()
if not taught:
    if st.session_state.get("class_key_refused"):
        st.warning(t("class.key_refused"))
    st.info(t("class.no_key"))
    mine = classes.membership(workspace())
    if mine is not None:
        st.markdown(t("class.student_note", name=mine[0].name, nickname=mine[1].nickname))
    st.stop()

by_id = {cls.id: cls for cls, _ in taught}
chosen = st.selectbox(t("class.pick"), list(by_id), format_func=lambda cid: by_id[cid].name,
                      key="class_pick") if len(by_id) > 1 else next(iter(by_id))


def _ago(when: float | None) -> str:
    seconds = classwork.ago(when)
    if seconds is None:
        return "–"
    if seconds < 60:
        return t("class.ago.s", n=int(seconds))
    if seconds < 3600:
        return t("class.ago.min", n=int(seconds // 60))
    return t("class.ago.h", n=int(seconds // 3600))


def table(work: list[classwork.MemberWork]) -> pd.DataFrame:
    """One row per student: the job now, runs, best accuracy and its settings, last activity."""
    rows = []
    for w in work:
        live, best = w.live, w.best
        now = ""
        if live is not None:
            now = t(f"class.{live.state}", name=live.name) if live.state in ("queued", "paused") else live.name
        rows.append({
            t("class.col.nickname"): w.member.nickname,
            t("class.col.best"): best.test_acc if best is not None else None,
            t("class.col.runs"): len(w.runs),
            t("class.col.now"): now,
            t("class.col.progress"): live.fraction if live is not None else None,
            t("class.col.live_acc"): live.test_acc if live is not None else None,
            t("class.col.settings"): summary(best.config, lang()) if best is not None else "",
            t("class.col.active"): datetime.fromtimestamp(w.last_active) if w.last_active else None,
        })
    frame = pd.DataFrame(rows)
    for col in ("class.col.progress", "class.col.live_acc", "class.col.best"):  # empty cells, never "None"
        frame[t(col)] = pd.to_numeric(frame[t(col)], errors="coerce").astype(float)
    return frame


def table_ui(work: list[classwork.MemberWork]) -> None:
    percent = {"format": "percent", "width": "small"}
    st.dataframe(table(work), hide_index=True, height=TABLE_HEIGHT, width="stretch", key="class_table",
                 column_config={
                     t("class.col.progress"): st.column_config.ProgressColumn(min_value=0, max_value=1,
                                                                              format="percent", width="small"),
                     t("class.col.live_acc"): st.column_config.NumberColumn(**percent),
                     t("class.col.best"): st.column_config.NumberColumn(**percent),
                     t("class.col.runs"): st.column_config.NumberColumn(width="small"),
                     t("class.col.active"): st.column_config.DatetimeColumn(format="HH:mm:ss", width="small"),
                 })


CLASS_SETUP = "class-setup"  # the curves' choice "every run of the class's pinned setup"


def curve_lines(work: list[classwork.MemberWork], mode: str, cls: classes.Class) -> list[tuple[str, tuple]]:
    """The curves to draw: each student's best run, every run of the class's setup, or every run of a preset."""
    if mode == "best":
        return [(w.member.nickname, w.best.curve) for w in work if w.best is not None and w.best.curve]
    if mode == CLASS_SETUP:
        matches = classwork.setup_matcher(cls.pinned, cls.locked) or (lambda config: False)
        return [(f"{w.member.nickname} · {r.name}", r.curve) for w in work for r in w.runs
                if r.curve and matches(r.config)]
    return [(f"{w.member.nickname} · {r.name}", r.curve) for w in work for r in w.runs
            if r.preset == mode and r.curve]


def curves_ui(work: list[classwork.MemberWork], cls: classes.Class) -> None:
    presets = sorted({r.preset for w in work for r in w.runs if r.preset and r.curve})
    modes = ["best", *([CLASS_SETUP] if cls.pinned else []), *presets]
    names = {"best": t("class.curves.best"), CLASS_SETUP: t("class.curves.class_setup")}
    if st.session_state.get("class_curves_mode") not in modes:  # a preset no run has any more, a setup unpinned
        st.session_state["class_curves_mode"] = "best"
    mode = st.selectbox(t("class.curves.show"), modes, key="class_curves_mode", label_visibility="collapsed",
                        format_func=lambda m: names.get(m) or t("class.curves.preset", preset=m))
    lines = curve_lines(work, mode, cls)
    if not lines:
        st.caption(t("class.curves.none") if mode == "best" else t("class.curves.none_of"))
        return
    labels = {"epoch": t("class.plot.epoch"), "accuracy": t("class.plot.accuracy")}
    st.plotly_chart(curves_figure(tuple(lines), labels, height=CHART_HEIGHT - 40), key="class_curves",
                    width="stretch")


def parallel_ui(work: list[classwork.MemberWork]) -> None:
    rows = [{"lr": r.config.lr, "batch_size": r.config.batch_size, "optimizer": r.config.optimizer,
             "loss": r.config.loss, "parameters": r.parameters, "epochs": r.config.epochs, "test_acc": r.test_acc}
            for w in work for r in w.runs
            if r.test_acc is not None and r.config.family != "knn" and r.status != "diverged"]
    if not rows:
        st.caption(t("class.parallel.none"))
        return
    labels = {name: t(f"class.axis.{name}") for name in ("lr", "batch", "optimizer", "loss", "size", "epochs")}
    labels["accuracy"] = t("class.axis.accuracy")
    st.caption(t("class.parallel.help"))
    st.plotly_chart(parallel_figure(rows, labels, height=CHART_HEIGHT - 40), key="class_parallel", width="stretch")


@st.fragment(run_every=REFRESH_S)
def live_ui(class_id: str) -> None:
    """The table and the charts, redrawn every few seconds from the students' folders (read-only)."""
    cls = classes.get(class_id)
    work = classwork.class_work(cls)
    st.session_state["class_work"] = work  # the projector's picker below reads the same, not the folders again
    st.markdown(t("class.header", name=cls.name, code=classes.pretty_join_code(cls.join_code), n=len(work)))
    if not work:
        st.info(t("class.empty", code=classes.pretty_join_code(cls.join_code)))
        return
    left, right = st.columns([5, 6], gap="small")
    with left:
        table_ui(work)
    with right:
        # Only the open tab is built: the parallel-coordinates chart (WebGL, 200 lines) costs the browser most.
        curves, parallel = st.tabs([t("class.tab.curves"), t("class.tab.parallel")], key="class_tab",
                                   on_change="rerun")
        if curves.open:
            with curves:
                curves_ui(work, cls)
        if parallel.open:
            with parallel:
                parallel_ui(work)


def projector_ui(cls: classes.Class) -> None:
    """Pick a student's finished run and open it read-only on Evaluate (then Inside and Compare) in this tab."""
    work = st.session_state.get("class_work") or classwork.class_work(cls)
    options = {f"{cls.id}/{w.member.id}/{r.name}": f"{w.member.nickname} · {r.name}"
               + (f" · {r.test_acc:.1%}" if r.test_acc is not None else "")
               for w in work for r in reversed(w.runs)}
    with st.expander("📽 " + t("class.project"), expanded=False):
        if not options:
            st.caption(t("class.project.none"))
            return
        view = st.selectbox(t("class.project.pick"), list(options), format_func=options.get, key="class_project_pick",
                            help=t("class.project.help"))
        if st.button(t("class.project.go"), key="class_project_go", type="primary"):
            project(view)
            st.switch_page("views/evaluate.py")


def _pin(cls: classes.Class) -> None:
    ss = st.session_state
    try:
        classes.pin_setup(cls, ss.get("class_pin_text", ""), ss.get("class_pin_locked", []))
    except (ConfigError, classes.ClassError) as exc:
        ss["class_pin_error"] = exc
        return
    ss.pop("class_pin_error", None)
    ss["class_pin_done"] = True


def pin_ui(cls: classes.Class) -> None:
    """Pin a setup for the class (every student's Train page offers it) and lock some of its controls."""
    with st.expander("📌 " + t("class.pin"), expanded=False):
        if cls.pinned:
            try:
                st.caption(t("class.pin.now", summary=summary(from_setup(cls.pinned), lang())))
            except ConfigError:
                st.caption(cls.pinned)
        else:
            st.caption(t("class.pin.none"))
        if "class_pin_text" not in st.session_state:
            config = form_config()
            st.session_state["class_pin_text"] = cls.pinned or (to_setup(config) if config else "")
            st.session_state["class_pin_locked"] = list(cls.locked)
        st.text_input(t("class.pin.text"), key="class_pin_text", help=t("class.pin.text.help"), max_chars=400)
        st.multiselect(t("class.pin.locked"), classes.LOCKABLE, key="class_pin_locked",
                       format_func=lambda f: t(f"class.field.{f}"), help=t("class.pin.locked.help"))
        pin, unpin = st.columns(2)
        pin.button(t("class.pin.button"), key="class_pin_go", on_click=_pin, args=(cls,), type="primary")
        unpin.button(t("class.pin.unpin"), key="class_unpin", on_click=classes.pin_setup, args=(cls, None),
                     disabled=not cls.pinned)
        if st.session_state.get("class_pin_error") is not None:
            st.warning(reason(st.session_state.pop("class_pin_error")))
        if st.session_state.pop("class_pin_done", False):
            st.success(t("class.pin.done"))


live_ui(chosen)
cls = classes.get(chosen)
projector_ui(cls)
pin_ui(cls)
st.divider()
class_challenges_ui(cls)
