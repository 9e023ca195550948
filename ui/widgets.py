"""Small drawing helpers used by several pages (widgets end in _ui)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui.figures.draw import pixelated
from ui.state import harvest_jobs, my_jobs, t


def no_data_ui(reason: str) -> None:
    st.title("📦 " + t("nodata.title"))
    st.markdown(t("nodata.body", reason=reason))


@st.fragment(run_every=1.0)
def jobs_sidebar_ui() -> None:
    """This session's training jobs in the sidebar, on every page; also collects the ones that ended."""
    if harvest_jobs():
        st.rerun()  # a job just became a run: let the page list it
    box = st.sidebar.container()  # drawn on every run, so a job started mid-run has a place to appear
    for job in my_jobs():
        if job.done:
            continue
        info = job.latest()
        with box:
            if info.get("queue_position"):
                st.caption(t("sidebar.job.queued", pos=info["queue_position"]))
            else:
                st.progress(min(max(info.get("fraction") or 0.0, 0.0), 1.0), text=t("sidebar.job", name=job.name))


def digit_image(image: np.ndarray, size: int = 112) -> np.ndarray:
    """A 28x28 image (uint8 or [0,1] floats) scaled up with nearest-neighbour, crisp on a projector."""
    img = np.asarray(image, dtype=np.float32)
    return pixelated(img / 255.0 if img.max() > 1.0 else img, size)
