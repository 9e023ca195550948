"""Evaluate: confusion matrix (click a cell to see its images), mistakes gallery, per-digit scores, lab report."""

from __future__ import annotations

import json

import streamlit as st
from PIL import ImageOps

from core.learn import evaluation as ev
from core.learn.metrics import confusion_matrix, per_class
from ui.challenges import hidden_note_ui
from ui.dataset import dataset
from ui.figures.cards import digit_card
from ui.figures.evaluate import confusion_figure, per_class_figure
from ui.figures.report import lab_report_html, report_file_name
from ui.run_list import run_picker_ui
from ui.session import lang, t

ANY = -1
DIGITS = [ANY, *range(10)]  # ANY: no filter on that digit


@st.cache_resource(show_spinner=False, max_entries=32)
def _final_predictions(name: str, version: tuple, n_test: int, _run, _data) -> ev.Predictions:
    """The final model's test probabilities, once per version of a run's weights (loaded only on a miss)."""
    return ev.test_predictions(_run.model, _data)


def predictions_for(run, data) -> ev.Predictions:
    with st.spinner(t("evaluate.computing", name=run.name)):
        return _final_predictions(run.name, run.version, len(data.test_labels), run, data)


def apply_cell_click() -> None:
    """A click on the matrix (read from the chart's state) fills in the two digit selectboxes, once per click."""
    state = st.session_state.get("evaluate_cm") or {}
    points = (state.get("selection") or {}).get("points") or []
    cells = [(round(p["y"]), round(p["x"])) for p in points
             if isinstance(p.get("x"), (int, float)) and isinstance(p.get("y"), (int, float))]
    seen = json.dumps(cells)
    if seen != st.session_state.get("evaluate_cm_seen"):
        st.session_state["evaluate_cm_seen"] = seen
        if cells and all(0 <= v <= 9 for v in cells[0]):
            st.session_state["evaluate_true"], st.session_state["evaluate_pred"] = cells[0]


def clear_cell() -> None:
    st.session_state["evaluate_true"] = st.session_state["evaluate_pred"] = ANY


def snapshot_ui(run, n_test: int) -> ev.Snapshot | None:
    """The slider over the run's full evaluations; None means the final model (with probabilities)."""
    snaps = ev.snapshots(run.history)
    if not snaps:
        st.caption(t("evaluate.scrub.none"))
        return None
    if not ev.snapshots_fit(snaps, n_test):
        st.info(t("evaluate.scrub.mismatch", n_run=len(snaps[-1].preds), n_app=n_test))
        return None
    if len(snaps) == 1:
        st.caption(t("evaluate.scrub.single"))
        return None

    def label(i: int) -> str:
        s = snaps[i]
        text = t("evaluate.scrub.option", epoch=f"{s.epoch:.2f}", step=s.step, acc=f"{s.test_acc:.1%}")
        return t("evaluate.scrub.final", label=text) if i == len(snaps) - 1 else text

    i = st.select_slider(t("evaluate.scrub.label"), options=list(range(len(snaps))), value=len(snaps) - 1,
                         format_func=label, key=f"evaluate_snapshot_{run.name}", help=t("evaluate.scrub.help"))
    return None if i == len(snaps) - 1 else snaps[i]


def cell_selectors_ui() -> tuple[int | None, int | None]:
    """The keyboard-friendly twin of clicking a cell: true digit and predicted digit."""
    st.session_state.setdefault("evaluate_true", ANY)
    st.session_state.setdefault("evaluate_pred", ANY)
    a, b = st.columns(2)
    any_ = "—"  # not translated: a selectbox keeps the label it was given, so a language switch would strand it
    true = a.selectbox(t("evaluate.cell.true"), DIGITS, key="evaluate_true", help=t("evaluate.cell.true.help"),
                       format_func=lambda d: any_ if d == ANY else str(d))
    pred = b.selectbox(t("evaluate.cell.pred"), DIGITS, key="evaluate_pred", help=t("evaluate.cell.pred.help"),
                       format_func=lambda d: any_ if d == ANY else str(d))
    true, pred = (None if d == ANY else d for d in (true, pred))
    st.caption(t("evaluate.cell.hint"))
    st.button(t("evaluate.cell.clear"), on_click=clear_cell, help=t("evaluate.cell.clear.help"),
              disabled=true is None and pred is None, key="evaluate_clear")
    return true, pred


def gallery_title(n: int, true: int | None, pred: int | None) -> str:
    if true is not None and pred is not None:
        return t("evaluate.gallery.correct" if true == pred else "evaluate.gallery.cell", n=n, true=true, pred=pred)
    if true is not None:
        return t("evaluate.gallery.by_true", n=n, true=true)
    if pred is not None:
        return t("evaluate.gallery.by_pred", n=n, pred=pred)
    return t("evaluate.gallery.all", n=n)


