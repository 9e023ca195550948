"""The Inside page in AppTest: an MLP run, a CNN run, a drawing from the Draw page, kNN, no runs, Chinese.

Only the open tab is built, so a test opens the tab whose elements it looks at (open_tab).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from tests.conftest import open_view


def open_page(runs: dict, **state) -> AppTest:
    return open_view("inside", runs, timeout=90, **state)


def charts(at: AppTest) -> list[str]:
    """Keys of the Plotly charts on the page (AppTest shows them as UnknownElement 'plotly_chart')."""
    found = at.get("plotly_chart")
    return [el.proto.id for el in found]


def open_tab(at: AppTest, i: int) -> AppTest:
    """Open the i-th tab, as a click on it does (the tabs rerun the page)."""
    at.session_state["inside_tab"] = at.tabs[i].label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts_in_every_tab(at: AppTest) -> list[str]:
    """Keys of the Plotly charts of all three tabs, each opened in turn (the last one stays open)."""
    return [key for i in range(len(at.tabs)) for key in charts(open_tab(at, i))]


def test_mlp_run_shows_weights_activations_and_pca(tiny_run, small_mnist):
    at = open_page({tiny_run.name: tiny_run})
    assert at.title[0].value.endswith("Inside the network")
    assert [tab.label for tab in at.tabs] == ["🧩 What it learned", "🔬 One image, layer by layer",
                                            "🗺️ All test images in 2D"]
    assert len(charts(at)) == 1  # only the open tab is built: the weights
    assert len(charts_in_every_tab(at)) == 6  # weights, probabilities, activations, top units, two PCA scatters
    metrics = [m for m in at.metric if m.label == "Nearest-centre accuracy in this picture"]
    assert len(metrics) == 2
    raw, hidden = (float(m.value.rstrip("%")) for m in metrics)
    assert hidden > raw  # the classes separate after learning
    open_tab(at, 1)
    assert at.number_input(key="inside_index").value == 0
    label = int(small_mnist.test_labels[0])
    assert any(f"true digit {label}" in c.value for c in at.caption)
    at.number_input(key="inside_index").set_value(7)
    at.run()
    assert not at.exception
    assert any(f"Test image 7: true digit {int(small_mnist.test_labels[7])}" in c.value for c in at.caption)
    open_tab(at, 0)
    at.toggle(key="inside_shared").set_value(True)
    at.run()
    assert not at.exception


def test_closed_tabs_keep_their_settings_and_the_language_keeps_the_tab(tiny_run, small_mnist):
    at = open_tab(open_page({tiny_run.name: tiny_run}), 1)
    at.number_input(key="inside_index").set_value(7).run()
    open_tab(at, 2)
    at.slider(key="inside_pca_n").set_value(500).run()
    at.run()  # a second run with the first tab closed: Streamlit has dropped its widgets by now
    open_tab(at, 0)
    at.toggle(key="inside_shared").set_value(True).run()
    open_tab(at, 1)
    assert at.number_input(key="inside_index").value == 7
    assert any(f"Test image 7: true digit {int(small_mnist.test_labels[7])}" in c.value for c in at.caption)
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    assert at.session_state["inside_tab"] == "🔬 一张图片，逐层查看"  # the same tab, now in Chinese
    assert at.number_input(key="inside_index").value == 7
    open_tab(at, 2)
    assert at.slider(key="inside_pca_n").value == 500
    open_tab(at, 0)
    assert at.toggle(key="inside_shared").value is True


def test_cnn_run_shows_filters_and_feature_maps(tiny_cnn_run):
    at = open_page({tiny_cnn_run.name: tiny_cnn_run})
    assert at.selectbox(key=f"inside_conv_{tiny_cnn_run.name}").value == 0
    # filters, probabilities, 8 feature-map stages, two PCA scatters
    assert len(charts_in_every_tab(at)) == 1 + 1 + 8 + 2
    open_tab(at, 1)
    stages = [m.value for m in at.markdown if "maps of" in m.value]
    assert len(stages) == 8 and "8 maps of 28x28" in stages[0] and "32 maps of 7x7" in stages[-1]
    at.toggle(key="inside_maps_all").set_value(False)
    at.run()
    assert not at.exception
    assert len([m for m in at.markdown if "maps of" in m.value]) == 3  # convolutions only
    open_tab(at, 0)
    at.selectbox(key=f"inside_conv_{tiny_cnn_run.name}").set_value(1)
    at.run()
    assert not at.exception
    assert any("combines 8 maps" in m.value for m in at.markdown)


def test_drawing_from_the_draw_page_is_used(tiny_run):
    one = np.zeros((28, 28), np.float32)
    one[4:24, 13:16] = 1.0
    at = open_tab(open_page({tiny_run.name: tiny_run}, draw_image=one), 1)
    assert at.segmented_control(key="inside_source").value == "draw"
    assert any(c.value.startswith("Your drawing.") for c in at.caption)
    at.segmented_control(key="inside_source").set_value("test")
    at.run()
    assert not at.exception
    assert any(c.value.startswith("Test image 0") for c in at.caption)


def test_scratch_and_knn_runs(small_mnist):
    from core.learn.config import TrainConfig
    from core.learn.families import build as build_learner
    from core.learn.run import Run

    scratch = Run("numpy", TrainConfig(arch="scratch:20"), build_learner(TrainConfig(arch="scratch:20")))
    knn = build_learner(TrainConfig(arch="knn"))
    knn.fit(small_mnist.images("train")[:200], small_mnist.labels("train")[:200])
    at = open_page({"numpy": scratch, "knn": Run("knn", TrainConfig(arch="knn"), knn)})
    assert any("kNN compares" in c.value for c in at.caption)  # the newest run (kNN) is picked first
    assert any("no weights to look at" in i.value for i in at.info)
    assert len(charts(at)) == 1
    at.selectbox(key="inside_run").set_value("numpy")
    at.run()
    assert not at.exception
    assert any("20 sigmoid units" in c.value for c in at.caption)
    assert len(charts_in_every_tab(at)) == 6


def test_linear_run_has_digit_templates():
    from core.learn.config import TrainConfig
    from core.learn.families import build as build_learner
    from core.learn.run import Run

    torch.manual_seed(0)
    config = TrainConfig(arch="linear")
    at = open_page({"lin": Run("lin", config, build_learner(config))})
    assert any("template of one digit" in m.value for m in at.markdown)
    assert len(charts_in_every_tab(at)) == 4  # templates, probabilities, two PCA scatters
    assert any("no hidden layer" in i.value for i in open_tab(at, 1).info)


def test_no_runs_says_how_to_get_one():
    at = open_page({})
    assert any("No runs yet" in i.value for i in at.info)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_chinese(kind, tiny_run, tiny_cnn_run):
    run = tiny_run if kind == "mlp" else tiny_cnn_run
    # The PCA tab is opened first: AppTest formats a selectbox's options (the CNN's layers, on the first tab)
    # outside the page's session, so in English, and could not find them among the Chinese ones.
    at = open_tab(open_page({run.name: run}), 2)
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    assert at.title[0].value.endswith("网络内部")
    assert at.tabs[0].label == "🧩 学到了什么"
    assert any("在这张图中按最近中心分类的准确率" == m.label for m in at.metric)
    if kind == "cnn":
        assert any("特征图" in m.value for m in open_tab(at, 1).markdown)
