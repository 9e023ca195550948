"""The torch family: spec strings -> nn.Module. Every model takes images [B, 1, 28, 28] and returns 10 scores."""

from __future__ import annotations

import threading

import numpy as np
import torch
from torch import nn

from core.errors import ConfigError
from core.learn.arch import chain_parameters, dense_parameters, split_spec
from core.learn.families.base import STEPPED, Family, NotInspectable
from core.learn.losses import compute_loss

_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


def mlp(widths: list[int], activation: str = "relu") -> nn.Sequential:
    layers: list[nn.Module] = [nn.Flatten()]
    sizes = [28 * 28, *widths]
    for n_in, n_out in zip(sizes, sizes[1:], strict=False):
        layers += [nn.Linear(n_in, n_out), _ACTIVATIONS[activation]()]
    layers.append(nn.Linear(sizes[-1], 10))
    return nn.Sequential(*layers)


def small_cnn() -> nn.Sequential:
    """The classic tutorial CNN: 8, 16, 32 channels of 3x3 convolutions, two 2x2 poolings, one linear layer."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 28 -> 14
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 14 -> 7
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )


def lenet5() -> nn.Sequential:
    """LeCun et al. 1998's LeNet-5 with today's ReLU and max-pooling (61,706 parameters)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # 28 -> 14
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),  # 14 -> 10 -> 5
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def build_model(arch: str, activation: str = "relu") -> nn.Module:
    """A fresh torch model for a spec checked by core.learn.config (scratch and knn are not torch models: see
    core.learn.families)."""
    head, widths = split_spec(arch)
    if head == "linear":
        return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))
    if head == "mlp" and widths:  # None: not integers
        if activation not in _ACTIVATIONS:
            raise ConfigError(f"unknown activation {activation!r}; choose one of: {', '.join(_ACTIVATIONS)}",
                              "config_choice", what="activation", value=activation, allowed=", ".join(_ACTIVATIONS))
        return mlp(widths, activation)
    if head == "cnn":
        return small_cnn()
    if head == "lenet5":
        return lenet5()
    raise ConfigError(f"{arch!r} is not a torch architecture", "config_arch", spec=arch,
                      allowed="linear, mlp, cnn, lenet5")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def resolve_device(name: str) -> torch.device:
    """auto -> cuda, then mps, then cpu. Asking for a device that is not there is an error, not a fallback."""
    available = device_availability()
    if name == "auto":
        return torch.device(next(d for d in ("cuda", "mps", "cpu") if available[d] is None))
    if name not in available:
        raise ConfigError(f"unknown device {name!r}; choose one of: auto, cpu, cuda, mps", "config_choice",
                          what="device", value=name, allowed="auto, cpu, cuda, mps")
    if available[name] is not None:
        raise ConfigError(f"device {name!r} is not available: {available[name]}", "device_unavailable", device=name)
    return torch.device(name)


def device_availability() -> dict[str, str | None]:
    """Each device -> None if usable, else the reason it is not."""
    cuda = None if torch.cuda.is_available() else "no CUDA GPU found (or PyTorch built without CUDA)"
    mps_backend = getattr(torch.backends, "mps", None)
    mps = None if mps_backend is not None and mps_backend.is_available() else "Apple MPS needs a Mac with Apple silicon"
    return {"cpu": None, "cuda": cuda, "mps": mps}


# torch's default generator is shared by every thread: one job must not reseed it while another job
# draws its initial weights, or two runs with the same seed would start from different weights.
_RNG_LOCK = threading.Lock()


