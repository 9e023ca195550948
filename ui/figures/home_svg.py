"""The Home page's four figures as plain SVG: the pixel grid, the flattened vector, the layer diagram, the outputs.

Why not Plotly: the Home page is a fresh browser's first page, and Plotly's 4.7 MB of JavaScript took about 2 s of
a 2-core machine's time to compile before any chart appeared (benchmarks/pages.py). These figures need no zoom or
pan; a hover still shows each value (an SVG <title> is the browser's own tooltip). Strings in, a string out; no
Streamlit. Every text a figure shows is passed in by the caller, so the page can translate it. The values are also
in data-* attributes, for tests; each figure is named for screen readers by its `label`.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from itertools import pairwise

import numpy as np

from ui.figures.data import N_PIXELS, SIDE, row_slice
from ui.figures.style import ACCENT, BLUE, FONT_SIZE, GRID, probability_colours

TEXT = "#31333f"  # Streamlit's text colour
PAPER = "#e3e3e3"  # shows through the gaps between pixels: every cell is visible, blank ones too


def _svg(name: str, width: float, height: float, body: list[str], max_px: int, label: str = "") -> str:
    """The root element: scales to its column's width (never wider than max_px); its text inherits the page's font."""
    return (f'<svg data-figure="{name}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" '
            + (f'role="img" aria-label="{escape(label)}" ' if label else "") + f'fill="{TEXT}" '
            f'style="width:100%;max-width:{max_px}px;height:auto;display:block;margin:0 auto">'
            + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, size: float = FONT_SIZE, anchor: str = "middle", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}"{extra}>'
            f"{escape(text)}</text>")


def _grey(value: int) -> str:
    """Ink on paper: 0 is white, 255 black, in a straight line between."""
    g = 255 - int(value)
    return f"rgb({g},{g},{g})"


def pixel_grid_svg(image, show_zeros: bool = False, highlight_row: int | None = None,
                   hover: str = "row {row}, column {col}: {value}", label: str = "") -> str:
    """The 28x28 image with each grey value (0-255) written in its cell, digit upright, row and column numbers
    every 4, a grey scale beside it, and the highlighted row outlined."""
    z = np.asarray(image, dtype=np.int64).reshape(SIDE, SIDE)
    cell, left, top = 30, 30, 30
    scale_x = left + SIDE * cell + 18
    width, height = scale_x + 60, top + SIDE * cell + 6
    body = [f'<rect x="{left - 1}" y="{top - 1}" width="{SIDE * cell + 1}" height="{SIDE * cell + 1}" '
            f'fill="{PAPER}"/>']
    for r in range(SIDE):
        for c in range(SIDE):
            v = int(z[r, c])
            x, y = left + c * cell, top + r * cell
            tip = escape(hover.format(row=r, col=c, value=v))
            body.append(f'<rect class="px" x="{x}" y="{y}" width="{cell - 1}" height="{cell - 1}" fill="{_grey(v)}" '
                        f'data-row="{r}" data-col="{c}" data-value="{v}"><title>{tip}</title></rect>')
            if v or show_zeros:
                body.append(_text(x + (cell - 1) / 2, y + cell / 2 + 4, str(v), FONT_SIZE - 3,
                                  fill="white" if v > 127 else TEXT, pointer_events="none"))
    for i in range(0, SIDE, 4):  # row and column numbers, as on the axes of a table
        body.append(_text(left + i * cell + cell / 2, top - 9, str(i), FONT_SIZE - 2))
        body.append(_text(left - 6, top + i * cell + cell / 2 + 5, str(i), FONT_SIZE - 2, anchor="end"))
    if highlight_row is not None:
        body.append(f'<rect x="{left - 1.5}" y="{top + highlight_row * cell - 1.5}" width="{SIDE * cell + 2}" '
                    f'height="{cell + 2}" fill="none" stroke="{ACCENT}" stroke-width="3"/>')
    steps = 32  # the grey scale, 0 at the top as in the grid's paper
    step_h = SIDE * cell / steps
    for i in range(steps):
        body.append(f'<rect x="{scale_x}" y="{top + i * step_h:.2f}" width="14" height="{step_h + 0.5:.2f}" '
                    f'fill="{_grey(round(i * 255 / (steps - 1)))}"/>')
    for v in (0, 64, 128, 192, 255):
        body.append(_text(scale_x + 20, top + v / 255 * SIDE * cell + 5, str(v), FONT_SIZE - 2, anchor="start"))
    return _svg("home_grid", width, height, body, 860, label)


def vector_strip_svg(image, highlight_row: int | None = None, xlabel: str = "position in the vector",
                     hover: str = "x[{i}] = {value}", label: str = "") -> str:
    """The flattened image as one long strip of 784 cells; thin lines where each image row begins; the
    highlighted row's 28 cells outlined."""
    flat = np.asarray(image, dtype=np.int64).reshape(-1)
    cell, left, strip = 1.5, 12, 70
    width, height = left * 2 + N_PIXELS * cell, strip + 62
    body = ['<g shape-rendering="crispEdges">']
    for i, v in enumerate(flat.tolist()):
        body.append(f'<rect class="px" x="{left + i * cell:g}" y="4" width="{cell}" height="{strip}" '
                    f'fill="{_grey(v)}" data-i="{i}" data-value="{v}"><title>{escape(hover.format(i=i, value=v))}'
                    f"</title></rect>")
    body += [f'<line x1="{left + r * SIDE * cell:g}" x2="{left + r * SIDE * cell:g}" y1="4" y2="{strip + 4}" '
             f'stroke="{GRID}" stroke-width="1"/>' for r in range(1, SIDE)]
    body.append(f'<rect x="{left}" y="4" width="{N_PIXELS * cell}" height="{strip}" fill="none" stroke="{GRID}"/>')
    body.append("</g>")
    if highlight_row is not None:
        start, stop = row_slice(highlight_row)
        x = left + start * cell
        body.append(f'<rect x="{x - 1.5:g}" y="2.5" width="{(stop - start) * cell + 3:g}" height="{strip + 3}" '
                    f'fill="none" stroke="{ACCENT}" stroke-width="3"/>')
    for i in range(0, N_PIXELS + 1, 112):
        body.append(_text(left + i * cell, strip + 24, str(i), FONT_SIZE - 1))
    body.append(_text(width / 2, strip + 52, xlabel, FONT_SIZE + 1))
    return _svg("home_strip", width, height, body, 1400, label)


