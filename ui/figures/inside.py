"""Plotly figure builders for the Inside page: weight, filter and feature-map grids, activations, PCA.

Arrays in, figure out, no Streamlit; labels are passed in already translated.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.figures.style import font, series_colour

DIVERGING = "RdBu_r"  # negative blue, 0 white, positive red
POSITIVE = "Viridis"  # for maps that are never negative (after ReLU or pooling)

LABELS = {
    "unit": "unit", "value": "value", "weight": "weight", "relative": "relative to the tile's largest",
    "activation": "activation", "digit": "digit", "pc1": "PC 1", "pc2": "PC 2",
    "variance": "{pct:.0%} of the variance", "out": "out", "in": "in", "map": "map", "filter": "filter",
    "image": "test image",
}


def _labels(labels: dict | None) -> dict:
    return {**LABELS, **(labels or {})}


def mosaic(tiles: np.ndarray, cols: int, gap: int = 1, top: int = 0) -> np.ndarray:
    """Tiles [n, h, w] laid out in a grid `cols` wide, separated by `gap` NaN pixels (drawn as background),
    with `top` extra NaN rows above each row of tiles (room for a label)."""
    tiles = np.asarray(tiles, dtype=np.float32)
    n, h, w = tiles.shape
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    out = np.full((rows * (h + gap + top) - gap, cols * (w + gap) - gap), np.nan, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, cols)
        y, x = r * (h + gap + top) + top, c * (w + gap)
        out[y:y + h, x:x + w] = tiles[i]
    return out


def _tile_index(n: int, h: int, w: int, cols: int, gap: int, top: int) -> np.ndarray:
    """For every mosaic pixel, the index of the tile it belongs to (-1 in gaps): used for hover text."""
    return np.nan_to_num(mosaic(np.arange(n, dtype=np.float32)[:, None, None] * np.ones((1, h, w)), cols, gap, top),
                         nan=-1).astype(int)


def _image_layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_layout(height=height, margin={"l": 5, "r": 5, "t": 10, "b": 5}, font=font(),
                      plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)")
    return fig


def _height(rows: int, cols: int, h: int, w: int, width_px: int = 900, cap: int = 1400) -> int:
    """A figure height that keeps pixels square when the figure is about width_px wide."""
    return int(min(cap, max(140, width_px * rows * h / max(1, cols * w) + 30)))


def tile_grid_figure(tiles: np.ndarray, titles: Sequence[str] | None = None, cols: int = 8,
                     shared_scale: bool = False, diverging: bool = True, labels: dict | None = None,
                     width_px: int = 900) -> go.Figure:
    """Small images [n, h, w] in one heatmap grid: each tile on its own colour scale (patterns show best) or all
    on one (sizes compare). Diverging: red-blue centred on 0; else a sequential scale from 0."""
    lab = _labels(labels)
    tiles = np.asarray(tiles, dtype=np.float32)
    n, h, w = tiles.shape
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    gap = max(1, h // 10)
    top = max(2, h // 4) if titles else 0
    peak = np.abs(tiles).reshape(n, -1).max(axis=1)
    if shared_scale:
        scaled, zmax, bar_title = tiles, float(peak.max() or 1.0), lab["value"]
    else:
        scaled, zmax, bar_title = tiles / np.where(peak > 0, peak, 1.0)[:, None, None], 1.0, lab["relative"]
    z = mosaic(scaled, cols, gap, top)
    raw = mosaic(tiles, cols, gap, top)
    zmin = -zmax if diverging else 0.0
    # Hover shows the raw value from a numeric array (sent as one typed array); the tiles are named by their
    # titles. A per-pixel text array and one add_annotation call per tile made the Inside page take seconds.
    fig = go.Figure(go.Heatmap(
        z=z, customdata=raw, colorscale=DIVERGING if diverging else POSITIVE,
        zmin=zmin, zmax=zmax, zmid=0.0 if diverging else None, hoverongaps=False,
        hovertemplate=lab["value"] + " %{customdata:.3f}<extra></extra>",
        colorbar={"title": {"text": bar_title, "side": "right"}, "thickness": 14},
    ))
    if titles:
        small = font(-2 if cols <= 10 else -4)
        fig.update_layout(annotations=[
            {"x": (i % cols) * (w + gap) + (w - 1) / 2, "y": (i // cols) * (h + gap + top) + top / 2 - 0.5,
             "text": name, "showarrow": False, "font": small, "yanchor": "middle"}
            for i, name in enumerate(titles)])
    return _image_layout(fig, _height(rows, cols, h + top, w + gap, width_px))


def filter_bank_figure(filters: np.ndarray, labels: dict | None = None, width_px: int = 900) -> go.Figure:
    """Conv weights [out, in, k, k]: one row per output channel, one column per input channel, red-blue around 0
    on one scale for the whole layer (so strong and weak filters can be told apart)."""
    lab = _labels(labels)
    f = np.asarray(filters, dtype=np.float32)
    n_out, n_in, k, _ = f.shape
    if n_in == 1:  # first layer: a single row of filters, each titled
        return tile_grid_figure(f[:, 0], [f"{lab['filter']} {i}" for i in range(n_out)], cols=min(n_out, 16),
                                shared_scale=True, labels=labels, width_px=width_px)
    gap = 1
    z = mosaic(f.reshape(n_out * n_in, k, k), n_in, gap)
    zmax = float(np.abs(f).max() or 1.0)
    names = np.array([f"{lab['out']} {o} · {lab['in']} {i}" for o in range(n_out) for i in range(n_in)] + [""],
                     dtype=object)
    text = names[_tile_index(n_out * n_in, k, k, n_in, gap, 0)]
    fig = go.Figure(go.Heatmap(
        z=z, customdata=text, colorscale=DIVERGING, zmin=-zmax, zmax=zmax, zmid=0.0, hoverongaps=False,
        hovertemplate="%{customdata}<br>" + lab["weight"] + " %{z:.3f}<extra></extra>",
        colorbar={"title": {"text": lab["weight"], "side": "right"}, "thickness": 14},
    ))
    return _image_layout(fig, _height(n_out, n_in, k + gap, k + gap, min(width_px, 60 * n_in + 80), cap=1600))


def feature_maps_figure(maps: np.ndarray, labels: dict | None = None, cols: int = 8, width_px: int = 900,
                        shared_scale: bool = True) -> go.Figure:
    """Feature maps [C, H, W] of one image as a grid; red-blue around 0 if any value is negative, else 0-up."""
    lab = _labels(labels)
    maps = np.asarray(maps, dtype=np.float32)
    diverging = bool((maps < 0).any())
    return tile_grid_figure(maps, [f"{lab['map']} {i}" for i in range(len(maps))], cols=cols,
                            shared_scale=shared_scale, diverging=diverging, labels=labels, width_px=width_px)


def activations_figure(layers: Sequence[tuple[str, np.ndarray]], labels: dict | None = None) -> go.Figure:
    """One bar chart per hidden layer (x: unit number, y: its activation for the chosen image), stacked."""
    lab = _labels(labels)
    row_px = 230
    height = 70 + row_px * len(layers)
    fig = make_subplots(rows=len(layers), cols=1, subplot_titles=[name for name, _ in layers],
                        vertical_spacing=min(0.3, 80 / height))
    for row, (_, values) in enumerate(layers, start=1):
        v = np.asarray(values, dtype=np.float32)
        signed = bool((v < 0).any())  # tanh: colour by sign; ReLU and sigmoid: one calm colour
        marker = {"color": v, "colorscale": DIVERGING, "cmid": 0.0} if signed else {"color": "#3b4cca"}
        fig.add_trace(go.Bar(
            x=np.arange(len(v)), y=v, marker=marker, showlegend=False,
            hovertemplate=lab["unit"] + " %{x}<br>" + lab["activation"] + " %{y:.3f}<extra></extra>",
        ), row=row, col=1)
        fig.update_yaxes(title_text=lab["activation"], row=row, col=1)
    fig.update_xaxes(title_text=lab["unit"], row=len(layers), col=1)
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10}, font=font(), bargap=0.15)
    return fig


def image_figure(image: np.ndarray, colorscale: str = "gray", height: int = 260,
                 hover: str = "%{z:.2f}") -> go.Figure:
    """One small image (an input digit, kNN block features) as a square heatmap without axes."""
    img = np.asarray(image, dtype=np.float32)
    fig = go.Figure(go.Heatmap(z=img, colorscale=colorscale, showscale=False,
                               hovertemplate="(%{y}, %{x}): " + hover + "<extra></extra>"))
    return _image_layout(fig, height)


def pca_figure(coords: np.ndarray, labels: np.ndarray, explained: Sequence[float], title: str = "",
               axis_labels: dict | None = None, height: int = 520) -> go.Figure:
    """Points in 2D coloured by digit (one legend entry each, click to hide), with each digit's centre marked;
    hovering a point names its row (the test image number when the rows are the first test images)."""
    lab = _labels(axis_labels)
    xy = np.asarray(coords, dtype=np.float32)
    y = np.asarray(labels).astype(int)
    fig, centres = go.Figure(), []
    for d in range(10):
        pts = xy[y == d]
        if not len(pts):
            continue
        fig.add_trace(go.Scatter(  # SVG, not WebGL: the centre markers must be drawn on top of the dots
            x=pts[:, 0], y=pts[:, 1], mode="markers", name=str(d), legendgroup=str(d),
            marker={"size": 6, "color": series_colour(d), "opacity": 0.65}, customdata=np.flatnonzero(y == d),
            hovertemplate=lab["digit"] + f" {d} · " + lab["image"] + " %{customdata}<extra></extra>",
        ))
        cx, cy = pts.mean(axis=0)
        centres.append(go.Scatter(  # drawn after all the dots, so no dot hides a centre
            x=[cx], y=[cy], mode="markers+text", text=[f"<b>{d}</b>"], legendgroup=str(d), showlegend=False,
            marker={"size": 30, "color": "white", "line": {"width": 3, "color": series_colour(d)}},
            textfont=font(2, color=series_colour(d)), textposition="middle center", hoverinfo="skip",
        ))
    fig.add_traces(centres)
    ev = list(explained) + [0.0, 0.0]
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left"}, height=height, font=font(),
        margin={"l": 10, "r": 10, "t": 50, "b": 10}, legend={"title": {"text": lab["digit"]}, "itemsizing": "constant"},
        xaxis_title=f"{lab['pc1']} ({lab['variance'].format(pct=ev[0])})",
        yaxis_title=f"{lab['pc2']} ({lab['variance'].format(pct=ev[1])})",
        plot_bgcolor="white",
    )
    fig.update_xaxes(showgrid=True, gridcolor="#eee", zeroline=False)
    fig.update_yaxes(showgrid=True, gridcolor="#eee", zeroline=False)
    return fig
