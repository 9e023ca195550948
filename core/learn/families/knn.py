"""k-nearest neighbours with Euclidean distance on raw pixels or on "ink per block" features.

Block features follow the classic OpenCV digits example: the [0, 1] image is cut into grid x grid
cells and each cell contributes its total ink (mean * cell area). Distances use
||a||^2 - 2 a.b + ||b||^2 over chunks of queries, so 10k queries x 60k training images never need
more than about DIST_BUDGET_BYTES at a time.
"""

from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F

from core.learn.data import to_unit
from core.learn.families.base import Family

KINDS = ("blocks", "pixels")
N_CLASSES = 10
DIST_BUDGET_BYTES = 256 * 2**20  # one chunk's float32 [queries, train] distance matrix
FEATURE_CHUNK = 1024  # images turned into features at a time


class Stopped(Exception):
    """A neighbour search was asked to stop (checked between chunks of queries)."""


def unit_images(images: torch.Tensor) -> torch.Tensor:
    """Normalised images [B, 1, 28, 28] (or [B, 28, 28]) -> float32 [B, 1, 28, 28] pixels in [0, 1]."""
    x = images.detach().to("cpu", torch.float32)
    if x.dim() == 3:
        x = x.unsqueeze(1)
    if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(f"expected images [B, 1, 28, 28], got shape {tuple(images.shape)}")
    return to_unit(x)  # features live on the [0, 1] pixel scale


