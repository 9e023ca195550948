"""Plotly builders for the Class page: the class's accuracy curves and a parallel-coordinates chart of every
finished run (settings -> accuracy). Data in, figure out; labels come translated from the page. No Streamlit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import plotly.graph_objects as go

from ui.figures.style import SERIES as COLOURS
from ui.figures.style import font

LABELS = {"epoch": "epoch", "accuracy": "test accuracy", "lr": "learning rate (log10)", "batch": "batch size",
          "optimizer": "optimizer", "loss": "loss", "size": "parameters (log10)", "epochs": "epochs"}


LEGEND_MAX = 12  # more lines than this: no legend (40 names do not fit beside a 300 px chart); hover names them
MARKERS_MAX = 10  # more lines than this: lines only (each marker is one more SVG node to draw)


@lru_cache(maxsize=16)
def _curves(lines: tuple, labels: tuple, height: int) -> go.Figure:
    labels = {**LABELS, **dict(labels)}
    mode = "lines+markers" if len(lines) <= MARKERS_MAX else "lines"
    # Plain dicts validated once by go.Figure: half the time of go.Scatter per line (each validates itself).
    if len(lines) <= LEGEND_MAX:  # one trace per line, named in the legend
        data = [{"type": "scatter", "x": [e for e, _ in points], "y": [a for _, a in points], "mode": mode,
                 "name": name, "line": {"color": COLOURS[i % len(COLOURS)], "width": 2}, "marker": {"size": 5},
                 "hovertemplate": f"{name}<br>%{{x:.2f}} · %{{y:.1%}}<extra></extra>"}
                for i, (name, points) in enumerate(lines)]
    else:  # one trace per colour, its lines apart by gaps: the same picture, 10 traces for the browser, not 200
        data = []
        for c, colour in enumerate(COLOURS):
            x, y, text = [], [], []
            for name, points in lines[c::len(COLOURS)]:
                x += [e for e, _ in points] + [None]
                y += [a for _, a in points] + [None]
                text += [name] * len(points) + [None]
            if x:
                data.append({"type": "scatter", "x": x, "y": y, "text": text, "mode": mode, "name": colour,
                             "line": {"color": colour, "width": 2}, "connectgaps": False,
                             "hovertemplate": "%{text}<br>%{x:.2f} · %{y:.1%}<extra></extra>"})
    fig = go.Figure(data=data)
    fig.update_layout(height=height, margin={"l": 50, "r": 10, "t": 10, "b": 40}, font=font(),
                      legend={"font": font(-3)}, hovermode="closest", showlegend=len(lines) <= LEGEND_MAX)
    fig.update_xaxes(title=labels["epoch"], rangemode="tozero")
    fig.update_yaxes(title=labels["accuracy"], tickformat=".0%", range=[0, 1.02])
    return fig


def curves_figure(lines: Sequence[tuple[str, Sequence[tuple[float, float]]]], labels: dict | None = None,
                  height: int = 360) -> go.Figure:
    """One line per (name, [(epoch, accuracy), ...]): the class's runs on one chart, accuracy from 0 to 1.
    The same lines give the same figure object (cached): the Class page redraws every few seconds, mostly
    unchanged. Treat it as read-only."""
    lines = tuple((str(name), tuple((float(e), float(a)) for e, a in points)) for name, points in lines)
    return _curves(lines, tuple(sorted((labels or {}).items())), height)


def _categorical(values: Sequence[str], label: str) -> dict:
    """An axis of a few named values (optimizer, loss): the values placed at 0, 1, 2, ... with their names."""
    names = sorted(set(values))
    return {"label": label, "values": [names.index(v) for v in values], "tickvals": list(range(len(names))),
            "ticktext": names, "range": [-0.2, max(len(names) - 1, 0) + 0.2]}


def parallel_figure(runs: Sequence[dict], labels: dict | None = None, height: int = 360) -> go.Figure:
    """Every finished run as one line across learning rate (log), batch size, optimizer, loss, architecture
    size (log parameters) and epochs to test accuracy; brushable (drag along an axis). `runs` are dicts with
    lr, batch_size, optimizer, loss, parameters, epochs and test_acc."""
    labels = {**LABELS, **(labels or {})}
    acc = [r["test_acc"] for r in runs]
    dims = [
        {"label": labels["lr"], "values": [math.log10(r["lr"]) for r in runs]},
        {"label": labels["batch"], "values": [r["batch_size"] for r in runs]},
        _categorical([r["optimizer"] for r in runs], labels["optimizer"]),
        _categorical([r["loss"] for r in runs], labels["loss"]),
        {"label": labels["size"], "values": [math.log10(max(r["parameters"], 1)) for r in runs]},
        {"label": labels["epochs"], "values": [r["epochs"] for r in runs]},
        {"label": labels["accuracy"], "values": acc, "range": [0, 1], "tickformat": ".0%"},
    ]
    fig = go.Figure(go.Parcoords(
        dimensions=dims, line={"color": acc, "colorscale": "Viridis", "cmin": 0, "cmax": 1, "showscale": False},
        labelfont=font(-2), tickfont=font(-4), rangefont=font(-5)))
    fig.update_layout(height=height, margin={"l": 60, "r": 50, "t": 50, "b": 20}, font=font())
    return fig
