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


def test_home_draws_its_four_figures_without_loading_plotly(page, server):
    """Home is a fresh browser's first page: its figures are SVG, so Plotly's 4.7 MB of JavaScript is not
    fetched; each figure is drawn at a readable size and a cell's hover names its value."""
    plotly = []
    page.on("request", lambda request: plotly.append(request.url) if "Plotly" in request.url else None)
    open_page(page, server)
    for key in ("home_grid", "home_strip", "home_layers", "home_probs"):
        figure = page.locator(f".st-key-{key} svg[data-figure]").first
        figure.scroll_into_view_if_needed()
        box = figure.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 60, (key, box)
    # passed on as an HTML block, not inline in a paragraph (there a text with *, _ or $ came out empty)
    assert page.evaluate("() => Array.from(document.querySelectorAll('svg[data-figure]'))"
                         ".map(s => s.parentElement.tagName)") == ["DIV"] * 4
    cell = page.locator('.st-key-home_grid rect[data-row="8"][data-col="10"]')
    assert cell.locator("title").text_content(timeout=5_000) == t("home.grid.hover", row=8, col=10,
                                                                 value=cell.get_attribute("data-value"))
    assert not plotly and errors_on(page) == []


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
