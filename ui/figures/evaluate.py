"""Plotly figures for the Evaluate page and the reports: data in, figure out, no Streamlit."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from ui.figures.style import SERIES, font, series_colour
from ui.i18n import t

GREENS = [[0.0, "#e5f5e0"], [1.0, "#5cb85c"]]  # correct readings (the diagonal)
REDS = [[0.0, "#fde0d9"], [1.0, "#ef5b4f"]]  # mistakes (off the diagonal); both light enough for dark text
MAX_CURVE_POINTS = 300  # step losses are averaged into at most this many points per run


def confusion_figure(cm: torch.Tensor, selected: tuple[int, int] | None = None, lang: str = "en",
                     height: int = 600) -> go.Figure:
    """Confusion matrix: rows true digit, columns predicted; green diagonal, red mistakes, log colour.

    An invisible marker sits on every cell so that a click selects it (heatmaps report no points).
    """
    counts = cm.long().tolist()
    n = len(counts)
    top = math.log10(1 + max(max(row) for row in counts)) or 1.0
    diag = [[math.log10(1 + counts[i][j]) if i == j else None for j in range(n)] for i in range(n)]
    off = [[math.log10(1 + counts[i][j]) if i != j and counts[i][j] else None for j in range(n)] for i in range(n)]
    text = [[str(c) if c else "" for c in row] for row in counts]
    digits = list(range(n))
    fig = go.Figure()
    for z, scale in ((diag, GREENS), (off, REDS)):
        fig.add_trace(go.Heatmap(
            z=z, x=digits, y=digits, text=text, texttemplate="%{text}", textfont=font(color="#111"),
            colorscale=scale, zmin=0, zmax=top, showscale=False, hoverinfo="skip", xgap=1, ygap=1,
        ))
    xs = [j for i in range(n) for j in range(n)]
    ys = [i for i in range(n) for j in range(n)]
    fig.add_trace(go.Scatter(
        x=xs, y=ys, mode="markers", customdata=[counts[i][j] for i, j in zip(ys, xs, strict=True)],
        marker={"symbol": "square", "size": 34, "opacity": 0, "color": "black"},
        selected={"marker": {"opacity": 0}}, unselected={"marker": {"opacity": 0}},
        hovertemplate=t("evaluate.fig.cell_hover", lang) + "<extra></extra>", showlegend=False,
    ))
    if selected is not None:
        true, pred = selected
        fig.add_shape(type="rect", x0=pred - 0.5, x1=pred + 0.5, y0=true - 0.5, y1=true + 0.5,
                      line={"color": "#111", "width": 3})
    axis = {"tickmode": "array", "tickvals": digits, "showgrid": False, "zeroline": False,
            "tickfont": font(), "fixedrange": True}
    fig.update_xaxes(title=t("evaluate.fig.pred_axis", lang), side="top", range=[-0.5, n - 0.5], **axis)
    fig.update_yaxes(title=t("evaluate.fig.true_axis", lang), range=[n - 0.5, -0.5], scaleanchor="x",
                     constrain="domain", **axis)
    fig.update_layout(height=height, margin={"l": 60, "r": 10, "t": 60, "b": 10}, plot_bgcolor="white",
                      clickmode="event+select", dragmode=False, hovermode="closest")
    return fig


def per_class_figure(rows: list[dict], accuracy: float | None = None, lang: str = "en",
                     height: int = 360) -> go.Figure:
    """Precision and recall per digit as grouped bars; a dashed line at the overall accuracy."""
    digits = [str(r["digit"]) for r in rows]
    fig = go.Figure()
    for key, colour in (("precision", SERIES[0]), ("recall", SERIES[1])):
        values = [r[key] for r in rows]
        fig.add_trace(go.Bar(
            x=digits, y=values, name=t(f"evaluate.fig.{key}", lang), marker_color=colour,
            hovertemplate=t(f"evaluate.fig.{key}", lang) + " %{x}: %{y:.1%}<extra></extra>",
        ))
    low = min([r[k] for r in rows for k in ("precision", "recall")] + [accuracy or 1.0])
    bottom = max(0.0, math.floor((low - 0.05) * 10) / 10)
    if accuracy is not None:  # named in the legend rather than labelled over the bars
        line = {"color": "#444", "dash": "dash", "width": 2}
        fig.add_hline(y=accuracy, line=line)
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=line, hoverinfo="skip",
                                 name=t("evaluate.fig.overall", lang, acc=f"{accuracy:.1%}")))
    fig.update_layout(barmode="group", height=height, margin={"l": 50, "r": 10, "t": 30, "b": 40},
                      legend={"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"})
    fig.update_yaxes(range=[bottom, 1.01], tickformat=".0%")
    fig.update_xaxes(title=t("common.digit", lang), type="category")
    return fig


def _binned_steps(history: list[dict]) -> tuple[list[float], list[float]]:
    """Training loss of the step events, averaged into at most MAX_CURVE_POINTS points (epoch, loss)."""
    steps = [e for e in history if e.get("kind") == "step" and e.get("loss") is not None
             and math.isfinite(e["loss"])]
    if not steps:
        return [], []
    size = max(1, math.ceil(len(steps) / MAX_CURVE_POINTS))
    xs, ys = [], []
    for i in range(0, len(steps), size):
        chunk = steps[i:i + size]
        xs.append(sum(e["epoch"] for e in chunk) / len(chunk))
        ys.append(sum(e["loss"] for e in chunk) / len(chunk))
    return xs, ys


def curves_figure(runs: list, lang: str = "en", height: int = 380) -> go.Figure:
    """Loss (left) and test accuracy (right) against epochs, one colour per run, overlaid."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(t("common.loss", lang), t("common.accuracy", lang)),
                        horizontal_spacing=0.1)
    several = len(runs) > 1
    for i, run in enumerate(runs):
        colour = series_colour(i)
        evals = [e for e in run.history if e.get("kind") == "eval"]
        prefix = f"{run.name}: " if several else ""
        xs, ys = _binned_steps(run.history)
        if xs:
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": colour, "width": 1.5},
                                     opacity=0.55 if not several else 0.8, legendgroup=run.name,
                                     name=prefix + t("evaluate.fig.train_loss", lang)), row=1, col=1)
        tl = [e for e in evals if e.get("test_loss") is not None]
        if tl:
            fig.add_trace(go.Scatter(x=[e["epoch"] for e in tl], y=[e["test_loss"] for e in tl],
                                     mode="lines+markers", line={"color": colour, "dash": "dot", "width": 2},
                                     legendgroup=run.name, name=prefix + t("evaluate.fig.test_loss", lang)),
                          row=1, col=1)
        if evals:
            fig.add_trace(go.Scatter(
                x=[e["epoch"] for e in evals], y=[e["test_acc"] for e in evals], mode="lines+markers",
                line={"color": colour, "width": 2.5}, legendgroup=run.name,
                marker={"size": [9 if e.get("full") else 5 for e in evals]},
                name=prefix + t("evaluate.fig.test_acc", lang),
                hovertemplate=t("common.epoch", lang) + " %{x:.2f}: %{y:.2%}<extra></extra>",
            ), row=1, col=2)
    if not runs or not any(fig.data):
        fig.add_annotation(text=t("evaluate.fig.no_curves", lang), showarrow=False, xref="paper", yref="paper",
                           x=0.5, y=0.5)
    fig.update_xaxes(title=t("common.epoch", lang))
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    fig.update_layout(height=height, margin={"l": 50, "r": 10, "t": 40, "b": 40},
                      legend={"orientation": "h", "y": -0.22})
    return fig
