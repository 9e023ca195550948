"""What a class's students have done, for the teacher's page: read-only, cheap, cached per version of a run.

Only a run's config.json and the eval/final lines of its metrics.jsonl are read (never the weights: 40
students x 5 runs are 200 folders), and each run is parsed once per version of those two files (their
mtimes), so a page redrawn every few seconds only stats the folders. Nothing here writes a student's folder.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from core.lab import workspaces as wss
from core.lab.classes import Class, Member, members
from core.lab.jobs import store as jobs
from core.lab.runfiles.format import FILES, RunError, config_from_json
from core.learn.config import ConfigError, TrainConfig, parameter_count
from core.learn.presets import PRESETS
from core.learn.setup import FIELDS, from_setup

CACHED_RUNS = 4096  # parsed runs kept per process (a few KB each)
# What makes a recipe: the settings a setup link carries, but not the seed (a student who reruns a preset with
# another seed still ran that preset). A run does not record the preset it came from (its config.json is the
# plain TrainConfig); it is matched by these settings, so runs made before this, or on the command line, count.
RECIPE = tuple(field for field, _ in FIELDS.values() if field != "seed")


def recipe(config: TrainConfig, fields: tuple[str, ...] = RECIPE) -> tuple:
    """The (field, value) pairs of `fields` this config's learner uses: equal recipes, same training."""
    used = set(config.settings())
    return tuple((f, getattr(config, f)) for f in fields if f in used or f == "arch")


_PRESET_RECIPES = {recipe(p.config): name for name, p in PRESETS.items()}


def preset_of(config: TrainConfig) -> str | None:
    """The name of the preset this config is (seed, device and evaluation settings aside), or None."""
    return _PRESET_RECIPES.get(recipe(config))


def setup_matcher(pinned: str | None, locked: tuple[str, ...] = ()):
    """A test `config -> bool` for the runs of a class's pinned setup: with locked controls, the runs that keep the
    locked settings (the lesson's runs: "everyone changes only the learning rate"); without, the runs of exactly
    that recipe. None when nothing (valid) is pinned."""
    try:
        config = from_setup(pinned or "")
    except ConfigError:
        return None
    fields = tuple(f for f in RECIPE if f in locked) or RECIPE
    wanted = recipe(config, fields)
    return lambda other: recipe(other, fields) == wanted


@dataclass(frozen=True)
class RunInfo:
    """One finished run of a student, as the class page shows it."""

    name: str
    config: TrainConfig
    test_acc: float | None
    curve: tuple[tuple[float, float], ...]  # (epoch, test accuracy) of every evaluation
    status: str  # finished | target | stopped | diverged | unknown
    ended: float  # the time its metrics were last written
    preset: str | None = None  # the preset it is, by its settings (preset_of)

    @property
    def parameters(self) -> int:
        return parameter_count(self.config.arch)


@dataclass(frozen=True)
class Live:
    """The job a student is training now."""

    name: str
    state: str
    fraction: float
    test_acc: float | None


@dataclass(frozen=True)
class MemberWork:
    member: Member
    runs: list[RunInfo] = field(default_factory=list)
    live: Live | None = None
    last_active: float | None = None

    @property
    def best(self) -> RunInfo | None:
        scored = [r for r in self.runs if r.test_acc is not None and r.status != "diverged"]
        return max(scored, key=lambda r: r.test_acc) if scored else None


_cache: OrderedDict[str, tuple[tuple, RunInfo | None]] = OrderedDict()


def _evals(text: str) -> tuple[list[tuple[float, float]], float | None, dict]:
    """The (epoch, accuracy) of every evaluation (the quick in-epoch ones too: a curve, not two dots) and the
    final event, without parsing each step."""
    curve, full, final = [], None, {}
    for line in text.splitlines():
        if '"eval"' in line:
            cut = line.find(', "test_preds"')  # thousands of predictions this page never needs
            try:
                event = json.loads(line[:cut] + "}" if cut > 0 else line)
            except ValueError:
                continue
            if isinstance(event.get("test_acc"), int | float) and isinstance(event.get("epoch"), int | float):
                curve.append((float(event["epoch"]), float(event["test_acc"])))
                if event.get("full"):
                    full = float(event["test_acc"])  # what Run.test_acc says: the last full evaluation
        elif '"final"' in line:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("kind") == "final":
                final = event
    return curve, full, final


def read_run(folder: Path) -> RunInfo | None:
    """A run folder's summary (None for a folder that is no run, or not a finished one), cached per version."""
    try:
        stamp = tuple((folder / f).stat().st_mtime_ns for f in ("config.json", "metrics.jsonl"))
    except OSError:
        return None
    try:
        stamp += ((folder / FILES[2]).stat().st_mtime_ns,)  # a run is finished once it has its weights
    except OSError:
        stamp += (None,)
    key = str(folder)
    hit = _cache.get(key)
    if hit is not None and hit[0] == stamp:
        _cache.move_to_end(key)
        return hit[1]
    info = None
    try:
        if stamp[2] is not None:
            config = config_from_json((folder / "config.json").read_bytes())
            curve, acc, final = _evals((folder / "metrics.jsonl").read_text(errors="replace"))
            info = RunInfo(folder.name, config, acc if isinstance(acc, int | float) else None, tuple(curve),
                           str(final.get("status", "unknown")), stamp[1] / 1e9, preset_of(config))
    except (OSError, RunError, ConfigError, ValueError):
        info = None
    _cache[key] = (stamp, info)
    while len(_cache) > CACHED_RUNS:
        _cache.popitem(last=False)
    return info


def member_work(m: Member) -> MemberWork:
    """A student's finished runs (oldest first), the job training now and when they last did something."""
    ws = wss.at(m.workspace)
    live, unfinished, active = None, set(), []
    try:
        job_list = jobs.list_jobs(ws)
    except OSError:
        job_list = []
    for job in job_list:
        active.append(job.created)
        if not job.done:
            unfinished.add(job.name)
            if live is None and job.state in ("running", "paused", "queued", "interrupted"):
                info = job.latest() if job.state != "queued" else {}
                live = Live(job.name, job.state, float(info.get("fraction") or 0.0), info.get("test_acc"))
    runs = []
    try:
        folders = [d for d in ws.runs_dir.iterdir() if d.is_dir() and not d.name.startswith(".")]
    except OSError:
        folders = []
    for folder in folders:
        if folder.name in unfinished:
            continue
        info = read_run(folder)
        if info is not None:
            runs.append(info)
            active.append(info.ended)
    runs.sort(key=lambda r: r.ended)
    return MemberWork(m, runs, live, max(active) if active else None)


def class_work(cls: Class) -> list[MemberWork]:
    """Every student's work, in the order they joined."""
    return [member_work(m) for m in members(cls)]


def ago(seconds_since: float | None, now: float | None = None) -> float | None:
    return None if seconds_since is None else max(0.0, (now or time.time()) - seconds_since)