def gallery_ui(data, labels, preds, probs, true, pred, signature: str) -> None:
    """The images of the chosen cell (or the filtered mistakes), a page at a time, with their probabilities."""
    order = st.segmented_control(
        t("evaluate.gallery.order"), ["confident", "unsure"], default="confident", key="evaluate_order",
        format_func=lambda o: t(f"evaluate.gallery.{o}"), disabled=probs is None,
        help=t("evaluate.gallery.order.help") if probs is not None else t("evaluate.gallery.order.off"),
    ) or "confident"
    idx = ev.gallery_indices(labels, preds, probs, true, pred, least_confident_first=order == "unsure")
    n = len(idx)
    st.markdown(gallery_title(n, true, pred))
    signature = f"{signature}|{true}|{pred}|{order}"
    if st.session_state.get("evaluate_gallery_sig") != signature:
        st.session_state["evaluate_gallery_sig"] = signature
        st.session_state["evaluate_shown"] = ev.PAGE_SIZE
    shown = min(n, st.session_state["evaluate_shown"])
    if not n:
        st.caption(t("evaluate.gallery.empty"))
        return
    cards, captions = [], []
    for i in idx[:shown].tolist():
        p = probs[i] if probs is not None else None
        cards.append(digit_card(data.test_images[i], p, true=int(labels[i])))
        if p is not None:
            captions.append(t("evaluate.gallery.caption", true=int(labels[i]), pred=int(preds[i]),
                              conf=f"{float(p[preds[i]]):.0%}"))
        else:
            captions.append(t("evaluate.gallery.caption.nop", true=int(labels[i]), pred=int(preds[i]), index=i))
    if probs is not None:
        st.caption(t("evaluate.gallery.legend"))
    cards = [ImageOps.expand(c, border=(0, 0, 10, 0), fill="white") for c in cards]  # a gap between cards
    st.image(cards, caption=captions, width=cards[0].width, output_format="PNG")
    st.caption(t("evaluate.gallery.showing", shown=shown, n=n))
    if shown < n:
        more = min(ev.PAGE_SIZE, n - shown)
        if st.button(t("evaluate.gallery.more", n=more), key="evaluate_more", help=t("evaluate.gallery.more.help")):
            st.session_state["evaluate_shown"] = shown + more
            st.rerun()


def per_class_ui(cm, accuracy: float) -> None:
    rows = per_class(cm)
    st.markdown(t("evaluate.pc.explain"))
    left, right = st.columns([1, 1])
    recall, precision = t("evaluate.fig.recall"), t("evaluate.fig.precision")
    table = [{
        t("evaluate.pc.digit"): r["digit"], t("evaluate.pc.support"): r["support"],
        t("evaluate.pc.correct"): r["correct"], recall: r["recall"] * 100,
        precision: r["precision"] * 100, t("evaluate.pc.f1"): r["f1"],
    } for r in rows]
    left.dataframe(table, hide_index=True, width="stretch", height="content", column_config={
        recall: st.column_config.NumberColumn(format="%.1f%%", help=t("evaluate.pc.recall.help")),
        precision: st.column_config.NumberColumn(format="%.1f%%", help=t("evaluate.pc.precision.help")),
        t("evaluate.pc.f1"): st.column_config.NumberColumn(format="%.3f", help=t("evaluate.pc.f1.help")),
    })
    with right:
        st.plotly_chart(per_class_figure(rows, accuracy, lang=lang(), height=400), key="evaluate_per_class")


def report_ui(run, data, final: ev.Predictions) -> None:
    st.markdown(t("evaluate.report.explain"))
    language = lang()

    def build() -> str:  # runs on click, on another thread: no st.* in here
        return lab_report_html(run, data, final, lang=language)

    st.download_button(t("evaluate.report.download"), data=build, file_name=report_file_name(run.name),
                       mime="text/html", key="evaluate_report", help=t("evaluate.report.help"), icon="📄")


# ---- the page ------------------------------------------------------------------------------------------

st.title("🔍 " + t("nav.evaluate"))
st.markdown(t("evaluate.intro"))

top_left, top_right = st.columns([1, 2])
with top_left:
    run = run_picker_ui(key="evaluate_run")
if run is None:
    st.stop()
data = dataset()
hidden_note_ui()
if run.diverged:
    st.warning(t("evaluate.diverged"))
final = predictions_for(run, data)
labels = final.labels
with top_right:
    snap = snapshot_ui(run, len(labels))

if snap is None:  # the final model: probabilities known
    preds, probs, accuracy = final.preds, final.probs, final.accuracy
    cm = final.confusion
else:
    preds, probs = snap.preds, None
    cm = confusion_matrix(preds, labels)
    accuracy = float((preds == labels).double().mean())
    st.info(t("evaluate.scrub.past", epoch=f"{snap.epoch:.2f}", acc=f"{accuracy:.1%}"))

m1, m2, m3 = st.columns(3)
m1.metric(t("evaluate.metric.acc"), f"{accuracy:.2%}", help=t("evaluate.metric.acc.help"))
m2.metric(t("evaluate.metric.mistakes"), int((preds != labels).sum()), help=t("evaluate.metric.mistakes.help"))
m3.metric(t("evaluate.metric.images"), len(labels), help=t("evaluate.metric.images.help"))

st.subheader(t("evaluate.cm.title"))
st.markdown(t("evaluate.cm.explain"))
apply_cell_click()
chart_col, cell_col = st.columns([3, 2])
with cell_col:
    true, pred = cell_selectors_ui()
with chart_col:
    selected = (true, pred) if true is not None and pred is not None else None
    st.plotly_chart(confusion_figure(cm, selected=selected, lang=lang()), on_select="rerun",
                    selection_mode="points", key="evaluate_cm", config={"displayModeBar": False})

st.subheader(t("evaluate.gallery.title"))
gallery_ui(data, labels, preds, probs, true, pred, signature=f"{run.name}|{snap.step if snap else 'final'}")

st.subheader(t("evaluate.pc.title"))
per_class_ui(cm, accuracy)

st.subheader(t("evaluate.report.title"))
report_ui(run, data, final)
