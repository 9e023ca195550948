"""Challenges: a class's contest on a hidden test set, with a fair (Kaggle-like) leaderboard.

    classes/<class>/challenges/<id>/challenge.json    title, goal, rules, hidden set kind, opened, closed
    classes/<class>/challenges/<id>/hidden.npz        the hidden images (uint8) and labels, frozen at the start,
                                                      and which of them are public (the rest are private)
    classes/<class>/challenges/<id>/submissions.json  {id: member, nickname, run, submitted, state, scores}
    classes/<class>/challenges/<id>/runs/<id>/        the submitted run's config and weights, copied at submission
    classes/hidden-mnist/<class>-<id>                 present while a challenge hides MNIST's last test images
    classes/hidden-classset/<class>-<id>              present while a challenge scores on the class's handwriting

The hidden set is either the class's handwriting (the Draw page's class test set, copied when the challenge
opens; the Draw page shows none of the class set while such a challenge is open, `classset_hidden()`) or the last
tenth of the MNIST test images the app serves (`hidden_slice`: images 9,000-9,999 of the full set; with
MNIST_LAB_SUBSET the last tenth of the subset, so that what the pages leave out is what the workers score on),
which every page leaves out while such a challenge is open (`mnist_hidden()`). A fixed, seeded half of the hidden
images is public: its accuracy is shown while the challenge runs; the private half's only when the teacher closes it.
Each student's entry is their submission with the best public score; ties go to the earlier submission.
Rules are checked on the run's saved config. Scoring runs in a worker (`score_submission`, a Huey task next to
the training task, queued by core.lab.jobs.queue.enqueue_scoring), never in the web server; a submission's two
scores are written together, so nothing half-scored is ever listed. Nothing here changes a student's workspace.
"""

from __future__ import annotations

import csv
import io
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core import settings
from core.errors import LabError
from core.lab import classes
from core.lab import workspaces as wss
from core.learn.config import ConfigError, TrainConfig, parameter_count

HIDDEN_KINDS = ("mnist", "classset")
HIDDEN_SHARE = 10  # the last 1/10 of the test images the app serves is the "mnist" hidden set
MNIST_TEST = 10_000  # MNIST's test images
PUBLIC_FRACTION = 0.5
FINISHED = ("finished", "target")
MAX_TITLE, MAX_GOAL = 80, 400
FAMILIES = ("torch", "scratch", "knn")


class ChallengeError(LabError):
    """A challenge action refused; `code` says why (challenge_closed, challenge_not_member, challenge_run_missing,
    challenge_run_unfinished, challenge_run_diverged, challenge_cap, challenge_rule_parameters,
    challenge_rule_epochs, challenge_rule_family, challenge_rule_loss, challenge_title_bad, challenge_unknown,
    challenge_hidden_empty, challenge_rules_bad)."""


@dataclass(frozen=True)
class Rules:
    max_parameters: int | None = None
    max_epochs: int | None = None
    families: tuple[str, ...] = FAMILIES  # which learners may enter (kNN may be left out)
    losses: tuple[str, ...] | None = None  # torch runs' losses allowed (None: any)

    def to_dict(self) -> dict:
        return {"max_parameters": self.max_parameters, "max_epochs": self.max_epochs,
                "families": list(self.families), "losses": None if self.losses is None else list(self.losses)}

    @classmethod
    def from_dict(cls, d: dict) -> Rules:
        losses = d.get("losses")
        return cls(d.get("max_parameters"), d.get("max_epochs"), tuple(d.get("families") or FAMILIES),
                   None if losses is None else tuple(losses))


@dataclass(frozen=True)
class Challenge:
    id: str
    class_id: str
    title: str
    goal: str
    rules: Rules
    hidden: str  # mnist | classset
    opened: float
    closed: float | None = None

    @property
    def open(self) -> bool:
        return self.closed is None

    @property
    def folder(self) -> Path:
        return classes.get(self.class_id).folder / "challenges" / self.id


