"""Looking inside a trained learner: activations, weights as images, conv filters, feature maps, PCA.

Every torch model of MNIST Lab is an nn.Sequential, so activations are collected by walking its
children one by one (no forward hooks: runs can be shared between sessions and threads, and a hook
left on a shared model would leak into somebody else's forward pass). The NumPy ScratchNet is a
784-H-10 MLP and gets the same treatment by hand. Nothing here modifies a model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.learn import families
from core.learn.data import from_unit

SIDE = 28  # MNIST images are SIDE x SIDE
BATCH = 1000  # images per forward pass when collecting hidden representations (bounded memory)
ACTIVATION_TYPES = (nn.ReLU, nn.Sigmoid, nn.Tanh)
FEATURE_MAP_TYPES = (nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.AvgPool2d)


class NotInspectable(ValueError):
    """The learner has no such thing to show (e.g. kNN has no weights, an MLP has no filters)."""


def model_kind(model) -> str:
    """'knn', 'scratch', 'cnn' (has convolutions), 'linear' (one Linear layer) or 'mlp'."""
    try:
        family = families.of_model(model).name
    except TypeError:
        family = None
    if family in ("knn", "scratch"):
        return family
    if not isinstance(model, nn.Sequential):
        raise NotInspectable(f"cannot look inside a {type(model).__name__}: expected an nn.Sequential")
    if any(isinstance(m, nn.Conv2d) for m in model):
        return "cnn"
    return "linear" if sum(isinstance(m, nn.Linear) for m in model) == 1 else "mlp"


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def image_tensor(pixels: np.ndarray | torch.Tensor) -> torch.Tensor:
    """A 28x28 image (floats in [0, 1] or uint8 0-255) -> normalised [1, 1, 28, 28] like the training data."""
    x = torch.as_tensor(np.asarray(pixels), dtype=torch.float32).reshape(SIDE, SIDE)
    if x.max() > 1.5:  # 0-255 pixels
        x = x / 255.0
    return from_unit(x.clamp(0.0, 1.0)).reshape(1, 1, SIDE, SIDE)


def _layer_name(index: int, module: nn.Module) -> str:
    if isinstance(module, nn.Linear):
        return f"{index}: Linear {module.in_features}→{module.out_features}"
    if isinstance(module, nn.Conv2d):
        k = module.kernel_size[0]
        return f"{index}: Conv {module.in_channels}→{module.out_channels} ({k}x{k})"
    return f"{index}: {type(module).__name__}"


@torch.no_grad()
def layer_activations(model, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """The output of every layer for images x [B, 1, 28, 28], in order; the last is the model's output (CPU)."""
    kind = model_kind(model)
    if kind == "knn":
        raise NotInspectable("kNN has no layers: it compares the image with stored training images")
    if kind == "scratch":
        from core.learn.families.scratch import to_unit_pixels

        a2, cache = model.forward(to_unit_pixels(x))
        return [("1: Linear+Sigmoid (hidden)", torch.from_numpy(cache["a1"].copy())),
                ("2: Linear+Sigmoid (output)", torch.from_numpy(a2.copy()))]
    out = []
    h = x.to(_device(model), torch.float32)
    for i, module in enumerate(model):
        h = module(h)
        out.append((_layer_name(i, module), h.detach().cpu()))
    return out


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
    acts = layer_activations(model, x[:1])
    if model_kind(model) == "scratch":
        a2 = acts[-1][1][0].numpy().astype(np.float64)
        return [Layer(1, "Sigmoid", acts[0][1][0].numpy().astype(np.float32)),
                Layer(0, "softmax", (a2 / a2.sum()).astype(np.float32))]
    modules = list(model)
    layers: list[Layer] = []
    for i, (_, value) in enumerate(acts[:-1]):
        if isinstance(modules[i], ACTIVATION_TYPES) and value.dim() == 2:  # a fully connected layer's activations
            layers.append(Layer(len(layers) + 1, type(modules[i]).__name__, value[0].numpy()))
    probs = torch.softmax(acts[-1][1][0].double(), dim=0).float().numpy()
    return [*layers, Layer(0, "softmax", probs)]


def first_layer_weights(model) -> torch.Tensor:
    """The first fully connected layer's weights as images [units, 28, 28] (one image per hidden unit or class)."""
    kind = model_kind(model)
    if kind == "scratch":
        return torch.from_numpy(model.params["w1"].T.copy()).float().reshape(-1, SIDE, SIDE)
    if kind in ("knn", "cnn"):
        raise NotInspectable(f"a {kind} has no fully connected first layer to show as images")
    first = next(m for m in model if isinstance(m, nn.Linear))
    return first.weight.detach().cpu().float().reshape(-1, SIDE, SIDE).clone()


def conv_layers(model) -> list[nn.Conv2d]:
    """The model's convolution layers in order (empty for MLPs, scratch and kNN)."""
    if model_kind(model) != "cnn":
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
    if model_kind(model) != "cnn":
        raise NotInspectable("only convolutional networks have feature maps")
    modules = list(model)
    return [(name, value[0]) for (name, value), m in zip(layer_activations(model, x[:1]), modules, strict=True)
            if isinstance(m, FEATURE_MAP_TYPES) and value.dim() == 4]


@torch.no_grad()
def hidden_representation(model, images: torch.Tensor) -> torch.Tensor:
    """What the final Linear layer sees for each image: float [N, D] (for a linear model: the pixels)."""
    kind = model_kind(model)
    if kind == "knn":
        raise NotInspectable("kNN has no hidden layer")
    if kind == "scratch":
        from core.learn.families.scratch import to_unit_pixels

        parts = [torch.from_numpy(model.forward(to_unit_pixels(images[i:i + BATCH]))[1]["a1"].copy())
                 for i in range(0, len(images), BATCH)]
        return torch.cat(parts).float() if parts else torch.empty(0, model.hidden)
    modules = list(model)
    last = max(i for i, m in enumerate(modules) if isinstance(m, nn.Linear))
    body = nn.Sequential(*modules[:last])  # shares the modules; nothing is copied or changed
    device = _device(model)
    parts = [body(images[i:i + BATCH].to(device, torch.float32)).flatten(1).cpu()
             for i in range(0, len(images), BATCH)]
    return torch.cat(parts) if parts else torch.empty(0, modules[last].in_features)


@torch.no_grad()
def output_scores(model, images: torch.Tensor) -> torch.Tensor:
    """The last layer's raw scores [N, 10] (for a linear model, the only thing it computes besides the pixels)."""
    if model_kind(model) in ("knn", "scratch"):
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
