"""KNN: block features, exact neighbour search in chunks, voting and tie breaks, accuracy on real MNIST."""

from __future__ import annotations

import pytest
import torch

import core.learn.families.knn as knn_module
from core.learn.data import MEAN, STD
from core.learn.families.knn import KNN


def normalised(x01: torch.Tensor) -> torch.Tensor:
    """[B, 28, 28] pixels in [0, 1] -> the normalised [B, 1, 28, 28] images the models take."""
    return ((x01 - MEAN) / STD).unsqueeze(1)


@pytest.fixture(scope="module")
def train20k(mnist):
    return mnist.images("train")[:20000], mnist.labels("train")[:20000]


@pytest.fixture(scope="module")
def test500(mnist):
    return mnist.images("test")[:500], mnist.labels("test")[:500]


def test_block_features_of_a_hand_made_image():
    x = torch.zeros(2, 28, 28)
    x[0, 4:8, 8:12] = 1.0  # fills the 4x4 cell at row 1, column 2 of the 7x7 grid
    x[1, 24:28, 0:2] = 1.0  # half of the cell at row 6, column 0
    feats = KNN(features="blocks", grid=7).features(normalised(x))
    assert feats.shape == (2, 49) and feats.dtype == torch.float32
    expected = torch.zeros(2, 49)
    expected[0, 1 * 7 + 2] = 16.0
    expected[1, 6 * 7 + 0] = 8.0
    assert torch.allclose(feats, expected, atol=1e-4)


def test_features_on_mnist(mnist):
    images, raw = mnist.images("test")[:100], mnist.test_images[:100].float() / 255.0
    total_ink = raw.sum(dim=(1, 2))
    for grid in (7, 4, 14):  # cells tile the image exactly: the blocks' ink adds up to the image's
        feats = KNN(features="blocks", grid=grid).features(images)
        assert feats.shape == (100, grid * grid)
        assert torch.allclose(feats.sum(1), total_ink, rtol=1e-4)
    assert torch.allclose(KNN(features="blocks", grid=28).features(images), raw.reshape(100, -1), atol=1e-5)
    pixels = KNN(features="pixels").features(images)
    assert pixels.shape == (100, 784)
    assert torch.allclose(pixels, raw.reshape(100, -1), atol=1e-5)
    assert KNN(features="blocks", grid=5).features(images).shape == (100, 25)  # uneven cells still work


@pytest.mark.parametrize("kind", ["blocks", "pixels"])
def test_training_image_is_its_own_nearest_neighbour(mnist, kind):
    x, y = mnist.images("train")[:5000], mnist.labels("train")[:5000]
    model = KNN(k=3, features=kind).fit(x, y)
    queries = torch.tensor([0, 7, 123, 4999])
    dist, idx = model.kneighbors(x[queries], k=4)
    assert dist.shape == idx.shape == (4, 4)
    assert torch.equal(idx[:, 0], queries)
    assert torch.all(dist[:, 0] == 0)
    assert torch.all(dist[:, 1:] > 0)
    assert torch.all(dist[:, 1:] >= dist[:, :-1])  # nearest first


def test_chunked_distances_equal_cdist(mnist, monkeypatch):
    x, y = mnist.images("train")[:300], mnist.labels("train")[:300]
    queries = mnist.images("test")[:37]
    for kind in ("blocks", "pixels"):
        model = KNN(k=5, features=kind).fit(x, y)
        full = torch.cdist(model.features(queries), model.train_features)
        want_dist, want_idx = full.topk(5, dim=1, largest=False)
        # A budget of a few rows forces many chunks (4 queries at a time here, with a ragged last one).
        monkeypatch.setattr(knn_module, "DIST_BUDGET_BYTES", 4 * 4 * max(300, 5 * model.dim))
        dist, idx = model.kneighbors(queries)
        monkeypatch.undo()
        assert torch.equal(idx, want_idx)
        assert torch.allclose(dist, want_dist, atol=1e-4)
        assert torch.equal(model.kneighbors(queries)[1], idx)  # same as with the default (one chunk)


def test_accuracy_on_mnist_subset(train20k, test500):
    """Fit 20k training images, query the first 500 test images (measured: blocks 0.936, pixels 0.944)."""
    x, y = train20k
    xt, yt = test500
    thresholds = {"blocks": 0.91, "pixels": 0.92}
    for kind, threshold in thresholds.items():
        model = KNN(k=3, features=kind).fit(x, y)
        predicted = model.predict(xt)
        assert predicted.shape == (500,) and predicted.dtype == torch.int64
        accuracy = (predicted == yt).float().mean().item()
        assert accuracy >= threshold, (kind, accuracy)


