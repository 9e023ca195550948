"""Plotly, PIL and SVG figure builders and the HTML lab report: data in, figure out. No Streamlit here."""
