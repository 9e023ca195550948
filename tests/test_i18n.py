"""Every UI string exists in English and Chinese, and every key the code uses exists."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from ui.i18n import CATALOGS, LANGS, t

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for d in ("views", "ui", "core") for p in sorted((ROOT / d).rglob("*.py"))
           if "locales" not in p.parts] + [ROOT / "app.py"]


def used_keys() -> set[tuple[str, str]]:
    """(file, key) for every literal first argument of a call to t(...) or translate(...)."""
    found = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in
                    ("t", "translate", "_t", "tr") and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                found.add((path.relative_to(ROOT).as_posix(), node.args[0].value))
    return found


def test_both_catalogs_have_the_same_keys():
    assert set(LANGS) == {"en", "zh"}
    assert sorted(set(CATALOGS["en"]) ^ set(CATALOGS["zh"])) == []


def test_placeholders_match_between_languages():
    fields = string.Formatter()
    for key, en in CATALOGS["en"].items():
        names = {f for _, f, _, _ in fields.parse(en) if f}
        assert names == {f for _, f, _, _ in fields.parse(CATALOGS["zh"][key]) if f}, key


def test_chinese_strings_are_chinese():
    han = re.compile(r"[\u4e00-\u9fff]")
    prose = {k: v for k, v in CATALOGS["zh"].items() if re.search(r"[A-Za-z]{4,}\s+[A-Za-z]{4,}", CATALOGS["en"][k])}
    untranslated = [k for k, v in prose.items() if not han.search(v)]
    assert len(untranslated) <= len(prose) * 0.05, untranslated[:20]


def test_every_key_used_in_the_code_exists():
    keys = used_keys()
    assert len(keys) > 100  # the scan really finds the calls
    missing = sorted((f, k) for f, k in keys if k not in CATALOGS["en"])
    assert missing == []


@pytest.mark.parametrize("name", ["home", "data", "train", "runs", "evaluate", "draw", "inside", "compare"])
def test_navigation_titles_exist(name):
    assert t(f"nav.{name}", "en") and t(f"nav.{name}", "zh") != t(f"nav.{name}", "en")


def test_every_reason_core_names_is_translated():
    """Each LabError (RunError, FineTuneError...) raised in core names a reason code with both translations."""
    raisers, codes = ("LabError", "RunError", "FineTuneError", "ConfigError", "JobError", "WorkspaceError",
                      "SettingError", "DataError"), set()
    for path in [*(ROOT / "core").rglob("*.py"), ROOT / "ui" / "train_form.py"]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in raisers:
                assert len(node.args) >= 2 and isinstance(node.args[1], ast.Constant), \
                    f"{path.name}:{node.lineno} raises without a reason code"
                codes.add(node.args[1].value)
    assert len(codes) >= 10
    for code in codes:
        assert f"error.{code}" in CATALOGS["en"] and f"error.{code}" in CATALOGS["zh"], code


def test_reason_speaks_the_readers_language():
    from core.errors import LabError
    from ui.i18n import reason

    exc = LabError("the zip holds 2 runs; upload one run at a time", "many_runs", n=2)
    assert reason(exc, "en") == "the zip holds 2 runs; upload one run at a time"
    assert reason(exc, "zh") == "该 zip 包含 2 条训练记录；请一次上传一条"
    assert reason(ValueError("plain text"), "zh") == "plain text"  # errors without a code keep their words
