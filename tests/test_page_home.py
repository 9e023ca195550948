"""The Home page: the three steps, one test digit followed through a network, and the quick-train button."""

from __future__ import annotations

import base64
import time

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from tests.conftest import open_view, plotly_specs
from ui.figures import data as dataviz


def open_home(runs: dict | None = None, lang: str = "en") -> AppTest:
    return open_view("home", runs, lang)


charts = plotly_specs


def array(value) -> np.ndarray:
    """A figure's array as sent to the browser: a plain list, or Plotly's typed-array dict (base64 'bdata')."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(n) for n in str(value.get("shape", len(flat))).split(",")])
    return np.asarray(value)


def text(at: AppTest) -> str:
    return "\n".join(m.value for m in [*at.markdown, *at.info, *at.success, *at.caption])


def test_home_renders_steps_grid_vector_layers_and_probabilities(small_mnist):
    at = open_home(runs={})
    assert at.title[0].value == "🔢 MNIST Lab"
    assert [e.proto.page for e in at.get("page_link")] == ["train", "evaluate", "draw"]  # 1 -> 2 -> 3
    figs = charts(at)
    assert {"home_grid", "home_strip", "home_layers", "home_probs"} <= set(figs)
    # the grid is test image 0 itself, each value written in its cell, upright
    grid = figs["home_grid"]["data"][0]
    image = small_mnist.test_images[0].numpy()
    assert np.array_equal(array(grid["z"]), image)
    assert grid["text"][8][10] == str(image[8][10])
    assert figs["home_grid"]["layout"]["yaxis"]["autorange"] == "reversed"
    assert array(figs["home_strip"]["data"][0]["z"]).shape == (1, 784)
    assert "**7**" in text(at)  # the label of test image 0
    # no run yet: a freshly initialised network's nearly uniform probabilities, computed for real
    assert "untrained" in "\n".join(i.value for i in at.info)
    probs = figs["home_probs"]["data"][1]["y"]
    _, expected = dataviz.untrained_outputs(small_mnist.images("test")[0])
    assert probs == pytest.approx(expected, abs=1e-6)
    assert max(probs) < 0.2
    assert len(at.latex) == 2


def test_picking_another_test_image_follows_it(small_mnist):
    at = open_home(runs={})
    at.number_input(key="home_index").set_value(1).run()
    assert not at.exception
    grid = charts(at)["home_grid"]["data"][0]
    assert np.array_equal(array(grid["z"]), small_mnist.test_images[1].numpy())
    assert f"**{int(small_mnist.test_labels[1])}**" in text(at)
    at.toggle(key="home_zeros").set_value(True).run()
    assert charts(at)["home_grid"]["data"][0]["text"][0][0] == "0"


def test_a_run_in_the_session_shows_its_real_probabilities(tiny_run, small_mnist):
    from core.learn.training import predict_proba

    at = open_home(runs={tiny_run.name: tiny_run})
    assert at.selectbox(key="home_run").value == tiny_run.name
    assert tiny_run.name in text(at)
    figs = charts(at)
    expected = predict_proba(tiny_run.model, small_mnist.images("test")[:1])[0]
    assert figs["home_probs"]["data"][1]["y"] == pytest.approx(expected.tolist(), abs=1e-5)
    assert int(torch.tensor(figs["home_probs"]["data"][1]["y"]).argmax()) == 7
    # the layer diagram is the run's own mlp:32: 784 -> 32 -> 10
    labels = " ".join(a["text"] for a in figs["home_layers"]["layout"]["annotations"])
    assert "<b>32</b>" in labels and "<b>64</b>" not in labels


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
