"""Inside the network: weights as images, filters, one image layer by layer, PCA of hidden layer vs pixels."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.learn import inside as ins
from ui.dataset import dataset
from ui.figures import inside as plots
from ui.figures.style import probability_bars
from ui.i18n import LANGS
from ui.i18n import t as translate
from ui.run_list import run_picker_ui
from ui.session import t
from ui.widgets import digit_image

DRAW_KEY = "draw_image"  # the Draw page leaves its current 28x28 input ([0, 1] floats) here
MAX_UNITS = 256  # most weight images drawn at once
DEFAULT_UNITS = 64
TOP_UNITS = 8  # first-layer units shown for "fired most"
TABS = ("weights", "one", "pca")  # only the open tab is built: building all three made leaving the page slow
FIG_KEYS = ("unit", "value", "weight", "relative", "activation", "digit", "pc1", "pc2", "variance", "out", "in",
            "map", "filter", "image")


def fig_labels() -> dict:
    return {k: t(f"inside.fig.{k}") for k in FIG_KEYS}


# ---- cached computations ------------------------------------------------------------------------------

@st.cache_resource(show_spinner=False, max_entries=16)
def _learned_pca(name: str, version: tuple, n: int, n_test: int, _run, _data) -> tuple:
    """PCA of what the final layer sees (the scores for a linear model), once per version of a run's weights."""
    _model = _run.model
    images = _data.images("test")[:n]
    if ins.model_kind(_model) == "linear":
        feats = ins.output_scores(_model, images)
    else:
        feats = ins.hidden_representation(_model, images)
    coords, explained = ins.pca_2d(feats)
    return coords.numpy(), explained.numpy(), int(feats.shape[1])


@st.cache_data(show_spinner=False, max_entries=8)
def _pixel_pca(n: int, n_test: int, _data) -> tuple[np.ndarray, np.ndarray]:
    coords, explained = ins.pca_2d(_data.images("test")[:n].reshape(n, -1))
    return coords.numpy(), explained.numpy()


# ---- the input image ----------------------------------------------------------------------------------

def _random_index(n: int) -> None:
    st.session_state["inside_index"] = int(np.random.default_rng().integers(n))


def drawing() -> np.ndarray | None:
    """The Draw page's current 28x28 input, if there is one."""
    img = st.session_state.get(DRAW_KEY)
    if img is None:
        return None
    img = np.asarray(img, dtype=np.float32)
    return img if img.shape == (28, 28) and np.isfinite(img).all() else None


def input_ui(data) -> tuple:
    """Choose the image to follow: returns (normalised tensor [1,1,28,28], true label or None, pixels to show)."""
    drawn = drawing()
    source = "test"
    if drawn is not None:
        st.session_state.setdefault("inside_source", "draw")
        source = st.segmented_control(
            t("inside.input.source"), ["draw", "test"], key="inside_source",
            format_func=lambda s: t(f"inside.input.{s}"), help=t("inside.input.source.help"),
        ) or "test"
    if source == "draw":
        return ins.image_tensor(drawn), None, drawn
    n = len(data.test_labels)
    st.session_state.setdefault("inside_index", 0)
    st.session_state["inside_index"] = min(st.session_state["inside_index"], n - 1)
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    i = left.number_input(t("inside.input.index"), min_value=0, max_value=n - 1, step=1, key="inside_index",
                          help=t("inside.input.index.help", last=n - 1))
    right.button(t("inside.input.random"), on_click=_random_index, args=(n,), key="inside_random",
                 help=t("inside.input.random.help"))
    if drawn is None:
        st.caption(t("inside.input.no_drawing"))
    return data.images("test")[i:i + 1], int(data.test_labels[i]), data.test_images[i].numpy()


def input_and_output_ui(model, data) -> tuple:
    """The input chooser and image on the left, the output probabilities on the right; returns (x, layers)."""
    left, right = st.columns([1, 2], gap="large")
    with left:
        x, label, pixels = input_ui(data)
    layers = ins.unit_activations(model, x)
    probs = layers[-1].values
    pred, p = int(probs.argmax()), float(probs.max())
    with left:
        st.image(digit_image(pixels, 196))
        caption = (t("inside.input.caption.draw", pred=pred, p=p) if label is None
                   else t("inside.input.caption.test", i=st.session_state["inside_index"], label=label, pred=pred, p=p))
        st.caption(caption)
    with right:
        st.subheader(t("inside.output"))
        st.plotly_chart(probability_bars(probs, label, t("inside.fig.digit"), t("inside.fig.probability")),
                        key="inside_probs")
    return x, layers


# ---- fully connected networks (mlp, linear, scratch) ------------------------------------------------------

