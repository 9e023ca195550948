"""Draw: a digit drawn (or picked, or photographed) goes through MNIST's preprocessing to every run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
import torch

from core.lab.runfiles.folders import WEIGHTS_CACHED
from core.learn import families
from core.learn.families.knn import KNN
from core.learn.preprocess import Preprocessed, canvas_to_mnist, load_image
from core.learn.run import Run
from core.learn.saliency import gradient_saliency, occlusion_saliency, overlay
from core.learn.training import predict_proba
from ui.canvas import clear_canvas, drawing_canvas_ui
from ui.class_set import add_to_class_ui, class_set_ui
from ui.dataset import dataset
from ui.figures.draw import centred_view, runs_heatmap, square_panel
from ui.figures.style import probability_bars
from ui.run_list import run_picker_ui, runs
from ui.session import reason, t
from ui.widgets import digit_image

CANVAS_KEY = "draw_canvas"
SOURCES = ("draw", "test", "upload")
TOGGLES = (("crop", "draw_crop"), ("keep_aspect", "draw_keep_aspect"), ("fit_20", "draw_fit20"),
           ("centre_of_mass", "draw_com"))
STEP_WIDTH = 150  # px per preprocessing panel


# ---- input ------------------------------------------------------------------------------------------

def test_image_rgba(index: int) -> tuple[np.ndarray, int]:
    """MNIST test image `index` blown up to a 280x280 RGBA 'canvas' (white on black), and its label."""
    data = dataset()
    img = data.test_images[index].numpy()
    big = np.kron(img, np.ones((10, 10), np.uint8))
    rgba = np.dstack([big, big, big, np.full_like(big, 255)])
    return rgba, int(data.test_labels[index])


def input_ui() -> tuple[np.ndarray | None, int | None]:
    """The chosen input's RGBA pixels (None when there is nothing yet) and its known label, if any."""
    source = st.segmented_control(
        t("draw.input"), SOURCES, format_func=lambda s: t(f"draw.source.{s}"), key="draw_source",
        default="draw", help=t("draw.source.help"),
    ) or "draw"
    if source == "draw":
        try:
            pixels = drawing_canvas_ui(CANVAS_KEY, st.session_state.get("draw_brush", 18))
        except RuntimeError as exc:
            st.warning(t("draw.canvas.missing", reason=str(exc)))
            return None, None
        left, right = st.columns([3, 2], vertical_alignment="bottom")
        left.slider(t("draw.brush"), 6, 40, 18, key="draw_brush", help=t("draw.brush.help"))
        right.button(t("draw.clear"), on_click=clear_canvas, args=(CANVAS_KEY,), key="draw_clear",
                     help=t("draw.clear.help"), icon="🧽", width="stretch")
        return pixels, None
    if source == "test":
        n = len(dataset().test_labels)
        left, right = st.columns([3, 2], vertical_alignment="bottom")
        st.session_state.setdefault("draw_test_index", 0)
        index = left.number_input(t("draw.test.index"), 0, n - 1, key="draw_test_index",
                                  help=t("draw.test.index.help"))
        right.button(t("draw.test.random"), key="draw_test_random", on_click=_random_test_index, args=(n,),
                     help=t("draw.test.random.help"), icon="🎲", width="stretch")
        rgba, label = test_image_rgba(int(index))
        st.image(rgba, width=280, caption=t("draw.test.caption", label=label))
        return rgba, label
    upload = st.file_uploader(t("draw.upload"), type=["png", "jpg", "jpeg", "webp", "bmp"], key="draw_upload",
                              help=t("draw.upload.help"))
    if upload is None:
        return None, None
    try:
        rgba = load_image(upload.getvalue())
    except ValueError as exc:
        st.error(t("draw.upload.bad", msg=reason(exc)))
        return None, None
    st.image(rgba, width=280)
    return rgba, None


def _random_test_index(n: int) -> None:
    st.session_state["draw_test_index"] = int(np.random.default_rng().integers(n))


# ---- preprocessing ----------------------------------------------------------------------------------

def toggles_ui() -> dict[str, bool]:
    """One checkbox per preprocessing step; off shows what the network reads without it."""
    cols = st.columns(len(TOGGLES))
    return {name: col.checkbox(t(f"draw.toggle.{name}"), value=True, key=key, help=t(f"draw.toggle.{name}.help"))
            for col, (name, key) in zip(cols, TOGGLES, strict=True)}


