"""Workspaces in a real browser: a student's runs and jobs live on the server, not in the tab.

A reload, a second browser, a restarted web server or a link typed in later all find the same jobs and runs;
a broken link gets a friendly page; the language follows the link, the workspace and the browser; a whole
class starting at once all get their runs.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.e2e.conftest import (
    PREPARED_RUN,
    WORKSPACE_ID,
    chart_x,
    choose_preset,
    errors_on,
    go,
    heading,
    job_records,
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

LONG_PRESET = "cnn-adam"  # 10 epochs of the small CNN: ~20-40 s on the e2e slice with two workers on 2 cores


def loss_points(page) -> int:
    lengths = plotly_trace_lengths(page, ".st-key-train_loss_chart")
    return lengths[0][0] if lengths and lengths[0] else 0


def wait_for_points(page, more_than: int, timeout: float = 60) -> int:
    return wait_until(lambda: (n := loss_points(page)) > more_than and n, timeout,
                      f"the loss chart growing past {more_than} points")


def wait_for_finish(page, timeout: float = 120) -> None:
    page.get_by_text(train_text("train.done")).wait_for(timeout=timeout * 1000)


def wait_for_whole_curve(page, epochs: int) -> list[float]:
    """The accuracy chart's epochs once it runs from the untrained model (0) to the last epoch (Plotly may
    redraw the chart a moment after the text above it has changed)."""
    return wait_until(lambda: (xs := chart_x(page, "train_acc_chart")) and xs[0] == 0 and xs[-1] == epochs and xs,
                      15, f"the accuracy curve from epoch 0 to {epochs}")


def saved_as(name: str) -> str:
    return t("train.saved", name=name).replace("**", "")


def start_button(page):
    return page.get_by_role("button", name=t("train.start"))


def test_reload_mid_training_shows_the_same_job_still_training(page, server, server_dir):
    open_page(page, server, "train")
    wid = workspace_id(page)
    choose_preset(page, LONG_PRESET)
    start_training(page)
    before = wait_for_points(page, 3)
    [job] = job_records(server_dir, wid)
    assert job["state"] == "running", job

    page.reload()
    wait_for_app(page)
    assert workspace_id(page) == wid
    page.get_by_text(job["name"], exact=True).first.wait_for()  # the job's line: its name in bold
    after = wait_for_points(page, before - 1)  # the whole curve so far, read back from the run's files ...
    wait_for_points(page, after)  # ... and still growing, with no click
    assert start_button(page).is_disabled()  # the same job is still busy: no second one was started
    assert [r["id"] for r in job_records(server_dir, wid)] == [job["id"]]

    wait_for_finish(page)
    page.get_by_text(saved_as(job["name"])).wait_for()
    wait_for_whole_curve(page, 10)  # every epoch is on the accuracy curve
    assert errors_on(page) == []


def test_runs_survive_a_reload_and_open_in_another_browser(browser, page, server):
    open_page(page, server, "train")
    choose_preset(page, "mlp-adam")  # about a second of training
    start_training(page)
    wait_for_finish(page, 60)
    page.get_by_text(saved_as("mlp-adam")).wait_for()
    page.get_by_role("button", name=t("train.more", n=1)).click()  # continue it: a second run of this workspace
    page.get_by_text(saved_as("mlp-adam-more")).wait_for(timeout=60_000)
    expected = ["mlp-adam", "mlp-adam-more", PREPARED_RUN]

    go(page, "runs")
    wait_for_runs(page, expected)
    page.reload()
    wait_for_app(page)
    wait_for_runs(page, expected)
    assert urlsplit(page.url).path.endswith("/runs") and errors_on(page) == []

    other = new_page(browser)  # the link, pasted into another browser
    try:
        other.goto(page.url)
        wait_for_app(other)
        cells = wait_for_runs(other, expected)
        assert cells.count("mlp-adam") == 1 and cells.count("mlp-adam-more") == 1
        assert workspace_id(other) == workspace_id(page)
        assert errors_on(other) == []
    finally:
        other.context.close()


def test_killed_web_server_comes_back_to_a_job_that_kept_training(browser, page, server, server_dir):
    open_page(page, server, "train")
    wid = workspace_id(page)
    choose_preset(page, LONG_PRESET)
    start_training(page)
    before = wait_for_points(page, 3)
    page.context.close()

    server.kill()  # SIGKILL: the web server vanishes mid-training; the worker pool does not notice
    [job] = job_records(server_dir, wid)
    assert job["state"] == "running", job
    server.start()  # on the same port: the same link works again

    again = new_page(browser)
    try:
        open_page(again, server, f"train?ws={wid}")
        again.get_by_text(job["name"], exact=True).first.wait_for()
        wait_until(lambda: loss_points(again) >= before, 30, "the loss curve from before the kill")
        assert wait_until(lambda: chart_x(again, "train_acc_chart"), 30, "the accuracy curve")[0] == 0
        assert again.get_by_text(train_text("train.interrupted")).count() == 0  # its worker never stopped
        wait_for_finish(again)
        wait_for_whole_curve(again, 10)  # the whole curve: from the untrained model to the last epoch
        assert job_records(server_dir, wid)[0]["state"] == "finished"
        assert errors_on(again) == []
    finally:
        again.context.close()


def test_a_broken_link_gets_a_friendly_page_and_a_new_workspace(page, server):
    open_page(page, server, "?ws=../../etc")
    assert heading(page).endswith(t("ws.refused.title"))
    assert errors_on(page) == []
    page.get_by_role("button", name=t("ws.new"), exact=True).click()
    wait_for_app(page)
    wid = workspace_id(page)
    assert WORKSPACE_ID.fullmatch(wid)
    assert heading(page) == t("home.title")
    go(page, "runs")  # a working app: its pages open, the shared run is there
    wait_for_runs(page, [PREPARED_RUN])
    assert parse_qs(urlsplit(page.url).query)["ws"] == [wid]
    assert errors_on(page) == []


def nav_in_chinese(page) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(t("nav.train", "zh"), exact=True).wait_for()


def test_chinese_from_the_link_the_workspace_and_the_browser(browser, page, server):
    open_page(page, server, "?lang=zh")
    nav_in_chinese(page)
    assert heading(page) == t("home.title", "zh")
    wid = workspace_id(page)
    page.reload()
    wait_for_app(page)
    nav_in_chinese(page)
    assert heading(page) == t("home.title", "zh")
    go(page, "runs", "zh")
    assert heading(page).endswith(t("nav.runs", "zh"))
    assert parse_qs(urlsplit(page.url).query).get("lang") == ["zh"]
    assert errors_on(page) == []

    for options, path in (({}, f"?ws={wid}"),  # the workspace remembers its language: its bare link is Chinese
                          ({"locale": "zh-CN"}, "")):  # a new student whose browser speaks Chinese
        other = new_page(browser, **options)
        try:
            open_page(other, server, path)
            nav_in_chinese(other)
            assert heading(other) == t("home.title", "zh")
            assert errors_on(other) == []
        finally:
            other.context.close()


CLASS = 10


def test_a_whole_class_starts_training_at_once(browser, server, server_dir):
    pages = [new_page(browser) for _ in range(CLASS)]
    try:
        for p in pages:  # ten students open the app at once, each in a fresh workspace
            p.goto(f"{server.url}/", wait_until="commit")
        button = t("home.quick.button")
        for p in pages:
            wait_for_app(p)
            p.get_by_role("button", name=button).wait_for(timeout=120_000)
        wids = [workspace_id(p) for p in pages]
        assert len(set(wids)) == CLASS
        for p in pages:  # ... and all click "Train a small model now" within a second or two
            p.get_by_role("button", name=button).click()
        wait_until(lambda: all(job_records(server_dir, w) for w in wids), 60, "every click queued a job")

        names = {}
        for p, wid in zip(pages, wids, strict=True):
            [job] = job_records(server_dir, wid)
            names[wid] = job["name"]
            go(p, "runs")
        for p, wid in zip(pages, wids, strict=True):  # each student's Runs page lists their run once it has finished
            cells = wait_for_runs(p, [names[wid], PREPARED_RUN], timeout=120)
            assert cells.count(names[wid]) == 1, cells
            assert errors_on(p) == []
        assert all(job_records(server_dir, w)[0]["state"] == "finished" for w in wids)
    finally:
        for p in pages:
            p.context.close()