class TorchFamily(Family):
    """Every nn.Module network: the linear classifier, the MLPs, the small CNN and LeNet-5."""

    name = "torch"
    archs = ("linear", "mlp", "cnn", "lenet5")
    examples = ("linear", "mlp:16,8", "cnn", "lenet5")
    has_steps = True
    has_gradients = True
    raw_scores = True
    uses = STEPPED | {"activation", "loss", "l2", "label_smoothing", "optimizer", "schedule", "device"}
    widths = {"mlp": ("mlp:W1,W2,...", "mlp:128,64", None)}

    def size(self, kind: str, widths: list[int]) -> int:
        if kind in ("linear", "mlp"):
            return chain_parameters(widths)
        convs = {"cnn": [(1, 8, 3), (8, 16, 3), (16, 32, 3)], "lenet5": [(1, 6, 5), (6, 16, 5)]}[kind]
        dense = {"cnn": [32 * 7 * 7, 10], "lenet5": [16 * 5 * 5, 120, 84, 10]}[kind]
        return (sum(c_in * c_out * k * k + c_out for c_in, c_out, k in convs)
                + dense_parameters(dense))

    def owns(self, model) -> bool:
        return isinstance(model, nn.Module)

    def build(self, config) -> nn.Module:
        with _RNG_LOCK:
            torch.manual_seed(config.seed)
            return build_model(config.arch, config.activation)

    def scores(self, model, images: torch.Tensor) -> torch.Tensor:
        return model(images)

    def test_loss(self, model, images, labels, loss, scores=None) -> float:
        with torch.no_grad():
            return float(compute_loss(loss or "ce", model(images) if scores is None else scores, labels))

    def load(self, model, tensors: dict[str, torch.Tensor]) -> None:
        model.load_state_dict(tensors, strict=True)
        model.eval()

    def parameters(self, model) -> int:
        return count_parameters(model)

    def device(self, model) -> torch.device:
        return next(model.parameters()).device

    # ---- inside: every net is an nn.Sequential, walked child by child (no forward hooks: a run's model can be
    # shared between sessions and threads, and a hook left on it would leak into somebody else's forward pass)

    def inside_kind(self, model) -> str:
        if not isinstance(model, nn.Sequential):
            raise NotInspectable(f"cannot look inside a {type(model).__name__}: expected an nn.Sequential")
        if any(isinstance(m, nn.Conv2d) for m in model):
            return "cnn"
        return "linear" if sum(isinstance(m, nn.Linear) for m in model) == 1 else "mlp"

    def shows(self, model) -> frozenset[str]:
        if self.inside_kind(model) == "cnn":
            return frozenset({"filters", "feature_maps", "pca"})
        return frozenset({"weights", "layers", "pca"})

    @torch.no_grad()
    def activations(self, model, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
        self.inside_kind(model)  # an nn.Sequential, or NotInspectable
        out, h = [], x.to(self.device(model), torch.float32)
        for i, module in enumerate(model):
            h = module(h)
            out.append((_layer_name(i, module), h.detach().cpu()))
        return out

    def hidden_units(self, model, x: torch.Tensor) -> tuple[list[tuple[str, np.ndarray]], np.ndarray]:
        acts = self.activations(model, x[:1])
        pairs = zip(list(model)[:-1], acts[:-1], strict=True)
        hidden = [(type(module).__name__, value[0].numpy()) for module, (_, value) in pairs
                  if isinstance(module, ACTIVATION_TYPES) and value.dim() == 2]  # a fully connected layer's
        return hidden, torch.softmax(acts[-1][1][0].double(), dim=0).float().numpy()

    def first_layer_weights(self, model) -> torch.Tensor:
        if self.inside_kind(model) == "cnn":
            raise NotInspectable("a cnn has no fully connected first layer to show as images")
        first = next(m for m in model if isinstance(m, nn.Linear))
        return first.weight.detach().cpu().float().reshape(-1, 28, 28).clone()

    @torch.no_grad()
    def hidden_representation(self, model, images: torch.Tensor) -> torch.Tensor:
        self.inside_kind(model)
        modules = list(model)
        last = max(i for i, m in enumerate(modules) if isinstance(m, nn.Linear))
        body = nn.Sequential(*modules[:last])  # shares the modules; nothing is copied or changed
        parts = [body(images[i:i + INSIDE_BATCH].to(self.device(model), torch.float32)).flatten(1).cpu()
                 for i in range(0, len(images), INSIDE_BATCH)]
        return torch.cat(parts) if parts else torch.empty(0, modules[last].in_features)


ACTIVATION_TYPES = (nn.ReLU, nn.Sigmoid, nn.Tanh)
INSIDE_BATCH = 1000  # images per forward pass when collecting hidden representations (bounded memory)


def _layer_name(index: int, module: nn.Module) -> str:
    if isinstance(module, nn.Linear):
        return f"{index}: Linear {module.in_features}→{module.out_features}"
    if isinstance(module, nn.Conv2d):
        k = module.kernel_size[0]
        return f"{index}: Conv {module.in_channels}→{module.out_channels} ({k}x{k})"
    return f"{index}: {type(module).__name__}"


TORCH_FAMILY = TorchFamily()
