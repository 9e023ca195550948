"""A 784-H-10 sigmoid network in plain NumPy with hand-written backprop (Nielsen's network.py, batched).

Follows "Neural Networks and Deep Learning", chapter 1-3: sigmoid in both layers, quadratic cost
C = 0.5 * ||a - y||^2 per example (averaged over the mini-batch), weights ~ N(0, 1/sqrt(n_in)),
biases ~ N(0, 1), plain SGD. Inputs are pixels in [0, 1] as in the tutorial; the torch-facing
methods take the dashboard's normalised images and undo the normalisation.
"""

from __future__ import annotations

import numpy as np
import torch

from core.learn.arch import chain_parameters, split_spec
from core.learn.data import MEAN, STD
from core.learn.families.base import STEPPED, Family

N_IN = 28 * 28
N_OUT = 10
PARAM_NAMES = ("w1", "b1", "w2", "b2")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function written via tanh: same values, but no overflow warnings for large |z|."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def to_unit_pixels(images: torch.Tensor) -> np.ndarray:
    """Normalised images [B, 1, 28, 28] (or [B, 28, 28] / [B, 784]) -> NumPy pixels [B, 784] in [0, 1]."""
    t = images.detach().cpu()
    if t.dtype not in (torch.float32, torch.float64):
        t = t.float()
    # NumPy from here on: per-step torch kernels spin up torch's thread pool, which crawls on a busy CPU.
    x = t.numpy().reshape(t.shape[0], -1)
    if x.shape[1] != N_IN:
        raise ValueError(f"expected 28x28 images, got shape {tuple(images.shape)}")
    # Undo (pixel - MEAN) / STD; clip the ~1e-7 rounding residue so inputs stay in the tutorial's [0, 1].
    return np.clip(x * STD + MEAN, 0.0, 1.0)


