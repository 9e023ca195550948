"""TrainConfig: every knob of a training run in one frozen dataclass, plus the choice lists."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from core.errors import ConfigError  # noqa: F401 (imported from here by most modules; families raise it too)
from core.learn.arch import chain_parameters, split_spec

ACTIVATIONS = ("relu", "sigmoid", "tanh")
LOSSES = ("ce", "mse", "hinge")
OPTIMIZERS = ("sgd", "momentum", "adam")
SCHEDULES = ("constant", "onecycle")
DEVICES = ("auto", "cpu", "cuda", "mps")
KNN_FEATURES = ("blocks", "pixels")
# Size limits, checked by arithmetic on the spec before any tensor exists (uploaded configs pass here too).
# 5 million parameters: 20 MB of float32 weights (80 MB with Adam's state), about a minute per epoch on one
# core; the largest preset has 218,058 and the form's widest single layer (4096) 3,256,330.
MAX_PARAMETERS = 5_000_000
MAX_WIDTH = 4096  # units in one hidden layer
MAX_HIDDEN_LAYERS = 20  # deep enough to show vanishing gradients with sigmoid, not enough to stall a worker
# Upper bounds for what no form offers but a file or the command line could say (an uploaded run's config is
# continued as it is): far beyond any real run, short of a job that never ends or a batch of the whole set twice.
MAX_EPOCHS, MAX_BATCH, MAX_EVALS_PER_EPOCH, MAX_EVAL_SUBSET = 1000, 60_000, 1000, 10_000
MAX_SMOOTHING = 0.5  # label smoothing: beyond it the right digit's target is no larger than a wrong one's share
MAX_SEED = 2**63 - 1  # torch takes 0 .. 2**64-1 (negatives wrap), NumPy no negatives: this fits both and int64

REPORTING = frozenset({"eval_subset", "evals_per_epoch"})  # how often a stepped run measures itself


@dataclass(frozen=True)
class TrainConfig:
    # model
    arch: str = "mlp:128,64"  # spec string: linear | mlp:W1,W2,... | cnn | lenet5 | scratch:H | knn
    activation: str = "relu"  # hidden-layer non-linearity for mlp (scratch is always sigmoid)
    # objective
    loss: str = "ce"  # ce: cross-entropy on logits; mse: squared error vs one-hot; hinge: multiclass SVM
    l2: float = 0.0  # weight of the L2 penalty 0.5*l2*sum(w^2) added to the loss (0 = off)
    label_smoothing: float = 0.0  # ce only: the target puts this much of its weight evenly on all ten digits
    # optimisation
    optimizer: str = "adam"  # sgd | momentum (SGD with momentum 0.9) | adam
    lr: float = 1e-3  # learning rate (peak rate under onecycle)
    batch_size: int = 64  # training images per step
    epochs: int = 1  # passes over the training set
    schedule: str = "constant"  # constant | onecycle (warm up to lr, then anneal to ~0)
    # where and how reproducibly
    device: str = "auto"  # auto (cuda, then mps, then cpu) | cpu | cuda | mps
    seed: int = 0  # seeds weight init and batch order: same seed, same run
    # stopping and reporting
    target_accuracy: float | None = None  # stop once full-test accuracy reaches this (0-1)
    train_subset: int | None = None  # use only the first N training images (quick demos, tests)
    eval_subset: int = 1000  # test images used for the cheap in-epoch evaluations
    evals_per_epoch: int = 4  # cheap evaluations per epoch (a full one always ends the epoch)
    # k-nearest neighbours (arch == "knn")
    k: int = 3  # neighbours that vote
    knn_features: str = "blocks"  # blocks: ink per cell of a grid; pixels: raw 784 values
    knn_grid: int = 7  # blocks: the image is cut into grid x grid cells (7 -> 4x4-pixel cells, 49 features)

    def replace(self, **changes) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}", "config_unknown",
                              names=", ".join(sorted(unknown)))
        return cls(**d).validated()

    @property
    def family(self) -> str:
        """torch | scratch | knn: which learner trains this config."""
        return family_of(self.arch)

    def settings(self) -> tuple[str, ...]:
        """The fields this learner actually has: a kNN has no loss, optimizer, rate or epochs; the NumPy
        network trains with its own quadratic cost and plain SGD; torch models have no k."""
        uses = _families()[self.family].uses
        stepped = "epochs" in uses
        first = ("arch", "k", "knn_features", "knn_grid")  # a kNN's own settings read first
        names = [*first, *(n for n in self.to_dict() if n not in first)]
        return tuple(n for n in names if n == "arch" or (stepped and n in REPORTING)
                     or (n in uses and (n != "knn_grid" or self.knn_features == "blocks")
                         and (n != "label_smoothing" or self.loss == "ce")))

    def validated(self) -> TrainConfig:
        """Return self, or raise ConfigError with a message fit for a user."""
        _check_size(self.arch)
        _choice("activation", self.activation, ACTIVATIONS)
        _choice("loss", self.loss, LOSSES)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("schedule", self.schedule, SCHEDULES)
        _choice("device", self.device, DEVICES)
        _choice("knn features", self.knn_features, KNN_FEATURES)
        if not self.lr > 0:
            raise ConfigError(f"learning rate must be > 0, got {self.lr}", "config_lr", value=self.lr)
        if not math.isfinite(self.lr):
            raise ConfigError(f"learning rate must be a finite number, got {self.lr}", "config_lr_finite",
                              value=self.lr)
        if self.batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, got {self.batch_size}", "config_batch",
                              value=self.batch_size)
        if self.epochs < 1:
            raise ConfigError(f"epochs must be at least 1, got {self.epochs}", "config_epochs", value=self.epochs)
        if self.epochs > MAX_EPOCHS or self.batch_size > MAX_BATCH:
            raise ConfigError(f"at most {MAX_EPOCHS} epochs of batches of at most {MAX_BATCH:,} images, got "
                              f"{self.epochs} of {self.batch_size}", "config_too_long", epochs=MAX_EPOCHS,
                              batch=f"{MAX_BATCH:,}")
        if self.l2 < 0:
            raise ConfigError(f"L2 weight must be >= 0, got {self.l2}", "config_l2", value=self.l2)
        if not math.isfinite(self.l2):
            raise ConfigError(f"L2 weight must be a finite number, got {self.l2}", "config_l2_finite", value=self.l2)
        if not 0 <= self.label_smoothing <= MAX_SMOOTHING:  # NaN fails too
            raise ConfigError(f"label smoothing must be between 0 and {MAX_SMOOTHING}, got {self.label_smoothing}",
                              "config_smoothing", value=self.label_smoothing, limit=MAX_SMOOTHING)
        if not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"seed must be between 0 and {MAX_SEED}, got {self.seed}", "config_seed",
                              value=self.seed, limit=MAX_SEED)
        if self.target_accuracy is not None and not 0 < self.target_accuracy <= 1:
            raise ConfigError(f"target accuracy must be in (0, 1], got {self.target_accuracy}", "config_target",
                              value=self.target_accuracy)
        if self.train_subset is not None and self.train_subset < 1:
            raise ConfigError(f"train subset must be at least 1, got {self.train_subset}", "config_subset",
                              value=self.train_subset)
        if not (1 <= self.eval_subset <= MAX_EVAL_SUBSET and 1 <= self.evals_per_epoch <= MAX_EVALS_PER_EPOCH):
            raise ConfigError(f"the evaluations need 1 to {MAX_EVAL_SUBSET:,} images and 1 to {MAX_EVALS_PER_EPOCH} "
                              "evaluations per epoch", "config_eval", images=f"{MAX_EVAL_SUBSET:,}",
                              per_epoch=MAX_EVALS_PER_EPOCH)
        if self.k < 1:
            raise ConfigError(f"k must be at least 1, got {self.k}", "config_k", value=self.k)
        if not 1 <= self.knn_grid <= 28:
            raise ConfigError(f"knn grid must be between 1 and 28, got {self.knn_grid}", "config_grid",
                              value=self.knn_grid)
        _check_family_limits(self)
        return self


def _check_family_limits(config: TrainConfig) -> None:
    """The ranges the learner's family sets for its own settings (kNN's k, say), the form's ranges too."""
    for name, (lo, hi) in _families()[config.family].limits.items():
        value = getattr(config, name)
        if not lo <= value <= hi:
            raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}", "config_range", name=name,
                              value=value, lo=lo, hi=hi)


