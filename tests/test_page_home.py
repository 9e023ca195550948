"""The Home page: the three steps, one test digit followed through a network, and the quick-train button."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from tests.conftest import open_view, svg_figures, svg_values
from ui.figures import data as dataviz


def open_home(runs: dict | None = None, lang: str = "en") -> AppTest:
    return open_view("home", runs, lang)


def text(at: AppTest) -> str:
    return "\n".join(m.value for m in [*at.markdown, *at.info, *at.success, *at.caption])


def grid(figs: dict) -> np.ndarray:
    return np.array([int(v) for v in svg_values(figs["home_grid"], "px")]).reshape(28, 28)


def probs_of(figs: dict) -> list[float]:
    return [float(v) for v in svg_values(figs["home_probs"], "bar", kind="probs")]


def test_home_renders_steps_grid_vector_layers_and_probabilities(small_mnist):
    at = open_home(runs={})
    assert at.title[0].value == "🔢 MNIST Lab"
    assert [e.proto.page for e in at.get("page_link")] == ["train", "evaluate", "draw"]  # 1 -> 2 -> 3
    figs = svg_figures(at)
    assert {"home_grid", "home_strip", "home_layers", "home_probs"} <= set(figs)
    assert not at.get("plotly_chart")  # a fresh browser's first page: no Plotly to compile
    # the grid is test image 0 itself (its values, upright, are checked in test_home_svg)
    image = small_mnist.test_images[0].numpy()
    assert np.array_equal(grid(figs), image)
    assert len(svg_values(figs["home_strip"], "px")) == 784
    assert "**7**" in text(at)  # the label of test image 0
    # no run yet: a freshly initialised network's nearly uniform probabilities, computed for real
    assert "untrained" in "\n".join(i.value for i in at.info)
    probs = probs_of(figs)
    _, expected = dataviz.untrained_outputs(small_mnist.images("test")[0])
    assert probs == pytest.approx(expected, abs=1e-6)
    assert max(probs) < 0.2
    assert len(at.latex) == 2


def test_picking_another_test_image_follows_it(small_mnist):
    at = open_home(runs={})
    at.number_input(key="home_index").set_value(1).run()
    assert not at.exception
    assert np.array_equal(grid(svg_figures(at)), small_mnist.test_images[1].numpy())
    assert f"**{int(small_mnist.test_labels[1])}**" in text(at)
    written = [e.text for e in svg_figures(at)["home_grid"].iter() if e.text]
    at.toggle(key="home_zeros").set_value(True).run()
    assert [e.text for e in svg_figures(at)["home_grid"].iter() if e.text].count("0") > written.count("0") + 100


def test_a_run_in_the_session_shows_its_real_probabilities(tiny_run, small_mnist):
    from core.learn.training import predict_proba

    at = open_home(runs={tiny_run.name: tiny_run})
    assert at.selectbox(key="home_run").value == tiny_run.name
    assert tiny_run.name in text(at)
    figs = svg_figures(at)
    expected = predict_proba(tiny_run.model, small_mnist.images("test")[:1])[0]
    assert probs_of(figs) == pytest.approx(expected.tolist(), abs=1e-5)
    assert int(torch.tensor(probs_of(figs)).argmax()) == 7
    # the layer diagram is the run's own mlp:32: 784 -> 32 -> 10
    sizes = [e.get("data-size") for e in figs["home_layers"].iter() if e.get("data-layer") is not None]
    assert sizes == ["784", "32", "10"]


def test_language_switch_shows_chinese():
    at = open_home(runs={}, lang="zh")
    assert at.title[0].value == "🔢 MNIST 实验室"
    assert at.button(key="home_train").label == "立即训练一个小模型"


def test_train_button_starts_a_real_background_job(thread_workers):
    from core.lab import workspaces
    from core.lab.jobs import store as jobs

    at = open_home(runs={})
    at.button(key="home_train").click().run()
    assert not at.exception, at.exception
    ws = workspaces.open_id(at.session_state["ws_id"])
    new = jobs.list_jobs(ws)
    try:
        assert len(new) == 1
        job = new[0]
        assert job.config.arch == "mlp:128,64" and job.config.epochs == 1
        assert ws.settings()["home_job"] == job.id  # remembered in the workspace: a reload finds it
        assert at.button(key="home_train").disabled  # one quick model at a time
        assert "Train page" in text(at)
        deadline = time.monotonic() + 20
        while job.refresh().state == "queued" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert job.state in ("running", "finished")
    finally:
        for job in new:
            job.stop()
        for job in new:
            job.wait(30)
    assert new[0].done and new[0].result is not None  # stopping keeps the model trained so far
