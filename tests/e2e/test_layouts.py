"""The screens a class actually has: a tablet drawn on with a finger, a 1280x720 projector, two languages.

Each test opens its own browser context at its own size (the conftest's `page` is 1400x1000), so each has
its own workspace.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import (
    choose_preset,
    errors_on,
    open_page,
    start_training,
    train_text,
    wait_for_app,
    wait_until,
    workspace_id,
)
from ui.i18n import t

TABLET = {"width": 820, "height": 1180}  # an iPad Air held upright
PROJECTOR = {"width": 1280, "height": 720}
LONG_PRESET = "cnn-adam"  # 10 epochs of the small CNN: long enough to look at while it trains, stopped early


@pytest.fixture
def sized(browser, server):
    """sized(viewport, **options) -> a page in a fresh browser context of that size (closed after the test)."""
    contexts = []

    def make(viewport: dict, **options):
        context = browser.new_context(viewport=viewport, **options)
        contexts.append(context)
        pg = context.new_page()
        pg.set_default_timeout(30_000)
        return pg

    yield make
    for context in contexts:
        context.close()


# ---- a tablet -------------------------------------------------------------------------------------------

def sidebar_right(page) -> float:
    """The sidebar's right edge in px (0 when it is folded away: Streamlit shrinks it to no width)."""
    return page.evaluate(
        "() => { const s = document.querySelector('[data-testid=stSidebar]');"
        " if (!s) return 0; const r = s.getBoundingClientRect(); return r.width > 1 ? r.right : 0; }")


def finger_stroke(page, points: list[tuple[float, float]]) -> None:
    """One finger down on the first point, along the others, then lifted: real touch events sent through CDP
    (page.touchscreen only taps)."""
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, x: float = 0, y: float = 0) -> None:
        finger = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1, "radiusX": 4, "radiusY": 4, "force": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": finger})

    touch("touchStart", *points[0])
    for x, y in points[1:]:
        touch("touchMove", x, y)
        time.sleep(0.015)
    touch("touchEnd")
    cdp.detach()


def test_a_tablet_folds_the_sidebar_and_a_finger_draws_a_one(sized, server):
    page = sized(TABLET, has_touch=True, is_mobile=False)
    open_page(page, server, "draw")
    canvas = page.locator(".st-key-draw_canvas canvas.upper-canvas").last
    canvas.wait_for(timeout=60_000)
    wait_until(lambda: sidebar_right(page) <= 60, 15, "the sidebar folded away on a tablet", poll=0.2)
    box = wait_until(lambda: (b := canvas.bounding_box()) and b["width"] > 0 and b, 15, "the canvas laid out")
    assert box["x"] >= 0 and box["x"] + box["width"] <= TABLET["width"], f"canvas {box} leaves the screen"
    assert box["width"] >= 250, box  # the whole 280 px canvas, not a squeezed one

    cx, top = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.15
    finger_stroke(page, [(cx, top + i * box["height"] * 0.035) for i in range(21)])  # straight down: a "1"
    value = page.locator('.st-key-draw_prediction [data-testid="stMetricValue"]')
    read = wait_until(lambda: (v := value.inner_text().strip()).isdigit() and v, 60,
                      "the prepared run's reading of the finger-drawn digit")
    assert read == "1"
    assert sidebar_right(page) <= 60  # the page's rerun after the stroke did not open it again
    assert errors_on(page) == []


# ---- a projector ----------------------------------------------------------------------------------------

BOXES = """() => {
  const box = sel => { const e = document.querySelector(sel); if (!e) return null;
                       const r = e.getBoundingClientRect(); return r.height ? {top: r.top, bottom: r.bottom} : null; };
  const acc = document.querySelector('.st-key-train_acc_chart .js-plotly-plot');
  return {progress: box('[data-testid=stMain] [data-testid=stProgress]'),
          loss: box('.st-key-train_loss_chart .js-plotly-plot'), acc: box('.st-key-train_acc_chart .js-plotly-plot'),
          yrange: acc && acc.layout && acc.layout.yaxis ? acc.layout.yaxis.range : null,
          scrolled: document.querySelector('[data-testid=stMain]').scrollTop + window.scrollY};
}"""


def stop_and_wait(page, lang: str = "en") -> None:
    page.get_by_role("button", name=t("train.stop", lang)).click()
    page.get_by_text(train_text("train.stopped", lang)).wait_for(timeout=60_000)


