"""Computations for the Home and Data pages (pixels, classes, means, histograms, softmax) and the Data page's Plotly
figures (the Home page draws plain SVG: ui/figures/home_svg.py).

Data in, numbers or a figure out; no Streamlit. Images are uint8 tensors/arrays [N, 28, 28] (0 = paper,
255 = full ink) unless a name says "normalised". Every text a figure shows is passed in by the caller, so
the page can translate it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from core.learn import families
from core.learn.arch import dense_parameters as parameter_count  # noqa: F401 (the Home page's count of a diagram)
from core.learn.config import TrainConfig, parse_arch
from core.learn.data import MEAN, STD
from ui.figures.style import BLUE, ORANGE, font

SIDE = 28  # MNIST images are SIDE x SIDE pixels
N_PIXELS = SIDE * SIDE  # 784: the length of the flattened input vector
INK = "Greys"  # 0 -> white paper, 255 -> black ink: looks like pen on paper, readable on a projector

# ---- computations -------------------------------------------------------------------------------


def class_counts(labels: torch.Tensor, n_classes: int = 10) -> list[int]:
    """How many images of each digit (index = digit)."""
    return torch.bincount(labels.long().cpu(), minlength=n_classes)[:n_classes].tolist()


def mean_images(images: torch.Tensor, labels: torch.Tensor, n_classes: int = 10) -> torch.Tensor:
    """The average image of each digit, float [n_classes, 28, 28] in 0-255 (zeros for an absent digit)."""
    flat = images.reshape(len(images), -1).double()
    sums = torch.zeros(n_classes, flat.shape[1], dtype=torch.float64).index_add_(0, labels.long(), flat)
    counts = torch.bincount(labels.long(), minlength=n_classes)[:n_classes].clamp(min=1).double()
    return (sums / counts[:, None]).float().reshape(n_classes, *images.shape[1:])


def pixel_histogram(images: torch.Tensor) -> list[int]:
    """How many pixels take each grey value 0..255 (256 counts, summing to N*784)."""
    flat = images.reshape(-1)
    flat = flat if flat.dtype == torch.uint8 else flat.long()  # uint8 directly: 4x faster, no 8-byte copy
    return torch.bincount(flat, minlength=256)[:256].tolist()


def sample_indices(labels: torch.Tensor, digit: int | None, n: int, seed: int) -> list[int]:
    """`n` image indices of one digit (or of any digit for None), drawn at random but fixed by `seed`."""
    pool = torch.arange(len(labels)) if digit is None else (labels.cpu() == digit).nonzero().flatten()
    g = torch.Generator().manual_seed(int(seed))
    return pool[torch.randperm(len(pool), generator=g)[:n]].tolist()


def inkiest_row(image: torch.Tensor | np.ndarray) -> int:
    """The image row holding the most ink (a row worth showing in the flattened vector)."""
    return int(np.asarray(image, dtype=np.float64).sum(axis=1).argmax())


def row_slice(row: int) -> tuple[int, int]:
    """Where image row `row` lands in the flattened 784-vector: positions [start, stop)."""
    return row * SIDE, (row + 1) * SIDE


def normalised_value(pixel: float, mean: float = MEAN, std: float = STD) -> float:
    """x' = (x/255 - mean) / std for one grey value."""
    return (pixel / 255.0 - mean) / std


def layer_sizes(arch: str) -> list[int] | None:
    """Units per layer for fully-connected specs ('mlp:128,64' -> [784, 128, 64, 10]); None for cnn/knn."""
    head, widths = parse_arch(arch)
    if head == "linear":
        return [N_PIXELS, 10]
    if head in ("mlp", "scratch"):
        return [N_PIXELS, *widths, 10]
    return None


@torch.no_grad()
def scores_and_probs(model, image: torch.Tensor) -> tuple[list[float] | None, list[float]]:
    """A model's 10 raw scores (None for non-torch learners) and its probabilities for one normalised image."""
    from core.learn.training import predict_proba

    x = image.reshape(1, 1, SIDE, SIDE).float()
    family = families.of_model(model)
    if family.raw_scores:  # the others have probabilities only
        was_training = model.training
        model.eval()
        scores = family.scores(model, x.to(family.device(model))).cpu()[0]
        model.train(was_training)  # leave a shared model the way we found it
        return scores.tolist(), torch.softmax(scores, 0).tolist()
    return None, predict_proba(model, x)[0].tolist()


