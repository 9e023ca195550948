"""The Train page's form as plain values: choices, form values <-> TrainConfig, run names, advice.

A "form" is a dict of the controls' values keyed by TrainConfig field names, plus `arch_kind`
(linear | mlp | cnn | lenet5 | scratch | knn), `widths` (text like "128,64") and `hidden` (scratch H).
Nothing here knows about Streamlit, so the page stays thin and this is tested directly.
"""

from __future__ import annotations

import math

from core.learn.config import MAX_WIDTH, ConfigError, TrainConfig, family_of, parse_arch
from core.learn.families import ARCH_KINDS, FAMILIES
from core.learn.presets import PRESETS
from ui.i18n import t

CUSTOM = "custom"  # the preset picker's "my own settings" entry


def _log_grid(lo_exp: int, hi_exp: int, mantissas: tuple[int, ...]) -> tuple[float, ...]:
    values = [float(f"{m}e{e}") for e in range(lo_exp, hi_exp + 1) for m in mantissas]
    return tuple(v for v in values if float(f"1e{lo_exp}") <= v <= float(f"1e{hi_exp}"))


# Learning rates 1e-5 ... 10 in 1-2-3-5 steps (3 is there because several classic recipes use 3e-3 and 3.0).
LR_CHOICES = _log_grid(-5, 1, (1, 2, 3, 5))
L2_CHOICES = (0.0, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)  # 0 = no penalty
SMOOTHING_CHOICES = (0.0, 0.05, 0.1, 0.2, 0.3)  # 0 = plain cross-entropy
BATCH_CHOICES = tuple(sorted({1, 2, 4, 8, 10, 16, 32, 50, 64, 100, 128, 200, 256, 512, 1024, 2048}
                             | {p.config.batch_size for p in PRESETS.values()}))
TARGET_CHOICES = (0.0, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995)  # 0 = train all epochs
SUBSET_CHOICES = (1000, 2000, 5000, 10000, 20000, 30000, 0)  # training images; 0 = all of them
MAX_EPOCHS = 100



def uses(arch_kind: str, setting: str) -> bool:
    """Does this architecture use this setting? (activation: only mlp; the others are fixed.) The page hides the
    settings a learner's family does not train with (core.learn.families)."""
    if setting == "activation":
        return arch_kind == "mlp"
    return setting in FAMILIES[family_of(arch_kind)].uses


def nearest(value: float, choices: tuple[float, ...], log: bool = True) -> float:
    """The choice closest to `value` (on a log scale for positive choices)."""
    if log and value > 0:
        positive = [c for c in choices if c > 0]
        return min(positive, key=lambda c: abs(math.log(c) - math.log(value)))
    return min(choices, key=lambda c: abs(c - value))


def parse_widths(text: str) -> list[int]:
    """'128, 64' (or 'mlp:128,64') -> [128, 64]; ConfigError for anything else."""
    cleaned = text.strip().removeprefix("mlp:").replace(" ", "")
    try:
        _, widths = parse_arch(f"mlp:{cleaned}")
    except ConfigError:
        raise ConfigError(f"hidden widths {text!r} are not a list of positive whole numbers, e.g. 128,64",
                          "config_widths_text", text=text) from None
    return widths


def arch_spec(form: dict) -> str:
    """The architecture spec string (e.g. 'mlp:128,64') from the form's kind, widths and hidden size."""
    kind = form["arch_kind"]
    if kind == "mlp":
        return "mlp:" + ",".join(str(w) for w in parse_widths(str(form.get("widths", ""))))
    if kind == "scratch":
        hidden = int(form.get("hidden") or 0)
        if not 1 <= hidden <= MAX_WIDTH:
            raise ConfigError(f"the hidden layer needs between 1 and {MAX_WIDTH} units, got {hidden}", "config_hidden",
                              value=hidden)
        return f"scratch:{hidden}"
    if kind not in ARCH_KINDS:
        raise ConfigError(f"unknown architecture {kind!r}; use one of: {', '.join(ARCH_KINDS)}", "config_arch",
                          spec=kind, allowed=", ".join(ARCH_KINDS))
    return kind


