"""Jobs belong to workspaces, not to browser tabs: a closed tab's training goes on, and its link finds the run."""

from __future__ import annotations

from tests.e2e.conftest import (
    choose_preset,
    errors_on,
    job_records,
    new_page,
    open_page,
    plotly_trace_lengths,
    start_training,
    wait_for_runs,
    wait_until,
    workspace_id,
)
from ui.i18n import t


def test_closing_the_tab_does_not_stop_its_training(browser, server, server_dir):
    page = new_page(browser)
    open_page(page, server, "train")
    wid = workspace_id(page)
    choose_preset(page, "speedrun-cnn")  # some seconds of training on the e2e slice
    start_training(page)
    wait_until(lambda: (lengths := plotly_trace_lengths(page, ".st-key-train_loss_chart")) and lengths[0]
               and lengths[0][0] > 0, 60, "the loss chart's first points")
    page.context.close()  # the student closes the tab (and the browser's whole context) mid-training

    record = job_records(server_dir, wid)[0]
    assert record["state"] == "running", record  # still training with no tab open ...
    wait_until(lambda: job_records(server_dir, wid)[0]["state"] not in ("queued", "running"), 120,
               "the job ending with no tab open")
    record = job_records(server_dir, wid)[0]
    assert record["state"] == "finished", record  # ... to its end, not stopped

    page = new_page(browser)  # later, in another browser: the workspace link
    try:
        open_page(page, server, f"runs?ws={wid}")
        cells = wait_for_runs(page, [record["name"]], timeout=30)
        status = {t("runs.status.finished"), t("runs.status.target")}
        assert status & set(cells), cells
        assert errors_on(page) == []
    finally:
        page.context.close()
