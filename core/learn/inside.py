"""Looking inside a trained learner: activations, weights as images, conv filters, feature maps, PCA.

What a learner can show, and how its layers are walked, is asked of its family (core.learn.families:
`shows`, `activations`, `hidden_units`, `first_layer_weights`, `hidden_representation`), so this module and the
pages never branch on the family. Filters and feature maps are the convolutions of a torch nn.Sequential.
Nothing here modifies a model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.learn import families
from core.learn.data import from_unit
from core.learn.families.base import NotInspectable

SIDE = 28  # MNIST images are SIDE x SIDE
BATCH = 1000  # images per forward pass when computing output scores (bounded memory)
FEATURE_MAP_TYPES = (nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.AvgPool2d)


def _family(model) -> families.Family:
    try:
        return families.of_model(model)
    except TypeError as exc:
        raise NotInspectable(str(exc)) from None


def model_kind(model) -> str:
    """What the Inside page calls the learner: 'knn', 'scratch', 'cnn' (has convolutions), 'linear' (one Linear
    layer) or 'mlp' (its family says: Family.inside_kind)."""
    return _family(model).inside_kind(model)


def shows(model) -> frozenset[str]:
    """Which pictures the pages draw of this learner (core.learn.families.base.VIEWS)."""
    return _family(model).shows(model)


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def image_tensor(pixels: np.ndarray | torch.Tensor) -> torch.Tensor:
    """A 28x28 image (floats in [0, 1] or uint8 0-255) -> normalised [1, 1, 28, 28] like the training data."""
    x = torch.as_tensor(np.asarray(pixels), dtype=torch.float32).reshape(SIDE, SIDE)
    if x.max() > 1.5:  # 0-255 pixels
        x = x / 255.0
    return from_unit(x.clamp(0.0, 1.0)).reshape(1, 1, SIDE, SIDE)


@torch.no_grad()
def layer_activations(model, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """The output of every layer for images x [B, 1, 28, 28], in order; the last is the model's output (CPU)."""
    return _family(model).activations(model, x)


@dataclass
class Layer:
    """One row of the 'layer by layer' view: one value per unit of a fully connected layer, for a single image."""

    number: int  # 1, 2, ... for hidden layers; 0 for the output layer
    activation: str  # the non-linearity's name (ReLU, Sigmoid, Tanh); "softmax" for the output
    values: np.ndarray  # float [units]

    @property
    def output(self) -> bool:
        return self.number == 0


def unit_activations(model, x: torch.Tensor) -> list[Layer]:
    """For one image [1, 1, 28, 28]: each fully connected hidden layer's activations (after its non-linearity),
    then the output's class probabilities (softmax of the scores; the scratch net's sigmoids rescaled to sum 1)."""
    hidden, probs = _family(model).hidden_units(model, x[:1])
    return [*(Layer(i, name, values) for i, (name, values) in enumerate(hidden, 1)), Layer(0, "softmax", probs)]


def first_layer_weights(model) -> torch.Tensor:
    """The first fully connected layer's weights as images [units, 28, 28] (one image per hidden unit or class)."""
    return _family(model).first_layer_weights(model)


def conv_layers(model) -> list[nn.Conv2d]:
    """The model's convolution layers in order (empty for a learner without "filters": MLPs, scratch, kNN)."""
    if "filters" not in shows(model):
        return []
    return [m for m in model if isinstance(m, nn.Conv2d)]


def conv_filters(model, layer_index: int = 0) -> torch.Tensor:
    """The weights [out_channels, in_channels, k, k] of the model's layer_index-th convolution (0 = first)."""
    convs = conv_layers(model)
    if not convs:
        raise NotInspectable("this model has no convolution layers")
    if not 0 <= layer_index < len(convs):
        raise IndexError(f"conv layer {layer_index} asked for, the model has {len(convs)}")
    return convs[layer_index].weight.detach().cpu().float().clone()