def _families() -> dict:
    """The family registry, core.learn.families: each family says which kinds it trains, the settings it uses, their
    ranges and its size. Imported when first asked, since it imports torch: a spec too large to build is refused
    by arithmetic before that (_check_size)."""
    from core.learn.families import FAMILIES

    return FAMILIES


def _family_of_kind(kind: str):
    return next((family for family in _families().values() if kind in family.archs), None)


def family_of(arch: str) -> str:
    """torch | scratch | knn for an architecture spec ("mlp:128,64") or kind ("mlp"): the family that trains it."""
    family = _family_of_kind(arch.split(":", 1)[0])
    return family.name if family is not None else "torch"


def _choice(what: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"unknown {what} {value!r}; choose one of: {', '.join(allowed)}", "config_choice",
                          what=what, value=value, allowed=", ".join(allowed))


def parameter_count(arch: str) -> int:
    """Weights and biases of the learner an arch spec builds, by arithmetic (0 for kNN, which only remembers)."""
    head, widths = parse_arch(arch)
    return _family_of_kind(head).size(head, widths)


def _check_size(arch: str) -> None:
    """Refuse an architecture too deep or too large for a shared classroom machine, before building it. Any spec
    with hidden widths is a fully connected chain: a huge one is refused by that arithmetic alone, before the
    families (and torch) are imported."""
    widths = split_spec(arch)[1] or []  # not integers: parse_arch says what is wrong with them
    if len(widths) > MAX_HIDDEN_LAYERS:
        raise ConfigError(f"the architecture has {len(widths)} hidden layers; at most {MAX_HIDDEN_LAYERS} are "
                          "allowed", "config_depth", layers=len(widths), limit=MAX_HIDDEN_LAYERS)
    count = chain_parameters(widths) if widths and all(0 < w <= MAX_WIDTH for w in widths) else 0
    if count <= MAX_PARAMETERS:
        count = parameter_count(arch)  # the family's own count, once the spec is known to be one
    if count > MAX_PARAMETERS:
        raise ConfigError(f"architecture {arch!r} has {count:,} parameters; at most {MAX_PARAMETERS:,} are "
                          "allowed", "config_size", count=f"{count:,}", limit=f"{MAX_PARAMETERS:,}")


def parse_arch(spec: str) -> tuple[str, list[int]]:
    """'mlp:128,64' -> ('mlp', [128, 64]); raise ConfigError for anything unknown."""
    head, widths = split_spec(spec)
    family = _family_of_kind(head)
    if family is not None and head not in family.widths and widths == []:
        return head, []
    if family is not None and head in family.widths:
        _, example, layers = family.widths[head]
        if widths and all(0 < w <= MAX_WIDTH for w in widths) and layers in (None, len(widths)):
            return head, widths
        raise ConfigError(f"architecture {spec!r} needs positive hidden widths, e.g. {example}", "config_widths",
                          spec=spec, example=example)
    kinds = [f.widths[kind][0] if kind in f.widths else kind for f in _families().values() for kind in f.archs]
    raise ConfigError(f"unknown architecture {spec!r}; use one of: {', '.join(kinds)}", "config_arch", spec=spec,
                      allowed=", ".join(kinds))