def weights_ui(run, kind: str) -> None:
    weights = ins.first_layer_weights(run.model).numpy()
    n = len(weights)
    st.markdown(t("inside.weights.linear" if kind == "linear" else "inside.weights.mlp"))
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    shown = n
    if n > DEFAULT_UNITS:
        st.session_state.setdefault(f"inside_units_{run.name}", DEFAULT_UNITS)
        shown = left.slider(t("inside.weights.count"), min_value=8, max_value=min(n, MAX_UNITS), step=8,
                            key=f"inside_units_{run.name}", help=t("inside.weights.count.help", n=n))
    shared = right.toggle(t("inside.weights.shared"), key="inside_shared", help=t("inside.weights.shared.help"))
    if kind == "linear":
        titles, cols = [f"{t('inside.fig.digit')} {d}" for d in range(n)], 5
    else:
        titles, cols = [f"{i}" for i in range(shown)], 16 if shown > 32 else 8
    st.plotly_chart(plots.tile_grid_figure(weights[:shown], titles, cols=cols, shared_scale=shared,
                                           labels=fig_labels()), key="inside_weights")
    if shown < n:
        st.caption(t("inside.weights.shown", shown=shown, n=n))


def dense_layers_ui(layers: list, key: str) -> None:
    hidden = [(t("inside.fig.hidden", i=layer.number, n=len(layer.values), act=layer.activation), layer.values)
              for layer in layers if not layer.output]
    if hidden:
        st.plotly_chart(plots.activations_figure(hidden, fig_labels()), key=key)


def one_image_mlp_ui(run, kind: str, data) -> None:
    _, layers = input_and_output_ui(run.model, data)
    st.subheader(t("inside.activations"))
    if kind == "linear":
        st.info(t("inside.activations.none"))
        return
    st.caption(t("inside.activations.intro"))
    dense_layers_ui(layers, "inside_activations")
    first = layers[0].values
    top = np.argsort(-first, kind="stable")[:TOP_UNITS]
    st.subheader(t("inside.top"))
    st.caption(t("inside.top.intro"))
    weights = ins.first_layer_weights(run.model).numpy()
    titles = [f"{t('inside.fig.unit')} {i}: {first[i]:.2f}" for i in top]
    st.plotly_chart(plots.tile_grid_figure(weights[top], titles, cols=TOP_UNITS, labels=fig_labels(), width_px=900),
                    key="inside_top")


# ---- convolutional networks ---------------------------------------------------------------------------

def filters_ui(run) -> None:
    convs = ins.conv_layers(run.model)
    options = list(range(len(convs)))

    def label(i: int) -> str:
        c = convs[i]
        return t("inside.filters.option", i=i + 1, n_in=c.in_channels, n_out=c.out_channels, k=c.kernel_size[0])

    i = st.columns(2)[0].selectbox(t("inside.filters.layer"), options, format_func=label,
                                   key=f"inside_conv_{run.name}", help=t("inside.filters.layer.help"))
    filters = ins.conv_filters(run.model, i).numpy()
    k = filters.shape[-1]
    if filters.shape[1] == 1:
        st.markdown(t("inside.filters.first", k=k))
        width = 110 * len(filters)
    else:
        st.markdown(t("inside.filters.deeper", n_in=filters.shape[1], k=k))
        width = 1100
    st.plotly_chart(plots.filter_bank_figure(filters, fig_labels(), width_px=min(width, 1100)), key="inside_filters")


def one_image_cnn_ui(run, data) -> None:
    x, layers = input_and_output_ui(run.model, data)
    st.subheader(t("inside.maps"))
    st.caption(t("inside.maps.intro"))
    a, b = st.columns(2)
    st.session_state.setdefault("inside_maps_all", True)
    st.session_state.setdefault("inside_maps_shared", True)
    every = a.toggle(t("inside.maps.all"), key="inside_maps_all", help=t("inside.maps.all.help"))
    shared = b.toggle(t("inside.maps.shared"), key="inside_maps_shared", help=t("inside.maps.shared.help"))
    for j, (name, maps) in enumerate(ins.feature_maps(run.model, x)):
        if not every and "Conv" not in name:
            continue
        c, h, w = maps.shape
        st.markdown(f"**{t('inside.maps.stage', name=name.partition(': ')[2], c=c, h=h, w=w)}**")
        st.plotly_chart(plots.feature_maps_figure(maps.numpy(), fig_labels(), cols=min(c, 8), shared_scale=shared),
                        key=f"inside_maps_{j}")
    if any(not layer.output for layer in layers):
        st.subheader(t("inside.maps.dense"))
        dense_layers_ui(layers, "inside_dense")


# ---- PCA ----------------------------------------------------------------------------------------------