def config_from_form(form: dict) -> TrainConfig:
    """A validated TrainConfig from the form; settings the learner does not use take their fixed/default value."""
    kind = form["arch_kind"]
    default = TrainConfig()
    values = {"arch": arch_spec(form)}
    for name in ("activation", "loss", "l2", "label_smoothing", "optimizer", "lr", "batch_size", "epochs", "schedule",
                 "device", "seed", "target_accuracy", "train_subset", "k", "knn_features", "knn_grid"):
        values[name] = form[name] if uses(kind, name) and name in form else getattr(default, name)
    if values["loss"] != "ce":  # smoothing is cross-entropy's: the control is hidden for the other losses
        values["label_smoothing"] = default.label_smoothing
    values.update(FAMILIES[family_of(kind)].fixed)
    values["target_accuracy"] = values["target_accuracy"] or None  # 0 = off
    values["train_subset"] = values["train_subset"] or None  # 0 = all
    values["lr"], values["l2"] = float(values["lr"]), float(values["l2"])
    values["label_smoothing"] = float(values["label_smoothing"])
    for name in ("batch_size", "epochs", "seed", "k", "knn_grid"):
        values[name] = int(values[name])
    return TrainConfig(**values).validated()


def form_from_config(config: TrainConfig, available: set[str] | None = None) -> dict:
    """The form values that reproduce `config` (snapped to the controls' choices)."""
    head, widths = parse_arch(config.arch)
    form = {
        "arch_kind": head, "activation": config.activation, "loss": config.loss,
        "l2": nearest(config.l2, L2_CHOICES) if config.l2 else 0.0, "optimizer": config.optimizer,
        "label_smoothing": nearest(config.label_smoothing, SMOOTHING_CHOICES, log=False),
        "lr": nearest(config.lr, LR_CHOICES), "batch_size": int(nearest(config.batch_size, BATCH_CHOICES)),
        "epochs": min(config.epochs, MAX_EPOCHS), "schedule": config.schedule,
        "device": config.device if available is None or config.device in available else "auto",
        "seed": config.seed, "target_accuracy": nearest(config.target_accuracy or 0.0, TARGET_CHOICES, log=False),
        "train_subset": config.train_subset if config.train_subset in SUBSET_CHOICES else 0,
        "k": config.k, "knn_features": config.knn_features, "knn_grid": config.knn_grid,
    }
    if head == "mlp":
        form["widths"] = ",".join(str(w) for w in widths)
    if head == "scratch":
        form["hidden"] = widths[0]
    return form


def run_name(config: TrainConfig, preset: str | None = None) -> str:
    """A short, readable name: the preset's if the config is that preset, else arch and optimizer."""
    if preset in PRESETS:  # not "custom", nor the class's setup
        if config_from_form(form_from_config(PRESETS[preset].config)) == config:
            return preset
    arch = config.arch.replace(":", "-").replace(",", "-")
    if config.family == "knn":
        return f"knn-k{config.k}-{config.knn_features}"
    if config.family == "scratch":
        return f"numpy-{arch.split('-', 1)[1]}"
    return f"{arch}-{config.optimizer}"


def distinct_name(base: str, config: TrainConfig, existing: dict) -> str:
    """`base`, or `base` plus what differs (loss, learning rate) when a run called `base` trained other
    settings: "mlp-32-sgd-mse-lr0.1" says more than "mlp-32-sgd-2"."""
    other = existing.get(base)
    if other is None or other.config == config:
        return base
    extra = []
    if "loss" in config.settings() and other.config.loss != config.loss:
        extra.append(config.loss)
    if "lr" in config.settings() and other.config.lr != config.lr:
        extra.append(f"lr{config.lr:g}")
    return "-".join([base, *extra])


