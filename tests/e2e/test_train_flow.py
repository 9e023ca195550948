"""A student's session in a real browser: train, watch the chart move, wander off and back, stop, find the run."""

from __future__ import annotations

import time

from tests.e2e.conftest import errors_on, open_page, plotly_trace_lengths, wait_for_app
from ui.i18n import t


def loss_points(page) -> int:
    """Points in the first trace (raw loss per step) of the first chart on the Train page."""
    lengths = plotly_trace_lengths(page)
    return lengths[0][0] if lengths and lengths[0] else 0


def wait_for_points(page, more_than: int, timeout: float = 60) -> int:
    deadline = time.time() + timeout
    while time.time() < deadline:
        n = loss_points(page)
        if n > more_than:
            return n
        page.wait_for_timeout(250)
    raise AssertionError(f"the loss chart did not grow past {more_than} points in {timeout} s")


def go(page, name: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(t(f"nav.{name}"), exact=True).click()
    wait_for_app(page)


def test_train_watch_leave_return_stop_and_find_the_run(page, server):
    open_page(page, server, "train")
    page.locator('[data-testid="stSelectbox"]').filter(has_text=t("train.preset")).click()
    page.get_by_role("option", name="cnn-adam", exact=True).click()  # 10 epochs: long enough to watch
    wait_for_app(page)
    page.get_by_role("button", name=t("train.start")).click()

    first = wait_for_points(page, 0)
    second = wait_for_points(page, first)  # the chart's data grows while we watch, without any click
    assert second > first

    go(page, "data")  # wander off while it trains ...
    page.wait_for_timeout(1500)
    go(page, "train")  # ... and come back to a chart that is still moving
    third = wait_for_points(page, second)
    assert third > second and errors_on(page) == []

    page.get_by_role("button", name=t("train.stop")).click()
    stopped = t("train.stopped", acc="", time="").split("**")[0].split(" ", 1)[1].strip()  # without the emoji
    page.get_by_text(stopped).wait_for(timeout=60_000)

    go(page, "runs")
    # the runs table is a canvas grid; its accessible cells carry the text
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('[data-testid^=glide-cell-]'))"
        ".some(c => c.textContent.trim() === 'cnn-adam')", timeout=30_000)
    assert errors_on(page) == []