def steps_ui(pre: Preprocessed) -> None:
    """Every intermediate image, left to right, ending with the 28x28 the network receives."""
    shown = [name for name in ("ink", "cropped", "fitted", "centred", "squashed") if name in pre.steps]
    cols = st.columns(len(shown) + 1)
    for col, name in zip(cols, shown, strict=False):
        img = pre.steps[name]
        h, w = img.shape
        picture = centred_view(img) if name == "centred" else square_panel(img, STEP_WIDTH)
        col.image(picture, width="stretch", clamp=True, caption=f"{t(f'draw.step.{name}')} · {w}×{h}")
    cols[-1].image(digit_image(pre.image, STEP_WIDTH), width="stretch", clamp=True, caption=t("draw.step.input"))


# ---- predictions ------------------------------------------------------------------------------------

def prediction_ui(run: Run | None, x: torch.Tensor | None) -> np.ndarray | None:
    """The chosen run's reading as a big digit; returns its ten probabilities (None when there is none)."""
    with st.container(key="draw_prediction"):
        if run is not None and run.diverged:  # NaN weights read nothing: say so instead of "0, nan%"
            st.metric(t("draw.reads"), "–", help=t("draw.reads.help"))
            st.warning(t("draw.diverged"))
            return None
        if run is None or x is None:
            st.metric(t("draw.reads"), "–", help=t("draw.reads.help"))
            if run is not None:  # without runs, the run picker already says how to get one
                st.caption(t("draw.empty"))
            return None
        probs = predict_proba(run.model, x)[0].numpy()
        best = int(probs.argmax())
        st.metric(t("draw.reads"), str(best), help=t("draw.reads.help"))
        st.caption(t("draw.reads.sure", p=f"{probs[best]:.0%}"))
    return probs


def bars_ui(probs: np.ndarray) -> None:
    st.plotly_chart(probability_bars(probs, x_title=t("common.digit"), y_title=t("common.probability"), height=260),
                    key="draw_probs", config={"displayModeBar": False})


def all_runs_ui(x: torch.Tensor) -> None:
    """The same input judged by the workspace's runs (and the shared ones), side by side: the newest
    WEIGHTS_CACHED of them, so that a drawing never loads more models than a process keeps loaded."""
    readable = {name: run for name, run in runs().items() if not run.diverged}  # a diverged run reads nothing
    newest = list(readable)[-WEIGHTS_CACHED:]
    names, rows, probs = [], [], []
    for name in newest:
        run = readable[name]
        p = predict_proba(run.model, x)[0].numpy()
        names.append(name)
        probs.append(p)
        # no architecture column: the run picker names it, and the Test column must fit a projector's half screen
        rows.append({t("draw.col.run"): name, t("common.pred"): int(p.argmax()),
                     t("common.confidence"): float(p.max()), t("common.accuracy"): run.test_acc})
    st.dataframe(
        pd.DataFrame(rows), hide_index=True, key="draw_all_runs", width="stretch",
        column_config={
            # pixels that add up to the column's 395 px at 1280x720 (a long run name is cut, never the numbers)
            t("draw.col.run"): st.column_config.TextColumn(width=120),
            t("common.pred"): st.column_config.NumberColumn(width=70),
            t("common.confidence"): st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="percent",
                                                                    width=100),
            t("common.accuracy"): st.column_config.NumberColumn(format="percent", width=95),
        },
    )
    if len(readable) > len(newest):
        st.caption(t("draw.all.newest", n=len(newest), total=len(readable)))
    if len(names) > 1:
        st.plotly_chart(runs_heatmap(names, np.stack(probs), t("common.digit")), key="draw_runs_heatmap",
                        config={"displayModeBar": False})


# ---- why: saliency and neighbours ----------------------------------------------------------------------