class ScratchNet:
    """Two sigmoid layers, quadratic cost, SGD: everything the autograd libraries hide, done by hand."""

    def __init__(self, hidden: int = 30, seed: int = 0, dtype=np.float32) -> None:
        if hidden < 1:
            raise ValueError(f"hidden layer needs at least 1 unit, got {hidden}")
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng(seed)
        # Nielsen's "improved" init: std 1/sqrt(n_in) keeps z = w.x + b near 0, so sigmoids start unsaturated.
        self.params: dict[str, np.ndarray] = {
            "w1": rng.normal(0.0, N_IN ** -0.5, (N_IN, hidden)).astype(self.dtype),
            "b1": rng.normal(0.0, 1.0, hidden).astype(self.dtype),
            "w2": rng.normal(0.0, hidden ** -0.5, (hidden, N_OUT)).astype(self.dtype),
            "b2": rng.normal(0.0, 1.0, N_OUT).astype(self.dtype),
        }

    @property
    def hidden(self) -> int:
        """Width of the hidden layer."""
        return int(self.params["b1"].shape[0])

    def forward(self, x01: np.ndarray) -> tuple[np.ndarray, dict]:
        """Pixels [B, 784] in [0, 1] -> output activations [B, 10] and the cache that backprop needs."""
        p = self.params
        x = np.asarray(x01, dtype=self.dtype)
        a1 = sigmoid(x @ p["w1"] + p["b1"])
        a2 = sigmoid(a1 @ p["w2"] + p["b2"])
        return a2, {"x": x, "a1": a1, "a2": a2}

    def loss_and_gradients(self, x01: np.ndarray, labels: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Mean quadratic cost on the batch and its gradient for every parameter (hand-written backprop)."""
        loss, grads, _ = self._backprop(x01, labels)
        return loss, grads

    def _backprop(
        self, x01: np.ndarray, labels: np.ndarray
    ) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
        """loss_and_gradients plus the output activations (train_step scores the batch from them)."""
        a2, cache = self.forward(x01)
        x, a1 = cache["x"], cache["a1"]
        labels = np.asarray(labels, dtype=np.int64)
        batch = x.shape[0]
        y = np.zeros_like(a2)
        y[np.arange(batch), labels] = 1.0
        loss = 0.5 * float(np.sum((a2 - y) ** 2)) / batch
        # Output error (Nielsen's BP1): dC/dz2 = (a - y) * sigma'(z2), with sigma'(z) = a * (1 - a);
        # the 1/batch makes these the gradients of the batch-mean cost.
        delta2 = (a2 - y) * a2 * (1.0 - a2) / batch
        # Error pushed back one layer (BP2): delta1 = (delta2 W2^T) * sigma'(z1).
        delta1 = (delta2 @ self.params["w2"].T) * a1 * (1.0 - a1)
        # BP3/BP4: bias gradients are the errors, weight gradients are input^T x error, summed over the batch.
        grads = {
            "w1": x.T @ delta1,
            "b1": delta1.sum(axis=0),
            "w2": a1.T @ delta2,
            "b2": delta2.sum(axis=0),
        }
        return loss, grads, a2

    def train_step(self, images: torch.Tensor, labels: torch.Tensor, lr: float) -> tuple[float, float]:
        """One SGD step on a batch of normalised images; returns (loss, batch accuracy) before the step."""
        x01 = to_unit_pixels(images)
        y = labels.detach().cpu().numpy().astype(np.int64)
        loss, grads, a2 = self._backprop(x01, y)
        accuracy = float(np.mean(a2.argmax(axis=1) == y))
        for name in PARAM_NAMES:
            self.params[name] -= self.dtype.type(lr) * grads[name]
        return loss, accuracy

    def quadratic_loss(self, images: torch.Tensor, labels: torch.Tensor) -> float:
        """The mean quadratic cost 0.5 * ||a - y||^2 on normalised images: the test loss evaluate() reports."""
        a2, _ = self.forward(to_unit_pixels(images))
        y = np.zeros_like(a2)
        y[np.arange(len(a2)), labels.detach().cpu().numpy().astype(np.int64)] = 1.0
        return 0.5 * float(np.sum((a2 - y) ** 2)) / max(1, len(a2))

    def predict_proba(self, images: torch.Tensor) -> torch.Tensor:
        """Normalised images [B, 1, 28, 28] -> float32 [B, 10]: sigmoid outputs divided by their row sum."""
        a2, _ = self.forward(to_unit_pixels(images))
        # Sigmoid outputs are independent scores in (0, 1), not a distribution; rescaling keeps the ranking.
        proba = a2 / a2.sum(axis=1, keepdims=True)
        return torch.from_numpy(proba.astype(np.float32))

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Copies of the parameters as torch tensors (saved as safetensors, like the other models)."""
        return {name: torch.from_numpy(self.params[name].copy()) for name in PARAM_NAMES}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Replace the parameters; raise ValueError if a key is missing or a shape differs from this net's."""
        missing = [name for name in PARAM_NAMES if name not in state]
        if missing:
            raise ValueError(
                f"ScratchNet state is missing {', '.join(missing)} (expected {', '.join(PARAM_NAMES)})"
            )
        loaded = {}
        for name in PARAM_NAMES:
            value = np.asarray(torch.as_tensor(state[name]).detach().cpu().numpy(), dtype=self.dtype)
            expected = self.params[name].shape
            if value.shape != expected:
                raise ValueError(
                    f"ScratchNet parameter {name} has shape {tuple(value.shape)}, expected {tuple(expected)} "
                    f"(hidden={self.hidden}); was it saved from a net with another hidden size?"
                )
            loaded[name] = value.copy()
        self.params = loaded  # all checked first, so a bad state leaves the net untouched


class ScratchFamily(Family):
    """Nielsen's network: sigmoid everywhere, the quadratic cost, plain SGD on the CPU."""

    name = "scratch"
    archs = ("scratch",)
    examples = ("scratch:10",)
    has_steps = True
    has_gradients = False  # no autograd: saliency by occlusion
    uses = STEPPED
    widths = {"scratch": ("scratch:H", "scratch:30", 1)}
    fixed = {"activation": "sigmoid", "loss": "mse", "optimizer": "sgd", "schedule": "constant", "device": "cpu",
             "l2": 0.0}  # Nielsen's network: sigmoid + the quadratic cost, plain SGD, on the CPU

    def size(self, kind: str, widths: list[int]) -> int:
        return chain_parameters(widths)

    def owns(self, model) -> bool:
        return isinstance(model, ScratchNet)

    def build(self, config) -> ScratchNet:
        _, widths = split_spec(config.arch)
        return ScratchNet(hidden=widths[0], seed=config.seed)

    def test_loss(self, model, images, labels, loss, scores=None) -> float:
        return model.quadratic_loss(images, labels)

    def parameters(self, model) -> int:
        return sum(int(t.numel()) for t in model.state_dict().values())

    # ---- inside: a 784-H-10 MLP, its two layers computed by hand

    def shows(self, model) -> frozenset[str]:
        return frozenset({"weights", "layers", "pca"})

    def activations(self, model, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
        a2, cache = model.forward(to_unit_pixels(x))
        return [("1: Linear+Sigmoid (hidden)", torch.from_numpy(cache["a1"].copy())),
                ("2: Linear+Sigmoid (output)", torch.from_numpy(a2.copy()))]

    def hidden_units(self, model, x: torch.Tensor) -> tuple[list[tuple[str, np.ndarray]], np.ndarray]:
        hidden, output = self.activations(model, x[:1])
        a2 = output[1][0].numpy().astype(np.float64)  # sigmoids, rescaled to sum 1
        return [("Sigmoid", hidden[1][0].numpy().astype(np.float32))], (a2 / a2.sum()).astype(np.float32)

    def first_layer_weights(self, model) -> torch.Tensor:
        return torch.from_numpy(model.params["w1"].T.copy()).float().reshape(-1, 28, 28)

    def hidden_representation(self, model, images: torch.Tensor) -> torch.Tensor:
        parts = [torch.from_numpy(model.forward(to_unit_pixels(images[i:i + BATCH]))[1]["a1"].copy())
                 for i in range(0, len(images), BATCH)]
        return torch.cat(parts).float() if parts else torch.empty(0, model.hidden)


BATCH = 1000  # images per forward pass when collecting hidden representations (bounded memory)
SCRATCH_FAMILY = ScratchFamily()
