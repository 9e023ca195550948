"""The class in the app: the sidebar's class box, the links (?teacher=, ?setup=, ?view=), what the Train page
adds for a class (the pinned setup, locked controls, "share these settings") and the projector's read-only run.

The teacher key never stays in the URL: app.py hands it here on the first page run, it is kept in the tab's
session only, and the URL loses it (a projected address bar shows none). The teacher's workspace remembers
which classes it started, never their keys: its id is in every address bar.
A student's run is projected by `?view=<class>/<member>/<run>`, which opens nothing without the class's
teacher key in the same session; the run is loaded read-only, the student's workspace id never leaves the
server.
"""

from __future__ import annotations

import copy
from urllib.parse import quote, urlsplit

import streamlit as st

from core.lab import classes
from core.lab import workspaces as wss
from core.lab.classes import Class, ClassError
from core.lab.runfiles.folders import safe_name
from core.learn.config import ConfigError, TrainConfig
from core.learn.presets import PRESETS
from core.learn.run import Run
from core.learn.setup import from_setup, to_setup
from ui import run_list, session
from ui.session import lang, reason, t
from ui.train_form import CUSTOM, config_from_form, form_from_config, summary

TEACHER_PARAM, SETUP_PARAM, VIEW_PARAM = "teacher", "setup", "view"
KEYS = "class_keys"  # session: {class id: teacher key} given by a teacher link in this tab
VIEW = "class_view"  # session: "<class>/<member>/<run>" shown on the projector
PAGES_THAT_PROJECT = ("evaluate", "inside", "compare")
PICKER_KEYS = {"evaluate_run": str, "inside_run": str, "compare_runs": list}
FORM_FIELDS = ("arch_kind", "widths", "hidden", "activation", "loss", "l2", "label_smoothing", "optimizer", "lr",
               "batch_size", "epochs", "schedule", "device", "seed", "target_accuracy", "train_subset", "k",
               "knn_features", "knn_grid")
LOCK_KEYS = {"arch": ("arch_kind", "widths", "hidden")}  # a locked setting -> the Train controls it fixes


def _form_key(field: str) -> str:
    return f"train_{field}"  # ui.train_controls.key: the Train controls keep their values under these keys


# ---- teacher keys and links -------------------------------------------------------------------------------

def read_links() -> None:
    """Take ?teacher=, ?setup= and ?view= out of the URL into the session (app.py calls this on every run)."""
    params, ss = st.query_params, st.session_state
    key = params.get(TEACHER_PARAM)
    if key is not None:
        del params[TEACHER_PARAM]
        try:
            cls = classes.find_by_teacher_key(key)
        except ClassError:
            ss["class_key_refused"] = True
        else:
            ss.pop("class_key_refused", None)
            ss[KEYS] = {**ss.get(KEYS, {}), cls.id: key}
    setup = params.get(SETUP_PARAM)
    if setup is not None:
        del params[SETUP_PARAM]
        ss["class_setup_link"] = setup  # filled into the Train form when the Train page runs
    view = params.get(VIEW_PARAM)
    if view is not None and view != ss.get(VIEW):
        if _projected(view) is None:
            del params[VIEW_PARAM]
        else:
            _show(view)


def teacher_classes() -> list[tuple[Class, str]]:
    """The classes this tab may see as their teacher: only those whose teacher key this tab was given (a teacher
    link, or creating the class here). A workspace link is no key: it shows in the address bar."""
    found = {}
    for class_id, key in st.session_state.get(KEYS, {}).items():
        if class_id not in found:
            try:
                found[class_id] = (classes.find_by_teacher_key(key), key)
            except ClassError:
                continue
    return sorted(found.values(), key=lambda pair: pair[0].created)


def _teaches(class_id: str) -> Class | None:
    return next((cls for cls, _ in teacher_classes() if cls.id == class_id), None)


def page_url(page: str, **query: str) -> str:
    """An absolute link to one of the app's pages (the server's address as the browser sees it)."""
    try:
        parts = urlsplit(st.context.url or "")
        root = f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/', 1)[0]}" if parts.netloc else ""
    except Exception:  # AppTest: no browser URL
        root = ""
    return f"{root}/{page}" + ("?" + "&".join(f"{k}={quote(v, safe=':,')}" for k, v in query.items()) if query else "")


# ---- the sidebar --------------------------------------------------------------------------------------------

def _join() -> None:
    ss = st.session_state
    try:
        cls, me = classes.join(session.workspace(), ss.get("class_join_code", ""), ss.get("class_join_nick", ""))
    except ClassError as exc:
        ss["class_join_error"] = exc
        return
    ss.pop("class_join_error", None)
    ss["class_join_code"] = ""
    ss["class_note"] = t("class.joined", name=cls.name, nickname=me.nickname)


def _leave() -> None:
    classes.leave(session.workspace())
    st.session_state.pop("class_note", None)