def saliency_ui(run: Run, pre: Preprocessed) -> None:
    """Red where the prediction came from: gradient (torch) and occlusion (any learner)."""
    st.subheader(t("draw.saliency"))
    is_torch = families.of_model(run.model).has_gradients
    cols = st.columns([1, 1, 1.3] if is_torch else [1, 1])
    with cols[-1]:
        st.caption(t("draw.saliency.intro"))
        patch = st.slider(t("draw.saliency.patch"), 2, 8, 4, key="draw_patch", help=t("draw.saliency.patch.help"))
    x = pre.tensor
    maps = [("gradient", gradient_saliency(run.model, x))] if is_torch else []
    maps.append(("occlusion", occlusion_saliency(run.model, x, patch=patch)))
    for col, (method, sal) in zip(cols, maps, strict=False):
        col.image(overlay(pre.image, sal, scale=8), width="stretch", caption=t(f"draw.saliency.{method}"))
        if method == "occlusion" and float(sal.max()) <= 1e-6:
            col.caption(t("draw.saliency.flat"))


def neighbours_ui(model: KNN, pre: Preprocessed) -> None:
    """kNN's evidence: the k training images closest to the input, with their labels and distances."""
    st.subheader(t("draw.knn"))
    k = model.k
    dists, idx = model.kneighbors(pre.tensor, k)
    votes = model.train_labels[idx[0]].tolist()
    st.caption(t("draw.knn.intro", k=k))
    data = dataset()
    cols = st.columns(max(k, 5))
    for col, d, i, label in zip(cols, dists[0].tolist(), idx[0].tolist(), votes, strict=False):
        col.image(digit_image(neighbour_image(model, data, i), 84), width=84,
                  caption=t("draw.knn.item", label=label, d=f"{d:.2f}"))


def neighbour_image(model: KNN, data, index: int) -> np.ndarray:
    """A kNN training image: from the dataset when it is the same one, else rebuilt from the stored features."""
    labels = data.train_labels
    if index < len(labels) and int(labels[index]) == int(model.train_labels[index]):
        return data.train_images[index].numpy()
    feats = model.train_features[index].numpy()
    side = int(round(len(feats) ** 0.5))
    img = feats.reshape(side, side)
    return np.kron(img / max(float(img.max()), 1e-6), np.ones((28 // side, 28 // side), np.float32))


# ---- the page ---------------------------------------------------------------------------------------

st.title("✏️ " + t("draw.title"))
st.markdown(t("draw.intro"))
# Always one element here, so that what follows keeps its place in the page: a message appearing above the
# canvas would otherwise remount it and wipe the drawing on screen.
flash = st.empty()
if "draw_flash" in st.session_state:
    kind, text = st.session_state.pop("draw_flash")
    getattr(flash, kind)(text)

# 280 px of canvas fit a folded tablet (820 px); at 1280 px the input column also holds Draw/Test image/Photo
# in one row. Bold lines instead of subheaders: on a 1280x720 projector the whole canvas is above the fold.
col_in, col_out = st.columns([1.15, 1.25], gap="medium")
with col_in:
    pixels, known = input_ui()
    add_box = st.container()  # "add to the class test set", filled once the input is preprocessed
with col_out:
    st.markdown(f"**{t('draw.prediction')}**")
    run = run_picker_ui(key="draw_run")  # the column's whole width: a run's label is long
    col_pred, col_bars = st.columns([1, 1.6])

toggles_box = st.container()
options = {name: st.session_state.get(key, True) for name, key in TOGGLES}
pre = canvas_to_mnist(pixels, **options) if pixels is not None else None
st.session_state["draw_image"] = None if pre is None or pre.empty else pre.image  # read by the Inside page
x = pre.tensor if pre is not None and not pre.empty else None
with add_box:
    add_to_class_ui(pre, known)

with col_out:
    with col_pred:
        probs = prediction_ui(run, x)
    if probs is not None:
        with col_bars:
            bars_ui(probs)
    if runs() and x is not None:
        st.subheader(t("draw.all"))
        all_runs_ui(x)

with toggles_box:
    st.header(t("draw.steps"))
    st.caption(t("draw.steps.intro"))
    toggles_ui()
    if pre is None or pre.empty:
        st.caption(t("draw.empty"))
    else:
        steps_ui(pre)
    st.info(t("draw.naive"), icon="💡")

if run is not None and x is not None:
    st.header(t("draw.why"))
    if "neighbours" in families.of_model(run.model).shows(run.model):  # kNN: the training images it compared
        left, right = st.columns([1, 1.3], gap="large")
        with left:
            saliency_ui(run, pre)
        with right:
            neighbours_ui(run.model, pre)
    else:
        saliency_ui(run, pre)

class_set_ui(run)
