"""Streamlit helpers shared by the pages (session state, language, data). core stays Streamlit-free."""
