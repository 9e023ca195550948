"""Errors whose reason the app can show in the reader's language.

`str(exc)` stays the English sentence (the command line prints it). `code` names the reason and `params`
fill its translated text, kept under the UI key "error.<code>" (ui/i18n/errors.py).
"""

from __future__ import annotations


class LabError(ValueError):
    def __init__(self, message: str, code: str = "", **params) -> None:
        super().__init__(message)
        self.code, self.params = code, params


class ConfigError(LabError):
    """A setting that cannot work; the message is meant for the user as it is (`code` names the reason)."""
