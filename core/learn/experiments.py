"""One-click experiments: several runs that differ in exactly one choice, and a one-line reading of the result.

Every config of an experiment keeps the base config's seed, so runs with the same architecture start
from the same initial weights and see the same batches in the same order (core/learn/training.py seeds both
from `config.seed`): whatever differs in the curves comes from the compared choice alone.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from core.learn.config import TrainConfig

THRESHOLD = 0.9  # "how fast": the first evaluation at or above this test accuracy
DEFAULT_ARCH = "mlp:128,64"  # the classroom network: about 10 s per epoch of full MNIST on a laptop CPU
DEFAULT_SUBSET = 20_000  # training images an experiment uses by default (None = all 60,000)
EXPERIMENT_EVALS = 10  # evaluations per epoch: enough points for a smooth accuracy curve and time-to-90%


def base_config(epochs: int = 1, train_subset: int | None = DEFAULT_SUBSET, seed: int = 0,
                arch: str = DEFAULT_ARCH) -> TrainConfig:
    """The shared starting point of every experiment: small and fast (Adam 1e-3, batches of 64)."""
    return TrainConfig(arch=arch, activation="relu", loss="ce", optimizer="adam", lr=1e-3, batch_size=64,
                       epochs=epochs, seed=seed, train_subset=train_subset or None,
                       evals_per_epoch=EXPERIMENT_EVALS).validated()


@dataclass(frozen=True)
class Experiment:
    """Runs that differ only in `fields`; `fixed` settings apply to all of them (the question names them)."""

    key: str  # short id, also the first part of the run names: loss | lr | optimizer | activation
    name: str  # English title (the page shows the translation "compare.exp.<key>.name")
    question: str  # English one-line question (translated as "compare.exp.<key>.question")
    fields: tuple[str, ...]  # the TrainConfig field(s) that differ between the runs
    variants: tuple[tuple[str, tuple[tuple[str, object], ...]], ...]  # (label, ((field, value), ...))
    fixed: tuple[tuple[str, object], ...] = ()  # the same for every run, whatever the base says
    needs_mlp: bool = False  # the compared field only matters for an MLP (activation)

    def shared(self, base: TrainConfig) -> TrainConfig:
        """The base with this experiment's fixed settings: what every run of it has in common."""
        cfg = base.replace(**dict(self.fixed))
        if self.needs_mlp and not cfg.arch.startswith("mlp"):
            cfg = cfg.replace(arch=DEFAULT_ARCH)
        return cfg

    def configs(self, base: TrainConfig) -> list[tuple[str, TrainConfig]]:
        """(label, config) for each run, all with the base's seed."""
        shared = self.shared(base)
        return [(label, shared.replace(**dict(changes))) for label, changes in self.variants]

    def run_name(self, config: TrainConfig) -> str:
        """A readable run name from the compared value(s), e.g. 'lr-0.001' or 'optimizer-adam'."""
        return "-".join([self.key, *(format_value(getattr(config, f)) for f in self.fields)])


def _variants(field: str, values: list[tuple[str, object]]) -> tuple:
    return tuple((label, ((field, value),)) for label, value in values)


EXPERIMENTS: dict[str, Experiment] = {
    e.key: e
    for e in [
        Experiment(
            "loss", "MSE vs cross-entropy",
            "Which objective teaches a classifier faster with SGD + momentum (learning rate 0.01): cross-entropy, "
            "or squared error against one-hot targets?",
            ("loss",), _variants("loss", [("cross-entropy", "ce"), ("MSE", "mse")]),
            # With Adam the gap mostly closes (Adam rescales MSE's small gradients): plain momentum shows it.
            fixed=(("optimizer", "momentum"), ("lr", 0.01)),
        ),
        Experiment(
            "lr", "Learning-rate sweep",
            "How big should each step be? The same network with Adam at learning rates from 0.0001 to 0.1.",
            ("lr",), _variants("lr", [(f"lr {v:g}", v) for v in (1e-4, 1e-3, 1e-2, 1e-1)]),
            fixed=(("optimizer", "adam"),),
        ),
        Experiment(
            "optimizer", "SGD vs momentum vs Adam",
            "Plain SGD, SGD with momentum or Adam: which learns fastest at the same learning rate (0.01)?",
            ("optimizer",), _variants("optimizer", [("SGD", "sgd"), ("momentum", "momentum"), ("Adam", "adam")]),
            fixed=(("lr", 0.01),),
        ),
        Experiment(
            "activation", "Sigmoid vs ReLU",
            "Why did deep learning switch from sigmoid to ReLU? The same MLP with each non-linearity.",
            ("activation",), _variants("activation", [("sigmoid", "sigmoid"), ("ReLU", "relu")]),
            needs_mlp=True,
        ),
    ]
}


def differing_fields(configs: list[TrainConfig]) -> set[str]:
    """Names of the TrainConfig fields whose values are not the same in every config that has the setting."""
    return {f.name for f in dataclasses.fields(TrainConfig)
            if len({repr(getattr(c, f.name)) for c in configs if f.name in c.settings()}) > 1}


def format_value(value) -> str:
    """A setting's value for a table: 0.001 -> '0.001', None -> '–'."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def settings_rows(configs: list[TrainConfig]) -> list[dict]:
    """One row per TrainConfig field: {field, values (one string per config), differs}."""
    differ = differing_fields(configs)
    has = [set(c.settings()) for c in configs]
    rows = []
    for f in dataclasses.fields(TrainConfig):
        if not any(f.name in h for h in has):
            continue  # a setting none of these learners has (k for MLPs, the optimizer for kNNs)
        values = [format_value(getattr(c, f.name)) if f.name in h else "–" for c, h in zip(configs, has, strict=True)]
        rows.append({"field": f.name, "values": values, "differs": f.name in differ})
    return rows


# ---- reading the result ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What one run of a comparison did: where it got, and when it first reached the threshold."""

    label: str
    acc: float | None  # test accuracy at its latest evaluation (the full test set once it has ended)
    reached: dict | None  # the first evaluation at or above the threshold: {epoch, step, seen, seconds}
    status: str  # running | finished | target | stopped | diverged


def outcome(label: str, history: list[dict], threshold: float = THRESHOLD) -> Outcome:
    """Read one run's history: latest accuracy, first time at or above `threshold`, how it ended."""
    evals = [e for e in history if e.get("kind") == "eval" and e.get("test_acc") is not None]
    final = next((e for e in reversed(history) if e.get("kind") == "final"), None)
    status = final.get("status", "finished") if final else "running"
    if any(e.get("kind") == "diverged" for e in history):
        status = "diverged"
    full = [e for e in evals if e.get("full")]
    # Once ended, the last full evaluation is the run's result; while it runs, the latest check is.
    last = full[-1] if final and full else (evals[-1] if evals else None)
    hit = next((e for e in evals if e["test_acc"] >= threshold), None)
    reached = {k: hit.get(k) for k in ("epoch", "step", "seen", "seconds")} if hit else None
    return Outcome(label, last["test_acc"] if last else None, reached, status)


def ranked(results: list[tuple[str, list[dict]]], threshold: float = THRESHOLD) -> list[Outcome]:
    """Outcomes best first: highest accuracy, then the one that reached the threshold after fewer images."""
    outs = [outcome(label, history, threshold) for label, history in results]

    def key(o: Outcome) -> tuple:
        acc = o.acc if o.acc is not None and math.isfinite(o.acc) else -1.0
        seen = o.reached["seen"] if o.reached and o.reached.get("seen") is not None else math.inf
        return (o.status == "diverged", -acc, seen)

    return sorted(outs, key=key)