def network_svg(sizes: Sequence[int], layer_names: Sequence[str], max_nodes: int = 8, label: str = "") -> str:
    """A layer diagram: a column of units per layer (long layers abbreviated with dots), every unit connected to
    every unit of the next layer, each layer's size and name above it, the output units numbered."""
    columns = []
    for size in sizes:
        half = max_nodes // 2
        shown = list(range(size)) if size <= max_nodes + 2 else [*range(half), *range(size - half, size)]
        n = len(shown)
        ys = [(n - 1) / 2 - i for i in range(n)]
        if size > max_nodes + 2:  # a gap in the middle for the dots
            ys = [y + (0.6 if i < n // 2 else -0.6) for i, y in enumerate(ys)]
        columns.append((shown, ys))
    reach = max(max(ys) for _, ys in columns)
    width, height = 600, 460
    lo, hi = -reach - 0.8, reach + 2.3  # room above for the layers' titles

    def px(layer: float, y: float) -> tuple[float, float]:
        return (layer + 0.5) / len(sizes) * width, (hi - y) / (hi - lo) * height

    body = ['<g stroke="#c9d1d9" stroke-width="0.7">']
    for layer, ((_, ys_a), (_, ys_b)) in enumerate(pairwise(columns)):
        for ya in ys_a:
            xa, pa = px(layer, ya)
            for yb in ys_b:
                xb, pb = px(layer + 1, yb)
                body.append(f'<line x1="{xa:.1f}" y1="{pa:.1f}" x2="{xb:.1f}" y2="{pb:.1f}"/>')
    body.append("</g>")
    for layer, ((shown, ys), size) in enumerate(zip(columns, sizes, strict=True)):
        last = layer == len(sizes) - 1
        colour = ACCENT if last else (BLUE if layer else "#555")
        for unit, y in zip(shown, ys, strict=True):
            x, py = px(layer, y)
            body.append(f'<circle cx="{x:.1f}" cy="{py:.1f}" r="9" fill="{colour}" stroke="white"/>')
            if last:
                body.append(_text(x + 15, py + 5, str(unit), FONT_SIZE - 1, anchor="start"))
        if size > max_nodes + 2:
            x, py = px(layer, 0)
            body.append(_text(x, py + 9, "⋮", FONT_SIZE + 11))
        x, py = px(layer, reach + 1.3)
        body.append(f'<g data-layer="{layer}" data-size="{size}">'
                    + _text(x, py - 8, f"{size}", FONT_SIZE + 1, font_weight="bold")
                    + _text(x, py + 12, layer_names[layer], FONT_SIZE + 1) + "</g>")
    return _svg("home_layers", width, height, body, 620, label)


def _bars(values: Sequence[float], colours: Sequence[str], labels: Sequence[str], tips: Sequence[str],
          x0: float, panel: float, plot_top: float, plot_h: float, lo: float, hi: float, kind: str) -> list[str]:
    """One panel's ten bars between value lo (bottom) and hi (top), a label above (below, if negative) each bar."""
    def y(v: float) -> float:
        return plot_top + (hi - v) / (hi - lo) * plot_h

    slot = panel / len(values)
    out = [f'<line x1="{x0:.1f}" x2="{x0 + panel:.1f}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#888"/>']
    for d, (v, colour, label, tip) in enumerate(zip(values, colours, labels, tips, strict=True)):
        top, bottom = sorted((y(v), y(0)))
        x = x0 + d * slot + slot * 0.15
        out.append(f'<rect class="bar" x="{x:.1f}" y="{top:.1f}" width="{slot * 0.7:.1f}" '
                   f'height="{max(bottom - top, 0.5):.1f}" fill="{colour}" data-kind="{kind}" data-digit="{d}" '
                   f'data-value="{float(v)!r}"><title>{escape(tip)}</title></rect>')
        if label:
            out.append(_text(x + slot * 0.35, top - 6 if v >= 0 else bottom + 18, label, FONT_SIZE))
    return out


def scores_probs_svg(scores: Sequence[float] | None, probs: Sequence[float], true_label: int | None,
                     titles: tuple[str, str], xlabel: str = "digit", label: str = "") -> str:
    """Side by side: the 10 raw scores z (if known) and the softmax probabilities, both coloured as every
    probability chart is (the true digit green, a wrong top guess red); each bar's value written on it."""
    colours = probability_colours(probs, true_label)
    panels = [] if scores is None else [("scores", titles[0])]
    panels.append(("probs", titles[1]))
    width, height, gap = 1000, 360, 60
    plot_top, plot_h = 62, height - 62 - 70
    panel = (width - 40 - gap * (len(panels) - 1)) / len(panels)
    body = []
    for i, (kind, title) in enumerate(panels):
        x0 = 20 + i * (panel + gap)
        body.append(_text(x0 + panel / 2, 24, title, FONT_SIZE + 2))
        if kind == "scores":
            lo, hi = min(min(scores), 0.0), max(max(scores), 0.0)
            pad = 0.18 * (hi - lo or 1.0)
            body += _bars(scores, colours, [f"{s:.2f}" for s in scores], [f"z{d} = {s:.3f}" for d, s in
                                                                         enumerate(scores)],
                          x0, panel, plot_top, plot_h, lo - pad, hi + pad, kind)
        else:
            for tick in (0.25, 0.5, 0.75, 1.0):  # light guides at quarter steps, labelled at the left
                ty = plot_top + (1.15 - tick) / 1.15 * plot_h
                body.append(f'<line x1="{x0:.1f}" x2="{x0 + panel:.1f}" y1="{ty:.1f}" y2="{ty:.1f}" '
                            f'stroke="{GRID}" stroke-dasharray="3 3"/>')
                body.append(_text(x0 + 2, ty - 4, f"{tick:.0%}", FONT_SIZE - 2, anchor="start", fill="#888"))
            body += _bars(probs, colours, [f"{p:.0%}" if p >= 0.01 else "" for p in probs],  # no row of "0%"
                          [f"{xlabel} {d}: {p:.1%}" for d, p in enumerate(probs)],
                          x0, panel, plot_top, plot_h, 0.0, 1.15, kind)
        slot = panel / 10
        for d in range(10):
            body.append(_text(x0 + (d + 0.5) * slot, plot_top + plot_h + 26, str(d), FONT_SIZE + 3))
        body.append(_text(x0 + panel / 2, height - 10, xlabel, FONT_SIZE + 1))
    return _svg("home_probs", width, height, body, 1100, label)