def summary(config: TrainConfig, lang: str = "en") -> str:
    """One line with the settings that matter for this learner, e.g. 'mlp:32 · adam · lr 0.001 · batch 64 · 1 epoch'
    (the words in `lang`; settings' own names such as adam or lr stay as the controls show them)."""
    if config.family == "knn":
        grid = f" {config.knn_grid}x{config.knn_grid}" if config.knn_features == "blocks" else ""
        return f"knn · k={config.k} · {config.knn_features}{grid} · {config.device}"
    parts = [config.arch]
    if config.family == "torch":
        if config.arch.startswith("mlp"):
            parts.append(config.activation)
        smoothing = f"+LS {config.label_smoothing:g}" if config.loss == "ce" and config.label_smoothing else ""
        parts += [config.loss + smoothing + (f"+L2 {config.l2:g}" if config.l2 else ""), config.optimizer]
    epochs = t("train.sum.epochs" if config.epochs > 1 else "train.sum.epoch", lang, n=config.epochs)
    parts += [f"lr {config.lr:g}", t("train.sum.batch", lang, n=config.batch_size), epochs]
    if config.family == "torch":
        if config.schedule != "constant":
            parts.append(config.schedule)
        parts.append(config.device)
    return " · ".join(parts)


# Rates known to learn MNIST within an epoch, by (optimizer, loss): what the presets and the classic tutorials use.
# A tip never suggests a rate above these: 10x below a diverging lr 10 is lr 1, which does not learn either.
SAFE_LR = {
    ("adam", "ce"): 1e-3, ("adam", "mse"): 1e-3, ("adam", "hinge"): 1e-3,
    ("momentum", "ce"): 1e-2, ("momentum", "mse"): 1e-2, ("momentum", "hinge"): 1e-2,
    ("sgd", "ce"): 1e-1, ("sgd", "mse"): 0.5, ("sgd", "hinge"): 1e-2,
}
SCRATCH_SAFE_LR = 3.0  # Nielsen's network.py: sigmoid units, quadratic cost, plain SGD at 3.0


def safe_lr(config: TrainConfig) -> float:
    """A learning rate that learns with this optimizer and loss: 10x below the config's, at most the known one."""
    known = SCRATCH_SAFE_LR if config.family == "scratch" else SAFE_LR[(config.optimizer, config.loss)]
    smaller = [c for c in LR_CHOICES if c <= min(config.lr / 10, known) * 1.0001]
    return float(smaller[-1] if smaller else LR_CHOICES[0])


def divergence_tips(config: TrainConfig) -> list[tuple[str, dict, dict]]:
    """What to change after a run that diverged or did not learn, most useful first, as (i18n key, values,
    changes): `changes` is exactly what the tip says to set, so a test can train it and see that it learns."""
    lr = safe_lr(config)
    tips: list[tuple[str, dict, dict]] = [("train.tip.lr", {"lr": f"{lr:g}"}, {"lr": lr})]
    if config.family == "torch" and config.optimizer != "adam":
        tips.append(("train.tip.adam", {"lr": "0.001"}, {"optimizer": "adam", "lr": 1e-3}))
    if config.family == "torch" and config.schedule == "constant":
        tips.append(("train.tip.onecycle", {"lr": f"{lr:g}"}, {"schedule": "onecycle", "lr": lr}))
    if config.batch_size < 32:
        tips.append(("train.tip.batch", {"lr": f"{lr:g}"}, {"batch_size": 64, "lr": lr}))
    if config.family == "torch" and config.loss != "ce":
        ce_lr = safe_lr(config.replace(loss="ce"))
        tips.append(("train.tip.ce", {"lr": f"{ce_lr:g}"}, {"loss": "ce", "lr": ce_lr}))
    return tips


def lower_lr(config: TrainConfig) -> float:
    """The learning rate the 'try again' button applies: the first tip's."""
    return safe_lr(config)


def format_duration(seconds: float | None) -> str:
    """12.3 -> '12 s', 83 -> '1:23', 3725 -> '1:02:05'; None -> '–'."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
