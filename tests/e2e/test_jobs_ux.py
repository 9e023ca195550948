"""Issue 18 in Chromium: the job you see is the job you control, the run you picked stays picked, and every
answer appears where the eye is (upload result, class-set label, the projector's Draw page)."""

from __future__ import annotations

import json
import math

import pytest

from core.lab.runfiles.folders import load_run
from core.lab.runfiles.zips import run_to_zip
from tests.e2e.conftest import (
    PREPARED_RUN,
    Server,
    _free_port,
    errors_on,
    go,
    job_records,
    open_page,
    wait_for_app,
    wait_until,
    workspace_id,
)
from tests.e2e.test_failures import english_sentences
from ui.i18n import t

MAIN = '[data-testid="stMainBlockContainer"]'
SIDEBAR = '[data-testid="stSidebar"]'
UPLOADER = '[data-testid="stFileUploaderDropzoneInput"]'
LAPTOP = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1280, "height": 720}
N_TRAIN = 12000  # MNIST_LAB_SUBSET of the browser tests' server


def sized_page(browser, viewport: dict):
    context = browser.new_context(viewport=viewport)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    return pg


def pick(page, label: str, option: str, exact: bool = True) -> None:
    """Choose `option` in the select box labelled `label`."""
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=exact).first.click()
    wait_for_app(page)


def shown_in(page, key: str) -> str:
    """What the select box drawn with key=`key` shows now (the text of its combobox input)."""
    box = page.locator(f"{live(key)} input").first
    box.wait_for()
    return box.input_value()


def set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_for_app(page)


def train_preset(page, server_dir, preset: str, epochs: int | None = None, lang: str = "en") -> str:
    """Start a preset (for `epochs`, if given); returns the name of its job."""
    pick(page, t("train.preset", lang), preset)
    if epochs is not None:
        set_number(page, t("train.epochs", lang), epochs)
    wid = workspace_id(page)
    before = len(job_records(server_dir, wid))
    page.get_by_role("button", name=t("train.start", lang)).click()
    return wait_until(lambda: len(job_records(server_dir, wid)) > before and job_records(server_dir, wid)[0]["name"],
                      30, "the job queued")


def record(server_dir, wid: str, name: str) -> dict:
    return next((r for r in job_records(server_dir, wid) if r["name"] == name), {})


def wait_state(server_dir, wid: str, name: str, *states: str, timeout: float = 90) -> dict:
    try:
        return wait_until(lambda: (r := record(server_dir, wid, name)).get("state") in states and r, timeout,
                          f"{name} {'/'.join(states)}")
    except AssertionError as exc:  # say what the jobs were doing
        seen = [(r["name"], r["state"], r.get("error")) for r in job_records(server_dir, wid)]
        raise AssertionError(f"{exc}; jobs: {seen}") from None


def segment(page, text: str):
    """The Draw page's input choice by its text (without its emoji, which Streamlit draws as an icon)."""
    return page.locator('.st-key-draw_source [role="radio"]').filter(has_text=text.split(" ", 1)[-1]).first


def live(key: str) -> str:
    """CSS for the element drawn with key=`key` in the page's current run (not a copy a rerun left behind)."""
    return f'.st-key-{key}:not([data-stale="true"])'


def only(locator):
    """`locator` once the page shows it once (a rerun leaves the previous copy on screen for a moment)."""
    wait_until(lambda: locator.count() == 1, 30, f"a single {locator}")
    return locator


def in_view(box: dict | None, height: int) -> bool:
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height + 1


# ---- jobs ---------------------------------------------------------------------------------------------------

