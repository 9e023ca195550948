"""The Data page: browse by split and digit, counts, mean images, histogram, computed normalisation constants."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.learn.data import pixel_stats
from tests.conftest import open_view, plotly_specs
from ui.figures import data as dataviz


def open_data(lang: str = "en") -> AppTest:
    return open_view("data", lang=lang)


charts = plotly_specs


def grid_titles(at: AppTest) -> list[str]:
    return [a["text"] for a in charts(at)["data_grid"]["layout"]["annotations"]]


def test_data_page_shows_grid_counts_means_histogram_and_constants(small_mnist):
    at = open_data()
    assert at.title[0].value == "🔢 The MNIST digits"
    figs = charts(at)
    assert {"data_grid", "data_counts", "data_means", "data_hist"} <= set(figs)
    # the 3x3 grid: nine images, the label over each, the same ones the seed picks
    picked = dataviz.sample_indices(small_mnist.train_labels, None, 9, seed=0)
    assert grid_titles(at) == [f"{int(small_mnist.train_labels[i])} · #{i}" for i in picked]
    # counts per class for both splits, as computed from the labels
    counts = figs["data_counts"]["data"]
    assert counts[0]["y"] == dataviz.class_counts(small_mnist.train_labels)
    assert counts[1]["y"] == dataviz.class_counts(small_mnist.test_labels)
    assert sum(counts[0]["y"]) == 3000 and sum(counts[1]["y"]) == 1000
    assert len(figs["data_means"]["data"]) == 10
    assert figs["data_hist"]["layout"]["yaxis"]["type"] == "log"
    # the normalisation constants are computed on the app's dataset, not copied
    mean, std = pixel_stats(small_mnist.train_images)
    assert [m.value for m in at.metric] == [f"{mean:.4f}", f"{std:.4f}"]
    assert f"{mean:.4f}" in at.latex[0].value and f"{std:.4f}" in at.latex[0].value
    assert "0.1307" in "\n".join(m.value for m in at.markdown)  # the constants the app uses, for comparison


def test_picking_a_digit_split_and_shuffling(small_mnist):
    at = open_data()
    at.segmented_control(key="data_digit").set_value(3).run()
    assert not at.exception
    first = grid_titles(at)
    assert len(first) == 9 and all(title.startswith("3 · ") for title in first)
    at.button(key="data_shuffle").click().run()
    second = grid_titles(at)
    assert all(title.startswith("3 · ") for title in second) and second != first
    assert at.session_state["data_seed"] == 1
    expected = dataviz.sample_indices(small_mnist.train_labels, 3, 9, seed=1)
    assert second == [f"3 · #{i}" for i in expected]  # deterministic: the seed decides
    at.segmented_control(key="data_split").set_value("test").run()
    at.segmented_control(key="data_layout").set_value("4×6").run()
    titles = grid_titles(at)
    assert len(titles) == 24
    assert all(int(small_mnist.test_labels[int(t.split("#")[1])]) == 3 for t in titles)


def test_language_switch_shows_chinese():
    at = open_data(lang="zh")
    assert at.title[0].value == "🔢 MNIST 手写数字"
    assert at.button(key="data_shuffle").label == "🔀 换一批"
