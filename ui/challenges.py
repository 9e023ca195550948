"""Challenges on the pages: the teacher's section of the Class page, the students' section of the Runs page,
the Evaluate page's note while MNIST's hidden images are set aside (core: core.lab.challenges)."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from core import settings
from core.lab import challenges as chs
from core.lab import classes
from core.lab import workspaces as wss
from core.lab.jobs.queue import enqueue_scoring
from core.learn.data import MNIST
from ui.session import reason, t

REFRESH_S = 3.0  # leaderboards redraw this often (scores land from the workers)
ROW_PX = 36  # a leaderboard row (and its header) in the browser
# The header and the top ten fit a 1280x720 projector; more entries scroll inside the board. The 16 px are glide's
# room under the rows: without them the last row was cut by 4 px (the browser test measures it).
BOARD_HEIGHT = 16 + ROW_PX * 11


def pages_dataset(data: MNIST) -> MNIST:
    """The dataset every page draws from: without MNIST's hidden test images (the last tenth of those served,
    core.lab.challenges.hidden_slice, the same the workers score on) while a challenge sets them aside."""
    first, _ = chs.hidden_slice(len(data.test_labels))
    if not chs.mnist_hidden() or first >= len(data.test_labels):
        return data
    return _without_hidden(data, id(data), first)


@st.cache_resource(show_spinner=False, max_entries=2)
def _without_hidden(_data: MNIST, data_id: int, first: int) -> MNIST:
    """One copy per dataset object (keyed by its id: the pages' MNIST lives as long as the server)."""
    return _data.subset(test=first)


def hidden_note_ui() -> None:
    """Evaluate: say that some test images are set aside while a challenge runs."""
    if chs.mnist_hidden():
        first, end = chs.served_hidden_slice()
        st.info(t("challenge.hidden_note", n=end - first, first=first))


def hidden_count() -> str:
    """How many MNIST test images a challenge hides: the last tenth of those served (1,000 of the full set)."""
    first, end = chs.served_hidden_slice()
    return f"{end - first:,}"


def rules_text(rules: chs.Rules) -> str:
    parts = []
    if rules.max_parameters is not None:
        parts.append(t("challenge.rule.parameters", n=f"{rules.max_parameters:,}"))
    if rules.max_epochs is not None:
        parts.append(t("challenge.rule.epochs", n=rules.max_epochs))
    if "knn" not in rules.families:
        parts.append(t("challenge.rule.no_knn"))
    if rules.losses is not None:
        parts.append(t("challenge.rule.losses", losses=", ".join(rules.losses)))
    return "; ".join(parts) or t("challenge.rule.none")


def board_frame(ch: chs.Challenge) -> pd.DataFrame:
    rows = [{t("challenge.col.rank"): e.rank, t("challenge.col.nickname"): e.nickname,
             t("challenge.col.public"): e.public,
             **({} if ch.open else {t("challenge.col.private"): e.private}),
             t("challenge.col.count"): e.submissions,
             t("challenge.col.time"): time.strftime("%H:%M:%S", time.localtime(e.submitted))}
            for e in chs.leaderboard(ch)]
    return pd.DataFrame(rows)


def board_ui(ch: chs.Challenge, key: str) -> None:
    frame = board_frame(ch)
    if frame.empty:
        st.caption(t("challenge.board.empty"))
        return
    percent = st.column_config.NumberColumn(format="percent")
    with st.container(key=f"{key}_board"):  # the key names the board in the page (browser tests find it by it)
        st.dataframe(frame, hide_index=True, width="stretch", height=min(BOARD_HEIGHT, 16 + ROW_PX * (len(frame) + 1)),
                     column_config={t("challenge.col.public"): percent, t("challenge.col.private"): percent})


def header_ui(ch: chs.Challenge) -> None:
    state = t("challenge.open") if ch.open else t("challenge.closed")
    st.markdown(f"**{ch.title}** · {state}")
    if ch.goal:
        st.caption(ch.goal)
    hidden = t("challenge.hidden.mnist", n=hidden_count()) if ch.hidden == "mnist" else t("challenge.hidden.classset")
    st.caption(t("challenge.rules", rules=rules_text(ch.rules), hidden=hidden))


# ---- the teacher (Class page) --------------------------------------------------------------------------------

def _open(cls: classes.Class) -> None:
    ss = st.session_state
    families = chs.FAMILIES if ss.get("ch_knn", True) else ("torch", "scratch")
    rules = chs.Rules(max_parameters=ss.get("ch_params") or None, max_epochs=ss.get("ch_epochs") or None,
                      families=families)
    try:
        chs.open_challenge(cls, ss.get("ch_title", ""), ss.get("ch_goal", ""), rules, ss.get("ch_hidden", "mnist"))
    except chs.ChallengeError as exc:
        ss["ch_error"] = exc
        return
    ss["ch_title"] = ""


def _close(cls: classes.Class, challenge_id: str) -> None:
    chs.close_challenge(chs.get(cls, challenge_id))


def open_form_ui(cls: classes.Class) -> None:
    with st.expander("🏁 " + t("challenge.new"), expanded=not chs.challenges_of(cls)):
        st.text_input(t("challenge.title"), key="ch_title", max_chars=chs.MAX_TITLE,
                      placeholder=t("challenge.title.placeholder"))
        st.text_input(t("challenge.goal"), key="ch_goal", max_chars=chs.MAX_GOAL)
        left, right = st.columns(2)
        left.number_input(t("challenge.max_params"), min_value=0, max_value=5_000_000, value=10_000, step=1000,
                          key="ch_params", help=t("challenge.zero_is_none"))
        right.number_input(t("challenge.max_epochs"), min_value=0, max_value=100, value=0, key="ch_epochs",
                           help=t("challenge.zero_is_none"))
        st.checkbox(t("challenge.knn_ok"), value=True, key="ch_knn")
        st.radio(t("challenge.hidden"), chs.HIDDEN_KINDS, key="ch_hidden", horizontal=True,
                 format_func=lambda k: t(f"challenge.hidden.{k}", n=hidden_count()),
                 help=t("challenge.hidden.help", n=hidden_count()))
        st.button(t("challenge.open_button"), key="ch_open", type="primary", on_click=_open, args=(cls,))
        if st.session_state.get("ch_error") is not None:
            st.warning(reason(st.session_state.pop("ch_error")))


@st.fragment(run_every=REFRESH_S)
def teacher_boards_ui(class_id: str) -> None:
    cls = classes.get(class_id)
    for ch in chs.challenges_of(cls):
        with st.container(border=True):
            header_ui(ch)
            board_ui(ch, f"ch_{ch.id}")
            left, right = st.columns(2)
            if ch.open:
                left.button(t("challenge.close"), key=f"ch_close_{ch.id}", on_click=_close, args=(cls, ch.id),
                            help=t("challenge.close.help"))
            right.download_button(t("challenge.csv"), data=chs.leaderboard_csv(ch), mime="text/csv",
                                  file_name=f"leaderboard-{ch.id}.csv", key=f"ch_csv_{ch.id}", on_click="ignore",
                                  icon="⬇️")


def class_challenges_ui(cls: classes.Class) -> None:
    """The Class page's challenge section: open one, and every challenge's leaderboard, close and CSV."""
    st.subheader("🏆 " + t("challenge.section"))
    open_form_ui(cls)
    teacher_boards_ui(cls.id)


# ---- the students (Runs page) --------------------------------------------------------------------------------

def _submit(challenge_id: str, class_id: str, ws_id: str) -> None:
    ss = st.session_state
    ws = wss.at(ws_id)
    try:
        ch = chs.get(classes.get(class_id), challenge_id)
        sub = chs.submit(ch, ws, ss.get(f"ch_run_{challenge_id}") or "")
        enqueue_scoring(class_id, challenge_id, sub.id)
    except chs.ChallengeError as exc:
        ss[f"ch_refused_{challenge_id}"] = exc
        return
    except Exception:  # the queue cannot be reached: the submission waits, the student is told
        ss[f"ch_queue_down_{challenge_id}"] = True
        return
    ss[f"ch_sent_{challenge_id}"] = sub.run


@st.fragment(run_every=REFRESH_S)
def student_board_ui(class_id: str, challenge_id: str, member_id: str) -> None:
    ch = chs.get(classes.get(class_id), challenge_id)
    mine = [s for s in chs.submissions(ch) if s.member == member_id]
    waiting = [s.run for s in mine if s.state == "queued"]
    if waiting:
        st.caption(t("challenge.scoring", runs=", ".join(waiting)))
    board_ui(ch, f"ch_student_{ch.id}")


def student_challenges_ui(ws: wss.Workspace, run_names: list[str]) -> None:
    """The Runs page's challenge section for a student in a class: submit a finished run, see the leaderboard."""
    found = classes.membership(ws)
    if found is None:
        return
    cls, member = found
    shown = chs.challenges_of(cls)
    if not shown:
        return
    st.subheader("🏆 " + t("challenge.section"))
    for ch in shown:
        with st.container(border=True):
            header_ui(ch)
            if ch.open:
                left, right = st.columns([3, 1], vertical_alignment="bottom")
                left.selectbox(t("challenge.pick_run"), run_names, key=f"ch_run_{ch.id}")
                right.button(t("challenge.submit"), key=f"ch_submit_{ch.id}", type="primary",
                             on_click=_submit, args=(ch.id, cls.id, ws.id), disabled=not run_names)
                st.caption(t("challenge.used", n=chs.used(ch, member.id), limit=settings.submissions()))
                refused = st.session_state.pop(f"ch_refused_{ch.id}", None)
                if refused is not None:
                    st.warning(t("challenge.refused", reason=reason(refused)))
                if st.session_state.pop(f"ch_queue_down_{ch.id}", False):
                    st.warning(t("challenge.queue_down"))
                sent = st.session_state.pop(f"ch_sent_{ch.id}", None)
                if sent is not None:
                    st.success(t("challenge.sent", run=sent))
            student_board_ui(cls.id, ch.id, member.id)
