"""The accuracy chart's labels (issue 18): none cut at the left edge, none printed over another."""

from __future__ import annotations

from ui.figures.train import accuracy_figure


def _eval(epoch: float, acc: float, full: bool = True) -> dict:
    return {"kind": "eval", "epoch": epoch, "step": int(epoch * 100), "test_acc": acc, "full": full}


def test_first_label_is_not_clipped_and_close_labels_do_not_overlap():
    history = [_eval(0, 0.109), *(_eval(e, 0.9 + e / 100) for e in range(1, 5)), _eval(4.5, 0.98)]
    fig = accuracy_figure(history, epochs=5)
    full = fig.data[1]
    assert full.cliponaxis is False
    assert full.textposition[0] == "top right"  # the untrained start's label reaches into the chart, not out of it
    assert full.text[0] == "10.9%"
    assert full.text[-1] == "98.0%" and full.text[-2] == ""  # epoch 4 would sit under epoch 4.5's
    assert [t for t in full.text if t] == ["10.9%", "91.0%", "92.0%", "93.0%", "98.0%"]
    assert fig.layout.legend.xanchor == "left"  # away from the toolbar, which appears top right
