"""The Train page's controls: a preset picker and every setting of a TrainConfig (widgets end in _ui).

Each control keeps its value in st.session_state["train_<field>"] with persist_state="session", so
the settings survive a visit to another page; they are also saved in the workspace (its "train_form" setting),
so that a reload, a second tab or another computer opens the form as it was left. Choosing a preset writes its
values into those keys; touching any control turns the picker to "custom".
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.learn.config import (
    ACTIVATIONS,
    DEVICES,
    KNN_FEATURES,
    LOSSES,
    OPTIMIZERS,
    SCHEDULES,
    ConfigError,
    TrainConfig,
)
from core.learn.families import FAMILIES
from core.learn.families.nets import device_availability
from core.learn.losses import FORMULAS
from core.learn.presets import PRESETS
from ui.i18n.train import ZH_SOURCES
from ui.session import reason, t, workspace
from ui.train_form import (
    ARCH_KINDS,
    BATCH_CHOICES,
    CUSTOM,
    L2_CHOICES,
    LR_CHOICES,
    MAX_EPOCHS,
    SMOOTHING_CHOICES,
    SUBSET_CHOICES,
    TARGET_CHOICES,
    config_from_form,
    form_from_config,
    parse_widths,
    uses,
)

DEFAULT_PRESET = "mlp-adam"
PRESET_KEY = "train_preset"
CLASS_PRESET = "class-setup"  # the picker's entry for the setup a student's class pinned (first when there is one)
CLASS_SETUP_KEY = "train_class_setup"  # session: that setup's text, put there by ui.classroom before the page draws
KEEP = {"persist_state": "session"}  # every control keeps its value across page switches
K_RANGE = FAMILIES["knn"].limits["k"]
HIDDEN_RANGE, GRID_RANGE, SEED_RANGE = (1, 4096), (1, 28), (0, 2**31 - 1)  # the NumPy net's units, kNN's grid, seed
SAVED = "train_form"  # the workspace setting that holds the form as it was last left
MAX_WIDTHS_TEXT = 200  # a saved widths text longer than this is not put back (the field itself takes any text)


def key(field: str) -> str:
    return f"train_{field}"


def available_devices() -> dict[str, str | None]:
    """Every device of core.learn.config.DEVICES -> None if usable here, else the reason it is not."""
    reasons = device_availability()
    return {d: None if d == "auto" else reasons.get(d) for d in DEVICES}


def _usable() -> set[str]:
    return {d for d, why in available_devices().items() if why is None}


def _write_form(form: dict) -> None:
    for field, value in form.items():
        st.session_state[key(field)] = value


def class_setup() -> TrainConfig | None:
    """The setup the student's class pinned, if any (a setup that no longer reads as one: None)."""
    from core.learn.setup import from_setup

    text = st.session_state.get(CLASS_SETUP_KEY)
    try:
        return from_setup(text) if text else None
    except ConfigError:
        return None


def _apply_preset() -> None:
    """on_change of the preset picker: fill every control with the preset's (or the class setup's) values."""
    name = st.session_state.get(PRESET_KEY)
    config = class_setup() if name == CLASS_PRESET else PRESETS[name].config if name in PRESETS else None
    if config is not None:
        _write_form(form_from_config(config, _usable()))


def _mark_custom() -> None:
    """on_change of any control: the settings are no longer exactly a preset."""
    st.session_state[PRESET_KEY] = CUSTOM


