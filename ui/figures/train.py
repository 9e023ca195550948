"""Plotly figure builders for training curves: a run's history (event dicts) in, a figure out. No Streamlit.

Labels are passed in (the page translates them); English defaults make the builders usable anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ui.figures.style import font

MAX_POINTS = 3000  # points per line: more is invisible on screen and slow to send every half second
SMOOTHING = 0.9  # weight of the past in the smoothed loss (TensorBoard's slider, same meaning)
SMOOTH_WINDOW = (1, 100, 40)  # auto smoothing: about 1/40 of the steps shown, between 1 and 100 steps

LABELS = {
    "step": "Step", "loss": "Loss", "raw": "loss per batch", "smoothed": "smoothed",
    "test_loss": "test loss", "epoch": "Epoch", "accuracy": "Test accuracy",
    "quick": "quick check (subset)", "full": "full test set", "chance": "chance: 10%",
    "target": "target", "k": "k (neighbours that vote)", "chosen": "chosen k",
}
COLORS = {"raw": "rgba(99, 110, 250, 0.35)", "smoothed": "#3b4cca", "test": "#ef553b", "acc": "#00a37a",
          "full": "#006b50", "guide": "#888888"}


def ema(values: Sequence[float], weight: float = SMOOTHING) -> list[float]:
    """Exponential moving average: s[0] = v[0], s[i] = weight * s[i-1] + (1 - weight) * v[i]."""
    out: list[float] = []
    s = None
    for v in values:
        s = v if s is None else weight * s + (1.0 - weight) * v
        out.append(s)
    return out


def auto_smoothing(n_steps: int) -> float:
    """An EMA weight whose window (1 / (1 - weight)) is ~1/40 of the run: a short run is not smeared by lag."""
    lo, hi, fraction = SMOOTH_WINDOW
    window = min(max(n_steps / fraction, lo), hi)
    return 1.0 - 1.0 / window


def downsample_indices(n: int, max_points: int = MAX_POINTS) -> list[int]:
    """Up to `max_points` evenly spaced indices into a series of length n, always the first and the last."""
    if n <= max_points:
        return list(range(n))
    if max_points < 2:
        return [n - 1]
    stride = (n - 1) / (max_points - 1)
    return sorted({round(i * stride) for i in range(max_points)} | {0, n - 1})


def downsample(xs: Sequence, ys: Sequence, max_points: int = MAX_POINTS) -> tuple[list, list]:
    """(xs, ys) thinned to at most about `max_points` points, keeping the first and the last."""
    idx = downsample_indices(len(xs), max_points)
    return [xs[i] for i in idx], [ys[i] for i in idx]


def _arr(values) -> np.ndarray:
    """Numbers as a NumPy array: plotly checks a list element by element (~10x slower for thousands of points)."""
    return np.asarray(list(values), dtype=float)


def _labels(labels: dict | None) -> dict:
    return {**LABELS, **(labels or {})}


def _layout(fig: go.Figure, x_title: str, y_title: str, height: int) -> go.Figure:
    fig.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, hovermode="x unified",
        # The legend sits top left: Plotly's toolbar appears top right on hover and used to cover it.
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0.0},
        xaxis_title=x_title, yaxis_title=y_title, font=font(),
    )
    return fig


def loss_figure(history: Sequence[dict], labels: dict | None = None, smoothing: float | None = None,
                max_points: int = MAX_POINTS, log_y: bool = False, height: int = 340) -> go.Figure:
    """Training loss per step (thin, raw), its moving average (thick) and the test loss at each evaluation.

    `smoothing` is the EMA weight; None picks one from the number of steps (auto_smoothing).
    """
    lab = _labels(labels)
    steps = [e for e in history if e.get("kind") == "step"]
    xs = [e["step"] for e in steps]
    raw = [e["loss"] for e in steps]
    weight = auto_smoothing(len(raw)) if smoothing is None else smoothing
    smooth = ema(raw, weight)  # smoothed over every step, then thinned: the line stays exact
    idx = downsample_indices(len(xs), max_points)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=_arr(xs[i] for i in idx), y=_arr(raw[i] for i in idx), mode="lines", name=lab["raw"],
                             line={"width": 1, "color": COLORS["raw"]}))
    fig.add_trace(go.Scatter(x=_arr(xs[i] for i in idx), y=_arr(smooth[i] for i in idx), mode="lines",
                             name=lab["smoothed"], line={"width": 3, "color": COLORS["smoothed"]}))
    evals = [e for e in history if e.get("kind") == "eval" and e.get("test_loss") is not None]
    if evals:
        fig.add_trace(go.Scatter(x=_arr(e["step"] for e in evals), y=_arr(e["test_loss"] for e in evals),
                                 mode="markers", name=lab["test_loss"],
                                 marker={"size": 9, "color": COLORS["test"], "symbol": "diamond"}))
    _layout(fig, lab["step"], lab["loss"], height)
    if log_y:
        fig.update_yaxes(type="log")
    else:
        fig.update_yaxes(rangemode="tozero")
    return fig


def accuracy_range(evals: list[dict]) -> list[float]:
    """The y range of an accuracy chart: 0-100% until the network has learned something, then zoomed to the
    accuracies after the untrained start, so that a climb from 95% to 98% is as visible as one from 20% to 80%."""
    learned = [e["test_acc"] for e in evals if e.get("epoch", 0) > 0 and e.get("test_acc") is not None]
    if len(learned) < 2 or max(learned) < 0.3:
        return [0, 1.05]
    lo, hi = min(learned), max(learned)
    pad = max(0.1 * (hi - lo), 0.005)
    return [max(0.0, lo - pad), min(1.005, hi + pad)]


def accuracy_figure(history: Sequence[dict], labels: dict | None = None, epochs: float | None = None,
                    target: float | None = None, height: int = 340) -> go.Figure:
    """Test accuracy against epoch from the untrained model (epoch 0) on; big markers for full-test evaluations."""
    lab = _labels(labels)
    evals = [e for e in history if e.get("kind") == "eval"]
    full = [e for e in evals if e.get("full")]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=_arr(e["epoch"] for e in evals), y=_arr(e["test_acc"] for e in evals), mode="lines+markers",
        name=lab["quick"], line={"width": 2, "color": COLORS["acc"]}, marker={"size": 6}))
    texts = _epoch_labels(full, span=max([float(epochs or 0)] + [e["epoch"] for e in evals]))
    fig.add_trace(go.Scatter(
        x=_arr(e["epoch"] for e in full), y=_arr(e["test_acc"] for e in full), mode="markers+text",
        name=lab["full"], text=texts, cliponaxis=False,  # a label may reach past the axes, never be cut
        textposition=["top right" if i == 0 and len(full) > 1 else "top left" if i == len(full) - 1 and i else
                      "top center" for i in range(len(full))],
        marker={"size": 13, "color": COLORS["full"], "line": {"width": 2, "color": "white"}}))
    # Guide lines as plain layout shapes (add_hline is ~30 ms each, too slow for a chart redrawn twice a second).
    guides = [(0.1, lab["chance"], "dot", COLORS["guide"])]
    if target:
        guides.append((target, f"{lab['target']}: {target:.1%}", "dash", COLORS["test"]))
    fig.update_layout(
        shapes=[{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": y, "y1": y,
                 "line": {"dash": dash, "color": color, "width": 1.5}} for y, _, dash, color in guides],
        annotations=[{"xref": "paper", "x": 1, "xanchor": "right", "yref": "y", "y": y, "yanchor": "top",
                      "text": text, "showarrow": False, "font": font(-2, color=color)}
                     for y, text, _, color in guides],
    )
    _layout(fig, lab["epoch"], lab["accuracy"], height)
    fig.update_yaxes(range=accuracy_range(evals), tickformat=".1%")
    if epochs:
        fig.update_xaxes(range=[-0.05 * epochs, epochs * 1.05])
    return fig


LABEL_GAP = 0.12  # two accuracy labels closer than this share of the x axis would overlap: the earlier goes


def _epoch_labels(full: list[dict], span: float) -> list[str]:
    """Accuracy printed beside the full-test markers at whole epochs and the latest one (not every check:
    clutter), leaving out a label that would overlap the next one kept ("97.9%" over "98.0%")."""
    texts = [""] * len(full)
    kept_x = None
    for i in range(len(full) - 1, -1, -1):  # from the latest, which always keeps its label
        epoch = float(full[i]["epoch"])
        if i != len(full) - 1 and not epoch.is_integer():
            continue
        if kept_x is not None and kept_x - epoch < LABEL_GAP * max(span, 1e-9):
            continue
        texts[i], kept_x = f"{full[i]['test_acc']:.1%}", epoch
    return texts


def knn_figure(history: Sequence[dict], labels: dict | None = None, k: int | None = None,
               height: int = 340) -> go.Figure:
    """kNN test accuracy as k changes (the 'knn' events), the chosen k highlighted."""
    lab = _labels(labels)
    points = sorted((e["k"], e["test_acc"]) for e in history if e.get("kind") == "knn")
    # Until the whole search is done: the chosen k's quick check on a subset (core.learn.training._train_knn).
    quick = [] if points or k is None else [(k, e["test_acc"]) for e in history
                                            if e.get("kind") == "eval" and not e.get("full")][-1:]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=_arr(p[0] for p in points), y=_arr(p[1] for p in points), mode="lines+markers",
                             name=lab["accuracy"], line={"width": 3, "color": COLORS["acc"]}, marker={"size": 9}))
    if quick:
        fig.add_trace(go.Scatter(x=[quick[0][0]], y=[quick[0][1]], mode="markers+text", name=lab["quick"],
                                 text=[f"{quick[0][1]:.1%}"], textposition="top center",
                                 marker={"size": 12, "color": COLORS["acc"], "symbol": "circle-open"}))
    chosen = [p for p in points if p[0] == k]
    if chosen:
        fig.add_trace(go.Scatter(x=[chosen[0][0]], y=[chosen[0][1]], mode="markers+text", name=lab["chosen"],
                                 text=[f"{chosen[0][1]:.1%}"], textposition="top center",
                                 marker={"size": 16, "color": COLORS["full"], "symbol": "star"}))
    _layout(fig, lab["k"], lab["accuracy"], height)
    fig.update_yaxes(tickformat=".1%", range=None if points or quick else [0, 1])
    fig.update_xaxes(dtick=2 if len(points) > 1 and points[-1][0] <= 30 else None)
    fig.update_layout(hovermode="closest")
    return fig
