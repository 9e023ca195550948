"""A training setup as one short, readable text, for a link that opens the Train page filled in.

    arch=mlp:128,64;act=relu;loss=ce;l2=0;opt=adam;lr=0.001;batch=64;epochs=3;sched=constant;seed=0

to_setup(config) writes it; from_setup(text) reads it back as a validated TrainConfig, or raises ConfigError
with a reason a page can show (a link is typed by strangers: anything unknown, malformed or out of range
is refused whole, never half-applied). Only what the Train form's controls can show travels in a link; the
device (this machine's, not the link's) and the evaluation settings keep their defaults.
"""

from __future__ import annotations

import math

from core.learn.config import ConfigError, TrainConfig

MAX_SETUP_CHARS = 400  # a real setup is under 150 characters
# link key -> (TrainConfig field, how to read the value)
FIELDS = {
    "arch": ("arch", str), "act": ("activation", str), "loss": ("loss", str), "l2": ("l2", float),
    "ls": ("label_smoothing", float),
    "opt": ("optimizer", str), "lr": ("lr", float), "batch": ("batch_size", int), "epochs": ("epochs", int),
    "sched": ("schedule", str), "seed": ("seed", int), "k": ("k", int), "feat": ("knn_features", str),
    "grid": ("knn_grid", int),
}
# Ranges a link may ask for: what the Train form's controls offer (a config from the command line may go further).
RANGES = {"lr": (1e-5, 10.0), "l2": (0.0, 0.1), "label_smoothing": (0.0, 0.5), "batch_size": (1, 2048),
          "epochs": (1, 100), "seed": (0, 2**31 - 1),
          "k": (1, 50), "knn_grid": (1, 28)}


def to_setup(config: TrainConfig) -> str:
    """The setup text of a config: only the settings its learner uses (a kNN link has no learning rate)."""
    used = set(config.settings())
    parts = []
    for short, (field, _) in FIELDS.items():
        if field not in used and field != "arch" or field == "label_smoothing" and not config.label_smoothing:
            continue  # smoothing only when on: a link without it reads as it always did
        value = getattr(config, field)
        parts.append(f"{short}={value:g}" if isinstance(value, float) else f"{short}={value}")
    return ";".join(parts)


def from_setup(text: str) -> TrainConfig:
    """The TrainConfig a setup text describes (defaults for what it leaves out); ConfigError if it is not one."""
    text = (text or "").strip()
    if not text:
        raise ConfigError("this settings link is empty", "setup_empty")
    if len(text) > MAX_SETUP_CHARS:
        raise ConfigError(f"this settings link is longer than {MAX_SETUP_CHARS} characters", "setup_long",
                          limit=MAX_SETUP_CHARS)
    values: dict = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        short, sep, raw = part.partition("=")
        short, raw = short.strip(), raw.strip()
        if not sep or short not in FIELDS:
            raise ConfigError(f"{short[:20]!r} is not a setting", "setup_unknown", name=short[:20])
        field, kind = FIELDS[short]
        if field in values:
            raise ConfigError(f"{short} is given twice", "setup_twice", name=short)
        try:
            value = kind(raw)
        except ValueError:
            raise ConfigError(f"{short}={raw[:20]!r} is not a number", "setup_number", name=short,
                              value=raw[:20]) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{short}={raw[:20]} is not a finite number", "setup_number", name=short,
                              value=raw[:20])
        low_high = RANGES.get(field)
        if low_high and not low_high[0] <= value <= low_high[1]:
            raise ConfigError(f"{short}={raw[:20]} is outside {low_high[0]:g} .. {low_high[1]:g}", "setup_range",
                              name=short, value=raw[:20], low=f"{low_high[0]:g}", high=f"{low_high[1]:g}")
        values[field] = value
    if "arch" not in values:
        raise ConfigError("this settings link names no architecture (arch=...)", "setup_no_arch")
    return TrainConfig(**values).validated()
