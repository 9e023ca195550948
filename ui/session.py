"""This tab's session: its language and its workspace (from the URL, else the tab's, else a new one).

Session state only remembers which workspace this tab has open and its language, because Streamlit drops the
URL's query parameters when the user changes page (app.py writes them back). Everything a student makes is read
from the workspace's folder (ui.run_list, ui.job_list), so a reload, a second tab or a restarted server shows the
same things.
"""

from __future__ import annotations

import streamlit as st

from core.lab import limits
from core.lab import workspaces as wss
from ui.i18n import LANGS
from ui.i18n import reason as translate_reason
from ui.i18n import t as translate

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
    """The open workspace: app.py opens one before any page runs (pages never open one themselves)."""
    ws = current_workspace()
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