def test_the_running_job_is_shown_and_stopped_while_two_more_wait_each_named_and_removable(page, server, server_dir):
    open_page(page, server, "train")
    wid = workspace_id(page)
    long = train_preset(page, server_dir, "cnn-adam", 30)  # long: it trains through the whole test
    wait_state(server_dir, wid, long, "running")
    go(page, "compare")
    page.get_by_role("tab", name=t("compare.tab.experiments")).click()
    page.locator(f"{live('compare_start_loss')} button").first.click()  # MSE vs cross-entropy: two more jobs
    waiting = wait_until(lambda: [r for r in reversed(job_records(server_dir, wid)) if r["state"] == "queued"]
                         if len(job_records(server_dir, wid)) == 3 else [], 30, "two experiment jobs queued")
    assert len(waiting) == 2
    go(page, "train")
    main, side = page.locator(MAIN), page.locator(SIDEBAR)
    main.get_by_text(t("train.queued.mine", names=long)).first.wait_for()  # the next one waits for ours
    # the running job is the one in view, the waiting ones are listed by name, in queue order, each with its button
    first, second = (page.locator(live(f"train_job_{r['id']}")) for r in waiting)
    assert first.inner_text().count(waiting[0]["name"]) and second.inner_text().count(waiting[1]["name"])
    assert first.bounding_box()["y"] < second.bounding_box()["y"]
    assert t("train.queued.others", n=1).split(":")[0] not in main.inner_text()  # nobody else is training
    names = [side.get_by_text(t("sidebar.job.queued", name=r["name"])) for r in waiting]
    assert names[0].bounding_box()["y"] < names[1].bounding_box()["y"]  # the sidebar names them in queue order
    assert "position" not in side.inner_text()
    page.locator(f"{live('train_remove_' + waiting[1]['id'])} button").first.click()
    wait_state(server_dir, wid, waiting[1]["name"], "stopped")
    assert record(server_dir, wid, long)["state"] == "running"
    page.locator(f"{live('train_stop')} button").first.click()  # Stop in view stops the running job, not a waiting one
    wait_state(server_dir, wid, long, "stopped")
    assert record(server_dir, wid, waiting[0]["name"])["state"] in ("queued", "running", "finished")
    assert errors_on(page) == []


def test_continue_two_more_epochs_trains_two_epochs_in_chinese(page, server, server_dir):
    open_page(page, server, "train?lang=zh")
    wid = workspace_id(page)
    name = train_preset(page, server_dir, "mlp-adam", lang="zh")  # 5 epochs of 12,000 images: seconds
    wait_state(server_dir, wid, name, "finished")
    wait_for_app(page)
    pick(page, t("train.more.epochs", "zh"), "2")
    label = t("train.more", "zh", n=2) + t("train.more.to", "zh", to="7")  # says how many, and to which epoch
    page.get_by_role("button", name=label).click()
    wait_state(server_dir, wid, f"{name}-more", "finished")
    run = server_dir / "lab-data" / "workspaces" / wid / "runs"
    steps = [e for e in map(json.loads, (run / f"{name}-more" / "metrics.jsonl").read_text().splitlines())
             if e["kind"] == "step"]
    per_epoch = math.ceil(N_TRAIN / 64)
    assert steps[-1]["epoch"] == 7.0 and steps[-1]["seen"] == 7 * N_TRAIN  # 5 + exactly 2 more epochs
    assert max(e["step"] for e in steps) == 7 * per_epoch
    assert errors_on(page) == []


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory):
    """An app with no worker pool at all: nothing it queues can start."""
    srv = Server(tmp_path_factory.mktemp("bare"), _free_port())
    srv.start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_pool_warns_at_the_top_and_promises_nothing(browser, bare_server, lang):
    page = sized_page(browser, LAPTOP)
    try:
        open_page(page, bare_server, f"train?lang={lang}")
        warning = page.locator('[data-testid="stAlertContentWarning"]').filter(
            has_text=t("jobs.no_workers", lang)[:20]).first
        assert in_view(warning.bounding_box(), 400)  # under the title, before any setting
        page.get_by_role("button", name=t("train.start", lang)).click()
        waiting = page.locator(MAIN).get_by_text(t("train.queued.noworker", lang)[:12]).first
        waiting.wait_for()
        assert ("starts by itself" if lang == "en" else "自动开始") not in page.locator(MAIN).inner_text()
        if lang == "zh":
            assert not english_sentences(waiting.inner_text()), waiting.inner_text()
        go(page, "home", lang)
        assert in_view(page.locator('[data-testid="stAlertContentWarning"]').first.bounding_box(), 400)
        assert t("home.quick.queued", lang, name="quick-mlp")[:8] not in page.locator(MAIN).inner_text()
    finally:
        page.context.close()


# ---- the run you picked ---------------------------------------------------------------------------------------

def test_the_picked_run_is_kept_across_pages_and_a_reload_and_the_report_is_for_it(page, server, server_dir):
    open_page(page, server, "train")
    wid = workspace_id(page)
    name = train_preset(page, server_dir, "mlp-adam")
    wait_state(server_dir, wid, name, "finished")
    go(page, "evaluate")
    other = name if PREPARED_RUN in shown_in(page, "evaluate_run") else PREPARED_RUN
    pick(page, t("runs.pick"), other, exact=False)
    wait_until(lambda: other in shown_in(page, "evaluate_run"), 30, f"{other} picked")
    for view, key in (("draw", "draw_run"), ("home", "home_run"), ("evaluate", "evaluate_run")):
        go(page, view)
        assert other in shown_in(page, key), view
    page.reload()
    wait_for_app(page)
    assert other in shown_in(page, "evaluate_run")
    with page.expect_download() as download:
        page.get_by_role("button", name=t("evaluate.report.download")).click()
    assert other in download.value.suggested_filename
    assert errors_on(page) == []


