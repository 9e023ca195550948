"""The Draw page in AppTest: the canvas driven through session state, the test-image input, toggles, zh."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from core import workspaces
from core.runs import load_run
from tests.conftest import open_view, workspace_runs

CANVAS = "draw_canvas_0"  # ui.canvas: the canvas widget's key before any "Clear"


def canvas_state(rgba: np.ndarray) -> dict:
    """What the drawable-canvas frontend sends after a stroke: Fabric JSON plus the canvas as a PNG data URL."""
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}], "background": "#000000"}, "data": url},
            "backgroundFit": None}


def drawn_one() -> np.ndarray:
    """A 280x280 canvas with a thick vertical white stroke: a '1'."""
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[50:230, 130:152, :3] = 255
    return rgba


@pytest.fixture()
def app(tiny_run, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_CLASS_DIR", str(tmp_path / "class"))
    return open_view("draw", {tiny_run.name: tiny_run})


def prediction(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label in ("Prediction", "预测"))


def test_renders_with_toggles_and_empty_prediction(app):
    labels = [c.label for c in app.checkbox]
    for label in ("Crop to the ink", "Keep the aspect ratio", "Fit into 20x20", "Centre by mass"):
        assert label in labels
    assert prediction(app) == "–"  # nothing drawn yet
    assert not any("Every run reads it as" in s.value for s in app.subheader)


def test_canvas_drawing_is_predicted_and_toggles_change_the_input(app):
    app.session_state[CANVAS] = canvas_state(drawn_one())
    app.run()
    assert not app.exception
    assert prediction(app) == "1"
    assert any("Every run reads it as" in s.value for s in app.subheader)
    assert len(app.dataframe) >= 1  # every run's reading
    captions = " ".join(c.value for c in app.caption)
    assert "with probability" in captions
    # Switching preprocessing steps off changes what the network receives, and the page still renders.
    for label in ("Crop to the ink", "Fit into 20x20"):
        next(c for c in app.checkbox if c.label == label).uncheck()
    app.run()
    assert not app.exception
    assert prediction(app) in [str(d) for d in range(10)]


def test_test_image_fallback_feeds_the_pipeline_and_saves_to_class_set(app, tmp_path, small_mnist):
    app.segmented_control(key="draw_source").set_value("test")
    app.run()
    app.number_input(key="draw_test_index").set_value(3)
    app.run()
    assert not app.exception
    label = int(small_mnist.test_labels[3])
    assert prediction(app) == str(label)  # a real MNIST digit survives the round trip through preprocessing
    assert app.number_input(key="draw_true_label").value == label  # the known digit is suggested
    app.button(key="draw_class_add").click()
    app.run()
    assert not app.exception
    saved = list((tmp_path / "class").glob("*.png"))
    assert len(saved) == 1 and saved[0].name.startswith(f"{label}_")
    assert len(app.dataframe) == 2  # every run's reading, and every run on the class set


def test_chinese(app):
    app.session_state["lang"] = "zh"
    app.session_state[CANVAS] = canvas_state(drawn_one())
    app.run()
    assert not app.exception
    assert any("手写一个数字" in t.value for t in app.title)
    assert any("按质心居中" == c.label for c in app.checkbox)
    assert prediction(app) == "1"


def test_class_set_accuracy_and_fine_tuning_add_a_run(tiny_run, small_mnist, tmp_path, monkeypatch):
    from core.classset import add_drawing

    folder = tmp_path / "class"
    for img, label in zip(small_mnist.test_images[:12].numpy(), small_mnist.test_labels[:12].tolist(), strict=True):
        add_drawing(folder, img, label)
    monkeypatch.setenv("MNIST_LAB_CLASS_DIR", str(folder))
    at = open_view("draw", {tiny_run.name: tiny_run})
    table = next(d.value for d in at.dataframe if "Class set accuracy" in d.value.columns)
    assert len(table) == 1 and 0.5 <= table.iloc[0]["Class set accuracy"] <= 1.0
    at.slider(key="draw_ft_epochs").set_value(3)
    at.button(key="draw_ft_go").click()
    at.run()
    assert not at.exception
    assert workspace_runs(at) == ["tiny-mlp", "tiny-mlp-class"]  # saved in the workspace, the original kept
    copy = load_run(workspaces.open_id(at.session_state["ws_id"]).runs_dir / "tiny-mlp-class")
    assert not torch.equal(next(iter(copy.model.state_dict().values())),
                           next(iter(tiny_run.model.state_dict().values())))
    assert copy.history[-1]["fine_tuned"] == {"drawings": 12, "epochs": 3}
    assert at.session_state["draw_run"] == "tiny-mlp"  # the original stays selected: the copy is the user's to pick
    assert any("tiny-mlp-class" in s.value for s in at.success)


def test_an_unreadable_upload_says_why_in_the_readers_language(tiny_run, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_CLASS_DIR", str(tmp_path / "class"))
    at = open_view("draw", {tiny_run.name: tiny_run}, lang="zh", draw_source="upload")
    assert not at.exception and at.file_uploader
    at.file_uploader[0].set_value(("digit.png", b"certainly not a png", "image/png")).run()
    assert not at.exception
    error = " ".join(e.value for e in at.error)
    assert "该文件不是可读取的图像" in error and "is not an image" not in error