def feature_maps(model, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """For one image [1, 1, 28, 28]: (layer name, maps [C, H, W]) after every conv, ReLU and pooling layer."""
    if "feature_maps" not in shows(model):
        raise NotInspectable("only convolutional networks have feature maps")
    modules = list(model)
    return [(name, value[0]) for (name, value), m in zip(layer_activations(model, x[:1]), modules, strict=True)
            if isinstance(m, FEATURE_MAP_TYPES) and value.dim() == 4]


@torch.no_grad()
def hidden_representation(model, images: torch.Tensor) -> torch.Tensor:
    """What the final Linear layer sees for each image: float [N, D] (for a linear model: the pixels)."""
    return _family(model).hidden_representation(model, images)


@torch.no_grad()
def output_scores(model, images: torch.Tensor) -> torch.Tensor:
    """The last layer's raw scores [N, 10] (for a linear model, the only thing it computes besides the pixels)."""
    if not isinstance(model, nn.Module):
        raise NotInspectable("output_scores is for torch models")
    device = _device(model)
    parts = [model(images[i:i + BATCH].to(device, torch.float32)).cpu() for i in range(0, len(images), BATCH)]
    return torch.cat(parts) if parts else torch.empty(0, 10)


def top_components(centred: torch.Tensor, k: int = 2, extra: int = 8, iterations: int = 8) -> tuple:
    """Top-k singular values [k] and right singular vectors [k, D] of a centred matrix, by randomised subspace
    iteration (Halko et al. 2011) with a fixed seed: exact to float precision for PCA pictures, and fast where a
    full SVD of 2000 x 1568 takes seconds."""
    n, d = centred.shape
    q = min(k + extra, n, d)
    if q == min(n, d):  # small enough: the full decomposition is as cheap
        _, s, vh = torch.linalg.svd(centred, full_matrices=False)
        return s[:k], vh[:k]
    gen = torch.Generator().manual_seed(0)  # a local generator: the global RNG (used by training) is left alone
    basis = torch.linalg.qr(centred @ torch.randn(d, q, generator=gen, dtype=centred.dtype))[0]
    for _ in range(iterations):
        basis = torch.linalg.qr(centred.T @ basis)[0]
        basis = torch.linalg.qr(centred @ basis)[0]
    _, s, vh = torch.linalg.svd(basis.T @ centred, full_matrices=False)
    return s[:k], vh[:k]


def pca_2d(features: torch.Tensor | np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Project rows onto their first two principal components: coordinates [N, 2] and the share of the
    total variance each component explains [2]. Signs are fixed so each axis's largest loading is positive."""
    x = torch.as_tensor(np.asarray(features) if isinstance(features, np.ndarray) else features)
    x = x.detach().cpu().double().reshape(len(x), -1)
    if len(x) < 2:
        raise ValueError("PCA needs at least two rows")
    centred = x - x.mean(dim=0, keepdim=True)
    s, components = top_components(centred, 2)
    if len(components) < 2:  # a single feature column: the second axis is all zeros
        pad = 2 - len(components)
        components = torch.cat([components, torch.zeros(pad, x.shape[1], dtype=x.dtype)])
        s = torch.cat([s, torch.zeros(pad, dtype=x.dtype)])
    peak = components.abs().argmax(dim=1)
    signs = torch.sign(components[torch.arange(2), peak])
    components = components * torch.where(signs == 0, torch.ones_like(signs), signs)[:, None]
    total = centred.pow(2).sum()
    explained = s.pow(2) / total if total > 0 else torch.zeros(2, dtype=x.dtype)
    return (centred @ components.T).float(), explained.float()


def centroid_accuracy(coords: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray) -> float:
    """How well classes separate in a picture: share of points nearer to their own class's mean than to any other."""
    pts = torch.as_tensor(np.asarray(coords), dtype=torch.float64)
    y = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
    classes = torch.unique(y)
    centres = torch.stack([pts[y == c].mean(dim=0) for c in classes])
    nearest = classes[torch.cdist(pts, centres).argmin(dim=1)]
    return float((nearest == y).double().mean())


def knn_input_features(knn, x: torch.Tensor) -> np.ndarray:
    """What a kNN compares for one image: its block features (ink per cell) as a grid x grid image, or
    the 28x28 pixels for pixel features."""
    feats = knn.features(x[:1])[0].detach().cpu().numpy()
    side = int(round(len(feats) ** 0.5))
    return feats.reshape(side, side)