def untrained_outputs(image: torch.Tensor, arch: str = "mlp:128,64", seed: int = 0) -> tuple[list[float], list[float]]:
    """Scores and probabilities of a freshly initialised (untrained) network for one normalised image."""
    model = families.build(TrainConfig(arch=arch, seed=seed, device="cpu"))
    scores, probs = scores_and_probs(model, image)
    return scores or [], probs


def cross_entropy(probs: Sequence[float], label: int) -> float:
    """The loss for one image: -ln p(true digit)."""
    return -math.log(max(float(probs[label]), 1e-12))


# ---- figures ------------------------------------------------------------------------------------


def _readable(fig: go.Figure) -> go.Figure:
    """Larger axis titles and subplot titles than the ticks (projectors)."""
    fig.update_xaxes(tickfont=font(-1), title_font=font(1))
    fig.update_yaxes(tickfont=font(-1), title_font=font(1))
    fig.update_annotations(font=font(2))
    return fig


def _image_axes(fig: go.Figure) -> None:
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", constrain="domain")


def image_grid_figure(images, titles: Sequence[str], cols: int, cell_px: int = 150,
                      zmax: float = 255.0) -> go.Figure:
    """Small images in a grid with a title over each (the classic 3x3 'samples' plot)."""
    images = np.asarray(images, dtype=np.float32)
    n = len(images)
    rows = max(1, math.ceil(n / cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(titles), horizontal_spacing=0.015,
                        vertical_spacing=min(0.3 / rows, 0.12))
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        fig.add_trace(go.Heatmap(z=img, coloraxis="coloraxis", hovertemplate="(%{y}, %{x}): %{z:.0f}<extra></extra>"),
                      row=r + 1, col=c + 1)
    _image_axes(fig)
    for i in range(1, rows * cols + 1):
        suffix = "" if i == 1 else str(i)
        fig.layout[f"yaxis{suffix}"].scaleanchor = f"x{suffix}"
    fig.update_layout(coloraxis={"colorscale": INK, "cmin": 0, "cmax": zmax, "showscale": False},
                      height=rows * cell_px + 40, margin={"l": 5, "r": 5, "t": 40, "b": 5},
                      plot_bgcolor="white", font=font())
    fig.update_annotations(font=font(3))
    return fig


def class_counts_figure(train: Sequence[int], test: Sequence[int], titles: tuple[str, str],
                        xlabel: str = "digit", ylabel: str = "images") -> go.Figure:
    """Images per digit, training set and test set side by side, with the count on each bar."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.08)
    for c, (counts, colour) in enumerate(((train, BLUE), (test, ORANGE)), start=1):
        fig.add_trace(go.Bar(x=[str(d) for d in range(10)], y=list(counts), marker_color=colour,
                             text=[f"{v:,}" for v in counts], textposition="outside",
                             hovertemplate="%{x}: %{y:,}<extra></extra>"), row=1, col=c)
        if sum(counts):
            fig.add_hline(y=sum(counts) / 10, line={"dash": "dot", "color": "#555"}, layer="below", row=1, col=c)
        fig.update_yaxes(range=[0, max(max(counts), 1) * 1.18], title=ylabel if c == 1 else None, row=1, col=c)
    fig.update_xaxes(title=xlabel, type="category")
    fig.update_layout(height=380, showlegend=False, margin={"l": 10, "r": 10, "t": 40, "b": 10}, font=font())
    return _readable(fig)


def histogram_figure(counts: Sequence[int], xlabel: str = "grey value", ylabel: str = "pixels (log scale)",
                     hover: str = "%{x}: %{y:,} pixels") -> go.Figure:
    """How many pixels have each grey value 0..255, on a log y axis (most pixels are 0)."""
    x = [v for v, c in enumerate(counts) if c]
    y = [c for c in counts if c]
    fig = go.Figure(go.Bar(x=x, y=y, marker_color=BLUE, marker_line_width=0,
                           hovertemplate=hover + "<extra></extra>"))
    fig.update_xaxes(title=xlabel, range=[-2, 257], tickvals=[0, 32, 64, 96, 128, 160, 192, 224, 255])
    fig.update_yaxes(title=ylabel, type="log", dtick=1, tickformat="~s")  # one tick per power of ten
    fig.update_layout(height=380, bargap=0, margin={"l": 10, "r": 10, "t": 10, "b": 10}, font=font())
    return _readable(fig)
