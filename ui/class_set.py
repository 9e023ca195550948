"""The class's own test set on the Draw page: drawings saved under their digit for everyone, each run's accuracy on
them, a review grid to relabel or prune them, the misses, and fine-tuning a copy of a run on them (queued to a worker).
Compute lives in core.lab.classset; views/draw.py draws the page and calls add_to_class_ui and class_set_ui."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from core import settings
from core.errors import LabError
from core.lab import challenges, classset, limits
from core.lab.jobs import queue as job_queue
from core.lab.jobs import store as jobs
from core.lab.limits import LimitError
from core.learn import families
from core.learn.preprocess import Preprocessed
from core.learn.run import Run
from ui.figures.draw import class_counts_bars
from ui.run_list import RUNS_DIR, is_mine, runs, set_current_run
from ui.session import reason, t, workspace
from ui.widgets import digit_image, no_workers_ui

REVIEW_MAX = 200  # drawings shown at once in the review grid (a digit filter shows the rest)


@st.cache_data(show_spinner=False, max_entries=4)
def _class_set(folder: str, signature: tuple) -> tuple[np.ndarray, np.ndarray, list[str]]:
    return classset.load_class_files(folder)


def class_files() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The class drawings and their file names, reloaded only when the folder's contents change."""
    folder = classset.class_dir()
    signature = []
    for f in classset.drawing_files(folder):
        try:
            signature.append((f.name, f.stat().st_size))
        except FileNotFoundError:  # removed by another session while we listed the folder
            continue
    return _class_set(str(folder), tuple(signature))


def class_set() -> tuple[np.ndarray, np.ndarray]:
    """The class drawings (images, labels)."""
    images, labels, _ = class_files()
    return images, labels


def class_eval(run: Run, images: np.ndarray, labels: np.ndarray) -> dict:
    """evaluate_images, remembered per run and class-set content for this session."""
    cache = st.session_state.setdefault("draw_class_eval", {})
    sig = (run.name, run.version, len(labels), hash(labels.tobytes()), hash(images.tobytes()))
    if sig not in cache:
        if len(cache) > 32:
            cache.clear()
        cache[sig] = classset.evaluate_images(run.model, images, labels)
    return cache[sig]


def _add_drawing(image: np.ndarray) -> None:
    """on_click of Add: save the drawing under the typed digit, then empty the digit, so that the next drawing
    is never saved under this one's digit by mistake; the same drawing added again is not saved twice."""
    ss = st.session_state
    label = ss.get("draw_true_label")
    if label is None:
        ss["draw_add_msg"] = ("warning", t("draw.class.nolabel"))
        return
    digest = hashlib.sha1(image.tobytes()).hexdigest()
    if ss.get("draw_last_saved") == digest:  # a second tap on Add: already in the class set
        # The tap may carry the digit the browser still showed before the first tap's rerun emptied it: empty it
        # again, or it stays for the next drawing.
        ss["draw_true_label"] = None
        ss["draw_add_msg"] = ("info", t("draw.class.already"))
        return
    try:
        limits.take(workspace(), "drawings", settings.drawings_per_minute())
        path = classset.add_drawing(classset.class_dir(), image, int(label))
    except LimitError as exc:
        ss["draw_add_msg"] = ("warning", t("draw.class.limit", msg=reason(exc)))
        return
    ss["draw_last_saved"] = digest
    ss["draw_true_label"] = None
    ss["draw_add_msg"] = ("success", t("draw.class.saved", name=path.name, digit=int(label)))


def add_to_class_ui(pre: Preprocessed | None, known_label: int | None) -> None:
    """Type the true digit, save the drawing for everyone's class test set (under the canvas)."""
    left, right = st.columns([2, 3], vertical_alignment="bottom")
    if known_label is not None and st.session_state.get("draw_known_label") != known_label:
        st.session_state["draw_true_label"] = known_label  # a test image knows its digit: suggest it
    st.session_state["draw_known_label"] = known_label
    st.session_state.setdefault("draw_true_label", None)
    label = left.number_input(t("draw.class.label"), 0, 9, key="draw_true_label", help=t("draw.class.label.help"),
                              placeholder=t("draw.class.label.placeholder"))
    empty = pre is None or pre.empty
    image = None if empty else (np.clip(pre.image, 0, 1) * 255).round().astype(np.uint8)
    right.button(t("draw.class.add"), key="draw_class_add", disabled=empty or label is None, icon="💾",
                 help=t("draw.class.add.help"), width="stretch", on_click=_add_drawing, args=(image,))
    message = st.session_state.pop("draw_add_msg", None)
    if message is not None:  # right here, under the button the reader just tapped
        kind, text = message
        getattr(st, kind)(text)


