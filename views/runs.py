"""Runs: the workspace's runs and the server's shared ones in a table; rename, delete, download, save, upload."""

from __future__ import annotations

import streamlit as st

from core.lab.limits import LimitError
from core.lab.runfiles.format import RunError
from core.lab.runfiles.zips import run_to_zip
from core.learn.run import summary
from ui import run_list, session
from ui.challenges import student_challenges_ui
from ui.code_export import code_buttons_ui
from ui.run_actions import ActionError, add_uploaded_run, delete_run, folder_for, folder_taken, rename_run, share_run
from ui.session import t

PICK = "runs_run"  # the select box of the selected run
FLASH = "runs_flash"  # messages left by a callback for the next run of the page: [(kind, text)]
UPLOAD_FLASH = "runs_upload_flash"  # the same, for the upload result: drawn under the uploader
STATUSES = ("finished", "stopped", "diverged", "target")


def flash(kind: str, text: str, where: str = FLASH) -> None:
    st.session_state.setdefault(where, []).append((kind, text))


# ---- callbacks (run before the page script, so they may set widget state) ---------------------------------

def remember(key: str, value) -> None:
    st.session_state[key] = value


def forget(key: str) -> None:
    st.session_state.pop(key, None)


def on_rename(old: str) -> None:
    try:
        new = rename_run(session.workspace(), old, st.session_state.get("runs_new_name", ""))
    except ActionError as exc:
        flash("error", t(exc.key, **exc.values))
        return
    if new != old:
        run_list.set_current_run(new)
        flash("success", t("runs.rename.done", old=old, new=new))
    st.session_state["runs_new_name"] = ""


def on_delete(name: str) -> None:
    st.session_state.pop("runs_confirm_delete", None)
    try:
        deleted = delete_run(session.workspace(), name)
    except ActionError as exc:
        flash("error", t(exc.key, **exc.values))
        return
    if deleted:
        flash("success", t("runs.delete.done", name=name))


def on_save(name: str, overwrite: bool = False) -> None:
    st.session_state.pop("runs_confirm_save", None)
    run = run_list.runs().get(name)
    if run is None:
        return
    folder = folder_for(run, run_list.RUNS_DIR)
    if folder_taken(folder) and not overwrite:
        st.session_state["runs_confirm_save"] = name
        return
    try:
        share_run(session.workspace(), run, run_list.RUNS_DIR)
    except LimitError as exc:
        flash("warning", t("runs.save.failed", folder=folder, msg=session.reason(exc)))
        return
    except OSError as exc:
        flash("error", t("runs.save.failed", folder=folder, msg=exc.strerror or exc))
        return
    flash("success", t("runs.save.done", name=name, folder=folder))


def on_reload() -> None:
    """The table reads the folders on every run; this only says what the shared folder holds now."""
    shared = [run.name for run in run_list.runs().values() if run.origin == "disk"]
    if shared:
        flash("success", t("runs.reload.added", n=len(shared), names=", ".join(shared)))
    else:
        flash("info", t("runs.reload.none", folder=run_list.RUNS_DIR))


def on_upload(key: str) -> None:
    uploaded = st.session_state.get(key)
    if uploaded is None:
        return
    st.session_state["runs_upload_n"] = st.session_state.get("runs_upload_n", 0) + 1  # a fresh, empty uploader:
    # the session lets go of the file's bytes whether it was added or refused
    # the result is said next to the uploader (UPLOAD_FLASH), where the eye is, not at the top of the page
    try:
        name = add_uploaded_run(session.workspace(), uploaded.name, uploaded.getvalue())
    except LimitError as exc:
        flash("warning", t("runs.upload.limit", file=uploaded.name, msg=session.reason(exc)), UPLOAD_FLASH)
        return
    except RunError as exc:
        flash("error", t("runs.upload.bad", file=uploaded.name, msg=session.reason(exc)), UPLOAD_FLASH)
        return
    run_list.set_current_run(name)
    flash("success", t("runs.upload.done", name=name), UPLOAD_FLASH)


# ---- drawing ------------------------------------------------------------------------------------------------

def flash_ui(where: str = FLASH) -> None:
    for kind, text in st.session_state.pop(where, []):
        getattr(st, kind)(text)


