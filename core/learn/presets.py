"""Named recipes: the classic tutorial networks, plus our fastest CPU recipes (the speedruns)."""

from __future__ import annotations

from dataclasses import dataclass

from core.learn.config import ConfigError, TrainConfig


@dataclass(frozen=True)
class Preset:
    name: str
    config: TrainConfig
    source: str  # where the recipe comes from, in a sentence


def _recipe(name: str, source: str, **settings) -> Preset:
    """A preset from its name, where it comes from, and the TrainConfig settings it changes."""
    return Preset(name, TrainConfig(**settings), source)


PRESETS: dict[str, Preset] = {p.name: p for p in [
    _recipe("fc4-adam", "The four fully-connected layers (three hidden layers of 64) of the popular beginner video "
            "tutorials on PyTorch (e.g. sentdex's 'Deep Learning with PyTorch'): Adam 1e-3, tiny batches.",
            arch="mlp:64,64,64", activation="relu", loss="ce", optimizer="adam", lr=1e-3, batch_size=15, epochs=2),
    _recipe("cnn-adam", "The small three-convolution CNN (8, 16, 32 channels) found in many PyTorch course notebooks, "
            "trained with Adam at 0.01 for 10 epochs.",
            arch="cnn", loss="ce", optimizer="adam", lr=0.01, batch_size=64, epochs=10),
    _recipe("mlp-mse-sgd", "An MLP trained like a regression on one-hot targets, as older courses did before "
            "cross-entropy became the default: shows why MSE learns classification slowly.",
            arch="mlp:256,64", activation="relu", loss="mse", optimizer="momentum", lr=0.01, batch_size=64, epochs=3),
    _recipe("mlp-adam", "The 784-128-64-10 network of the many 'handwritten digit recognition with PyTorch' blog "
            "posts, with Adam instead of their SGD.",
            arch="mlp:128,64", activation="relu", loss="ce", optimizer="adam", lr=1e-3, batch_size=64, epochs=5),
    _recipe("linear-hinge", "The linear multiclass SVM of Stanford's CS231n assignment 1: scores Wx + b, hinge loss "
            "with margin 1 plus an L2 penalty, minibatch SGD with batches of 200.",
            arch="linear", loss="hinge", l2=1e-3, optimizer="sgd", lr=0.01, batch_size=200, epochs=3),
    _recipe("numpy-sigmoid", "Michael Nielsen's network.py from 'Neural Networks and Deep Learning', chapter 1: "
            "784-30-10 sigmoid units, quadratic cost, SGD at 3.0 with mini-batches of 10, backpropagation by hand "
            "in NumPy (he runs 30 epochs; 3 are enough to pass 90%).",
            arch="scratch:30", activation="sigmoid", loss="mse", optimizer="sgd", lr=3.0, batch_size=10, epochs=3,
            device="cpu"),
    _recipe("knn-blocks", "k-nearest neighbours on the ink counted in each cell of a 7x7 grid, after the OpenCV "
            "handwritten-digits kNN example: no training at all, just remembering.",
            arch="knn", k=3, knn_features="blocks", knn_grid=7),
    _recipe("speedrun-mlp", "Our fastest CPU recipe for mlp:128,64 to reach 97% test accuracy: batches of 512 "
            "(fewer, bigger matrix products), cross-entropy with label smoothing 0.1 and a one-cycle Adam schedule "
            "peaking at 0.02, stopping at the target (it reached it with each of 20 seeds; without smoothing, at "
            "0.01, 3 of 6 seeds missed it).",
            arch="mlp:128,64", activation="relu", loss="ce", label_smoothing=0.1, optimizer="adam", lr=2e-2,
            batch_size=512, epochs=2, schedule="onecycle", target_accuracy=0.97),
    _recipe("speedrun-cnn", "Our fastest CPU recipe for the small CNN to reach 99.0% test accuracy: batches of 256, "
            "cross-entropy with label smoothing 0.1 and a one-cycle Adam schedule over 2 epochs peaking at 0.02, "
            "stopping at the target (about 1.25-1.5 epochs; without smoothing, at 0.01, it took about 2.5).",
            arch="cnn", loss="ce", label_smoothing=0.1, optimizer="adam", lr=2e-2, batch_size=256, epochs=2,
            schedule="onecycle", target_accuracy=0.99),
]}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}", "config_preset",
                          name=name) from None
