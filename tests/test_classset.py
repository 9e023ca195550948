"""The class test set: files round-trip, evaluation counts, fine-tuning a copy on drawings of another style."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from core.classset import (
    FineTuneError,
    add_drawing,
    counts_per_digit,
    drawing_files,
    evaluate_images,
    evaluate_on_class_set,
    fine_tune,
    fine_tune_event,
    load_class_set,
)
from core.knn import KNN


def test_round_trip(tmp_path, small_mnist):
    images = small_mnist.test_images[:12].numpy()
    labels = small_mnist.test_labels[:12].numpy()
    for img, label in zip(images, labels, strict=True):
        path = add_drawing(tmp_path, img, int(label))
        assert path.name.startswith(f"{label}_") and path.suffix == ".png"
    (tmp_path / "notes.txt").write_text("not a drawing")
    assert len(drawing_files(tmp_path)) == 12
    back, back_labels = load_class_set(tmp_path)
    assert back.dtype == np.uint8 and back.shape == (12, 28, 28)
    # Files are sorted by name (label first): compare as multisets of (label, image).
    got = sorted((int(lab), img.tobytes()) for img, lab in zip(back, back_labels, strict=True))
    want = sorted((int(lab), img.tobytes()) for img, lab in zip(images, labels, strict=True))
    assert got == want
    assert counts_per_digit(back_labels) == np.bincount(labels, minlength=10).tolist()


def test_empty_and_bad_input(tmp_path):
    images, labels = load_class_set(tmp_path / "missing")
    assert images.shape == (0, 28, 28) and labels.shape == (0,)
    with pytest.raises(ValueError):
        add_drawing(tmp_path, np.zeros((28, 27), np.uint8), 1)
    with pytest.raises(ValueError):
        add_drawing(tmp_path, np.zeros((28, 28), np.uint8), 10)


def test_evaluation_counts(tmp_path, tiny_run, small_mnist):
    images = small_mnist.test_images[:40].numpy()
    labels = small_mnist.test_labels[:40].numpy().copy()
    labels[:5] = (labels[:5] + 1) % 10  # five deliberately wrong labels: at least those five are misses
    result = evaluate_images(tiny_run.model, images, labels)
    preds = tiny_run.model(small_mnist.images("test")[:40]).argmax(1).numpy()
    correct = int((preds == labels).sum())
    assert result["n"] == 40 and result["correct"] == correct
    assert result["accuracy"] == pytest.approx(correct / 40)
    assert len(result["misses"]) == 40 - correct >= 5
    assert sum(d["n"] for d in result["per_digit"]) == 40
    assert sum(d["correct"] for d in result["per_digit"]) == correct
    conf = [m["confidence"] for m in result["misses"]]
    assert conf == sorted(conf, reverse=True)
    for m in result["misses"]:
        assert m["pred"] != m["label"] == labels[m["index"]]
    for img, label in zip(images, labels, strict=True):
        add_drawing(tmp_path, img, int(label))
    assert evaluate_on_class_set(tiny_run.model, tmp_path)["correct"] == correct


def odd_style(images: np.ndarray) -> np.ndarray:
    """Thick strokes pushed into a corner: digits unlike MNIST's centred, thin ones."""
    x = torch.from_numpy(images).float().unsqueeze(1)
    thick = torch.nn.functional.max_pool2d(x, 3, stride=1, padding=1)  # dilate the ink
    shifted = torch.roll(thick, shifts=(5, 6), dims=(2, 3))
    shifted[:, :, :5, :] = 0
    shifted[:, :, :, :6] = 0
    return shifted.squeeze(1).clamp(0, 255).to(torch.uint8).numpy()


def test_fine_tuning_learns_the_drawings_and_leaves_the_original_alone(tiny_run, small_mnist):
    images = odd_style(small_mnist.test_images[:40].numpy())
    labels = small_mnist.test_labels[:40].numpy()
    model = tiny_run.model
    before_state = copy.deepcopy(model.state_dict())
    before = evaluate_images(model, images, labels)["accuracy"]
    replay = (small_mnist.images("train"), small_mnist.labels("train"))
    new = fine_tune(model, tiny_run.config, images, labels, epochs=30, replay=replay)
    after = evaluate_images(new, images, labels)["accuracy"]
    assert after >= before + 0.25 and after >= 0.9, (before, after)
    assert new is not model
    for key, value in model.state_dict().items():
        assert torch.equal(value, before_state[key])
    event = fine_tune_event(new, tiny_run.config, small_mnist, tiny_run.history, len(labels), 30, 0.5)
    assert event["kind"] == "eval" and event["full"] and event["n_test"] == len(small_mnist.test_labels)
    assert event["test_acc"] > 0.7  # mixing in MNIST kept it from forgetting


def test_knn_fine_tuning_remembers_the_drawings(small_mnist):
    knn = KNN(k=1, features="pixels").fit(small_mnist.images("train")[:300], small_mnist.labels("train")[:300])
    images = odd_style(small_mnist.test_images[:10].numpy())
    labels = small_mnist.test_labels[:10].numpy()
    new = fine_tune(knn, None, images, labels)
    assert len(new.train_labels) == 310 and len(knn.train_labels) == 300
    assert evaluate_images(new, images, labels)["accuracy"] == 1.0


def test_fine_tune_refuses_an_empty_set(tiny_run):
    with pytest.raises(FineTuneError):
        fine_tune(tiny_run.model, tiny_run.config, np.zeros((0, 28, 28), np.uint8), np.zeros(0))
