"""The experiments' readings in the reader's language: the shared settings line and the one-line summary.

The numbers come from core.learn.experiments (outcome, ranked); the words live here, beside the catalogs.
"""

from __future__ import annotations

from core.learn.config import TrainConfig
from core.learn.experiments import THRESHOLD, Experiment, Outcome, ranked
from ui.i18n import t


def shared_summary(exp: Experiment, base: TrainConfig, lang: str = "en") -> str:
    """What every run of `exp` has in common, leaving out the compared field(s), e.g. 'mlp:128,64 · relu · ...'."""
    cfg = exp.shared(base)
    parts = [
        ("arch", cfg.arch),
        ("activation", cfg.activation if cfg.arch.startswith("mlp") else None),
        ("loss", cfg.loss),
        ("optimizer", cfg.optimizer),
        ("lr", t("compare.shared.lr", lang, lr=f"{cfg.lr:g}")),
        ("batch_size", t("compare.shared.batch", lang, n=cfg.batch_size)),
        ("epochs", t("compare.shared.epochs", lang, n=cfg.epochs)),
        ("train_subset", t("compare.shared.images", lang, n=f"{cfg.train_subset:,}") if cfg.train_subset else None),
        ("seed", t("compare.shared.seed", lang, n=cfg.seed)),
    ]
    return " · ".join(text for field, text in parts if text is not None and field not in exp.fields)


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _epochs(x: float | None) -> str:
    return "?" if x is None else (f"{x:.2f}".rstrip("0").rstrip(".") or "0")


def _seconds(s: float | None, lang: str) -> str:
    if s is None:
        return "?"
    return t("compare.sum.seconds", lang, s=f"{s:.1f}" if s < 10 else f"{s:.0f}")


def describe(o: Outcome, threshold: float = THRESHOLD, lang: str = "en", bold: bool = False) -> str:
    """One run's part of the summary, e.g. 'Adam reached 96.1% (90% after 0.4 epochs, 3.2 s)'."""
    label = f"**{o.label}**" if bold else o.label
    if o.status == "diverged":
        return t("compare.sum.diverged", lang, label=label)
    if o.acc is None:
        return t("compare.sum.nothing", lang, label=label)
    if o.reached:
        return t("compare.sum.reached", lang, label=label, acc=_pct(o.acc), threshold=f"{threshold:.0%}",
                 epochs=_epochs(o.reached.get("epoch")), time=_seconds(o.reached.get("seconds"), lang))
    return t("compare.sum.never", lang, label=label, acc=_pct(o.acc), threshold=f"{threshold:.0%}")


def summarize(results: list[tuple[str, list[dict]]], lang: str = "en", threshold: float = THRESHOLD) -> str:
    """The comparison in one line, best first: who reached the highest accuracy, and how fast."""
    outs = ranked(results, threshold)
    if not outs:
        return ""
    parts = [describe(o, threshold, lang, bold=i == 0 and len(outs) > 1) for i, o in enumerate(outs)]
    text = t("compare.sum.sep", lang).join(parts) + t("compare.sum.end", lang)
    if any(o.status == "running" for o in outs):
        text = t("compare.sum.so_far", lang) + text
    return text