def test_a_projector_shows_progress_and_both_charts_on_one_screen(sized, server):
    page = sized(PROJECTOR)
    open_page(page, server, "train")
    choose_preset(page, LONG_PRESET)
    start_training(page)
    try:
        def on_screen():
            seen = page.evaluate(BOXES)
            return seen if all(seen[k] for k in ("progress", "loss", "acc")) else None

        seen = wait_until(on_screen, 60, "the progress bar and both charts while it trains")
        assert seen["scrolled"] == 0
        for part in ("progress", "loss", "acc"):
            assert 0 <= seen[part]["top"] and seen[part]["bottom"] <= PROJECTOR["height"], (part, seen)

        def zoomed():  # once a few checks after the untrained start have learned, the axis leaves 0-105%
            seen = page.evaluate(BOXES)
            return seen if seen["yrange"] and seen["yrange"][0] > 0.5 else None

        seen = wait_until(zoomed, 60, "the accuracy axis zoomed to the data")
        assert seen["yrange"][1] <= 1.01, seen
        for part in ("progress", "loss", "acc"):  # still one screen: redraws did not push anything down
            assert seen[part] and seen[part]["bottom"] <= PROJECTOR["height"], (part, seen)
        assert errors_on(page) == []
    finally:
        stop_and_wait(page)


OVERLAPS = """() => {
  const out = [];
  for (const key of ['train_loss_chart', 'train_acc_chart']) {
    const plot = document.querySelector('.st-key-' + key + ' .js-plotly-plot');
    const legend = plot && plot.querySelector('.legend'), bar = plot && plot.querySelector('.modebar');
    if (!legend) return null;  // not drawn yet
    const a = legend.getBoundingClientRect(), b = bar ? bar.getBoundingClientRect() : {width: 0, height: 0};
    const shown = bar && b.width > 0 && b.height > 0 && getComputedStyle(bar).opacity !== '0'
                  && getComputedStyle(bar).visibility !== 'hidden';
    const apart = !shown || a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
    out.push([key, apart]);
  }
  return out;
}"""


def test_on_a_tablet_a_tapped_chart_shows_no_toolbar_over_its_legend(sized, server):
    page = sized(TABLET, has_touch=True, is_mobile=False)
    open_page(page, server, "train")
    choose_preset(page, LONG_PRESET)
    start_training(page)
    try:
        wait_until(lambda: page.evaluate(OVERLAPS), 60, "both charts with their legends while it trains")
        for key in ("train_loss_chart", "train_acc_chart"):
            box = page.evaluate("k => { const e = document.querySelector('.st-key-' + k + ' .js-plotly-plot');"
                                " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
                                " return {x: r.x, y: r.y, width: r.width, height: r.height}; }", key)
            page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # a finger on it
            page.wait_for_timeout(300)
            assert all(apart for _, apart in page.evaluate(OVERLAPS)), page.evaluate(OVERLAPS)
        assert errors_on(page) == []
    finally:
        stop_and_wait(page)


# ---- labels that fit --------------------------------------------------------------------------------------

CUT = """() => {
  const cut = [];
  const controls = '[data-testid=stMain] [data-testid=stButton] button, [data-testid=stButtonGroup] button, '
                 + '[data-testid=stMain] [data-testid=stWidgetLabel]';
  for (const el of document.querySelectorAll(controls)) {
    if (!el.getBoundingClientRect().width) continue;  // folded away (a closed expander) or not drawn
    for (const e of [el, ...el.querySelectorAll('p, span, div')]) {
      if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1) {
        cut.push(el.innerText.trim().replace(/\\s+/g, ' ') + ` (${e.scrollWidth} px of text in ${e.clientWidth} px)`);
        break;
      }
    }
  }
  return cut;
}"""


def cut_labels(page) -> list[str]:
    """Buttons, segmented controls and widget labels whose text overflows its box (clipped or ellipsised)."""
    return page.evaluate(CUT)


def test_no_control_label_is_cut_off_on_a_projector_in_either_language(sized, server):
    page = sized(PROJECTOR)
    cut: dict[str, list[str]] = {}

    def look(state: str, lang: str) -> None:
        page.get_by_role("button", name=t("train.start", lang)).wait_for()
        page.wait_for_timeout(300)
        if found := cut_labels(page):
            cut[f"{state}, {lang}"] = found

    open_page(page, server, "train?lang=zh")
    wid = workspace_id(page)
    look("idle", "zh")
    open_page(page, server, f"train?ws={wid}&lang=en")
    look("idle", "en")
    choose_preset(page, LONG_PRESET)
    start_training(page)
    try:
        for lang in ("en", "zh"):  # the live view: progress line, Pause and Stop beside it, charts below
            if lang == "zh":
                open_page(page, server, f"train?ws={wid}&lang=zh")
            page.locator('[data-testid="stMain"] [data-testid="stProgress"]').wait_for(timeout=60_000)
            page.get_by_role("button", name=t("train.stop", lang)).wait_for()
            look("training", lang)
    finally:
        stop_and_wait(page, "zh")
    look("stopped", "zh")  # the end: Continue for more epochs beside its epochs picker
    open_page(page, server, f"train?ws={wid}&lang=en")
    page.get_by_text(train_text("train.stopped")).wait_for()
    look("stopped", "en")
    assert urlsplit(page.url).path.endswith("/train")
    assert cut == {}, "labels cut off at 1280x720 (state, language: label (overflow)):\n" + json.dumps(
        cut, ensure_ascii=False, indent=1)
    wait_for_app(page)
    assert errors_on(page) == []