def _ranged(lo: int, hi: int) -> Callable[[object], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _one_of(choices) -> Callable[[object], bool]:
    return lambda v: not isinstance(v, bool | list | dict) and v in choices  # True == 1: not a choice of 1


# What each saved field may hold to be put back: a workspace's settings file is the student's, edited or old.
_ALLOWED: dict[str, Callable[[object], bool]] = {
    "arch_kind": _one_of(ARCH_KINDS), "activation": _one_of(ACTIVATIONS), "loss": _one_of(LOSSES),
    "optimizer": _one_of(OPTIMIZERS), "schedule": _one_of(SCHEDULES), "knn_features": _one_of(KNN_FEATURES),
    "device": lambda v: _one_of(DEVICES)(v) and v in _usable(), "lr": _one_of(LR_CHOICES), "l2": _one_of(L2_CHOICES),
    "label_smoothing": _one_of(SMOOTHING_CHOICES), "batch_size": _one_of(BATCH_CHOICES),
    "target_accuracy": _one_of(TARGET_CHOICES), "train_subset": _one_of(SUBSET_CHOICES),
    "widths": lambda v: isinstance(v, str) and len(v) <= MAX_WIDTHS_TEXT,
    "hidden": _ranged(*HIDDEN_RANGE), "epochs": _ranged(1, MAX_EPOCHS), "k": _ranged(*K_RANGE),
    "knn_grid": _ranged(*GRID_RANGE), "seed": _ranged(*SEED_RANGE),
}
# The controls whose value a session can hold and the control not show (a choice list or the machine changed)
_SNAPPED = ("lr", "l2", "label_smoothing", "batch_size", "target_accuracy", "train_subset", "device")


def restore_form() -> None:
    """Once per session, before anything else writes the form (a settings link, the class's locks): put back the
    form as this workspace last left it, each value only if its control can still show it."""
    ss = st.session_state
    if PRESET_KEY in ss:
        return
    saved = workspace().settings().get(SAVED)
    if not isinstance(saved, dict):
        return
    for field, allowed in _ALLOWED.items():
        if field in saved and allowed(saved[field]):
            ss[key(field)] = saved[field]
    preset = saved.get(PRESET_KEY)
    ss[PRESET_KEY] = preset if _one_of([*PRESETS, CUSTOM, CLASS_PRESET])(preset) else CUSTOM
    ss["train_form_saved"] = saved


def save_form() -> None:
    """Save the form in the workspace when it changed (one small file write per change, none per rerun)."""
    ss = st.session_state
    form = {PRESET_KEY: ss.get(PRESET_KEY), **{f: ss[key(f)] for f in _ALLOWED if key(f) in ss}}
    if form != ss.get("train_form_saved"):
        workspace().set_setting(SAVED, form)
        ss["train_form_saved"] = form


def init_state() -> None:
    """Fill the controls' keys once per session (from the default preset); repair values a control cannot show."""
    ss = st.session_state
    if PRESET_KEY not in ss:
        ss[PRESET_KEY] = DEFAULT_PRESET
    if ss[PRESET_KEY] == CLASS_PRESET and class_setup() is None:  # left the class, or the setup was unpinned
        ss[PRESET_KEY] = CUSTOM
    defaults = form_from_config(PRESETS[DEFAULT_PRESET].config, _usable())
    defaults.setdefault("widths", "128,64")
    defaults.setdefault("hidden", 30)
    for field, value in defaults.items():
        ss.setdefault(key(field), value)
    for field in _SNAPPED:
        if not _ALLOWED[field](ss[key(field)]):
            ss[key(field)] = defaults[field]
    lang = ss.get("lang", "en")
    if ss.get("train_lang", lang) != lang:
        # The labels changed language but the values did not, so Streamlit would not tell the browser, which
        # would keep showing the old language's label. Writing each value back makes it send them again.
        for k in [PRESET_KEY, *(key(f) for f in defaults)]:
            if k in ss:
                ss[k] = ss[k]
    ss["train_lang"] = lang


def _labels(names: dict, fmt: str = "{}") -> Callable:
    """A format_func over labels translated now (AppTest calls format_func outside the script run)."""
    return lambda v: names[v] if v in names else fmt.format(v)


def _named(prefix: str, options) -> Callable:
    """format_func showing t(prefix.option) for each option."""
    return _labels({v: t(f"{prefix}.{v}") for v in options})


def _boxed(draw: Callable[..., dict], *args) -> dict:
    """Draw one group of controls in a bordered box."""
    with st.container(border=True):
        return draw(*args)


def _heading(text: str) -> None:
    st.markdown(f"**{text}**")


def preset_ui() -> str:
    """The preset picker (the class's setup first when the student's class pinned one) and the recipe's source."""
    pinned = class_setup()
    options = [*([CLASS_PRESET] if pinned is not None else []), *PRESETS, CUSTOM]
    name = st.selectbox(t("train.preset"), options, key=PRESET_KEY, on_change=_apply_preset,
                        format_func=_labels({CUSTOM: t("train.preset.custom"), CLASS_PRESET: t("class.setup.preset")}),
                        help=t("train.preset.help"), **KEEP)
    if name == CLASS_PRESET and pinned is not None:
        from ui.train_form import summary

        st.caption(t("class.setup.pinned", summary=summary(pinned, st.session_state.get("lang", "en"))))
    elif name in PRESETS:
        source = ZH_SOURCES.get(name) if st.session_state.get("lang") == "zh" else None
        st.caption("📖 " + (source or PRESETS[name].source))
    else:
        st.caption(t("train.preset.custom.note"))
    return name


def model_ui() -> dict:
    """Architecture (with MLP widths or the NumPy network's hidden size) and activation."""
    _heading(t("train.group.model"))
    kind = st.selectbox(t("train.arch"), ARCH_KINDS, key=key("arch_kind"), on_change=_mark_custom,
                        format_func=_named("train.arch", ARCH_KINDS), help=t("train.arch.help"), **KEEP)
    form = {"arch_kind": kind}
    if kind == "mlp":
        form["widths"] = st.text_input(t("train.widths"), key=key("widths"), on_change=_mark_custom,
                                       help=t("train.widths.help"), placeholder="128,64", **KEEP)
    if kind == "scratch":
        form["hidden"] = st.number_input(t("train.hidden"), min_value=HIDDEN_RANGE[0], max_value=HIDDEN_RANGE[1],
                                         step=10, key=key("hidden"), on_change=_mark_custom,
                                         help=t("train.hidden.help"), **KEEP)
        st.info(t("train.note.scratch"))
    if kind == "knn":
        st.info(t("train.note.knn"))
    if uses(kind, "activation"):
        form["activation"] = st.radio(t("train.activation"), ACTIVATIONS, key=key("activation"), horizontal=True,
                                      on_change=_mark_custom, help=t("train.activation.help"), **KEEP)
    elif kind in ("cnn", "lenet5", "linear"):
        st.caption(t(f"train.note.activation.{'linear' if kind == 'linear' else 'relu'}"))
    return form


def objective_ui(kind: str) -> dict:
    """Loss (with its formula) and the L2 penalty."""
    if not uses(kind, "loss"):
        return {}
    _heading(t("train.group.objective"))
    loss = st.radio(t("train.loss"), LOSSES, key=key("loss"), horizontal=True, on_change=_mark_custom,
                    format_func=_named("train.loss", LOSSES), help=t("train.loss.help"), **KEEP)
    st.latex(FORMULAS[loss])
    st.caption(t(f"train.loss.{loss}.note"))
    l2 = st.select_slider(t("train.l2"), L2_CHOICES, key=key("l2"), on_change=_mark_custom,
                          format_func=_labels({0.0: t("train.off")}, "{:g}"), help=t("train.l2.help"),
                          **KEEP)
    form = {"loss": loss, "l2": l2}
    if loss == "ce":
        form["label_smoothing"] = st.select_slider(
            t("train.smoothing"), SMOOTHING_CHOICES, key=key("label_smoothing"), on_change=_mark_custom,
            format_func=_labels({0.0: t("train.off")}, "{:g}"), help=t("train.smoothing.help"), **KEEP)
    return form


def optimisation_ui(kind: str) -> dict:
    """Optimizer, learning rate (log scale), batch size, epochs, schedule."""
    if not uses(kind, "lr"):
        return {}
    _heading(t("train.group.optimisation"))
    form = {}
    if uses(kind, "optimizer"):
        form["optimizer"] = st.radio(t("train.optimizer"), OPTIMIZERS, key=key("optimizer"), horizontal=True,
                                     on_change=_mark_custom, format_func=_named("train.optimizer", OPTIMIZERS),
                                     help=t("train.optimizer.help"), **KEEP)
    form["lr"] = st.select_slider(t("train.lr"), LR_CHOICES, key=key("lr"), on_change=_mark_custom,
                                  format_func="{:g}".format, help=t("train.lr.help"), **KEEP)
    form["batch_size"] = st.select_slider(t("train.batch"), BATCH_CHOICES, key=key("batch_size"),
                                          on_change=_mark_custom, help=t("train.batch.help"), **KEEP)
    form["epochs"] = st.number_input(t("train.epochs"), min_value=1, max_value=MAX_EPOCHS, step=1,
                                     key=key("epochs"), on_change=_mark_custom, help=t("train.epochs.help"), **KEEP)
    if uses(kind, "schedule"):
        form["schedule"] = st.radio(t("train.schedule"), SCHEDULES, key=key("schedule"), horizontal=True,
                                    on_change=_mark_custom, format_func=_named("train.schedule", SCHEDULES),
                                    help=t("train.schedule.help"), **KEEP)
    return form


def knn_ui(kind: str) -> dict:
    """k, the features and the grid of the kNN baseline."""
    if kind != "knn":
        return {}
    _heading(t("train.group.knn"))
    form = {
        "k": st.number_input(t("train.k"), min_value=K_RANGE[0], max_value=K_RANGE[1], step=1, key=key("k"),
                             on_change=_mark_custom, help=t("train.k.help"), **KEEP),
        "knn_features": st.radio(t("train.knn_features"), KNN_FEATURES, key=key("knn_features"), horizontal=True,
                                 on_change=_mark_custom, format_func=_named("train.knn_features", KNN_FEATURES),
                                 help=t("train.knn_features.help"), **KEEP),
    }
    if form["knn_features"] == "blocks":
        form["knn_grid"] = st.slider(t("train.knn_grid"), min_value=GRID_RANGE[0], max_value=GRID_RANGE[1],
                                     key=key("knn_grid"), on_change=_mark_custom, help=t("train.knn_grid.help"),
                                     **KEEP)
    return form


def device_ui(kind: str) -> dict:
    """Every device: the usable ones to choose from, the others listed greyed out with the reason."""
    _heading(t("train.group.device"))
    form = {}
    reasons = available_devices()
    if uses(kind, "device"):
        usable = [d for d, why in reasons.items() if why is None]
        form["device"] = st.radio(t("train.device"), usable, key=key("device"), horizontal=True,
                                  on_change=_mark_custom, format_func=_labels({d: _device_label(d) for d in usable}),
                                  help=t("train.device.help"),
                                  **KEEP)
        for d, why in reasons.items():
            if why is not None:
                st.caption(t("train.device.unavailable", device=_device_name(d), reason=t(f"error.no_{d}")))
    else:
        st.caption(t("train.note.device.scratch"))
    if uses(kind, "seed"):
        form["seed"] = st.number_input(t("train.seed"), min_value=SEED_RANGE[0], max_value=SEED_RANGE[1], step=1,
                                       key=key("seed"), on_change=_mark_custom, help=t("train.seed.help"), **KEEP)
    return form


def _device_name(d: str) -> str:
    return {"auto": t("train.device.auto"), "cpu": "CPU", "cuda": "CUDA (NVIDIA GPU)", "mps": "MPS (Apple GPU)"}[d]


def _device_label(d: str) -> str:
    if d == "auto":
        from core.learn.families.nets import resolve_device

        return f"{_device_name(d)} → {resolve_device('auto').type.upper()}"
    return _device_name(d)


def extras_ui(kind: str) -> dict:
    """Stop at a target accuracy, train on fewer images: in an expander."""
    form = {}
    with st.expander(t("train.group.extras"), expanded=False):
        form["train_subset"] = st.select_slider(
            t("train.subset"), SUBSET_CHOICES, key=key("train_subset"), on_change=_mark_custom,
            format_func=_labels({0: t("train.subset.all")}, "{:,}"), help=t("train.subset.help"), **KEEP)
        if uses(kind, "target_accuracy"):
            form["target_accuracy"] = st.select_slider(
                t("train.target"), TARGET_CHOICES, key=key("target_accuracy"), on_change=_mark_custom,
                format_func=_labels({0.0: t("train.off")}, "{:.1%}"), help=t("train.target.help"), **KEEP)
    return form


def train_controls_ui() -> tuple[TrainConfig | None, str]:
    """Draw every control; the TrainConfig they describe (None, with a friendly error, if they describe none)
    and the preset name (or "custom")."""
    init_state()
    save_form()  # the values as drawn: a preset chosen or a control moved (their callbacks ran before this run)
    preset = preset_ui()
    form = _boxed(model_ui)
    kind = form["arch_kind"]
    if uses(kind, "loss"):
        form |= _boxed(objective_ui, kind)
    if uses(kind, "lr"):
        form |= _boxed(optimisation_ui, kind)
    if kind == "knn":
        form |= _boxed(knn_ui, kind)
    form |= _boxed(device_ui, kind)
    form |= extras_ui(kind)
    if kind == "mlp":
        try:
            parse_widths(form["widths"])
        except ConfigError:
            st.error(t("train.widths.bad", text=form["widths"]))
            return None, preset
    try:
        return config_from_form(form), preset
    except ConfigError as exc:
        st.error(t("train.invalid", msg=reason(exc)))
        return None, preset