def _start() -> None:
    ss = st.session_state
    try:
        cls, key = classes.create_class(ss.get("class_new_name", ""), teacher=session.workspace())
    except ClassError as exc:
        ss["class_start_error"] = exc
        return
    ss.pop("class_start_error", None)
    ss[KEYS] = {**ss.get(KEYS, {}), cls.id: key}
    ss["class_created"] = (cls.id, key)
    ss["class_new_name"] = ""


def class_sidebar_ui() -> None:
    """The sidebar's class box: join or leave a class as a student; start one, and reach its page, as a teacher."""
    ss = st.session_state
    ws = session.workspace()
    with st.sidebar.expander("🏫 " + t("class.box"), expanded=False):
        mine = classes.membership(ws)
        if mine is not None:
            cls, me = mine
            st.markdown(t("class.member", name=cls.name, nickname=me.nickname))
            if cls.pinned:
                st.button(t("class.use_setup"), key="class_use_setup_side", on_click=_use_pinned, args=(cls,),
                          help=t("class.use_setup.help"))
            st.button(t("class.leave"), key="class_leave", on_click=_leave, help=t("class.leave.help"))
        else:
            st.markdown("**" + t("class.join") + "**")
            st.text_input(t("class.join.code"), key="class_join_code", max_chars=12,
                          placeholder=t("class.join.code.placeholder"), help=t("class.join.code.help"))
            st.text_input(t("class.join.nickname"), key="class_join_nick", max_chars=classes.MAX_NICKNAME,
                          help=t("class.join.nickname.help"))
            st.button(t("class.join.button"), key="class_join", on_click=_join, type="primary")
            if ss.get("class_join_error") is not None:
                st.warning(reason(ss["class_join_error"]))
        st.divider()
        taught = teacher_classes()
        if taught:
            st.caption(t("class.teaching", names=", ".join(c.name for c, _ in taught)))
            st.page_link("views/class_view.py", label=t("class.open_page"), icon="🏫")
        created = ss.get("class_created")
        if created is not None:
            try:
                cls = classes.get(created[0])
                st.success(t("class.created", name=cls.name, code=classes.pretty_join_code(cls.join_code)))
                st.code(page_url("class", teacher=created[1]), language=None, wrap_lines=True)
            except ClassError:
                ss.pop("class_created", None)
        st.markdown("**" + t("class.start") + "**")
        st.text_input(t("class.start.name"), key="class_new_name", max_chars=classes.MAX_CLASS_NAME,
                      placeholder=t("class.start.name.placeholder"), help=t("class.start.help"))
        st.button(t("class.start.button"), key="class_start", on_click=_start)
        if ss.get("class_start_error") is not None:
            st.warning(reason(ss.pop("class_start_error")))
        if ss.get("class_note"):
            st.caption(ss["class_note"])


# ---- the Train form ----------------------------------------------------------------------------------------

def _usable_devices() -> set[str]:
    from ui.train_controls import available_devices

    return {d for d, why in available_devices().items() if why is None}


def fill_form(config: TrainConfig) -> None:
    """Write a config into the Train controls' keys (every control), as choosing a preset does."""
    form = form_from_config(config, _usable_devices())
    form.setdefault("widths", "128,64")
    form.setdefault("hidden", 30)
    for field, value in form.items():
        st.session_state[_form_key(field)] = value
    st.session_state["train_preset"] = CUSTOM


def _default_config() -> TrainConfig:
    from ui.train_controls import DEFAULT_PRESET

    return PRESETS[DEFAULT_PRESET].config


def _use_pinned(cls: Class) -> None:
    """on_click of the sidebar's "Use the class's setup": choose it in the Train page's preset picker, and go there."""
    from ui.train_controls import CLASS_PRESET, CLASS_SETUP_KEY

    try:
        fill_form(from_setup(cls.pinned or ""))
    except ConfigError:
        return
    st.session_state[CLASS_SETUP_KEY] = cls.pinned
    st.session_state["train_preset"] = CLASS_PRESET
    st.session_state["class_go_train"] = True


def form_config() -> TrainConfig | None:
    """The config the Train controls describe now (the default preset's before the page first ran)."""
    ss = st.session_state
    if _form_key("arch_kind") not in ss:
        return _default_config()
    form = {f: ss[_form_key(f)] for f in FORM_FIELDS if _form_key(f) in ss}
    try:
        return config_from_form(form)
    except (ConfigError, KeyError, TypeError, ValueError):
        return None


def _locks(cls: Class) -> dict[str, object]:
    """The Train controls a class's locks fix, with the pinned values."""
    if not cls.pinned or not cls.locked:
        return {}
    try:
        pinned = form_from_config(from_setup(cls.pinned), _usable_devices())
    except ConfigError:
        return {}
    fixed = {}
    for name in cls.locked:
        for control in LOCK_KEYS.get(name, (name,)):
            if control in pinned:
                fixed[control] = pinned[control]
    return fixed


