"""core.learn.evaluation and .metrics: confusion matrix, mistakes, gallery selection, pictures (real MNIST)."""

from __future__ import annotations

import base64
import io

import pytest
import torch
from PIL import Image

from core.learn import evaluation as ev
from core.learn.metrics import cell_indices, confusion_matrix, misclassified, per_class
from ui.figures.cards import digit_card, png_base64


def test_confusion_matrix_matches_hand_count():
    labels = torch.tensor([0, 1, 2, 2, 2, 0, 1, 1])
    preds = torch.tensor([0, 1, 1, 2, 2, 2, 1, 0])
    cm = confusion_matrix(preds, labels, n_classes=3)
    # rows true, columns predicted, counted by hand
    assert cm.tolist() == [[1, 0, 1],
                           [1, 2, 0],
                           [0, 1, 2]]
    rows = per_class(cm)
    assert rows[1]["recall"] == pytest.approx(2 / 3)  # two of the three 1s read as 1
    assert rows[1]["precision"] == pytest.approx(2 / 3)  # three images called 1, two were
    assert rows[2]["precision"] == pytest.approx(2 / 3) and rows[2]["recall"] == pytest.approx(2 / 3)
    assert rows[0]["correct"] == 1 and rows[0]["support"] == 2 and rows[0]["predicted"] == 2
    assert rows[0]["f1"] == pytest.approx(0.5)


@pytest.fixture(scope="module")
def final(tiny_run, small_mnist):
    return ev.test_predictions(tiny_run.model, small_mnist)


def test_real_predictions_confusion_matrix(final, tiny_run, small_mnist):
    n = len(small_mnist.test_labels)
    assert final.probs.shape == (n, 10)
    assert torch.allclose(final.probs.sum(1), torch.ones(n), atol=1e-4)
    cm = final.confusion
    assert int(cm.sum()) == n
    assert int(cm.diag().sum()) == int((final.preds == small_mnist.test_labels).sum())
    assert cm.sum(1).tolist() == torch.bincount(small_mnist.test_labels, minlength=10).tolist()
    assert final.accuracy == pytest.approx(tiny_run.test_acc, abs=1e-6)
    assert 0.75 < final.accuracy < 0.97
    for row in per_class(cm):
        assert row["recall"] == pytest.approx(row["correct"] / row["support"])


def test_predictions_leave_the_shared_model_alone(tiny_run, small_mnist):
    before = {k: v.clone() for k, v in tiny_run.model.state_dict().items()}
    tiny_run.model.train()
    ev.test_predictions(tiny_run.model, small_mnist)
    assert tiny_run.model.training  # the copy was put in eval mode, not the run's model
    assert all(torch.equal(before[k], v) for k, v in tiny_run.model.state_dict().items())


def test_misclassified_sorted_by_confidence_and_filtered(final):
    labels = final.labels
    idx = misclassified(final.probs, labels)
    assert len(idx) == int((final.preds != labels).sum())
    conf = final.confidence[idx]
    assert torch.all(conf[:-1] >= conf[1:])  # most confident first
    assert torch.all(final.preds[idx] != labels[idx])
    low = misclassified(final.probs, labels, least_confident_first=True)
    assert torch.all(final.confidence[low][:-1] <= final.confidence[low][1:])
    assert sorted(low.tolist()) == sorted(idx.tolist())
    cm = final.confusion
    true, pred = divmod(int((cm - torch.diag(cm.diag())).argmax()), 10)  # the biggest mistake cell
    cell = misclassified(final.probs, labels, true=true, pred=pred)
    assert len(cell) == int(cm[true, pred]) > 0
    assert set(cell.tolist()) == set(cell_indices(final.preds, labels, true, pred).tolist())
    by_true = misclassified(final.probs, labels, true=true)
    assert len(by_true) == int(cm[true].sum() - cm[true, true])
    assert torch.all(labels[by_true] == true)
    by_pred = misclassified(final.probs, labels, pred=pred)
    assert len(by_pred) == int(cm[:, pred].sum() - cm[pred, pred])
    assert torch.all(final.preds[by_pred] == pred)


def test_gallery_indices_cells_and_filters(final):
    labels, preds, probs, cm = final.labels, final.preds, final.probs, final.confusion
    for true, pred in [(3, 5), (1, 1), (7, 2)]:
        idx = ev.gallery_indices(labels, preds, probs, true, pred)
        assert len(idx) == int(cm[true, pred])
        assert torch.all(labels[idx] == true) and torch.all(preds[idx] == pred)
        conf = final.confidence[idx]
        assert torch.all(conf[:-1] >= conf[1:])
        unsure = ev.gallery_indices(labels, preds, probs, true, pred, least_confident_first=True)
        assert torch.all(final.confidence[unsure][:-1] <= final.confidence[unsure][1:])
    # without probabilities (a past evaluation): same sets, in test-set order
    no_p = ev.gallery_indices(labels, preds, None, 7, 2)
    assert no_p.tolist() == sorted(ev.gallery_indices(labels, preds, probs, 7, 2).tolist())
    assert len(ev.gallery_indices(labels, preds, None)) == int((preds != labels).sum())
    assert torch.all(labels[ev.gallery_indices(labels, preds, None, true=4)] == 4)


def test_snapshots_replay_the_history(tiny_run, final, small_mnist):
    snaps = ev.snapshots(tiny_run.history)
    assert [s.step for s in snaps][0] == 0 and len(snaps) == 2  # untrained, then the end of epoch 1
    assert snaps[0].test_acc < 0.3
    assert ev.snapshots_fit(snaps, len(small_mnist.test_labels))
    assert not ev.snapshots_fit(snaps, 10_000)
    assert not ev.snapshots_fit([], 1000)
    assert torch.equal(snaps[-1].preds, final.preds)  # the last full evaluation is the final model


def test_digit_card_and_png(final, small_mnist):
    card = digit_card(small_mnist.test_images[0], final.probs[0], true=int(final.labels[0]))
    assert card.width == 140 and card.height > 140
    plain = digit_card(small_mnist.test_images[0])
    assert plain.size == (140, 140)
    png = base64.b64decode(png_base64(card))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(io.BytesIO(png)).size == card.size
    nan_card = digit_card(small_mnist.test_images[0], torch.full((10,), float("nan")), true=1)
    assert nan_card.size == card.size  # a diverged model must not break the gallery


def test_a_run_that_did_not_learn_is_told_apart(tiny_run):
    from core.learn.metrics import did_not_learn

    assert not did_not_learn(tiny_run.history)  # ~87%: it learned
    guessing = [{"kind": "eval", "full": True, "test_acc": 0.11}]
    assert did_not_learn(guessing)
    flat = [{"kind": "step", "loss": 2.30 - 0.001 * (i % 3)} for i in range(100)] + \
           [{"kind": "eval", "full": True, "test_acc": 0.25}]
    assert did_not_learn(flat)  # above chance by luck, but the loss never moved
