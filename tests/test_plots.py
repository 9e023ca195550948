"""ui.figures.train: the training-curve figures carry the history's values; smoothing and downsampling are right.
ui.figures.style: the one probability-bar chart and the one font size every figure uses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from plotly.subplots import make_subplots

from ui.figures import style
from ui.figures.train import (
    accuracy_figure,
    auto_smoothing,
    downsample,
    downsample_indices,
    ema,
    knn_figure,
    loss_figure,
)


def _history(n_steps: int = 10) -> list[dict]:
    """A small hand-made history: an untrained eval, steps with known losses, cheap and full evals."""
    history = [{"kind": "eval", "epoch": 0.0, "step": 0, "test_acc": 0.1, "test_loss": 2.3, "full": True}]
    for s in range(1, n_steps + 1):
        history.append({"kind": "step", "epoch": s / n_steps, "step": s, "loss": 2.0 / s})
        if s == n_steps // 2:
            history.append({"kind": "eval", "epoch": 0.5, "step": s, "test_acc": 0.8, "test_loss": 0.6,
                            "full": False})
    history.append({"kind": "eval", "epoch": 1.0, "step": n_steps, "test_acc": 0.9, "test_loss": 0.3, "full": True})
    history.append({"kind": "final", "status": "finished", "test_acc": 0.9})
    return history


def test_ema_on_a_known_series():
    assert ema([]) == []
    assert ema([4.0, 4.0, 4.0], 0.9) == pytest.approx([4.0, 4.0, 4.0])
    # s0 = 0, s1 = 0.5*0 + 0.5*1 = 0.5, s2 = 0.5*0.5 + 0.5*1 = 0.75
    assert ema([0.0, 1.0, 1.0], 0.5) == pytest.approx([0.0, 0.5, 0.75])
    assert ema([1.0, 3.0], 0.0) == pytest.approx([1.0, 3.0])  # no smoothing: the series itself


def test_auto_smoothing_grows_with_the_run_but_stays_bounded():
    assert auto_smoothing(0) == 0.0 and auto_smoothing(10) == 0.0  # a handful of steps: no smoothing
    assert auto_smoothing(400) == pytest.approx(0.9)  # a 10-step window for 400 steps
    assert auto_smoothing(10**6) == pytest.approx(0.99)  # never wider than 100 steps
    history = [{"kind": "step", "step": s, "loss": float(s % 3)} for s in range(1, 401)]
    assert loss_figure(history).data[1].y[-1] == pytest.approx(ema([e["loss"] for e in history], 0.9)[-1])


def test_downsampling_keeps_first_and_last():
    assert downsample_indices(5, 10) == [0, 1, 2, 3, 4]
    idx = downsample_indices(100_001, 3000)
    assert idx[0] == 0 and idx[-1] == 100_000
    assert len(idx) <= 3000 and idx == sorted(set(idx))
    xs = list(range(12_345))
    ys = [x * 2 for x in xs]
    dx, dy = downsample(xs, ys, 100)
    assert dx[0] == 0 and dx[-1] == 12_344 and dy[-1] == 24_688
    assert all(y == 2 * x for x, y in zip(dx, dy, strict=True))


def test_loss_figure_holds_raw_smoothed_and_test_loss():
    history = _history()
    fig = loss_figure(history, smoothing=0.5)
    raw, smooth, test = fig.data
    losses = [2.0 / s for s in range(1, 11)]
    assert list(raw.x) == list(range(1, 11))
    assert list(raw.y) == pytest.approx(losses)
    assert list(smooth.y) == pytest.approx(ema(losses, 0.5))
    assert list(test.x) == [0, 5, 10] and list(test.y) == pytest.approx([2.3, 0.6, 0.3])
    assert fig.layout.xaxis.title.text == "Step"


def test_loss_figure_downsamples_big_histories_but_smooths_every_step():
    history = [{"kind": "step", "step": s, "loss": float(s % 7)} for s in range(1, 20_001)]
    fig = loss_figure(history, max_points=500, smoothing=0.9)
    raw, smooth = fig.data[0], fig.data[1]
    assert len(raw.x) <= 500 and raw.x[0] == 1 and raw.x[-1] == 20_000
    assert smooth.y[-1] == pytest.approx(ema([e["loss"] for e in history], 0.9)[-1])


def test_loss_figure_translated_labels_and_log_axis():
    fig = loss_figure(_history(), labels={"step": "步数", "raw": "每批"}, log_y=True)
    assert fig.layout.xaxis.title.text == "步数"
    assert fig.data[0].name == "每批"
    assert fig.layout.yaxis.type == "log"


def test_accuracy_figure_starts_at_the_untrained_model_and_marks_full_evaluations():
    fig = accuracy_figure(_history(), epochs=1, target=0.95)
    every, full = fig.data
    assert list(every.x) == [0.0, 0.5, 1.0]
    assert list(every.y) == pytest.approx([0.1, 0.8, 0.9])
    assert list(full.x) == [0.0, 1.0] and list(full.text) == ["10.0%", "90.0%"]
    lines = [s.y0 for s in fig.layout.shapes]
    assert 0.1 in lines and 0.95 in lines  # chance level and the target


def test_knn_figure_plots_accuracy_against_k():
    history = [{"kind": "knn", "k": k, "test_acc": acc} for k, acc in [(3, 0.95), (1, 0.94), (5, 0.945)]]
    fig = knn_figure(history + [{"kind": "final"}], k=3)
    line, chosen = fig.data
    assert list(line.x) == [1, 3, 5] and list(line.y) == pytest.approx([0.94, 0.95, 0.945])
    assert list(chosen.x) == [3] and list(chosen.y) == pytest.approx([0.95])


def test_empty_history_gives_empty_figures():
    assert len(loss_figure([]).data[0].x) == 0
    assert len(accuracy_figure([]).data[0].x) == 0
    assert len(knn_figure([]).data[0].x) == 0


def test_figures_of_a_real_run(tiny_run):
    steps = [e for e in tiny_run.history if e["kind"] == "step"]
    evals = tiny_run.evals()
    loss = loss_figure(tiny_run.history)
    assert list(loss.data[0].y) == pytest.approx([e["loss"] for e in steps])
    acc = accuracy_figure(tiny_run.history, epochs=tiny_run.config.epochs)
    assert acc.data[0].x[0] == 0.0 and acc.data[0].y[0] == pytest.approx(evals[0]["test_acc"])
    assert acc.data[1].y[-1] == pytest.approx(tiny_run.test_acc)


def test_accuracy_axis_zooms_to_the_data_once_the_network_learns():
    from ui.figures.train import accuracy_figure, accuracy_range

    start = {"kind": "eval", "epoch": 0.0, "test_acc": 0.1, "full": True}
    climbing = [start] + [{"kind": "eval", "epoch": e, "test_acc": a, "full": False}
                          for e, a in ((0.5, 0.95), (1.0, 0.97), (1.5, 0.98))]
    lo, hi = accuracy_range(climbing)
    assert 0.93 < lo < 0.95 and 0.98 < hi <= 1.005  # 95% -> 98% fills the chart
    assert accuracy_range([start]) == [0, 1.05]  # nothing learned yet: the whole scale, chance line in view
    stuck = [start, {"kind": "eval", "epoch": 1.0, "test_acc": 0.11}, {"kind": "eval", "epoch": 2.0, "test_acc": 0.1}]
    assert accuracy_range(stuck) == [0, 1.05]  # stuck at chance: shown against the whole scale, not magnified
    assert list(accuracy_figure(climbing).layout.yaxis.range) == [lo, hi]


def test_probability_bars_mark_the_top_guess_and_the_true_digit():
    probs = [0.01, 0.02, 0.6, 0.05, 0.02, 0.1, 0.05, 0.05, 0.05, 0.05]
    bars = style.probability_bars(probs, x_title="digit", y_title="probability").data
    assert len(bars) == 1 and list(bars[0].y) == pytest.approx(probs) and len(bars[0].x) == 10
    colours = bars[0].marker.color
    assert colours[2] == style.ACCENT and set(colours[:2] + colours[3:]) == {style.rgb(style.OTHER_RGB)}
    wrong = style.probability_bars(probs, true=5).data[0].marker.color
    assert wrong[5] == style.rgb(style.TRUE_RGB) and wrong[2] == style.rgb(style.WRONG_RGB)
    assert style.probability_bars(probs, true=2).data[0].marker.color[2] == style.rgb(style.TRUE_RGB)
    fig = make_subplots(rows=1, cols=2)  # into a subplot: the bars land in the cell asked for
    style.probability_bars(probs, 2, fig=fig, row=1, col=2)
    assert fig.data[0].xaxis == "x2" and fig.layout.yaxis2.range == (0, 1.15)


def test_font_sizes_come_from_style_only():
    """A font given as a literal dict (or a module FONT constant) would drift from style.FONT_SIZE."""
    literal = re.compile(r"font\w*[\"']?\s*[:=]\s*(\{|dict\()|^\w*FONT\w*\s*=", re.MULTILINE)
    folder = Path(style.__file__).parent
    offenders = [f"{path.name}: {m.group(0)}" for path in sorted(folder.glob("*.py")) if path.name != "style.py"
                 for m in literal.finditer(path.read_text(encoding="utf-8"))]
    assert offenders == []