def train_page_ui() -> None:
    """Before the Train page draws: a settings link's values, the class's locks, its pinned setup, sharing."""
    from ui.train_controls import restore_form

    ss = st.session_state
    restore_form()  # first: the form as the workspace left it, under what a link or the class sets now
    link = ss.pop("class_setup_link", None)
    if link is not None:
        try:
            config = from_setup(link)
        except ConfigError as exc:
            from ui.train_controls import DEFAULT_PRESET

            fill_form(_default_config())
            ss["train_preset"] = DEFAULT_PRESET  # the defaults, as a first visit shows them
            st.warning(t("class.setup.refused", reason=reason(exc)), icon="⚠️")
        else:
            fill_form(config)
            st.info(t("class.setup.applied", summary=summary(config, lang())), icon="🔗")
    from ui.train_controls import CLASS_SETUP_KEY

    mine = classes.membership(session.workspace())
    _, right = st.columns([3, 1], vertical_alignment="center")
    ss.pop(CLASS_SETUP_KEY, None)
    if mine is not None and mine[0].pinned:
        cls = mine[0]
        try:
            from_setup(cls.pinned)
        except ConfigError:
            pass
        else:
            ss[CLASS_SETUP_KEY] = cls.pinned  # the preset picker offers it as "the class's setup"
            fixed = _locks(cls)
            for control, value in fixed.items():
                ss[_form_key(control)] = value
            if fixed:
                st.info(t("class.locked", names=", ".join(t(f"class.field.{f}") for f in cls.locked)), icon="🔒")
                selectors = ", ".join(f".st-key-train_{c}" for c in fixed)
                st.html(f"<style>{selectors} {{ pointer-events: none; opacity: 0.5; }}</style>")
    with right.popover("🔗 " + t("class.share"), help=t("class.share.help")):
        config = form_config()
        if config is None:
            st.caption(t("class.share.invalid"))
        else:
            st.caption(t("class.share.body"))
            st.code(page_url("train", setup=to_setup(config)), language=None, wrap_lines=True)


# ---- the projector ------------------------------------------------------------------------------------------

def _projected(view: str) -> tuple[Class, classes.Member, str] | None:
    """(class, member, run name) when `view` names a finished run of a member of a class this tab teaches."""
    parts = (view or "").split("/")
    if len(parts) != 3:
        return None
    class_id, member_id, run = parts
    cls = _teaches(class_id)
    if cls is None or run != safe_name(run):
        return None
    member = classes.member(cls, member_id)
    if member is None:
        return None
    folder = wss.at(member.workspace).runs_dir / run
    if not (folder / "model.safetensors").is_file():
        return None
    return cls, member, run


def _show(view: str) -> None:
    """Put a student's run on the projector: the run pickers of Evaluate, Inside and Compare choose it."""
    st.session_state[VIEW] = view
    name = _projected_name(view)
    if name:
        st.session_state["evaluate_run"] = st.session_state["inside_run"] = name
        st.session_state["compare_runs"] = [name]
        run_list.set_current_run(name)  # the teacher's own workspace remembers it; the student's is never written


def _projected_name(view: str) -> str | None:
    found = _projected(view)
    return f"📽 {found[1].nickname} · {found[2]}" if found else None


def project(view: str) -> None:
    """Show a run on the projector and open Evaluate (called from the Class page's button)."""
    _show(view)
    st.session_state[VIEW] = view


def stop_projecting() -> None:
    st.session_state.pop(VIEW, None)
    if VIEW_PARAM in st.query_params:
        del st.query_params[VIEW_PARAM]


def projected_runs() -> dict[str, Run]:
    """The run on the projector, read-only (origin "disk": no rename, no delete), under a name that says whose."""
    view = st.session_state.get(VIEW)
    found = _projected(view) if view else None
    if found is None:
        return {}
    _, member, run_name = found
    try:
        run = copy.copy(run_list.load_disk_run(wss.at(member.workspace).runs_dir / run_name, origin="disk"))
    except (OSError, ValueError):
        return {}
    run.name = f"📽 {member.nickname} · {run_name}"
    return {run.name: run}


def before_page_ui(url_path: str) -> None:
    """What a class adds above a page: the Train page's class row; the projected run's banner."""
    if st.session_state.pop("class_go_train", False) and url_path != "train":
        st.switch_page("views/train.py")
    if url_path == "train":
        train_page_ui()
    view = st.session_state.get(VIEW)
    if view and url_path in PAGES_THAT_PROJECT:
        found = _projected(view)
        if found is None:
            stop_projecting()
            return
        st.query_params[VIEW_PARAM] = view
        banner, stop = st.columns([4, 1], vertical_alignment="center")
        banner.info(t("class.projected", nickname=found[1].nickname, run=found[2]))
        stop.button(t("class.project.stop"), key="class_project_stop", on_click=stop_projecting)
