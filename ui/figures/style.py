"""One look for every page and report: the palette, the font size and the probability-bar chart they all share."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

TRUE_RGB = (44, 160, 44)  # the true digit's probability bar
WRONG_RGB = (214, 39, 40)  # a wrong prediction's bar
OTHER_RGB = (170, 170, 170)
ACCENT = "#e4572e"  # the top guess when no true digit is known; a highlighted row or marker
MUTED = "#9aa5b1"  # plain bars that are not probabilities (counts)
GUIDE = "#888888"  # reference lines: chance, a threshold
GRID = "#d0d7de"  # thin separating lines
BLUE, ORANGE = "#4c78a8", "#f58518"  # two sets side by side (training vs test images); BLUE is also a plain series
# One colour per run in a comparison and one per digit in a scatter: matplotlib's tab10, so that digit 3 or the
# fourth run has the same colour on every page.
SERIES = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def series_colour(i: int) -> str:
    """The i-th run's (or digit's) colour."""
    return SERIES[i % len(SERIES)]

FONT_SIZE = 15  # readable on a projector; every figure's text is this, or a few points off it via font(step)


def font(step: int = 0, **extra) -> dict:
    """A Plotly font dict `step` points larger (or smaller) than FONT_SIZE, with any other font settings."""
    return {"size": FONT_SIZE + step, **extra}


def rgb(colour: tuple[int, int, int]) -> str:
    return f"rgb{colour}"


def probability_colours(probs: Sequence[float] | np.ndarray, true: int | None = None) -> list[str]:
    """Each digit's bar colour: the true digit (if known) green, a wrong top guess red, else the top guess orange."""
    p = np.asarray(probs, dtype=float).reshape(-1)
    best = int(p.argmax())
    return [rgb(TRUE_RGB) if d == true else (ACCENT if true is None else rgb(WRONG_RGB)) if d == best
            else rgb(OTHER_RGB) for d in range(len(p))]


def probability_bars(probs: Sequence[float] | np.ndarray, true: int | None = None, x_title: str = "",
                     y_title: str = "", height: int = 300, fig: go.Figure | None = None, row: int | None = None,
                     col: int | None = None) -> go.Figure:
    """Ten bars, one per digit, each labelled with its percentage and coloured by probability_colours.

    Titles come in already translated. With `fig` (and `row`, `col` for a subplot) the bars go into that figure
    and its layout is left to its builder; without, a figure of its own is made, `height` px tall.
    """
    p = np.asarray(probs, dtype=float).reshape(-1)
    own = fig is None
    fig = go.Figure() if own else fig
    fig.add_trace(go.Bar(
        x=[str(d) for d in range(len(p))], y=p.tolist(), marker_color=probability_colours(p, true), showlegend=False,
        text=[f"{v:.0%}" if v >= 0.01 else "" for v in p], textposition="outside",  # no row of "0%" labels
        hovertemplate=(f"{x_title} " if x_title else "") + "%{x}: %{y:.1%}<extra></extra>",
    ), row=row, col=col)
    fig.update_xaxes(title=x_title or None, type="category", tickfont=font(3), row=row, col=col)
    fig.update_yaxes(title=y_title or None, range=[0, 1.15], tickformat=".0%", row=row, col=col)
    if own:
        fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10}, font=font())
    return fig