def class_set_ui(run: Run | None) -> None:
    st.header(t("draw.class"))
    st.markdown(t("draw.class.intro", folder=str(classset.class_dir())))
    images, labels, names = class_files()
    if challenges.classset_hidden():  # a challenge's hidden set: no drawing, count or accuracy of it is shown
        review_message_ui()
        st.info(t("draw.class.hidden", n=len(labels)), icon="🙈")
        return
    counts = classset.counts_per_digit(labels)
    if not len(labels):
        review_message_ui()
        st.info(t("draw.class.empty"))
        return
    result = class_eval(run, images, labels) if run is not None else None
    acc = [d["accuracy"] for d in result["per_digit"]] if result else None
    st.plotly_chart(class_counts_bars(counts, acc, t("common.digit"), t("draw.class.count"),
                                      t("draw.class.acc")), key="draw_class_counts",
                    config={"displayModeBar": False})
    rows = []
    for name, r in runs().items():
        if r.diverged:
            continue
        ev = class_eval(r, images, labels)
        rows.append({t("draw.col.run"): name, t("draw.col.arch"): r.config.arch,
                     t("draw.col.class_acc"): ev["accuracy"], t("common.accuracy"): r.test_acc})
    if rows:
        st.markdown(t("draw.class.table", n=len(labels)))
        pct = st.column_config.NumberColumn(format="percent")
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="draw_class_table",
                     column_config={t("draw.col.class_acc"): pct, t("common.accuracy"): pct})
    review_ui(run, images, labels, names, result)
    if result is None:
        return
    misses_ui(run, images, result)
    fine_tune_ui(run, images, labels, result)


def review_message_ui() -> None:
    """What the last relabel or removal did (set by its button's callback)."""
    message = st.session_state.pop("draw_review_msg", None)
    if message is not None:
        kind, text = message
        getattr(st, kind)(text)


def review_ui(run: Run | None, images: np.ndarray, labels: np.ndarray, names: list[str],
              result: dict | None) -> None:
    """Every drawing with its label, and a picked one relabelled (its file renamed) or removed."""
    st.subheader(t("draw.review"))
    st.caption(t("draw.review.intro"))
    review_message_ui()
    ss = st.session_state
    counts = classset.counts_per_digit(labels)
    digits = ["all"] + [d for d in range(10) if counts[d]]
    if ss.get("draw_review_digit") not in digits:  # its digit's last drawing was relabelled or removed
        ss.pop("draw_review_digit", None)
    elif ss.get("draw_review_counts") != counts:
        # The counts in the option texts changed but the value did not, so Streamlit would not tell the browser,
        # which would keep showing "All 1 drawings" with 5 listed. Writing the value back makes it send them.
        ss["draw_review_digit"] = ss["draw_review_digit"]
    ss["draw_review_counts"] = counts
    # Option texts are made now: a format_func calling t() later (AppTest does) could miss the reader's language.
    shown_as = {d: t("draw.review.filter.all", n=len(labels)) if d == "all"
                else t("draw.review.filter.digit", digit=d, n=counts[d]) for d in digits}
    digit = st.selectbox(t("draw.review.filter"), digits, key="draw_review_digit", format_func=shown_as.get)
    shown = list(range(len(labels))) if digit == "all" else np.flatnonzero(labels == digit).tolist()
    grid = shown[:REVIEW_MAX]
    st.image([digit_image(images[i], 56) for i in grid], width=56,
             caption=[t("draw.review.caption", i=i + 1, label=int(labels[i])) for i in grid])
    if len(shown) > len(grid):
        st.caption(t("draw.review.more", shown=len(grid), n=len(shown)))
    index = {name: i for i, name in enumerate(names)}
    options = [names[i] for i in shown]
    if ss.get("draw_review_pick") not in options:  # relabelled out of this digit, or removed
        ss.pop("draw_review_pick", None)
    left, right = st.columns([1, 3], vertical_alignment="center")
    with right:
        items = {n: t("draw.review.item", i=index[n] + 1, label=int(labels[index[n]]), name=n) for n in options}
        pick = st.selectbox(t("draw.review.pick"), options, key="draw_review_pick", help=t("draw.review.pick.help"),
                            format_func=items.get)
    if pick is None:
        return
    i = index[pick]
    current = int(labels[i])
    left.image(digit_image(images[i], 112), width=112)
    if result is not None:
        right.caption(t("draw.review.reads", run=run.name, label=current, pred=int(result["preds"][i]),
                        p=f"{float(result['confidence'][i]):.0%}"))
    if ss.get("draw_review_label_of") != pick:  # a new pick: start from its digit
        ss["draw_review_label"] = current
        ss["draw_review_label_of"] = pick
    c1, c2, c3 = right.columns([2, 2, 2], vertical_alignment="bottom")
    new = c1.number_input(t("draw.review.label"), 0, 9, key="draw_review_label", help=t("draw.review.label.help"))
    c2.button(t("draw.review.relabel"), key="draw_review_relabel", icon="🏷️", help=t("draw.review.relabel.help"),
              disabled=int(new) == current, on_click=_relabel, args=(pick, current), width="stretch")
    c3.button(t("draw.review.remove"), key="draw_review_remove", icon="🗑️", help=t("draw.review.remove.help"),
              on_click=_remove, args=(pick,), width="stretch")