def pca_ui(run, kind: str, data) -> None:
    st.markdown(t("inside.pca.intro"))
    n_test = len(data.test_labels)
    low = min(200, n_test)
    n = n_test
    if n_test > low:
        st.session_state.setdefault("inside_pca_n", min(1000, n_test))
        n = st.slider(t("inside.pca.count"), min_value=low, max_value=min(2000, n_test),
                      step=100 if n_test >= 300 else 1, key="inside_pca_n", help=t("inside.pca.count.help"))
    labels = data.test_labels[:n].numpy()
    with st.spinner(t("inside.pca.computing", n=n)):
        raw, raw_ev = _pixel_pca(n, n_test, data)
        learned, learned_ev, dim = _learned_pca(run.name, run.version, n, n_test, run, data)
    if kind == "linear":
        st.caption(t("inside.pca.linear"))
    title = t("inside.pca.scores") if kind == "linear" else t("inside.pca.hidden", d=dim)
    raw_acc, learned_acc = ins.centroid_accuracy(raw, labels), ins.centroid_accuracy(learned, labels)
    left, right = st.columns(2, gap="large")
    with left:
        st.plotly_chart(plots.pca_figure(raw, labels, raw_ev, t("inside.pca.raw"), fig_labels()), key="inside_pca_raw")
        st.metric(t("inside.pca.separation"), f"{raw_acc:.0%}", help=t("inside.pca.separation.help"))
    with right:
        st.plotly_chart(plots.pca_figure(learned, labels, learned_ev, title, fig_labels()), key="inside_pca_hidden")
        st.metric(t("inside.pca.separation"), f"{learned_acc:.0%}", delta=f"{learned_acc - raw_acc:+.0%}",
                  help=t("inside.pca.separation.help"))


# ---- kNN ----------------------------------------------------------------------------------------------

def knn_ui(knn, data) -> None:
    st.info(t("inside.knn", k=knn.k), icon="🤝")
    left, right = st.columns([1, 2], gap="large")
    with left:
        x, _, pixels = input_ui(data)
        st.image(digit_image(pixels, 196))
    with right:
        feats = ins.knn_input_features(knn, x)
        side = feats.shape[0]
        st.caption(t("inside.knn.pixels") if knn.kind == "pixels"
                   else t("inside.knn.blocks", grid=side, n=side * side))
        st.plotly_chart(plots.image_figure(feats, height=320, hover="%{z:.1f}"), key="inside_knn")
    st.caption(t("inside.knn.hint"))


# ---- tabs ---------------------------------------------------------------------------------------------

def keep_widgets(run) -> None:
    """Streamlit forgets the value of a widget it did not draw in a run, and a closed tab draws nothing: writing
    the values back on every run keeps them (the widgets are given their defaults through session state)."""
    for key in ("inside_source", "inside_index", "inside_shared", "inside_maps_all", "inside_maps_shared",
                "inside_pca_n", f"inside_units_{run.name}", f"inside_conv_{run.name}"):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def tabs_ui() -> dict:
    """The three tabs, which rerun the page when one is opened; returns {tab: container}."""
    labels = [t(f"inside.tab.{tab}") for tab in TABS]
    open_label = st.session_state.get("inside_tab")
    if open_label is not None and open_label not in labels:  # the language changed: open the same tab
        for tab, label in zip(TABS, labels, strict=True):
            if open_label in {translate(f"inside.tab.{tab}", lang) for lang in LANGS}:
                st.session_state["inside_tab"] = label
    return dict(zip(TABS, st.tabs(labels, key="inside_tab", on_change="rerun"), strict=True))


# ---- the page -----------------------------------------------------------------------------------------

st.title("🧠 " + t("inside.title"))
st.markdown(t("inside.intro"))
run = run_picker_ui(key="inside_run")
if run is None:
    st.stop()
keep_widgets(run)
if run.diverged:  # NaN or inf weights: no picture or PCA means anything
    st.warning(t("inside.diverged"))
    st.stop()
data = dataset()
try:
    kind, views = ins.model_kind(run.model), ins.shows(run.model)  # both asked of the learner's family
except ins.NotInspectable as exc:
    st.info(t("inside.error", msg=exc))
    st.stop()
if "neighbours" in views:
    knn_ui(run.model, data)
    st.stop()

st.caption(t(f"inside.kind.{kind}", hidden=getattr(run.model, "hidden", None)))
tabs = tabs_ui()
if tabs["weights"].open:
    with tabs["weights"]:
        if "filters" in views:
            filters_ui(run)
        elif "weights" in views:
            weights_ui(run, kind)
if tabs["one"].open:
    with tabs["one"]:
        if "feature_maps" in views:
            one_image_cnn_ui(run, data)
        elif "layers" in views:
            one_image_mlp_ui(run, kind, data)
if tabs["pca"].open and "pca" in views:
    with tabs["pca"]:
        pca_ui(run, kind, data)