def table_ui(runs: dict) -> None:
    st.subheader(t("runs.table"))
    if not runs:
        st.info(t("runs.empty"))
        return
    rows = []
    for run in reversed(runs.values()):
        s = summary(run)
        status = s["status"] if s["status"] in STATUSES else "unknown"
        rows.append({
            t("runs.col.name"): s["name"], t("runs.col.arch"): s["arch"], t("runs.col.loss"): s["loss"] or "–",
            t("runs.col.optimizer"): s["optimizer"] or "–",
            t("runs.col.lr"): "–" if s["lr"] is None else f"{s['lr']:g}",
            t("runs.col.batch"): s["batch_size"], t("runs.col.epochs"): s["epochs"],  # None: shown empty
            t("common.accuracy"): s["test_acc"], t("common.seconds"): s["seconds"],
            t("runs.col.status"): t(f"runs.status.{status}"), t("runs.col.origin"): t(f"runs.origin.{s['origin']}"),
        })
    st.dataframe(rows, hide_index=True, key="runs_table", column_config={
        t("common.accuracy"): st.column_config.NumberColumn(format="percent"),
        t("common.seconds"): st.column_config.NumberColumn(format="%.1f"),
    })
    st.caption(t("runs.table.caption"))


def rename_ui(run) -> None:
    st.text_input(t("runs.rename.label"), key="runs_new_name", placeholder=run.name, help=t("runs.rename.help"),
                  max_chars=80)
    st.button(t("runs.rename.button"), key="runs_rename", on_click=on_rename, args=(run.name,),
              help=t("runs.rename.button.help"))


def keep_ui(run) -> None:
    st.download_button(t("runs.download"), data=lambda: run_to_zip(run), file_name=f"{folder_for(run, '').name}.zip",
                       mime="application/zip", key="runs_download", on_click="ignore", icon="⬇️",
                       help=t("runs.download.help"))
    code_buttons_ui(run.config, run.name, "runs")
    if st.session_state.get("runs_confirm_save") == run.name:
        st.warning(t("runs.save.exists", folder=folder_for(run, run_list.RUNS_DIR)))
        yes, no = st.columns(2)
        yes.button(t("runs.save.overwrite"), key="runs_save_yes", type="primary", on_click=on_save,
                   args=(run.name, True), help=t("runs.save.help"))
        no.button(t("runs.cancel"), key="runs_save_no", on_click=forget, args=("runs_confirm_save",))
    else:
        st.button(t("runs.save"), key="runs_save", on_click=on_save, args=(run.name,), icon="💾",
                  help=t("runs.save.help"))


def delete_ui(run) -> None:
    if st.session_state.get("runs_confirm_delete") == run.name:
        st.warning(t("runs.delete.confirm", name=run.name))
        yes, no = st.columns(2)
        yes.button(t("runs.delete.yes"), key="runs_delete_yes", type="primary", on_click=on_delete,
                   args=(run.name,), help=t("runs.delete.help"))
        no.button(t("runs.cancel"), key="runs_delete_no", on_click=forget, args=("runs_confirm_delete",))
    else:
        st.button(t("runs.delete"), key="runs_delete", icon="🗑️", help=t("runs.delete.help"),
                  on_click=remember, args=("runs_confirm_delete", run.name))


def selected_ui() -> None:
    st.subheader(t("runs.selected"))
    run = run_list.run_picker_ui(key=PICK)
    if run is None:
        return
    left, middle, right = st.columns(3, gap="large")
    mine = run_list.is_mine(run)
    with left:
        if mine:
            rename_ui(run)
        else:
            st.info(t("runs.shared", folder=run_list.RUNS_DIR))
    with middle:
        keep_ui(run)
    with right:
        if mine:
            delete_ui(run)
    with st.expander(t("runs.settings")):
        st.json(run.config.to_dict())


def folder_ui() -> None:
    st.subheader(t("runs.folder.title"))
    root = run_list.RUNS_DIR
    st.markdown(t("runs.folder.body", folder=root.resolve(), out=root / "NAME"))
    st.button(t("runs.reload"), key="runs_reload", on_click=on_reload, icon="🔄", help=t("runs.reload.help"))


def upload_ui() -> None:
    st.subheader(t("runs.upload.title"))
    key = f"runs_upload_{st.session_state.get('runs_upload_n', 0)}"
    # any file type: a wrong one is refused with a translated reason here, not a bare red icon in the browser
    st.file_uploader(t("runs.upload.label"), key=key, on_change=on_upload, args=(key,), help=t("runs.upload.help"))
    flash_ui(UPLOAD_FLASH)


st.title("🗂️ " + t("nav.runs"))
st.markdown(t("runs.intro"))
flash_ui()
table_ui(run_list.runs())
selected_ui()
student_challenges_ui(session.workspace(), [r.name for r in reversed(run_list.runs().values()) if run_list.is_mine(r)])
st.divider()
files, server = st.columns(2, gap="large")
with files:
    upload_ui()
with server:
    folder_ui()
