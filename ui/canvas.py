"""The drawing canvas (streamlit-drawable-canvas), imported lazily so the app runs without it.

streamlit-drawable-canvas 0.13 is a components-v2 package: importing it registers its frontend from the
asset_dir named in its pyproject.toml, which only works where Streamlit has scanned the installed
packages' manifests (a running server, or AppTest). That is why the import lives in a function.

In the browser the canvas renders inside the shadow root of the element container
`.st-key-<key>` (class `st-key-<key>`): draw on `canvas.upper-canvas` with the mouse; every finished
stroke reruns the app. In AppTest it can be driven through session state (see tests/test_page_draw.py).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

INK = "#FFFFFF"  # white ink on black, like MNIST
PAPER = "#000000"


def canvas_problem() -> str | None:
    """None when the canvas component can be used, else the reason it cannot."""
    try:
        import streamlit_drawable_canvas  # noqa: F401
    except Exception as exc:  # missing package, or no Streamlit runtime to register the component
        return f"{type(exc).__name__}: {exc}"
    return None


def widget_key(key: str) -> str:
    """The canvas widget's current key (changes when the canvas is cleared)."""
    return f"{key}_{st.session_state.get(f'{key}_gen', 0)}"


def clear_canvas(key: str) -> None:
    """Callback: a fresh, empty canvas on the next run (a new widget key remounts the component)."""
    st.session_state[f"{key}_gen"] = st.session_state.get(f"{key}_gen", 0) + 1


def drawing_canvas_ui(key: str, stroke_width: int = 18, size: int = 280) -> np.ndarray | None:
    """A size x size canvas, white ink on black; returns its RGBA pixels [H, W, 4], or None before a stroke.

    Raises RuntimeError (with the reason) when the component cannot be loaded.
    """
    problem = canvas_problem()
    if problem:
        raise RuntimeError(problem)
    from streamlit_drawable_canvas import st_canvas

    st.space("small")  # room for the canvas toolbar (undo, redo, reset), which pops up above it on hover
    with st.container(key=key):
        result = st_canvas(
            stroke_width=int(stroke_width), stroke_color=INK, background_color=PAPER,
            height=size, width=size, drawing_mode="freedraw", update_streamlit=True,
            return_image_data=True, key=widget_key(key),
        )
    objects = (result.json_data or {}).get("objects") or []
    if not objects:
        return None  # nothing drawn (or everything undone): no pixels worth reading
    return result.image_data