def _bin_lengths(size: int, bins: int) -> torch.Tensor:
    """Lengths of adaptive pooling's bins floor(i*n/g) .. ceil((i+1)*n/g); uneven if g does not divide n."""
    return torch.tensor([math.ceil((i + 1) * size / bins) - (i * size) // bins for i in range(bins)],
                        dtype=torch.float32)


def squared_distances(
    queries: torch.Tensor, train: torch.Tensor, train_sq: torch.Tensor | None = None
) -> torch.Tensor:
    """Squared Euclidean distances [Q, N] via ||a||^2 - 2 a.b + ||b||^2 (one matmul; clamped at 0)."""
    if train_sq is None:
        train_sq = train.pow(2).sum(1)
    d2 = torch.addmm(train_sq.unsqueeze(0), queries, train.T, alpha=-2.0)
    d2 += queries.pow(2).sum(1, keepdim=True)
    return d2.clamp_(min=0.0)  # cancellation can leave tiny negatives


class KNN:
    """Memorise the training set; classify by a majority vote of the k closest training images."""

    def __init__(self, k: int = 3, features: str = "blocks", grid: int = 7) -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        if features not in KINDS:
            raise ValueError(f"unknown knn features {features!r}; choose one of: {', '.join(KINDS)}")
        if not 1 <= grid <= 28:
            raise ValueError(f"grid must be between 1 and 28, got {grid}")
        self.k = int(k)
        self.kind = features
        self.grid = int(grid)
        self.train_features: torch.Tensor | None = None  # [N, D] float32
        self.train_labels: torch.Tensor | None = None  # [N] int64
        self._train_sq: torch.Tensor | None = None  # [N] squared norms, computed once at fit

    @property
    def dim(self) -> int:
        """Length of one feature vector."""
        return 28 * 28 if self.kind == "pixels" else self.grid * self.grid

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Normalised images [B, 1, 28, 28] -> float32 features [B, D] (D = 784 or grid*grid), FEATURE_CHUNK
        images at a time: each image's features alone, so the result is the same bit for bit, but the copies
        stay in the CPU's cache (60,000 training images: 0.43 -> 0.10 s, most of a kNN job's first point)."""
        if len(images) > FEATURE_CHUNK:
            return torch.cat([self._features(images[i:i + FEATURE_CHUNK])
                              for i in range(0, len(images), FEATURE_CHUNK)])
        return self._features(images)

    def _features(self, images: torch.Tensor) -> torch.Tensor:
        x = unit_images(images)
        if self.kind == "pixels":
            # Snap to the 256 levels of an 8-bit image (undoes the normalisation's rounding noise): a
            # training image then lies at distance exactly 0 from itself, and the uint8 state is lossless.
            return torch.round(x.reshape(x.shape[0], -1) * 255.0) / 255.0
        lengths = _bin_lengths(28, self.grid)
        area = lengths[:, None] * lengths[None, :]
        # Mean ink per cell times the cell's area = total ink in the cell (0 .. area).
        ink = F.adaptive_avg_pool2d(x, self.grid) * area
        return ink.reshape(x.shape[0], -1)

    def fit(self, images: torch.Tensor, labels: torch.Tensor) -> KNN:
        """Store the training features and labels (kNN has no other training)."""
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        if len(images) == 0:
            raise ValueError("kNN needs at least one training image")
        feats = self.features(images)
        self._set_train(feats, labels.detach().to("cpu", torch.int64))
        return self

    def remember(self, images: torch.Tensor, labels: torch.Tensor) -> KNN:
        """A copy that also remembers these images (fine-tuning a kNN: it learns by storing more)."""
        train, train_labels = self._check_fitted()
        new = copy.copy(self)
        new._set_train(torch.cat([train, self.features(images)]),
                       torch.cat([train_labels, labels.detach().to("cpu", torch.int64)]))
        return new

    def _set_train(self, feats: torch.Tensor, labels: torch.Tensor) -> None:
        self.train_features = feats.contiguous()
        self.train_labels = labels.contiguous()
        self._train_sq = feats.pow(2).sum(1)

    def _check_fitted(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.train_features is None or self.train_labels is None:
            raise ValueError("kNN is not fitted: call fit(images, labels) or load_state_dict first")
        return self.train_features, self.train_labels

    def kneighbors(self, images: torch.Tensor, k: int | None = None, stop=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Distances [B, k] and training indices [B, k] of the k nearest training images, nearest first.

        `stop` (anything with is_set(), e.g. a threading.Event) is checked between chunks: Stopped is raised.
        """
        train, _ = self._check_fitted()
        k = self.k if k is None else int(k)
        if not 1 <= k <= len(train):
            raise ValueError(f"k must be between 1 and the {len(train)} training images, got {k}")
        queries = self.features(images)
        # Queries per chunk: the [chunk, N] distance matrix and the [chunk, k, D] winners both fit the budget.
        chunk = max(1, DIST_BUDGET_BYTES // (4 * max(len(train), k * train.shape[1])))
        dists, indices = [], []
        for start in range(0, len(queries), chunk):
            if stop is not None and stop.is_set():
                raise Stopped
            q = queries[start:start + chunk]
            d2 = squared_distances(q, train, self._train_sq)
            idx = d2.topk(k, dim=1, largest=False, sorted=True).indices
            # The expansion loses precision (a point's distance to itself may come out as ~1e-3);
            # recompute the k winners' distances directly, which is cheap and exact.
            exact = (train[idx] - q.unsqueeze(1)).norm(dim=2)
            exact, order = exact.sort(dim=1, stable=True)
            dists.append(exact)
            indices.append(idx.gather(1, order))
        return torch.cat(dists), torch.cat(indices)

    def _vote(self, neighbour_labels: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Vote counts [B, 10] and winners [B] from the first k neighbours' labels (nearest first)."""
        labels = neighbour_labels[:, :k]
        votes = F.one_hot(labels, N_CLASSES).sum(1)
        tied = votes == votes.max(dim=1, keepdim=True).values
        # Tie break: the label of the nearest neighbour whose class is among the tied winners
        # (argmax returns the first True, and neighbours are sorted nearest first).
        first = tied.gather(1, labels).to(torch.uint8).argmax(dim=1, keepdim=True)
        return votes, labels.gather(1, first).squeeze(1)

    def _neighbour_labels(self, images: torch.Tensor, k: int, stop=None) -> torch.Tensor:
        _, train_labels = self._check_fitted()
        _, idx = self.kneighbors(images, k, stop)
        return train_labels[idx]

    def predict_proba(self, images: torch.Tensor) -> torch.Tensor:
        """Vote fractions [B, 10] (each row sums to 1)."""
        votes, _ = self._vote(self._neighbour_labels(images, self.k), self.k)
        return votes.float() / self.k

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """Predicted classes [B] int64 (majority vote, ties to the nearest neighbour's class)."""
        _, winners = self._vote(self._neighbour_labels(images, self.k), self.k)
        return winners

    def votes_by_k(self, images: torch.Tensor, ks: list[int], stop=None) -> dict[int, torch.Tensor]:
        """Vote counts [B, 10] for every k in ks, from one neighbour search with max(ks)."""
        if not ks:
            return {}
        neighbour_labels = self._neighbour_labels(images, max(ks), stop)
        return {int(k): self._vote(neighbour_labels, k)[0] for k in ks}

    def accuracy_by_k(self, images: torch.Tensor, labels: torch.Tensor, ks: list[int]) -> dict[int, float]:
        """Accuracy of predict() for every k in ks; the neighbours are searched once, with max(ks)."""
        if not ks:
            return {}
        neighbour_labels = self._neighbour_labels(images, max(ks))
        truth = labels.detach().to("cpu", torch.int64)
        return {int(k): float((self._vote(neighbour_labels, k)[1] == truth).float().mean()) for k in ks}

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Training set plus settings as tensors (pixels stored as uint8: a quarter of the float size)."""
        train, labels = self._check_fitted()
        stored = torch.round(train * 255.0).to(torch.uint8) if self.kind == "pixels" else train.clone()
        return {
            "features": stored,
            "labels": labels.clone(),
            "k": torch.tensor(self.k),
            "grid": torch.tensor(self.grid),
            "kind": torch.tensor(KINDS.index(self.kind)),
        }

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Restore a fitted kNN; raise ValueError on missing keys or features/grid unlike this one's."""
        needed = ("features", "labels", "k", "grid", "kind")
        missing = [key for key in needed if key not in state]
        if missing:
            raise ValueError(f"kNN state is missing {', '.join(missing)} (expected {', '.join(needed)})")
        kind_index = int(state["kind"])
        if not 0 <= kind_index < len(KINDS):
            raise ValueError(f"kNN state has an unknown feature kind {kind_index}")
        kind, grid, k = KINDS[kind_index], int(state["grid"]), int(state["k"])
        if kind != self.kind or (kind == "blocks" and grid != self.grid):
            saved = kind if kind == "pixels" else f"blocks on a {grid}x{grid} grid"
            mine = self.kind if self.kind == "pixels" else f"blocks on a {self.grid}x{self.grid} grid"
            raise ValueError(f"kNN state was saved with {saved} features, but this kNN uses {mine}")
        feats, labels = state["features"], state["labels"]
        if feats.dim() != 2 or feats.shape[1] != self.dim:
            raise ValueError(f"kNN state features have shape {tuple(feats.shape)}, expected [N, {self.dim}]")
        if labels.dim() != 1 or len(labels) != len(feats):
            raise ValueError(f"kNN state has {len(labels)} labels for {len(feats)} feature rows")
        if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= N_CLASSES):
            raise ValueError("kNN state has labels outside 0-9")
        if k < 1:
            raise ValueError(f"kNN state has k={k}; k must be at least 1")
        feats = feats.float() / 255.0 if feats.dtype == torch.uint8 else feats.to(torch.float32)
        self.k = k  # k is a voting setting, not part of the feature space: the saved one wins
        self._set_train(feats.clone(), labels.to(torch.int64).clone())


class KnnFamily(Family):
    """k-nearest neighbours: nothing is learned, the training images are remembered; no steps, no loss."""

    name = "knn"
    archs = ("knn",)
    examples = ("knn",)
    has_steps = False
    has_gradients = False
    uses = frozenset({"device", "train_subset", "target_accuracy", "k", "knn_features", "knn_grid"})
    limits = {"k": (1, 50)}  # more than 50 voters out-vote any digit

    def owns(self, model) -> bool:
        return isinstance(model, KNN)

    def build(self, config) -> KNN:
        return KNN(k=config.k, features=config.knn_features, grid=config.knn_grid)

    def shows(self, model) -> frozenset[str]:
        return frozenset({"neighbours"})  # no layers or weights: the training images it compares with


KNN_FAMILY = KnnFamily()