def test_accuracy_by_k_and_predict_proba(train20k, test500):
    x, y = train20k
    xt, yt = test500[0][:200], test500[1][:200]
    model = KNN(k=3, features="blocks").fit(x, y)
    by_k = model.accuracy_by_k(xt, yt, [1, 3, 5, 9])
    assert sorted(by_k) == [1, 3, 5, 9]
    assert all(0.85 <= acc <= 1.0 for acc in by_k.values()), by_k
    assert by_k[3] == pytest.approx((model.predict(xt) == yt).float().mean().item())

    proba = model.predict_proba(xt)
    assert proba.shape == (200, 10)
    assert torch.allclose(proba.sum(1), torch.ones(200))
    assert torch.all((proba * 3 - (proba * 3).round()).abs() < 1e-6)  # fractions of 3 votes


def test_ties_go_to_the_nearest_neighbour():
    # Pixels; two training images: all black (label 3) and all grey 0.1 (label 5); k=2 always ties 1-1.
    train = normalised(torch.stack([torch.zeros(28, 28), torch.full((28, 28), 0.1)]))
    model = KNN(k=2, features="pixels").fit(train, torch.tensor([3, 5]))
    queries = normalised(torch.stack([torch.full((28, 28), 0.03), torch.full((28, 28), 0.08)]))
    assert model.predict(queries).tolist() == [3, 5]
    assert torch.allclose(model.predict_proba(queries)[:, [3, 5]], torch.full((2, 2), 0.5))


def test_state_dict_round_trip(train20k, test500):
    x, y = train20k[0][:2000], train20k[1][:2000]
    xt = test500[0][:100]
    for kind in ("blocks", "pixels"):
        model = KNN(k=5, features=kind, grid=4).fit(x, y)
        state = model.state_dict()
        assert state["features"].dtype == (torch.uint8 if kind == "pixels" else torch.float32)
        restored = KNN(k=1, features=kind, grid=4)
        restored.load_state_dict(state)
        assert restored.k == 5
        assert torch.equal(restored.train_features, model.train_features)
        assert torch.equal(restored.predict(xt), model.predict(xt))
        assert torch.equal(restored.kneighbors(xt)[1], model.kneighbors(xt)[1])


def test_load_state_dict_rejects_inconsistent_states(train20k):
    x, y = train20k[0][:100], train20k[1][:100]
    state = KNN(features="blocks", grid=7).fit(x, y).state_dict()
    with pytest.raises(ValueError, match="7x7 grid"):
        KNN(features="blocks", grid=4).load_state_dict(state)
    with pytest.raises(ValueError, match="pixels"):
        KNN(features="pixels").load_state_dict(state)
    broken = dict(state)
    del broken["labels"]
    with pytest.raises(ValueError, match="missing labels"):
        KNN().load_state_dict(broken)
    broken = dict(state, labels=state["labels"] + 10)
    with pytest.raises(ValueError, match="outside 0-9"):
        KNN().load_state_dict(broken)
    broken = dict(state, features=state["features"][:, :10])
    with pytest.raises(ValueError, match="shape"):
        KNN().load_state_dict(broken)


def test_bad_settings_and_unfitted():
    with pytest.raises(ValueError, match="k must"):
        KNN(k=0)
    with pytest.raises(ValueError, match="unknown knn features"):
        KNN(features="hog")
    with pytest.raises(ValueError, match="grid"):
        KNN(grid=29)
    with pytest.raises(ValueError, match="not fitted"):
        KNN().predict(torch.zeros(1, 1, 28, 28))
    model = KNN(k=3, features="pixels").fit(torch.zeros(2, 1, 28, 28), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="between 1 and the 2"):
        model.predict(torch.zeros(1, 1, 28, 28))



def test_votes_for_several_k_come_from_one_search(train20k, test500):
    x, y = train20k
    xt = test500[0][:200]
    model = KNN(k=3, features="blocks").fit(x, y)
    votes = model.votes_by_k(xt, [1, 3, 9])
    assert sorted(votes) == [1, 3, 9]
    for k, v in votes.items():
        assert v.shape == (200, 10) and torch.all(v.sum(1) == k)
    assert torch.allclose(votes[3].float() / 3, model.predict_proba(xt))
