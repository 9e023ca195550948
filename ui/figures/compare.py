"""Plotly builders for the Compare page: several runs' histories in, one overlaid figure out. No Streamlit.

Labels are passed in (the page translates them); English defaults make the builders usable anywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.figures.style import GUIDE, font, series_colour
from ui.figures.train import downsample_indices, ema

X_AXES = ("epoch", "step", "seen", "seconds")  # what both "step" and "eval" events carry
SMOOTHING = 0.9  # weight of the past in the smoothed training loss (as on the Train page)
MAX_POINTS = 500  # points per loss line: several runs are overlaid and redrawn every second

LABELS = {
    "loss": "Training loss (smoothed)", "accuracy": "Test accuracy", "epoch": "Epoch", "step": "Step",
    "seen": "Images seen", "seconds": "Time (s)", "threshold": "90%", "empty": "No evaluations yet",
}


def loss_points(history: Sequence[dict], x: str = "epoch", smoothing: float = SMOOTHING,
                max_points: int = MAX_POINTS) -> tuple[list, list]:
    """The training loss of the step events, smoothed (EMA over every step) then thinned, against `x`."""
    steps = [e for e in history if e.get("kind") == "step" and e.get("loss") is not None
             and math.isfinite(e["loss"]) and e.get(x) is not None]
    smooth = ema([e["loss"] for e in steps], smoothing)
    idx = downsample_indices(len(steps), max_points)
    return [steps[i][x] for i in idx], [smooth[i] for i in idx]


def accuracy_points(history: Sequence[dict], x: str = "epoch") -> tuple[list, list, list[bool]]:
    """Test accuracy at each evaluation against `x`, and whether each was on the full test set."""
    evals = [e for e in history if e.get("kind") == "eval" and e.get("test_acc") is not None and e.get(x) is not None]
    return [e[x] for e in evals], [e["test_acc"] for e in evals], [bool(e.get("full")) for e in evals]


def compare_figure(series: Sequence[tuple[str, Sequence[dict]]], x: str = "epoch", labels: dict | None = None,
                   threshold: float | None = 0.9, log_loss: bool = False, height: int = 440) -> go.Figure:
    """Training loss (left) and test accuracy (right) of several runs against one x axis, one colour per run."""
    if x not in X_AXES:
        raise ValueError(f"x must be one of {X_AXES}, got {x!r}")
    lab = {**LABELS, **(labels or {})}
    fig = make_subplots(rows=1, cols=2, subplot_titles=(lab["loss"], lab["accuracy"]), horizontal_spacing=0.08)
    drawn = False
    for i, (name, history) in enumerate(series):
        colour = series_colour(i)
        xs, ys = loss_points(history, x)
        if xs:
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=name, legendgroup=name, showlegend=False,
                                     line={"color": colour, "width": 2.5},
                                     hovertemplate=f"{name}: %{{y:.3f}}<extra></extra>"), row=1, col=1)
        ax, ay, full = accuracy_points(history, x)
        if ax:
            drawn = True
            fig.add_trace(go.Scatter(
                x=ax, y=ay, mode="lines+markers", name=name, legendgroup=name,
                line={"color": colour, "width": 3}, marker={"size": [10 if f else 6 for f in full]},
                hovertemplate=f"{name}: %{{y:.1%}}<extra></extra>"), row=1, col=2)
        elif xs:
            drawn = True
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=name, legendgroup=name,
                                     line={"color": colour, "width": 3}), row=1, col=2)
    if threshold:
        fig.add_hline(y=threshold, line={"dash": "dot", "color": GUIDE}, row=1, col=2,
                      annotation_text=lab["threshold"], annotation_position="top left")
    if not drawn:
        fig.add_annotation(text=lab["empty"], showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                           font=font(3, color=GUIDE))
    fig.update_xaxes(title=lab[x])
    if x == "seen":
        fig.update_xaxes(tickformat="~s")
    fig.update_yaxes(type="log", row=1, col=1) if log_loss else fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", row=1, col=2)
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10}, font=font(),
                      hovermode="x unified",
                      legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "center", "x": 0.5})
    return fig
