"""Runs that go wrong, in a real browser: one that never learns, one that diverges (in Chinese), and a
diverged run sitting in a workspace while every page opens.

Each test trains its own small job in its own workspace; the bad settings are set with the Train page's own
controls (the optimizer's radio, the learning rate's select slider moved with Home/End, as a keyboard does).
"""

from __future__ import annotations

import re

from core.learn.presets import PRESETS
from tests.e2e.conftest import (
    PREPARED_RUN,
    errors_on,
    heading,
    job_records,
    open_page,
    start_training,
    train_text,
    wait_for_app,
    wait_until,
    workspace_id,
)
from ui.i18n import t
from ui.train_form import lower_lr

# The Train page opens on mlp-adam (cross-entropy, Adam, lr 0.001, 5 epochs); these tests only switch the
# optimizer to SGD and move the learning rate to an end of its scale.
DIVERGING = PRESETS["mlp-adam"].config.replace(optimizer="sgd", lr=10.0)  # nan within a dozen steps
ALERTS = '[data-testid="stAlertContainer"]'
SUCCESS = '[data-testid="stAlertContentSuccess"]'
WARNING = '[data-testid="stAlertContentWarning"]'

# Three or more Latin-letter words in a row, separated only by spaces and ASCII punctuation: an English phrase.
CHINESE = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH = re.compile(r"[A-Za-z]+(?:[\s,;:.'’()/-]+[A-Za-z]+){2,}")


def english_sentences(text: str) -> list[str]:
    """Runs of >= 3 consecutive English words in `text` ("the loss became", "is too high"); technical tokens
    standing alone between Chinese words (ce, sgd, lr, nan, inf, numbers) are not runs."""
    return [m.group(0) for m in _ENGLISH.finditer(text)]


def test_english_sentences_helper():
    assert english_sentences("损失变成了 nan（不再是有限的数）：对于 sgd 优化器和 ce 损失，学习率 10 太大了") == []
    assert english_sentences("训练发散了：the loss became nan") == ["the loss became nan"]
    assert english_sentences("learning rate 10 is too high") == ["is too high"]  # digits break a run
    assert english_sentences("Adam · SGD") == []


def set_optimizer_and_lr(page, optimizer: str, lr_key: str, lang: str = "en") -> None:
    """Click the optimizer's radio option, then move the learning rate to an end of its scale (Home = 1e-05,
    End = 10) with the keyboard, and wait for the rerun each change starts."""
    radio = page.locator('[data-testid="stRadio"]').filter(has_text=t("train.optimizer", lang))
    radio.get_by_text(t(f"train.optimizer.{optimizer}", lang), exact=True).click()
    wait_for_app(page)
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=t("train.lr", lang))
    slider.locator('input[type="range"]').focus()
    page.keyboard.press(lr_key)
    wait_for_app(page)


def lr_shown(page, lang: str = "en") -> str:
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=t("train.lr", lang))
    return slider.locator('[data-testid="stSliderThumbValue"]').inner_text().strip()


def train_to_divergence(page, lang: str = "en") -> None:
    """On the open Train page: cross-entropy (the default) + SGD + lr 10, start, wait for the diverged message."""
    set_optimizer_and_lr(page, "sgd", "End", lang)
    assert lr_shown(page, lang) == "10"
    page.get_by_role("button", name=t("train.start", lang)).click()
    page.get_by_text(train_text("train.diverged", lang)).wait_for(timeout=90_000)


def test_a_run_that_learns_nothing_ends_with_a_warning_not_a_success(page, server):
    open_page(page, server, "train")
    set_optimizer_and_lr(page, "sgd", "Home")  # plain SGD at 1e-05: five epochs later it still guesses
    assert lr_shown(page) == "1e-05"
    start_training(page)
    page.get_by_text(train_text("train.chance")).wait_for(timeout=90_000)
    page.get_by_text(t("train.tips.chance").replace("**", "")).wait_for()

    warnings = [e.inner_text() for e in page.query_selector_all(WARNING)]
    assert any(train_text("train.chance") in w for w in warnings), warnings
    assert page.query_selector_all(SUCCESS) == [], "a run at chance level must never get a green success"
    assert page.get_by_text(train_text("train.done")).count() == 0
    assert errors_on(page) == []


def test_divergence_is_explained_in_chinese_and_its_tip_sets_the_rate(page, server):
    open_page(page, server, "train?lang=zh")
    train_to_divergence(page, "zh")

    alerts = [e.inner_text() for e in page.query_selector_all(ALERTS)]
    diverged = [a for a in alerts if train_text("train.diverged", "zh") in a]
    assert diverged, alerts
    tips = page.locator('[data-testid="stMarkdownContainer"]').filter(
        has_text=t("train.tips", "zh").replace("**", "")).last
    items = [li.inner_text() for li in tips.locator("li").all()]
    assert len(items) >= 2, items  # a lower rate, Adam, one-cycle ...
    apply = page.get_by_role("button", name=t("train.tip.apply", "zh", lr=f"{lower_lr(DIVERGING):g}"))
    assert all(CHINESE.search(text) for text in [*diverged, *items]), [*diverged, *items]
    english = {text: found for text in [*alerts, *items, apply.inner_text()] if (found := english_sentences(text))}
    assert english == {}, f"English sentences on a Chinese page: {english}"

    apply.click()
    wait_for_app(page)
    rate = lr_shown(page, "zh")
    assert rate == f"{lower_lr(DIVERGING):g}"
    assert re.search(rf"(?<![\d.]){re.escape(rate)}(?![\d])", items[0]), (rate, items[0])  # the first tip's rate
    assert [train_text("train.diverged", "zh") in e for e in errors_on(page)] == [True]  # only its own st.error


PAGES = ("home", "data", "train", "runs", "compare", "evaluate", "draw", "inside")
PICKERS = {"evaluate": "evaluate_run", "draw": "draw_run", "inside": "inside_run"}


def picked(page, key: str) -> str:
    """The option the run picker drawn with st.selectbox(key=key) shows as chosen (its combobox's value)."""
    box = page.locator(f".st-key-{key} input").first
    return wait_until(lambda: box.input_value().strip(), 30, f"a run chosen in {key}")


def test_a_diverged_run_breaks_no_page_and_is_never_picked_by_default(page, server, server_dir):
    open_page(page, server, "train")
    wid = workspace_id(page)
    train_to_divergence(page)
    name = wait_until(lambda: (jobs := job_records(server_dir, wid)) and jobs[0]["state"] == "diverged"
                      and jobs[0]["name"], 30, "the diverged job's record")

    for view in PAGES:
        open_page(page, server, f"{'' if view == 'home' else view}?ws={wid}")
        assert heading(page), view
        if view in PICKERS:  # the newest run diverged: the picker takes the newest one that learned
            shown = picked(page, PICKERS[view])
            assert shown.startswith(PREPARED_RUN) and name not in shown, (view, shown)
        page.wait_for_timeout(500)  # late elements (charts, fragments) of the page
        errors = errors_on(page)
        if view == "train":  # the Train page shows the diverged job: its explanation is its only st.error
            assert [train_text("train.diverged") in e for e in errors] == [True], errors
        else:
            assert errors == [], (view, errors)

    page.locator(".st-key-inside_run").click()  # on Inside, choose the diverged run by hand
    page.get_by_role("option").filter(has_text=name).click()
    wait_for_app(page)
    said = t("inside.diverged").split(":")[0].removeprefix("💥 ")
    page.locator(WARNING).filter(has_text=said).wait_for()
    assert errors_on(page) == []
