"""The Evaluate page: confusion matrix, cell selection, gallery, epoch scrubbing, report, language."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.learn import evaluation as ev
from tests.conftest import open_view


def open_page(runs: dict) -> AppTest:
    return open_view("evaluate", runs)


def shown_images(at: AppTest) -> int:
    return sum(len(im.proto.imgs) for im in at.get("image"))


def count_line(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**"))


@pytest.fixture(scope="module")
def final(tiny_run, small_mnist):
    return ev.test_predictions(tiny_run.model, small_mnist)


def test_page_renders_matrix_slider_and_report(tiny_run, final):
    at = open_page({tiny_run.name: tiny_run})
    charts = at.get("plotly_chart")
    assert len(charts) == 2  # the confusion matrix and the per-digit bars
    assert '"heatmap"' in charts[0].proto.spec
    assert at.select_slider(key=f"evaluate_snapshot_{tiny_run.name}").label.startswith("Watch it learn")
    assert at.get("download_button")[0].proto.label == "Download the lab report"
    assert at.metric[0].value == f"{final.accuracy:.2%}"
    mistakes = int((final.preds != final.labels).sum())
    assert count_line(at) == f"**{mistakes}** mistakes in all."
    assert shown_images(at) == min(mistakes, ev.PAGE_SIZE)
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 10


def test_choosing_a_cell_shows_exactly_its_images(tiny_run, final):
    at = open_page({tiny_run.name: tiny_run})
    cm = final.confusion
    off = cm.clone().fill_diagonal_(0)
    true, pred = divmod(int(off.argmax()), 10)  # the most common mistake
    at.selectbox(key="evaluate_true").set_value(true)
    at.selectbox(key="evaluate_pred").set_value(pred)
    at.run()
    assert not at.exception
    n = int(cm[true, pred])
    assert count_line(at) == f"**{n}** test images of a {true} read as {pred}."
    assert shown_images(at) == min(n, ev.PAGE_SIZE)
    captions = at.get("image")[0].proto.imgs
    assert all(c.caption.startswith(f"true {true} → {pred}") for c in captions)
    # the diagonal: correct readings, a page at a time
    at.selectbox(key="evaluate_true").set_value(1)
    at.selectbox(key="evaluate_pred").set_value(1)
    at.run()
    n = int(cm[1, 1])
    assert count_line(at) == f"**{n}** test images of a 1 read correctly."
    assert shown_images(at) == ev.PAGE_SIZE
    at.button(key="evaluate_more").click()
    at.run()
    assert shown_images(at) == min(n, 2 * ev.PAGE_SIZE)
    at.button(key="evaluate_clear").click()
    at.run()
    assert count_line(at).endswith("mistakes in all.")


def test_clicking_a_cell_fills_in_the_selectboxes(tiny_run, final):
    at = open_page({tiny_run.name: tiny_run})
    # What st.plotly_chart reports for a click on the invisible marker of cell (true 3, read 5)
    at.session_state["evaluate_cm"] = {"selection": {
        "points": [{"x": 5, "y": 3, "curve_number": 2, "point_number": 35, "point_index": 35}],
        "point_indices": [35], "box": [], "lasso": []}}
    at.run()
    assert not at.exception
    assert (at.selectbox(key="evaluate_true").value, at.selectbox(key="evaluate_pred").value) == (3, 5)
    assert count_line(at) == f"**{int(final.confusion[3, 5])}** test images of a 3 read as 5."
    at.selectbox(key="evaluate_pred").set_value(8)  # the selectboxes win until the next click
    at.run()
    assert at.selectbox(key="evaluate_pred").value == 8
    assert count_line(at) == f"**{int(final.confusion[3, 8])}** test images of a 3 read as 8."


def test_scrubbing_back_to_the_untrained_network(tiny_run, small_mnist):
    at = open_page({tiny_run.name: tiny_run})
    untrained = ev.snapshots(tiny_run.history)[0]
    at.select_slider(key=f"evaluate_snapshot_{tiny_run.name}").set_value(0)
    at.run()
    assert not at.exception
    assert at.metric[0].value == f"{untrained.test_acc:.2%}"
    assert any("epoch 0.00" in i.value for i in at.info)
    mistakes = int((untrained.preds != small_mnist.test_labels).sum())
    assert count_line(at) == f"**{mistakes}** mistakes in all."
    assert at.button_group(key="evaluate_order").proto.disabled  # no probabilities recorded back then


def test_no_runs_and_chinese(tiny_run):
    at = open_page({})
    assert any("No runs yet" in i.value for i in at.info)
    at = open_page({tiny_run.name: tiny_run})
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    assert at.title[0].value == "🔍 评估"
    assert at.selectbox(key="evaluate_true").label == "真实数字"
    assert at.get("download_button")[0].proto.label == "下载实验报告"
    assert any("混淆矩阵" in s.value for s in at.subheader)