# ---- answers where the eye is ---------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh"])
def test_upload_result_is_in_view_at_1366x768(browser, server, server_dir, tmp_path, lang):
    page = sized_page(browser, LAPTOP)
    try:
        open_page(page, server, f"runs?lang={lang}")
        note = tmp_path / "notes.txt"
        note.write_text("not a run")
        page.locator('[data-testid="stFileUploader"]').scroll_into_view_if_needed()
        page.locator(UPLOADER).set_input_files(str(note))
        error = page.locator('[data-testid="stAlertContentError"]').filter(has_text="notes.txt").first
        error.wait_for()
        assert in_view(error.bounding_box(), LAPTOP["height"]), error.bounding_box()
        if lang == "zh":
            assert not english_sentences(error.inner_text().replace("notes.txt", ""))
        good = tmp_path / "mine.zip"
        good.write_bytes(run_to_zip(load_run(server_dir / "runs" / PREPARED_RUN)))
        page.locator(UPLOADER).set_input_files(str(good))
        done = page.locator('[data-testid="stAlertContentSuccess"]').first
        done.wait_for()
        assert in_view(done.bounding_box(), LAPTOP["height"]), done.bounding_box()
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_class_set_label_empties_after_a_save_and_a_double_add_saves_one_file(page, server, server_dir, lang):
    folder = server_dir / "class_test_set"
    before = len(list(folder.glob("*.png"))) if folder.is_dir() else 0
    open_page(page, server, f"draw?lang={lang}")
    segment(page, t("draw.source.test", lang)).click()
    wait_for_app(page)
    add = page.get_by_role("button", name=t("draw.class.add", lang))

    def values() -> list[str]:  # a rerun can leave the previous copy on screen for a moment
        return page.evaluate("(name) => Array.from(document.querySelectorAll('input')).filter("
                             "e => e.getAttribute('aria-label') === name).map(e => e.value)",
                             t("draw.class.label", lang))

    wait_until(lambda: any(values()), 30, "the test image's digit suggested")  # a test image knows its digit
    add.filter(has_not=page.locator("[disabled]")).first.dblclick()
    wait_until(lambda: len(list(folder.glob("*.png"))) > before, 30, "the drawing saved")
    seen = []  # what the digit's box held at each look, for the message should it never empty (a CI run, once)
    try:
        wait_until(lambda: seen.append(values()) or seen[-1] == [""], 30, "the digit emptied")  # never the next's
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the box held {seen[-3:]}, the page says {errors_on(page)} "
                             f"{page.locator('[data-testid=stAlert]').all_inner_texts()}") from None
    page.wait_for_timeout(1000)
    assert len(list(folder.glob("*.png"))) == before + 1  # two taps, one file
    assert all(button.is_disabled() for button in add.all())  # nothing to add until a digit is typed
    assert errors_on(page) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_projector_draw_page_shows_the_whole_canvas(browser, server, lang):
    page = sized_page(browser, PROJECTOR)
    try:
        open_page(page, server, f"draw?lang={lang}")
        canvas = page.locator('[class*="st-key-draw_canvas"]').first
        canvas.wait_for()
        page.wait_for_timeout(1000)
        assert in_view(canvas.bounding_box(), PROJECTOR["height"]), canvas.bounding_box()
        photo = segment(page, t("draw.source.upload", lang)).bounding_box()
        column = page.locator('[data-testid="stColumn"]').first.bounding_box()
        assert photo["x"] + photo["width"] <= column["x"] + column["width"] + 1  # "Photo" is not cut
    finally:
        page.context.close()


def test_a_tapped_help_tooltip_closes_by_itself_on_a_tablet(browser, server):
    context = browser.new_context(viewport={"width": 820, "height": 1180}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        open_page(page, server, "train")
        icon = page.locator(f'{MAIN} [data-testid="stTooltipIcon"]').nth(2)
        icon.scroll_into_view_if_needed()
        icon.tap()
        tips = page.locator('[data-testid="stTooltipContent"]')
        wait_until(lambda: tips.count() == 1, 10, "the tooltip open")
        wait_until(lambda: tips.count() == 0, 10, "the tooltip closed by itself, its label readable again")
    finally:
        context.close()