@dataclass(frozen=True)
class Submission:
    id: str
    member: str
    nickname: str
    run: str
    submitted: float
    state: str  # queued | scored | failed
    public: float | None = None
    private: float | None = None


@dataclass(frozen=True)
class Entry:
    """One line of the leaderboard: a student's best submission (by public score)."""

    rank: int
    nickname: str
    public: float
    private: float | None  # None while the challenge is open
    submitted: float
    submissions: int


# ---- files ---------------------------------------------------------------------------------------------------

_locked = classes.locked_folder  # one writer at a time in a challenge's folder


def _hidden_marks(kind: str = "mnist") -> Path:
    return settings.home() / "classes" / f"hidden-{kind}"


def _marked(kind: str) -> bool:
    try:
        return any(_hidden_marks(kind).iterdir())
    except OSError:
        return False


def mnist_hidden() -> bool:
    """True while an open challenge uses MNIST's last test images: every page then shows only those before."""
    return _marked("mnist")


def classset_hidden() -> bool:
    """True while an open challenge scores on the class's handwriting: the Draw page then shows none of it."""
    return _marked("classset")


def hidden_slice(n_test: int) -> tuple[int, int]:
    """The "mnist" hidden set among `n_test` served test images: [first, n_test), the last tenth (at least 2)."""
    return max(0, n_test - max(2, n_test // HIDDEN_SHARE)), n_test


def served_hidden_slice() -> tuple[int, int]:
    """hidden_slice of the test images this process serves (MNIST_LAB_SUBSET's first ones, else all 10,000)."""
    sub = settings.subset()
    return hidden_slice(min(sub[1], MNIST_TEST) if sub else MNIST_TEST)


# ---- challenges ----------------------------------------------------------------------------------------------

def _from_record(class_id: str, r: dict) -> Challenge:
    return Challenge(r["id"], class_id, r.get("title", ""), r.get("goal", ""), Rules.from_dict(r.get("rules", {})),
                     r.get("hidden", "mnist"), float(r.get("opened", 0)), r.get("closed"))


def challenges_of(cls: classes.Class) -> list[Challenge]:
    """The class's challenges, newest first."""
    root = cls.folder / "challenges"
    found = []
    for folder in root.iterdir() if root.is_dir() else ():
        record = classes.read_json(folder / "challenge.json")
        if record.get("id") == folder.name:
            found.append(_from_record(cls.id, record))
    return sorted(found, key=lambda c: c.opened, reverse=True)


def get(cls: classes.Class, challenge_id: str) -> Challenge:
    found = next((c for c in challenges_of(cls) if c.id == challenge_id), None)
    if found is None:
        raise ChallengeError("there is no such challenge in this class", "challenge_unknown")
    return found


def _hidden_images(kind: str, mnist=None) -> tuple[np.ndarray, np.ndarray]:
    """The hidden set: `mnist` is the dataset the pages serve (by default MNIST cut as MNIST_LAB_SUBSET says)."""
    if kind == "mnist":
        if mnist is None:
            from core.learn.data import load_mnist

            mnist = load_mnist()
            sub = settings.subset()
            mnist = mnist.subset(*sub) if sub else mnist
        lo, hi = hidden_slice(len(mnist.test_labels))
        return mnist.test_images[lo:hi].numpy(), mnist.test_labels[lo:hi].numpy().astype(np.int64)
    from core.lab.classset import class_dir, load_class_set

    return load_class_set(class_dir())


def open_challenge(cls: classes.Class, title: str, goal: str, rules: Rules, hidden: str = "mnist",
                   mnist=None) -> Challenge:
    """Open a challenge: its hidden set is copied now (frozen) and split into a public and a private half."""
    title, goal = classes.clean_text(title), classes.clean_text(goal)
    if not 1 <= len(title) <= MAX_TITLE or len(goal) > MAX_GOAL:
        raise ChallengeError(f"a challenge needs a title of 1 to {MAX_TITLE} characters (goal: at most {MAX_GOAL})",
                             "challenge_title_bad", limit=MAX_TITLE)
    if hidden not in HIDDEN_KINDS or not set(rules.families) <= set(FAMILIES) or not rules.families or any(
            v is not None and not (isinstance(v, int) and v >= 1) for v in (rules.max_parameters, rules.max_epochs)):
        raise ChallengeError("these challenge rules cannot be used", "challenge_rules_bad")
    images, labels = _hidden_images(hidden, mnist)
    if len(labels) < 2:
        raise ChallengeError("the hidden set needs at least 2 images (the class test set is empty?)",
                             "challenge_hidden_empty")
    cid = secrets.token_hex(4)
    folder = cls.folder / "challenges" / cid
    folder.mkdir(parents=True)
    public = np.zeros(len(labels), dtype=bool)
    order = np.random.default_rng(int(cid, 16)).permutation(len(labels))  # a fixed split per challenge
    public[order[:max(1, int(len(labels) * PUBLIC_FRACTION))]] = True
    np.savez(folder / "hidden.npz", images=images.astype(np.uint8), labels=labels.astype(np.int64), public=public)
    classes.write_json(folder / "submissions.json", {})
    record = {"id": cid, "title": title, "goal": goal, "rules": rules.to_dict(), "hidden": hidden,
              "opened": time.time(), "closed": None}
    classes.write_json(folder / "challenge.json", record)
    _hidden_marks(hidden).mkdir(parents=True, exist_ok=True)
    (_hidden_marks(hidden) / f"{cls.id}-{cid}").touch()
    return _from_record(cls.id, record)


def close_challenge(ch: Challenge) -> Challenge:
    """Close it: no more submissions, private scores revealed, the hidden images back on the pages."""
    with _locked(ch.folder):
        record = classes.read_json(ch.folder / "challenge.json")
        record["closed"] = record.get("closed") or time.time()
        classes.write_json(ch.folder / "challenge.json", record)
    (_hidden_marks(ch.hidden) / f"{ch.class_id}-{ch.id}").unlink(missing_ok=True)
    return _from_record(ch.class_id, record)


def hidden_set(ch: Challenge) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The frozen hidden images (uint8 [N, 28, 28]), labels and public mask: for scoring only, never a page."""
    with np.load(ch.folder / "hidden.npz") as z:  # numpy refuses pickled objects by default
        return z["images"], z["labels"], z["public"]


# ---- rules and submissions -----------------------------------------------------------------------------------

def rule_problems(rules: Rules, config: TrainConfig) -> list[ChallengeError]:
    """Why a run's saved config breaks the rules ([] when it qualifies)."""
    problems = []
    count = parameter_count(config.arch)
    if rules.max_parameters is not None and count > rules.max_parameters:
        problems.append(ChallengeError(f"the model has {count:,} parameters; the rules allow at most "
                                       f"{rules.max_parameters:,}", "challenge_rule_parameters", count=f"{count:,}",
                                       limit=f"{rules.max_parameters:,}"))
    if config.family not in rules.families:
        problems.append(ChallengeError(f"{config.family} runs may not enter this challenge", "challenge_rule_family",
                                       family=config.family))
    if rules.max_epochs is not None and config.family != "knn" and config.epochs > rules.max_epochs:
        problems.append(ChallengeError(f"the run trained {config.epochs} epochs; the rules allow at most "
                                       f"{rules.max_epochs}", "challenge_rule_epochs", epochs=config.epochs,
                                       limit=rules.max_epochs))
    if rules.losses is not None and config.family == "torch" and config.loss not in rules.losses:
        problems.append(ChallengeError(f"the loss {config.loss} is not allowed (allowed: {', '.join(rules.losses)})",
                                       "challenge_rule_loss", loss=config.loss, allowed=", ".join(rules.losses)))
    return problems


def submissions(ch: Challenge) -> list[Submission]:
    raw = classes.read_json(ch.folder / "submissions.json")
    found = [Submission(sid, s["member"], s["nickname"], s["run"], s["submitted"], s["state"], s.get("public"),
                        s.get("private")) for sid, s in raw.items() if isinstance(s, dict)]
    return sorted(found, key=lambda s: s.submitted)


def _finished_run(ws: wss.Workspace, run: str) -> TrainConfig:
    """The run's saved config, if the run is this workspace's and finished; ChallengeError otherwise."""
    from core.lab.classwork import read_run
    from core.lab.jobs import store as jobs

    folder = ws.runs_dir / run
    if not run or "/" in run or run.startswith(".") or not folder.is_dir():
        raise ChallengeError(f"this workspace has no run called {run!r}", "challenge_run_missing", run=run)
    if any(job.name == run and not job.done for job in jobs.list_jobs(ws)):
        raise ChallengeError(f"the run {run!r} is still training", "challenge_run_unfinished", run=run)
    info = read_run(folder)
    if info is None or info.status == "diverged":
        code = "challenge_run_diverged" if info is not None else "challenge_run_unfinished"
        raise ChallengeError(f"the run {run!r} is not a finished run", code, run=run)
    if info.status not in FINISHED:
        raise ChallengeError(f"the run {run!r} did not finish (it was {info.status})", "challenge_run_unfinished",
                             run=run)
    return info.config


def submit(ch: Challenge, ws: wss.Workspace, run: str) -> Submission:
    """Enter a finished run of this student's workspace, to be scored in a worker: the caller queues it with
    core.lab.jobs.queue.enqueue_scoring (the queue imports this module for its task, so this one does not import
    the queue). Refused with a reason: closed, not a member, a run that is not theirs, unfinished or diverged,
    breaking a rule, past MNIST_LAB_SUBMISSIONS."""
    if not get(classes.get(ch.class_id), ch.id).open:
        raise ChallengeError("this challenge is closed", "challenge_closed")
    mine = classes.membership(ws)
    if mine is None or mine[0].id != ch.class_id:
        raise ChallengeError("only the class's students can submit", "challenge_not_member")
    member = mine[1]
    config = _finished_run(ws, run)
    problems = rule_problems(ch.rules, config)
    if problems:
        raise problems[0]
    with _locked(ch.folder):
        raw = classes.read_json(ch.folder / "submissions.json")
        cap = settings.submissions()
        if sum(1 for s in raw.values() if s.get("member") == member.id) >= cap:
            raise ChallengeError(f"you have used your {cap} submissions", "challenge_cap", limit=cap)
        sid = secrets.token_hex(4)
        copy = ch.folder / "runs" / sid
        copy.mkdir(parents=True)
        try:
            for name in ("config.json", "model.safetensors"):  # the run as submitted: later changes do not count
                shutil.copyfile(ws.runs_dir / run / name, copy / name)
        except FileNotFoundError:  # deleted (or renamed) in another tab since it was checked above
            shutil.rmtree(copy, ignore_errors=True)
            raise ChallengeError(f"this workspace has no run called {run!r}", "challenge_run_missing",
                                 run=run) from None
        raw[sid] = {"member": member.id, "nickname": member.nickname, "run": run, "submitted": time.time(),
                    "state": "queued"}
        classes.write_json(ch.folder / "submissions.json", raw)
    return next(s for s in submissions(ch) if s.id == sid)


def score_submission(class_id: str, challenge_id: str, submission_id: str) -> str:
    """The worker's task: the submitted model's accuracy on the public and private hidden images, written
    together. Returns the submission's state."""
    import torch

    from core.lab.runfiles.format import config_from_json, model_from_bytes
    from core.learn.data import normalise
    from core.learn.training import evaluate

    ch = get(classes.get(class_id), challenge_id)
    copy = ch.folder / "runs" / submission_id
    update: dict = {"state": "failed"}
    try:
        config = config_from_json((copy / "config.json").read_bytes())
        model = model_from_bytes(config, (copy / "model.safetensors").read_bytes())
        images, labels, public = hidden_set(ch)
        x = normalise(torch.from_numpy(images)).unsqueeze(1)
        preds = evaluate(model, x, torch.from_numpy(labels), loss=None)["preds"].numpy()
        right = preds == labels
        update = {"state": "scored", "public": float(right[public].mean()), "private": float(right[~public].mean())}
    except (OSError, LabError, ConfigError, ValueError, RuntimeError) as exc:
        update["reason"] = str(exc)[:300]
    with _locked(ch.folder):
        raw = classes.read_json(ch.folder / "submissions.json")
        if submission_id in raw:
            raw[submission_id].update(update)
            classes.write_json(ch.folder / "submissions.json", raw)
    return update["state"]


def mark_sent(class_id: str, challenge_id: str, submission_id: str) -> None:
    """Note that a submission's scoring reached the queue (the pools' sweep re-sends those that never did)."""
    folder = classes.get(class_id).folder / "challenges" / challenge_id
    with _locked(folder):
        raw = classes.read_json(folder / "submissions.json")
        if isinstance(raw.get(submission_id), dict):
            raw[submission_id]["sent"] = time.time()
            classes.write_json(folder / "submissions.json", raw)


def waiting(unsent_only: bool = False, older_than: float = 0.0) -> list[tuple[str, str, str]]:
    """(class, challenge, submission) of every submission of every class still waiting for its scores, oldest
    first: all of them, or only those whose scoring never reached the queue (it was down when they were made),
    submitted at least `older_than` seconds ago."""
    found = []
    now = time.time()
    for path in (settings.home() / "classes").glob("*/challenges/*/submissions.json"):
        for sid, s in classes.read_json(path).items():
            if not isinstance(s, dict) or s.get("state") != "queued" or (unsent_only and s.get("sent")):
                continue
            if now - float(s.get("submitted", 0)) >= older_than:
                found.append((float(s.get("submitted", 0)), path.parents[2].name, path.parent.name, sid))
    return [f[1:] for f in sorted(found)]


# ---- the leaderboard -----------------------------------------------------------------------------------------

def leaderboard(ch: Challenge) -> list[Entry]:
    """Each student's best scored submission by public score (ties: the earlier one), ranked by the public score
    while open and by the private score once closed (ties: the earlier submission). Private scores only when
    closed; submissions not yet scored are not listed."""
    subs = submissions(ch)
    best: dict[str, Submission] = {}
    for s in subs:  # oldest first: a later submission must beat the public score to replace an earlier one
        if s.state == "scored" and (s.member not in best or s.public > best[s.member].public):
            best[s.member] = s
    counts = {m: sum(1 for s in subs if s.member == m) for m in best}
    key = (lambda s: (-s.public, s.submitted)) if ch.open else (lambda s: (-s.private, s.submitted))
    ranked = sorted(best.values(), key=key)
    return [Entry(i, s.nickname, s.public, None if ch.open else s.private, s.submitted, counts[s.member])
            for i, s in enumerate(ranked, start=1)]


def leaderboard_csv(ch: Challenge) -> str:
    """The leaderboard as CSV (nicknames only): rank, nickname, public and private accuracy, submitted, count."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rank", "nickname", "public_accuracy", "private_accuracy", "submitted_utc", "submissions"])
    for e in leaderboard(ch):
        nickname = "'" + e.nickname if e.nickname[:1] in "=+-@" else e.nickname  # no spreadsheet formulas
        writer.writerow([e.rank, nickname, f"{e.public:.4f}", "" if e.private is None else f"{e.private:.4f}",
                         time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(e.submitted)), e.submissions])
    return out.getvalue()


def used(ch: Challenge, member_id: str) -> int:
    """Submissions this student has made to this challenge."""
    return sum(1 for s in submissions(ch) if s.member == member_id)
