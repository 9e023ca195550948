"""Show me the code: download buttons for a run's (or the Train form's) training as a script or a notebook."""

from __future__ import annotations

import streamlit as st

from core.learn.config import ConfigError, TrainConfig
from core.learn.script import file_name, notebook, script
from ui.session import lang, reason, t


def code_buttons_ui(config: TrainConfig, name: str, key: str) -> None:
    """The two download buttons ("as a PyTorch script", "as a Jupyter notebook"); the files are written when
    clicked, from the config, with comments in the reader's language. A config that fails validation says why."""
    try:
        config = config.validated()
    except ConfigError as exc:
        st.caption(t("script.refused", reason=reason(exc)))
        return
    language = lang()
    label = "script.torch" if config.family == "torch" else "script.numpy"
    st.download_button(t(label), data=lambda: script(config, name, language), file_name=file_name(name),
                       mime="text/x-python", key=f"{key}_script", on_click="ignore", icon="🐍",
                       help=t("script.help", file=file_name(name)))
    st.download_button(t("script.notebook"), data=lambda: notebook(config, name, language),
                       file_name=file_name(name, notebook=True), mime="application/x-ipynb+json",
                       key=f"{key}_notebook", on_click="ignore", icon="📓", help=t("script.notebook.help"))