def _relabel(name: str, old: int) -> None:
    """on_click: rename <old>_<time>.png to <new>_<time>.png; the picker follows the drawing."""
    ss = st.session_state
    new = int(ss.get("draw_review_label", old))
    try:
        path = classset.relabel_drawing(classset.class_dir(), name, new)
    except FileNotFoundError:
        ss["draw_review_msg"] = ("warning", t("draw.review.gone", name=name))
        return
    except ValueError as exc:
        ss["draw_review_msg"] = ("error", t("draw.review.refused", name=name, msg=str(exc)))
        return
    ss["draw_review_pick"] = ss["draw_review_label_of"] = path.name
    ss["draw_review_msg"] = ("success", t("draw.review.relabelled", old=old, new=new, name=path.name))


def _remove(name: str) -> None:
    """on_click: delete the drawing's file."""
    ss = st.session_state
    try:
        removed = classset.remove_drawing(classset.class_dir(), name)
    except ValueError as exc:
        ss["draw_review_msg"] = ("error", t("draw.review.refused", name=name, msg=str(exc)))
        return
    ss.pop("draw_review_pick", None)
    ss["draw_review_msg"] = ("success", t("draw.review.removed", name=name)) if removed else \
        ("warning", t("draw.review.gone", name=name))


def misses_ui(run: Run, images: np.ndarray, result: dict) -> None:
    misses = result["misses"]
    st.markdown(t("draw.class.misses", name=run.name, n=len(misses), total=result["n"]))
    per_row = 10
    shown = misses[:30]
    for start in range(0, len(shown), per_row):
        cols = st.columns(per_row)
        for col, miss in zip(cols, shown[start:start + per_row], strict=False):
            col.image(digit_image(images[miss["index"]], 84), width=84,
                      caption=t("draw.class.miss", label=miss["label"], pred=miss["pred"],
                                p=f"{miss['confidence']:.0%}"))


