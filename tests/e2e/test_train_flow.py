"""A student's session in a real browser: train, watch the chart move, wander off and back, stop, find the run."""

from __future__ import annotations

from tests.e2e.conftest import (
    choose_preset,
    errors_on,
    go,
    new_page,
    open_page,
    plotly_trace_lengths,
    start_training,
    train_text,
    wait_for_app,
    wait_for_runs,
    wait_until,
    workspace_id,
)
from ui.i18n import t

LOSS_CHART = ".st-key-train_loss_chart"


def loss_points(page) -> int:
    """Points in the first trace (raw loss per step) of the Train page's loss chart."""
    lengths = plotly_trace_lengths(page, LOSS_CHART)
    return lengths[0][0] if lengths and lengths[0] else 0


def wait_for_points(page, more_than: int, timeout: float = 60) -> int:
    return wait_until(lambda: (n := loss_points(page)) > more_than and n, timeout,
                      f"the loss chart growing past {more_than} points")


def test_train_watch_leave_return_stop_and_find_the_run(page, server):
    open_page(page, server, "train")
    choose_preset(page, "cnn-adam")  # 10 epochs: long enough to watch
    start_training(page)

    first = wait_for_points(page, 0)
    second = wait_for_points(page, first)  # the chart's data grows while we watch, without any click
    assert second > first

    go(page, "data")  # wander off while it trains ...
    page.wait_for_timeout(1500)
    go(page, "train")  # ... and come back to a chart that is still moving
    third = wait_for_points(page, second)
    assert third > second and errors_on(page) == []

    page.get_by_role("button", name=t("train.stop")).click()
    page.get_by_text(train_text("train.stopped")).wait_for(timeout=60_000)

    go(page, "runs")
    cells = wait_for_runs(page, ["cnn-adam"], timeout=30)
    assert t("runs.status.stopped") in cells
    assert errors_on(page) == []


def test_the_train_form_is_as_it_was_left_after_a_reload_and_in_another_browser(page, server, browser):
    open_page(page, server, "train")
    choose_preset(page, "linear-hinge")  # lr 0.01, batch 200, 3 epochs
    epochs = page.locator(".st-key-train_epochs input").first
    epochs.fill("7")
    epochs.press("Enter")
    wait_for_app(page)

    def form(pg) -> tuple:
        return (pg.locator('.st-key-train_lr [data-testid="stSliderThumbValue"]').first.inner_text().strip(),
                pg.locator(".st-key-train_epochs input").first.input_value(),
                pg.locator('[data-testid="stSelectbox"]').filter(has_text=t("train.preset")).locator("input").first
                .input_value())

    left = form(page)
    assert left[:2] == ("0.01", "7") and t("train.preset.custom") in left[2]  # a preset, then one change
    page.reload()
    wait_for_app(page)
    page.locator(".st-key-train_epochs input").first.wait_for()
    assert form(page) == left
    other = new_page(browser)  # another computer, opening the workspace's link
    try:
        open_page(other, server, f"train?ws={workspace_id(page)}")
        assert form(other) == left and not errors_on(other)
    finally:
        other.context.close()
