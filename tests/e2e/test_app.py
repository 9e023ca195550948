"""Every page in a real browser: opens without an error element; the language switch works."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import errors_on, heading, open_page, wait_for_app, wait_until, workspace_id
from ui.i18n import t

PAGES = ["", "data", "train", "runs", "compare", "evaluate", "draw", "inside"]


@pytest.mark.parametrize("path", PAGES)
def test_page_opens_without_errors(page, server, path):
    open_page(page, server, path)
    assert errors_on(page) == []
    assert heading(page)
    assert workspace_id(page)  # the first visit made a workspace and put its link in the URL


def test_switch_to_chinese_and_back_keeps_the_page(page, server):
    open_page(page, server, "data")
    wid = workspace_id(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("简体中文", exact=True).click()
    wait_for_app(page)
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_text(t("nav.train", "zh"), exact=True).wait_for()
    assert t("nav.home", "zh") in nav.inner_text()
    url = urlsplit(page.url)
    assert url.path.endswith("/data")  # still on the same page, in the same workspace, the URL saying zh
    wait_until(lambda: parse_qs(urlsplit(page.url).query).get("lang") == ["zh"], 10, "lang=zh in the URL")
    assert parse_qs(urlsplit(page.url).query)["ws"] == [wid]
    assert errors_on(page) == []
    sidebar.get_by_text("English", exact=True).click()
    wait_for_app(page)
    nav.get_by_text(t("nav.train", "en"), exact=True).wait_for()
    wait_until(lambda: parse_qs(urlsplit(page.url).query).get("lang") == ["en"], 10, "lang=en in the URL")