def fine_tune_ui(run: Run, images: np.ndarray, labels: np.ndarray, before: dict) -> None:
    """Train a copy of the chosen run a little on the class's drawings; it becomes a new run."""
    st.subheader(t("draw.ft"))
    st.caption(t("draw.ft.intro"))
    if not classset.can_fine_tune(run.model):
        st.info(t("draw.ft.unsupported"))
        return
    if run.diverged:
        st.info(t("draw.ft.diverged"))
        return
    is_knn = not families.of_model(run.model).has_steps  # a kNN learns by remembering: no epochs, rate or replay
    trained, held = classset.held_back_split(images, labels)
    st.markdown(t("draw.ft.split", n=len(labels), trained=len(trained), held=len(held)) if len(held)
                else t("draw.ft.split.none", n=len(labels)))
    c1, c2, c3 = st.columns(3)
    c1.slider(t("draw.ft.epochs"), 1, 100, classset.FT_EPOCHS, key="draw_ft_epochs", help=t("draw.ft.epochs.help"),
              disabled=is_knn)
    c2.number_input(t("draw.ft.lr"), min_value=1e-6, max_value=10.0, value=max(1e-6, classset.default_lr(run.config)),
                    format="%g", key=f"draw_ft_lr_{run.name}", disabled=is_knn,
                    help=t("draw.ft.lr.help", run_lr=f"{run.config.lr:g}"))
    c3.checkbox(t("draw.ft.replay"), value=True, key="draw_ft_replay", disabled=is_knn,
                help=t("draw.ft.replay.help", ratio=classset.REPLAY_RATIO))
    if is_knn:
        st.caption(t("draw.ft.knn"))
    no_workers_ui()
    st.button(t("draw.ft.go"), key="draw_ft_go", icon="🛠️", help=t("draw.ft.go.help"), type="primary",
              on_click=_start_fine_tune, args=(run,),
              disabled=st.session_state.get("draw_ft_job") is not None)
    fine_tune_status_ui()


def _start_fine_tune(run: Run) -> None:
    """on_click: queue the fine-tuning job; a worker trains the copy, the page only watches.
    The settings are read from the widgets' state now (arguments would hold the previous run's values)."""
    ss = st.session_state
    epochs = ss.get("draw_ft_epochs", classset.FT_EPOCHS)
    lr = ss.get(f"draw_ft_lr_{run.name}", classset.default_lr(run.config))
    replay = ss.get("draw_ft_replay", True)
    source = workspace().runs_dir / run.name if is_mine(run) else RUNS_DIR / run.name
    try:
        job = job_queue.submit_fine_tune(workspace(), source, run.config, f"{run.name}-class",
                                         classset.class_dir(), epochs, lr, replay)
    except LabError as exc:
        st.session_state["draw_ft_error"] = exc
        return
    st.session_state["draw_ft_job"] = job.id
    set_current_run(run.name)  # the run fine-tuned from stays the one shown; the copy is the user's to pick


@st.fragment(run_every=1.0)
def fine_tune_status_ui() -> None:
    """While the worker fine-tunes: a note; when it is done: what it changed (the original stays selected)."""
    error = st.session_state.pop("draw_ft_error", None)
    if error is not None:
        st.error(reason(error))
    job = jobs.get(workspace(), st.session_state.get("draw_ft_job") or "")
    if job is None:
        return
    if not job.done:
        st.info(t("draw.ft.running"), icon="⏳")
        return
    st.session_state.pop("draw_ft_job", None)
    if job.state == "failed":
        st.session_state["draw_flash"] = ("error", reason_of(job))
    else:
        st.session_state["draw_flash"] = ("success", fine_tune_report(job.name, job.outcome))
    st.rerun()  # the whole page: the new run appears in every list


def fine_tune_report(name: str, o: dict) -> str:
    """What fine-tuning changed: on the drawings trained on, on those held back, on MNIST's test set."""
    pct = {"before": f"{o['before']:.0%}", "after": f"{o['after']:.0%}",
           "test_before": f"{o['test_before'] or 0:.1%}", "test_after": f"{o['test_after']:.1%}"}
    if "held_back" not in o:  # a job from before drawings were held back: all of them were trained on
        return t("draw.ft.done", name=name, **pct)
    if not o["held_back"]:
        return t("draw.ft.done.none_held", name=name, trained=o["trained"], **pct)
    return t("draw.ft.done.split", name=name, trained=o["trained"], held=o["held_back"],
             held_before=f"{o['held_before']:.0%}", held_after=f"{o['held_after']:.0%}", **pct)


def reason_of(job) -> str:
    """A failed job's reason in the reader's language (its code's translation, else its message)."""
    return reason(LabError(job.error or "?", job.error_code, **job.error_params))
