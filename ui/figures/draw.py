"""Figures and display images for the Draw page: data in, figure or RGB array out, no Streamlit."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core.learn.preprocess import BOX, CENTRE, SIZE, mass_centre
from ui.figures.style import ACCENT, MUTED


def pixelated(image: np.ndarray, target: int = 140) -> np.ndarray:
    """A float [h, w] image in [0, 1], scaled up by a whole factor (nearest neighbour) to about `target` px."""
    img = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    scale = max(1, target // max(img.shape))
    return np.kron(img, np.ones((scale, scale), np.float32)) if scale > 1 else img


def square_panel(image: np.ndarray, target: int = 150, pad: float = 0.3) -> np.ndarray:
    """pixelated(image), padded to a square with grey, so panels line up and the image's own edges show."""
    img = pixelated(image, target)
    h, w = img.shape
    side = max(h, w)
    out = np.full((side, side), pad, np.float32)
    top, left = (side - h) // 2, (side - w) // 2
    out[top:top + h, left:left + w] = img
    return out


def centred_view(image: np.ndarray, scale: int = 5) -> np.ndarray:
    """The 28x28 image as RGB uint8 with MNIST's 20x20 box (grey) and its centre of mass (orange cross) drawn on."""
    img = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    rgb = np.repeat(np.kron(img, np.ones((scale, scale), np.float32))[..., None], 3, axis=2)
    lo, hi = (SIZE - BOX) // 2 * scale, ((SIZE + BOX) // 2) * scale - 1
    grey = np.array([0.45, 0.45, 0.45], np.float32)
    for line in (lo, hi):  # dashed box: the area MNIST's digits are fitted into
        dash = (np.arange(lo, hi + 1) // 3) % 2 == 0
        cols = np.arange(lo, hi + 1)[dash]
        rgb[line, cols] = np.maximum(rgb[line, cols], grey)
        rgb[cols, line] = np.maximum(rgb[cols, line], grey)
    cy, cx = mass_centre(img)
    y, x = int(round((cy + 0.5) * scale)), int(round((cx + 0.5) * scale))
    orange = np.array([1.0, 0.55, 0.1], np.float32)
    arm = 2 * scale
    rgb[max(0, y - arm):y + arm + 1, np.clip(x, 0, rgb.shape[1] - 1)] = orange
    rgb[np.clip(y, 0, rgb.shape[0] - 1), max(0, x - arm):x + arm + 1] = orange
    return (np.clip(rgb, 0, 1) * 255).round().astype(np.uint8)


def centre_offset(image: np.ndarray) -> float:
    """How far (pixels) the image's centre of mass lies from MNIST's (14, 14)."""
    cy, cx = mass_centre(np.asarray(image, dtype=np.float32))
    return float(np.hypot(cy - CENTRE, cx - CENTRE))


def runs_heatmap(names: list[str], probs: np.ndarray, x_title: str, height_per_run: int = 34) -> go.Figure:
    """Runs (rows) x digits (columns), each cell the probability that run gives the digit."""
    p = np.asarray(probs, dtype=float).reshape(len(names), 10)
    fig = go.Figure(go.Heatmap(
        z=p, x=[str(d) for d in range(10)], y=names, zmin=0, zmax=1, colorscale="Blues", showscale=False,
        text=[[f"{v:.0%}" if v >= 0.05 else "" for v in row] for row in p], texttemplate="%{text}",
        hovertemplate="%{y} → %{x}: %{z:.1%}<extra></extra>",
    ))
    fig.update_layout(
        height=60 + height_per_run * len(names), margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(title=x_title, type="category", side="top"), yaxis=dict(autorange="reversed"),
    )
    return fig


def class_counts_bars(counts: list[int], accuracy: list[float | None] | None, x_title: str, count_title: str,
                      acc_title: str, height: int = 260) -> go.Figure:
    """Drawings per digit as bars, with the chosen run's accuracy per digit as dots on a second axis."""
    digits = [str(d) for d in range(10)]
    fig = go.Figure(go.Bar(x=digits, y=counts, name=count_title, marker_color=MUTED,
                           text=[str(c) for c in counts], textposition="outside"))
    if accuracy is not None:
        fig.add_trace(go.Scatter(
            x=digits, y=[a if a is not None else None for a in accuracy], name=acc_title, yaxis="y2",
            mode="markers", marker=dict(size=14, color=ACCENT, symbol="diamond"),
            hovertemplate="%{x}: %{y:.0%}<extra></extra>",
        ))
    top = max(max(counts, default=0), 1)
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40, b=10),
        xaxis=dict(title=x_title, type="category"), yaxis=dict(title=count_title, range=[0, top * 1.2]),
        yaxis2=dict(title=acc_title, overlaying="y", side="right", range=[0, 1.08], tickformat=".0%",
                    tickvals=[0, 0.25, 0.5, 0.75, 1.0], showgrid=False),
        legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"),
    )
    return fig
