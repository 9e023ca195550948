"""A run in memory: a trained (or partly trained) learner, its settings and its history; what `train` returns.

`collect` turns training.train()'s events into a Run; `summary` is one row of the runs table. Saving and
loading run files is the classroom server's business (core.lab.runfiles); this module knows no files.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import torch

from core.learn.config import TrainConfig
from core.learn.events import history_entry, in_history
from core.learn.history import History

ORIGINS = ("trained", "disk", "upload")  # where a run came from: this app, a runs folder, an uploaded zip


@dataclass
class Run:
    """A trained (or partly trained) learner with its settings and everything it reported."""

    name: str
    config: TrainConfig
    model: object
    history: Sequence[dict] = field(default_factory=list)  # a list, or a compact History read from disk
    created: float = field(default_factory=time.time)
    origin: str = "trained"  # one of ORIGINS

    @property
    def final(self) -> dict:
        if isinstance(self.history, History):
            return self.history.last("final") or {}
        return next((e for e in reversed(self.history) if e["kind"] == "final"), {})

    @property
    def test_acc(self) -> float | None:
        evals = self.evals(full_only=True)
        return evals[-1]["test_acc"] if evals else None

    @property
    def seconds(self) -> float | None:
        return self.final.get("seconds")

    @property
    def status(self) -> str:
        return self.final.get("status", "unknown")

    @property
    def diverged(self) -> bool:
        """True when training blew up (its loss became NaN or inf) or its weights are not all finite numbers:
        such a run is kept for its curve, but it reads nothing, so pages never pick it by default."""
        if self.status == "diverged":
            return True
        if self.__dict__.get("_finite") is None:
            try:
                tensors = self.model.state_dict().values()
                self.__dict__["_finite"] = all(bool(torch.isfinite(v).all()) for v in tensors
                                               if torch.is_tensor(v) and v.is_floating_point())
            except Exception:  # a learner without tensors to check
                self.__dict__["_finite"] = True
        return not self.__dict__["_finite"]

    @property
    def version(self) -> tuple:
        """Names these weights for a cache without loading them: a DiskRun's weights file and its time; for a run
        held only in memory, its model's id."""
        return ("memory", id(self.model))

    def evals(self, full_only: bool = False) -> list[dict]:
        events = self.history.rows("eval") if isinstance(self.history, History) else self.history
        return [e for e in events if e["kind"] == "eval" and (e.get("full") or not full_only)]


def collect(events: Iterable[dict], name: str, config: TrainConfig, on_event=None) -> Run:
    """The one function that turns train()'s events into a Run (the command line and tests use it; a worker
    writes the same events to disk as they come). `on_event(event)` sees each event first."""
    history, final = [], {}
    for event in events:
        if on_event is not None:
            on_event(event)
        if not in_history(event):
            continue
        history.append(history_entry(event))
        if event["kind"] == "final":
            final = event
    return Run(name=name, config=config, model=final.get("model"), history=history)


def summary(run: Run) -> dict:
    """One row of the runs table: name, settings, final test accuracy, time, status and origin."""
    c, has = run.config, set(run.config.settings())

    def value(field: str):
        return getattr(c, field) if field in has else None  # None: this learner has no such setting

    return {
        "name": run.name, "arch": c.arch, "loss": value("loss"), "optimizer": value("optimizer"), "lr": value("lr"),
        "batch_size": value("batch_size"), "epochs": value("epochs"), "test_acc": run.test_acc,
        "seconds": run.seconds, "status": run.status, "origin": run.origin,
    }


def state_dict(model) -> dict[str, torch.Tensor]:
    """The learner's tensors on the CPU, detached and contiguous: what a weights file holds."""
    sd = model.state_dict()
    return {k: v.detach().cpu().contiguous() for k, v in sd.items()}
