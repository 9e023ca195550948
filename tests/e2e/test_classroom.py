"""A closed tab stops its training job: the server never keeps training for nobody."""

from __future__ import annotations

import time

from tests.e2e.conftest import SERVER_PIDS, cpu_rate, open_page, wait_for_app
from ui.i18n import t


def test_closing_the_tab_stops_its_training(browser, server):
    pid = SERVER_PIDS[server]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    open_page(page, server, "train")
    page.locator('[data-testid="stSelectbox"]').filter(has_text=t("train.preset")).click()
    page.get_by_role("option", name="cnn-adam", exact=True).click()  # minutes of training on 2 cores
    wait_for_app(page)
    page.get_by_role("button", name=t("train.start")).click()
    page.wait_for_timeout(3000)
    assert cpu_rate(pid) > 0.5  # the server is training for this tab
    context.close()  # the student closes the tab
    deadline = time.time() + 30
    rate = cpu_rate(pid)
    while rate > 0.15 and time.time() < deadline:
        rate = cpu_rate(pid)
    assert rate <= 0.15, f"the server still uses {rate:.2f} CPU s/s 30 s after the tab closed"
