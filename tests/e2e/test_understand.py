"""The pages that read a run, in a real browser: click a confusion-matrix cell, draw a digit with the mouse."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from core.lab.runfiles.folders import load_run
from core.learn.data import load_mnist
from core.learn.metrics import confusion_matrix
from core.learn.training import evaluate
from tests.e2e.conftest import PREPARED_RUN, errors_on, open_page
from ui.i18n import t


def busiest_mistake(runs_dir: Path) -> tuple[int, int, int]:
    """(true, pred, count) of the largest off-diagonal cell for the prepared run on the server's test images."""
    n_test = int(os.environ.get("MNIST_LAB_E2E_SUBSET", "12000,2000").split(",")[1])
    data = load_mnist().subset(test=n_test)
    run = load_run(runs_dir / PREPARED_RUN)
    cm = confusion_matrix(evaluate(run.model, data.images("test"), data.labels("test"))["preds"], data.labels("test"))
    off = cm.clone()
    off.fill_diagonal_(0)
    true, pred = divmod(int(torch.argmax(off)), 10)
    return true, pred, int(cm[true, pred])


def test_click_a_confusion_matrix_cell_opens_exactly_its_images(page, server, server_dir):
    true, pred, count = busiest_mistake(server_dir / "runs")
    open_page(page, server, "evaluate")
    chart = page.locator(".st-key-evaluate_cm .js-plotly-plot").first
    chart.wait_for()
    x, y = page.evaluate(
        """([el, col, row]) => {
            const xa = el._fullLayout.xaxis, ya = el._fullLayout.yaxis, box = el.getBoundingClientRect();
            return [box.left + xa._offset + xa.d2p(col), box.top + ya._offset + ya.d2p(row)];
        }""",
        [chart.element_handle(), pred, true],
    )
    page.mouse.click(x, y)
    expected = t("evaluate.gallery.cell", n=count, true=true, pred=pred).replace("**", "")
    page.get_by_text(expected).wait_for(timeout=60_000)
    assert errors_on(page) == []


def test_draw_a_one_with_the_mouse_and_read_the_prediction(page, server):
    open_page(page, server, "draw")
    canvas = page.locator(".st-key-draw_canvas canvas.upper-canvas").last
    canvas.wait_for(timeout=60_000)
    box = canvas.bounding_box()
    cx, top = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.15
    page.mouse.move(cx, top)
    page.mouse.down()
    for i in range(1, 21):  # a straight stroke down the middle: a "1"
        page.mouse.move(cx, top + i * box["height"] * 0.035)
    page.mouse.up()
    page.wait_for_function(
        "() => { const v = document.querySelector('.st-key-draw_prediction [data-testid=stMetricValue]');"
        " return v && /^[0-9]$/.test(v.innerText.trim()); }",
        timeout=90_000,
    )
    value = page.locator(".st-key-draw_prediction [data-testid=stMetricValue]").inner_text().strip()
    assert value == "1"
    assert errors_on(page) == []


def test_inside_builds_a_tab_when_it_is_opened_and_keeps_the_others_settings(page, server):
    open_page(page, server, "inside")
    page.locator(".st-key-inside_weights .js-plotly-plot").wait_for()
    assert page.locator(".st-key-inside_activations").count() == 0  # a closed tab is not built
    tabs = page.get_by_role("tab")
    tabs.filter(has_text=t("inside.tab.one")).click()
    page.locator(".st-key-inside_activations .js-plotly-plot").wait_for(timeout=60_000)
    index = page.locator(".st-key-inside_index input")
    index.fill("7")
    index.press("Enter")
    caption = t("inside.input.caption.test", i=7, label=0, pred=0, p=0.0).split(":")[0] + ":"  # "Test image 7:"
    page.get_by_text(caption).first.wait_for(timeout=60_000)
    tabs.filter(has_text=t("inside.tab.pca")).click()
    page.locator(".st-key-inside_pca_raw .js-plotly-plot").wait_for(timeout=60_000)
    assert page.locator(".st-key-inside_activations").count() == 0
    tabs.filter(has_text=t("inside.tab.one")).click()
    page.locator(".st-key-inside_activations .js-plotly-plot").wait_for(timeout=60_000)
    assert index.input_value() == "7"  # the image chosen before is still the one followed
    page.get_by_text(caption).first.wait_for()
    assert errors_on(page) == []
