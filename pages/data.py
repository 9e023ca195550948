import streamlit as st

from ui.state import t

st.title(t("nav.data"))
