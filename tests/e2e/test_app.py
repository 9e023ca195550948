"""Every page in a real browser: opens without an error element; the language switch works."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import errors_on, open_page, wait_for_app
from ui.i18n import t

PAGES = ["", "data", "train", "runs", "compare", "evaluate", "draw", "inside"]


@pytest.mark.parametrize("path", PAGES)
def test_page_opens_without_errors(page, server, path):
    open_page(page, server, path)
    assert errors_on(page) == []
    heading = page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text()
    assert heading.strip()


def test_switch_to_chinese_and_back_keeps_the_page(page, server):
    open_page(page, server, "data")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("简体中文", exact=True).click()
    wait_for_app(page)
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_text(t("nav.train", "zh"), exact=True).wait_for()
    assert t("nav.home", "zh") in nav.inner_text()
    assert page.url.endswith("/data")  # still on the same page
    assert errors_on(page) == []
    sidebar.get_by_text("English", exact=True).click()
    wait_for_app(page)
    nav.get_by_text(t("nav.train", "en"), exact=True).wait_for()
