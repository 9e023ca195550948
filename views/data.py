"""Data: browse the digits, count them, average them, and compute the normalisation constants."""

from __future__ import annotations

import streamlit as st

from core import settings
from core.learn.data import MEAN, STD, pixel_stats
from ui.dataset import dataset
from ui.figures import data as dataviz
from ui.session import t

LAYOUTS = {"3×3": (3, 3), "4×6": (4, 6)}  # rows x columns of the sample grid
ALL = -1  # the digit choice "all digits" (None would read as "nothing selected")

# Every figure is built once per input and shared by all sessions (st.plotly_chart copies a figure and never
# changes it): building them was most of this page's server time on each run.
_figure = st.cache_resource(show_spinner=False, max_entries=256)
image_grid_figure = _figure(dataviz.image_grid_figure)
class_counts_figure = _figure(dataviz.class_counts_figure)
histogram_figure = _figure(dataviz.histogram_figure)


def _data_key() -> str:
    """Names the app's dataset for the caches (the full set, or the MNIST_LAB_SUBSET slice)."""
    data = dataset()
    return f"{data.source}|{settings.subset()}|{len(data.train_labels)}|{len(data.test_labels)}"


@st.cache_data(show_spinner=False)
def _counts(key: str) -> tuple[list[int], list[int]]:
    data = dataset()
    return dataviz.class_counts(data.train_labels), dataviz.class_counts(data.test_labels)


@st.cache_data(show_spinner=False)
def _means(key: str):
    data = dataset()
    return dataviz.mean_images(data.train_images, data.train_labels).numpy()


@st.cache_data(show_spinner=False)
def _histogram(key: str) -> list[int]:
    return dataviz.pixel_histogram(dataset().train_images)


@st.cache_data(show_spinner=False)
def _stats(key: str) -> tuple[float, float]:
    return pixel_stats(dataset().train_images)


def browse_controls_ui() -> tuple[str, int | None, tuple[int, int], int]:
    """Split, digit, grid shape and the shuffle seed (kept in session state)."""
    st.session_state.setdefault("data_seed", 0)
    c1, c3, c4 = st.columns([2, 1.2, 1], vertical_alignment="bottom")
    c2 = st.container()  # the eleven digit buttons get a row of their own so that none is cut off on a projector
    split = c1.segmented_control(t("data.split"), ["train", "test"], default="train", key="data_split",
                                 format_func=lambda s: t(f"data.split.{s}"), help=t("data.split.help")) or "train"
    digit = c2.segmented_control(t("data.digit"), [ALL, *range(10)], default=ALL, key="data_digit",
                                 help=t("data.digit.help"),
                                 format_func=lambda d: t("data.digit.all") if d == ALL else str(d))
    layout = c3.segmented_control(t("data.layout"), list(LAYOUTS), default="3×3", key="data_layout",
                                  help=t("data.layout.help")) or "3×3"
    if c4.button(t("data.shuffle"), key="data_shuffle", help=t("data.shuffle.help"), width="stretch"):
        st.session_state["data_seed"] += 1
    return split, None if digit in (ALL, None) else digit, LAYOUTS[layout], st.session_state["data_seed"]


st.title(t("data.title"))
data = dataset()  # a fresh server may still be loading MNIST: the title shows while it waits
key = _data_key()
n_train, n_test = len(data.train_labels), len(data.test_labels)
st.markdown(t("data.intro", n_train=n_train, n_test=n_test))

# ---- browse --------------------------------------------------------------------------------------
st.header(t("data.browse.title"))
split, digit, (rows, cols), seed = browse_controls_ui()
labels = data.labels(split)
images = getattr(data, f"{split}_images")
picked = dataviz.sample_indices(labels, digit, rows * cols, seed)
pool = len(labels) if digit is None else int((labels == digit).sum())
if picked:
    titles = [t("data.browse.label", label=int(labels[i]), index=i) for i in picked]
    st.plotly_chart(image_grid_figure(images[picked].numpy(), titles, cols, cell_px=170 if cols == 3 else 150),
                    key="data_grid", width="stretch" if cols > 3 else "content",
                    config={"displayModeBar": False})
    what = t("data.browse.any") if digit is None else t("data.browse.one", digit=digit)
    st.caption(t("data.browse.caption", shown=len(picked), pool=pool, what=what, seed=seed,
                 split=t(f"data.split.{split}").lower()))
else:
    st.info(t("data.browse.empty"))

# ---- counts --------------------------------------------------------------------------------------
st.header(t("data.counts.title"))
train_counts, test_counts = _counts(key)
st.markdown(t("data.counts.body", best=max(test_counts) / max(sum(test_counts), 1)))
st.plotly_chart(class_counts_figure(
    train_counts, test_counts,
    titles=(t("data.counts.train", n=sum(train_counts)), t("data.counts.test", n=sum(test_counts))),
    xlabel=t("data.counts.x"), ylabel=t("data.counts.y"),
), key="data_counts", width="stretch", config={"displayModeBar": False})

# ---- mean images ---------------------------------------------------------------------------------
st.header(t("data.means.title"))
st.markdown(t("data.means.body"))
means = _means(key)
st.plotly_chart(image_grid_figure(
    means, [t("data.means.label", digit=d) for d in range(10)], cols=10, cell_px=120,
    zmax=float(means.max()) or 255.0,
), key="data_means", width="stretch", config={"displayModeBar": False})

# ---- histogram -----------------------------------------------------------------------------------
st.header(t("data.hist.title"))
hist = _histogram(key)
st.markdown(t("data.hist.body", zero=hist[0] / max(sum(hist), 1)))
st.plotly_chart(histogram_figure(hist, xlabel=t("data.hist.x"), ylabel=t("data.hist.y"), hover=t("data.hist.hover")),
                key="data_hist", width="stretch", config={"displayModeBar": False})

# ---- normalisation -------------------------------------------------------------------------------
st.header(t("data.norm.title"))
st.markdown(t("data.norm.body", n=n_train))
mean, std = _stats(key)
left, right = st.columns([3, 2])
with left:
    st.latex(r"x' = \frac{x/255 - \mu}{\sigma}"
             rf"\qquad \mu = {mean:.4f},\quad \sigma = {std:.4f}")
    st.markdown(t("data.norm.used", mean=MEAN, std=STD))
    st.markdown(t("data.norm.effect", zero=dataviz.normalised_value(0), full=dataviz.normalised_value(255)))
with right:
    m1, m2 = st.columns(2)
    m1.metric(t("data.norm.mean"), f"{mean:.4f}", help=t("data.norm.mean.help"))
    m2.metric(t("data.norm.std"), f"{std:.4f}", help=t("data.norm.std.help"))
st.info(t("data.norm.why"))
