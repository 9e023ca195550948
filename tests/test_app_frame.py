"""The app frame: the offline page without MNIST, the navigation, and the classroom server settings."""

from __future__ import annotations

import tomllib

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from ui.i18n import t


def test_without_mnist_the_app_opens_on_a_friendly_page(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path))  # an empty folder: offline, nothing to read
    monkeypatch.setenv("MNIST_LAB_SUBSET", "7,7")  # another cache key than the other page tests
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception and not at.error
    assert at.title[0].value.endswith(t("nodata.title"))
    text = " ".join(m.value for m in at.markdown)
    assert "MNIST_DATA_DIR" in text and "train-images-idx3-ubyte" in text
    at.session_state["lang"] = "zh"
    at.run()
    assert at.title[0].value.endswith(t("nodata.title", "zh"))


def test_navigation_lists_every_page_and_opens_home(small_mnist):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert "MNIST Lab" in at.title[0].value
    assert sorted(p.stem for p in (ROOT / "views").glob("*.py")) == sorted(
        ["home", "data", "train", "runs", "compare", "evaluate", "draw", "inside", "class_view"])


def test_server_settings_suit_a_classroom():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["headless"] is True and config["server"]["runOnSave"] is False
    assert config["server"]["maxUploadSize"] <= 64
    assert config["client"]["showErrorDetails"] == "none" and config["client"]["toolbarMode"] == "viewer"
    # a full gc.collect() after every fragment rerun held the GIL and starved the training threads
    assert config["runner"]["postScriptGC"] is False


def test_a_bad_server_setting_is_one_clear_message_not_an_error_on_every_page(monkeypatch, small_mnist):
    monkeypatch.setenv("MNIST_LAB_WORKERS", "abc")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [t("error.setting_bad", "zh", name="MNIST_LAB_WORKERS", value="abc")]
    assert not at.title  # no page ran
