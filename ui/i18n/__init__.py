"""UI strings in English and Simplified Chinese.

Each page keeps its strings in its own catalog module here, in ui/i18n/ (EN and ZH dicts with the
same keys, prefixed by the page name) so that pages can grow without touching each other's strings.
"""

from __future__ import annotations

import importlib
import pkgutil

LANGS = {"en": "English", "zh": "简体中文"}


def _load() -> dict[str, dict[str, str]]:
    catalogs: dict[str, dict[str, str]] = {"en": {}, "zh": {}}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"ui.i18n.{info.name}")
        if not hasattr(module, "EN"):  # readings.py: functions that write with t(), not a catalog
            continue
        catalogs["en"].update(module.EN)
        catalogs["zh"].update(module.ZH)
    return catalogs



def t(key: str, lang: str = "en", **values) -> str:
    """The string for `key` in `lang` (English if that language lacks it), with {placeholders} filled."""
    text = CATALOGS.get(lang, {}).get(key) or CATALOGS["en"].get(key)
    if text is None:
        raise KeyError(f"no UI string {key!r}")
    return text.format(**values) if values else text


def reason(exc: BaseException, lang: str = "en") -> str:
    """Why `exc` happened, in `lang` when core named the reason (core.errors.LabError.code), else its text."""
    code = getattr(exc, "code", "")
    if code and f"error.{code}" in CATALOGS["en"]:
        return t(f"error.{code}", lang, **getattr(exc, "params", {}))
    return str(exc)


# Loaded last: readings.py imports t() from here while the catalogs load.
CATALOGS = _load()
