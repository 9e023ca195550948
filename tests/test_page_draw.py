"""The Draw page in AppTest: canvas, test-image input, toggles, zh, the class test set and fine-tuning.

The class test set: saving under the canvas, the review grid, relabel and prune; fine-tuning reports the
drawings it trained on and the held-back ones, in English and Chinese.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from core.lab import classset, workspaces
from core.lab.runfiles.folders import load_run
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
    beside_input = app.columns[0]  # the save control sits in the input column, under the input
    assert "draw_true_label" in [n.key for n in beside_input.number_input]
    assert "draw_class_add" in [b.key for b in beside_input.button]
    app.button(key="draw_class_add").click()
    app.run()
    assert not app.exception
    saved = list((tmp_path / "class").glob("*.png"))
    assert len(saved) == 1 and saved[0].name.startswith(f"{label}_")
    assert len(app.dataframe) == 2  # every run's reading, and every run on the class set
    # issue 18: the digit empties after a save (the next drawing is never saved under this one's digit) ...
    assert app.number_input(key="draw_true_label").value is None and app.button(key="draw_class_add").disabled
    # ... and the same drawing added again is not saved twice
    app.number_input(key="draw_true_label").set_value(label).run()
    app.button(key="draw_class_add").click().run()
    assert not app.exception and len(list((tmp_path / "class").glob("*.png"))) == 1
    assert any("already" in i.value for i in app.info)
    # a double tap's second click carries the digit the browser still showed: it is emptied all the same
    assert app.number_input(key="draw_true_label").value is None


def test_chinese(app):
    app.session_state["lang"] = "zh"
    app.session_state[CANVAS] = canvas_state(drawn_one())
    app.run()
    assert not app.exception
    assert any("手写一个数字" in t.value for t in app.title)
    assert any("按质心居中" == c.label for c in app.checkbox)
    assert prediction(app) == "1"


def test_class_set_accuracy_and_fine_tuning_add_a_run(tiny_run, small_mnist, tmp_path, monkeypatch):
    from core.lab.classset import add_drawing

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
    done = copy.history[-1]["fine_tuned"]  # some drawings held back
    assert done["epochs"] == 3 and done["drawings"] + done.get("held_back", 0) == 12
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


def saved_drawings(folder, small_mnist, n: int) -> list:
    """The first n MNIST test images saved as class drawings (with their true digits); their paths."""
    from core.lab.classset import add_drawing

    return [add_drawing(folder, img, label)
            for img, label in zip(small_mnist.test_images[:n].numpy(), small_mnist.test_labels[:n].tolist(),
                                  strict=True)]


def test_review_relabel_and_prune_the_class_test_set(tiny_run, small_mnist, tmp_path, monkeypatch):
    folder = tmp_path / "class"
    saved_drawings(folder, small_mnist, 6)
    labels = sorted(small_mnist.test_labels[:6].tolist())
    monkeypatch.setenv("MNIST_LAB_CLASS_DIR", str(folder))
    at = open_view("draw", {tiny_run.name: tiny_run})
    grid = next(i for i in at.get("image") if len(i.captions) == 6)  # every drawing, with its label
    assert grid.captions == [f"#{i + 1}: {label}" for i, label in enumerate(labels)]

    pick = at.selectbox(key="draw_review_pick")
    name = pick.value
    assert name == sorted(p.name for p in folder.glob("*.png"))[0] and pick.options[0].startswith("#1: digit")
    old = int(name[0])
    assert at.number_input(key="draw_review_label").value == old  # starts from the saved digit
    assert at.button(key="draw_review_relabel").disabled  # nothing to change yet
    new = (old + 1) % 10
    at.number_input(key="draw_review_label").set_value(new).run()
    at.button(key="draw_review_relabel").click().run()
    assert not at.exception
    renamed = f"{new}{name[1:]}"
    assert (folder / renamed).is_file() and not (folder / name).exists()  # the file itself is renamed
    assert at.selectbox(key="draw_review_pick").value == renamed  # the picker follows the drawing
    assert any(f"Relabelled {old} → {new}" in s.value for s in at.success)
    grid = next(i for i in at.get("image") if len(i.captions) == 6)
    assert sorted(int(c.split(": ")[1]) for c in grid.captions) == sorted(labels[1:] + [new])

    at.button(key="draw_review_remove").click().run()  # prune it
    assert not at.exception
    assert not (folder / renamed).exists() and len(list(folder.glob("*.png"))) == 5
    assert any(f"Removed {renamed}" in s.value for s in at.success)
    assert len(next(i for i in at.get("image") if len(i.captions) == 5).captions) == 5

    # Only one digit shown; a drawing someone else removed meanwhile is reported, not an error.
    digit = labels[-1]
    at.selectbox(key="draw_review_digit").set_value(digit).run()
    shown = next(i for i in at.get("image") if i.captions and i.captions[0].startswith("#"))
    assert {c.split(": ")[1] for c in shown.captions} == {str(digit)}
    (folder / at.selectbox(key="draw_review_pick").value).unlink()
    at.button(key="draw_review_remove").click().run()
    assert not at.exception
    assert any("no longer in the class test set" in w.value for w in at.warning)


def test_review_speaks_chinese(tiny_run, small_mnist, tmp_path, monkeypatch):
    folder = tmp_path / "class"
    saved_drawings(folder, small_mnist, 4)
    monkeypatch.setenv("MNIST_LAB_CLASS_DIR", str(folder))
    at = open_view("draw", {tiny_run.name: tiny_run}, lang="zh")
    assert any(s.value == "检查手写图" for s in at.subheader)
    assert at.button(key="draw_review_relabel").label == "改标签"
    assert at.button(key="draw_review_remove").label == "删除"
    assert at.selectbox(key="draw_review_digit").options[0] == "全部 4 张"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_fine_tuning_reports_the_drawings_trained_on_and_held_back(lang, tiny_run, small_mnist, tmp_path,
                                                                   monkeypatch):
    folder = tmp_path / "class"
    saved_drawings(folder, small_mnist, 30)
    monkeypatch.setenv("MNIST_LAB_CLASS_DIR", str(folder))
    images, labels = classset.load_class_set(folder)
    trained, held = classset.held_back_split(images, labels)
    assert len(held) >= 5 and len(trained) + len(held) == 30
    at = open_view("draw", {tiny_run.name: tiny_run}, lang=lang)
    said = " ".join(m.value for m in at.markdown)
    if lang == "en":
        assert f"It will train on {len(trained)} of the 30 drawings and hold back {len(held)}" in said
    else:
        assert f"它将在 30 张手写图中的 {len(trained)} 张上训练，留出 {len(held)} 张" in said
    # The defaults: half the run's rate, the measured number of passes.
    assert at.number_input(key="draw_ft_lr_tiny-mlp").value == pytest.approx(tiny_run.config.lr / 2)
    assert at.slider(key="draw_ft_epochs").value == classset.FT_EPOCHS
    at.slider(key="draw_ft_epochs").set_value(3)
    at.button(key="draw_ft_go").click().run()
    assert not at.exception
    assert workspace_runs(at) == ["tiny-mlp", "tiny-mlp-class"]
    assert at.session_state["draw_run"] == "tiny-mlp"  # the original stays selected
    copy = load_run(workspaces.open_id(at.session_state["ws_id"]).runs_dir / "tiny-mlp-class")
    assert copy.history[-1]["fine_tuned"] == {"drawings": len(trained), "epochs": 3, "held_back": len(held)}

    def pct(model, idx):
        return f"{classset.evaluate_images(model, images[idx], labels[idx])['accuracy']:.0%}"

    report = " ".join(s.value for s in at.success)
    before, after = pct(tiny_run.model, trained), pct(copy.model, trained)
    held_before, held_after = pct(tiny_run.model, held), pct(copy.model, held)
    test = f"{tiny_run.test_acc:.1%} → {copy.test_acc:.1%}"
    if lang == "en":
        assert f"the {len(trained)} drawings it trained on {before} → {after}" in report
        assert f"the {len(held)} held-back drawings it never saw {held_before} → {held_after}" in report
        assert f"MNIST test accuracy {test}" in report
    else:
        assert f"训练用的 {len(trained)} 张手写图 {before} → {after}" in report
        assert f"留出、从未见过的 {len(held)} 张手写图 {held_before} → {held_after}" in report
        assert f"MNIST 测试准确率 {test}" in report


def test_fine_tuning_says_when_nothing_could_be_held_back(tiny_run, small_mnist, tmp_path, monkeypatch):
    folder = tmp_path / "class"
    firsts = {}
    for i, label in enumerate(small_mnist.test_labels.tolist()):  # one drawing of each digit
        firsts.setdefault(label, i)
    for label, i in sorted(firsts.items()):
        classset.add_drawing(folder, small_mnist.test_images[i].numpy(), label)
    monkeypatch.setenv("MNIST_LAB_CLASS_DIR", str(folder))
    at = open_view("draw", {tiny_run.name: tiny_run})
    assert any("none can be held back" in m.value for m in at.markdown)
    at.slider(key="draw_ft_epochs").set_value(2)
    at.button(key="draw_ft_go").click().run()
    assert not at.exception
    assert any("the 10 drawings it trained on" in s.value and "none held back" in s.value for s in at.success)


def test_every_run_reads_the_drawing_up_to_the_newest_that_stay_loaded(tiny_run, tmp_path, monkeypatch):
    from core.lab.runfiles.folders import WEIGHTS_CACHED

    monkeypatch.setenv("MNIST_LAB_CLASS_DIR", str(tmp_path / "class"))
    at = open_view("draw", {f"run-{i:02d}": tiny_run for i in range(WEIGHTS_CACHED + 2)})
    at.session_state[CANVAS] = canvas_state(drawn_one())
    at.run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Run" in d.value.columns)
    assert list(table["Run"]) == [f"run-{i:02d}" for i in range(2, WEIGHTS_CACHED + 2)]  # the newest
    assert any(f"{WEIGHTS_CACHED} newest of {WEIGHTS_CACHED + 2} runs" in c.value for c in at.caption)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_class_set_is_not_shown_while_a_challenge_scores_on_it(lang, tiny_run, small_mnist, tmp_path,
                                                                   monkeypatch):
    """A challenge on the class's handwriting: its frozen drawings are the hidden set, so the Draw page shows none
    of them (no review grid, no misses, no accuracy on them, no fine-tuning on them) and says why; closing it
    brings them back."""
    from core.lab import challenges, classes
    from core.lab.classset import add_drawing

    folder = tmp_path / "class"
    for img, label in zip(small_mnist.test_images[:6].numpy(), small_mnist.test_labels[:6].tolist(), strict=True):
        add_drawing(folder, img, label)
    monkeypatch.setenv("MNIST_LAB_CLASS_DIR", str(folder))
    cls, _ = classes.create_class("8C")
    ch = challenges.open_challenge(cls, "Ours", "", challenges.Rules(), "classset")
    at = open_view("draw", {tiny_run.name: tiny_run}, lang=lang)
    assert not at.exception
    keys = {w.key for w in [*at.selectbox, *at.button, *at.slider]}
    assert not keys & {"draw_review_pick", "draw_review_digit", "draw_ft_go", "draw_ft_epochs"}, keys
    assert len(at.dataframe) == 0  # neither the class table nor the runs' accuracy on the drawings
    hidden = "隐藏测试集" if lang == "zh" else "hidden test set"
    assert any(hidden in i.value and "6" in i.value for i in at.info), [i.value for i in at.info]
    assert "draw_class_add" in {b.key for b in at.button}  # adding new drawings still works
    challenges.close_challenge(ch)
    at.run()
    assert "draw_review_pick" in {s.key for s in at.selectbox} and not any(hidden in i.value for i in at.info)
