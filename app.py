"""MNIST Lab's entry point: page config, workspace, language, navigation. Nothing else."""

import streamlit as st

from core.settings import SettingError, check_all
from ui.classroom import before_page_ui, class_sidebar_ui, read_links
from ui.dataset import data_problem
from ui.session import keep_query_params, language_ui, open_workspace, reason, t
from ui.widgets import (
    fold_sidebar_on_narrow_screens,
    jobs_sidebar_ui,
    no_data_ui,
    workspace_refused_ui,
    workspace_sidebar_ui,
)

st.set_page_config(page_title="MNIST Lab", page_icon="🔢", layout="wide", initial_sidebar_state="auto")
workspace = open_workspace()
language_ui()
try:
    check_all()
except SettingError as exc:  # a bad MNIST_LAB_* setting: its reason once, not an error on every page
    st.error(reason(exc))
    st.stop()
if workspace is None:  # a link with a malformed or unknown workspace id: say so, offer a fresh one
    st.navigation([st.Page(workspace_refused_ui, title=t("ws.refused.title"), icon="🔑")]).run()
    st.stop()
keep_query_params()
read_links()  # ?teacher=, ?setup=, ?view=: into the session, out of the URL

problem = data_problem()
if problem:  # offline with no MNIST: a friendly page that says how to get it, not an error
    st.navigation([st.Page(lambda: no_data_ui(problem), title=t("nodata.title"), icon="📦")]).run()
    st.stop()

workspace_sidebar_ui()
jobs_sidebar_ui()
fold_sidebar_on_narrow_screens()

PAGES = {
    "nav.section.learn": [("home", "🏠"), ("data", "🔢")],
    "nav.section.experiment": [("train", "🏋️"), ("runs", "🗂️"), ("compare", "📈")],
    "nav.section.understand": [("evaluate", "🔍"), ("draw", "✏️"), ("inside", "🧠")],
}
page = st.navigation({
    **{t(section): [st.Page(f"views/{name}.py", title=t(f"nav.{name}"), icon=icon, default=name == "home")
                    for name, icon in pages]
       for section, pages in PAGES.items()},
    t("nav.section.class"): [st.Page("views/class_view.py", title=t("nav.class"), icon="🏫", url_path="class")],
})
class_sidebar_ui()  # after st.navigation: it links to the Class page
before_page_ui(page.url_path)  # a class's row above the Train page; the projected run's banner
page.run()
