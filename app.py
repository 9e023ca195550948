"""MNIST Lab's entry point: page config, language, navigation. Nothing else."""

import streamlit as st

from ui.state import data_problem, harvest_jobs, language_ui, t
from ui.widgets import jobs_sidebar_ui, no_data_ui

st.set_page_config(page_title="MNIST Lab", page_icon="🔢", layout="wide")
language_ui()

problem = data_problem()
if problem:  # offline with no MNIST: a friendly page that says how to get it, not an error
    st.navigation([st.Page(lambda: no_data_ui(problem), title=t("nodata.title"), icon="📦")]).run()
    st.stop()

harvest_jobs()
jobs_sidebar_ui()

PAGES = {
    "nav.section.learn": [("home", "🏠"), ("data", "🔢")],
    "nav.section.experiment": [("train", "🏋️"), ("runs", "🗂️"), ("compare", "📈")],
    "nav.section.understand": [("evaluate", "🔍"), ("draw", "✏️"), ("inside", "🧠")],
}
st.navigation({
    t(section): [st.Page(f"views/{name}.py", title=t(f"nav.{name}"), icon=icon, default=name == "home")
                 for name, icon in pages]
    for section, pages in PAGES.items()
}).run()
