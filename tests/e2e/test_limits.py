"""A student who clicks too much meets a friendly limit, in their language, and the server carries on."""

from __future__ import annotations

from core import settings
from core.lab.runfiles.folders import load_run
from core.lab.runfiles.zips import run_to_zip
from tests.e2e.conftest import (
    PREPARED_RUN,
    errors_on,
    job_records,
    open_page,
    wait_for_app,
    wait_until,
    workspace_id,
)
from tests.e2e.test_failures import english_sentences

UPLOADER = '[data-testid="stFileUploaderDropzoneInput"]'
WARNING = '[data-testid="stAlertContentWarning"]'


def test_uploading_faster_than_the_limit_is_refused_kindly_in_chinese(page, server, server_dir, tmp_path):
    blob = run_to_zip(load_run(server_dir / "runs" / PREPARED_RUN))
    upload = tmp_path / "my-run.zip"
    upload.write_bytes(blob)
    open_page(page, server, "runs?lang=zh")
    wid = workspace_id(page)
    runs_dir = server_dir / "lab-data" / "workspaces" / wid / "runs"
    allowed = settings.saves_per_minute()
    for n in range(1, allowed + 1):
        page.locator(UPLOADER).set_input_files(str(upload))
        wait_until(lambda n=n: runs_dir.is_dir() and len(list(runs_dir.iterdir())) == n, 30, f"upload {n} saved")
        wait_for_app(page)
    page.locator(UPLOADER).set_input_files(str(upload))
    warning = page.locator(WARNING).first
    warning.wait_for(timeout=30_000)
    text = warning.inner_text()
    assert "my-run.zip" in text and "一分钟" in text, text
    assert not english_sentences(text.replace("my-run.zip", "")), text
    assert not errors_on(page)
    assert len(list(runs_dir.iterdir())) == allowed  # the refused upload added nothing


def test_start_clicked_in_two_tabs_of_one_workspace_makes_one_job(browser, page, server, server_dir):
    """A second tab whose Start was drawn before the first tab's job began starts nothing, however late it clicks
    (past the queue's few-second window for a double click): the Train page trains one job at a time."""
    from tests.e2e.conftest import new_page
    from ui.i18n import t

    long = "arch=cnn;act=relu;loss=ce;opt=adam;lr=0.001;batch=64;epochs=10;sched=constant;seed=0"  # still training
    open_page(page, server, f"train?setup={long}")
    wid = workspace_id(page)
    other = new_page(browser)
    open_page(other, server, f"train?ws={wid}&setup={long}")  # the same workspace, its Start button still enabled
    page.get_by_role("button", name=t("train.start")).click()
    wait_until(lambda: job_records(server_dir, wid), 30, "the first click's job")
    other.wait_for_timeout(6000)  # past the queue's same-click window: the page itself must not start a second job
    other.get_by_role("button", name=t("train.start")).click()
    wait_for_app(other)
    other.wait_for_timeout(2000)  # a second job, if any, has been written by now
    assert len(job_records(server_dir, wid)) == 1
    other.context.close()
    page.locator(".st-key-train_stop button").first.click()  # stop (or remove, if it waits): the pool is shared
