"""The command line: python -m core presets | train | evaluate | predict | worker | workspaces | classes |
check-settings | script."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from core.learn.config import (
    ACTIVATIONS,
    DEVICES,
    KNN_FEATURES,
    LOSSES,
    OPTIMIZERS,
    SCHEDULES,
    ConfigError,
    TrainConfig,
)
from core.learn.data import DataError

EVAL_KEYS = ("epoch", "step", "seen", "seconds", "train_loss", "test_loss", "test_acc")
MAX_THREADS = 256  # torch overflows at 2**31 and would start every thread asked for
# What a run folder may hold (a job's run also keeps its checkpoint): only such a folder is replaced with --force.
RUN_FILES = {"config.json", "metrics.jsonl", "model.safetensors", "checkpoint.safetensors"}


def say(text: str) -> None:
    """One line on stdout. If the reader has gone (`... | head -3`), go on quietly: a run is still saved."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # Point stdout at /dev/null, so neither later lines nor Python's flush at exit raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class CliError(Exception):
    """Reported as one line on stderr with exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + message
        raise CliError(f"{self.prog}: {message}")


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _thread_count(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_THREADS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_THREADS}, got {text}")
    return value


def _worker_count(text: str) -> int:
    from core.settings import MAX_WORKERS

    value = _positive_int(text)
    if value > MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_WORKERS}, got {text}")
    return value


def add_config_options(p: argparse.ArgumentParser) -> None:
    """--preset and one option per TrainConfig field (train and script take the same ones)."""
    d = TrainConfig()  # the defaults --help shows; with --preset, the preset's values are the defaults
    p.add_argument("--preset", help="start from a named recipe (see `presets`); other options override it")
    p.add_argument("--arch", help=f"architecture: linear | mlp:W1,W2,... | cnn | lenet5 | scratch:H | knn "
                                  f"(default: {d.arch})")
    p.add_argument("--loss", choices=LOSSES, help=f"ce (cross-entropy), mse (on one-hot) or hinge (default: {d.loss})")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help=f"sgd, momentum (0.9) or adam (default: {d.optimizer})")
    p.add_argument("--lr", type=_positive_float, help=f"learning rate, > 0 (default: {d.lr:g})")
    p.add_argument("--batch-size", type=_positive_int, help=f"images per step (default: {d.batch_size})")
    p.add_argument("--epochs", type=_positive_int, help=f"passes over the training set (default: {d.epochs})")
    p.add_argument("--activation", choices=ACTIVATIONS,
                   help=f"hidden-layer activation for mlp (default: {d.activation})")
    p.add_argument("--l2", type=float, help=f"L2 penalty weight, 0 = off (default: {d.l2:g})")
    p.add_argument("--label-smoothing", type=float,
                   help="cross-entropy only: the share of the target spread over all ten digits, 0-0.5 "
                        f"(default: {d.label_smoothing:g})")
    p.add_argument("--schedule", choices=SCHEDULES, help=f"learning-rate schedule (default: {d.schedule})")
    p.add_argument("--device", choices=DEVICES, help=f"auto picks cuda, then mps, then cpu (default: {d.device})")
    p.add_argument("--seed", type=int, help=f"seed for weights and batch order (default: {d.seed})")
    p.add_argument("--target-accuracy", type=float, help="stop once test accuracy reaches this, 0-1 (default: off)")
    p.add_argument("--train-subset", type=_positive_int, help="train on the first N images only (default: all)")
    p.add_argument("--k", type=_positive_int, help=f"kNN: neighbours that vote (default: {d.k})")
    p.add_argument("--knn-features", choices=KNN_FEATURES,
                   help=f"kNN: blocks (ink per grid cell) or pixels (default: {d.knn_features})")
    p.add_argument("--knn-grid", type=_positive_int, help=f"kNN blocks: grid x grid cells (default: {d.knn_grid})")


def build_parser() -> Parser:
    p = Parser(prog="python -m core", description="MNIST Lab: train and use MNIST models.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    s = sub.add_parser("presets", help="list the named recipes")
    s.add_argument("--json", action="store_true", help="one JSON object per preset")

    t = sub.add_parser("train", help="train a model and save the run",
                       description="Train a model and save the run. Start from --preset or --arch (or both: "
                                   "every option given overrides the preset).")
    add_config_options(t)
    t.add_argument("--threads", type=_thread_count, default=1,
                   help="intra-op threads, as the app's jobs use (default: 1; on a busy 2-core machine two "
                        "threads made mlp-adam ten times slower, one held steady)")
    t.add_argument("--out", required=True, help="a new (or empty) folder to save the run in")
    t.add_argument("--force", action="store_true", help="replace the run already saved in --out (default: refuse)")

    e = sub.add_parser("evaluate", help="accuracy, per-class precision/recall and confusion matrix of a run")
    e.add_argument("--run", required=True, help="a run folder written by `train`")
    e.add_argument("--json", action="store_true", help="print one JSON object")

    r = sub.add_parser("predict", help="read digits from image files (PNG/JPEG, a drawing of any size)")
    r.add_argument("--run", required=True, help="a run folder written by `train`")
    r.add_argument("images", nargs="+", help="image files")

    w = sub.add_parser("worker", help="a pool of worker processes that train the app's jobs (until Ctrl-C)")
    w.add_argument("--workers", type=_worker_count, default=None,
                   help="process workers, each training one single-threaded job (default: MNIST_LAB_WORKERS, "
                        "else one per core)")
    w.add_argument("--device", choices=("cpu", "cuda", "mps"), default="cpu",
                   help="the queue to serve: cpu (default) takes auto and CPU jobs; cuda or mps takes the jobs "
                        "that asked for that device (start it on a machine that has one)")

    ws = sub.add_parser("workspaces", help="list the workspaces, or remove those untouched for a while")
    ws.add_argument("action", choices=("list", "prune"), help="list: one line each; prune: remove stale ones")
    ws.add_argument("--days", type=_positive_int, default=None,
                    help="untouched for more than this many days (default: MNIST_LAB_KEEP_DAYS, else 30)")
    ws.add_argument("--yes", action="store_true", help="prune: really remove them (without it, only list them)")

    c = sub.add_parser("classes", help="create a class (a join code for students, a teacher link), list them, "
                                       "or give a class a new teacher link")
    c.add_argument("action", choices=("create", "list", "rekey"),
                   help="create: a new class called NAME; list: one line each; rekey: a new teacher link for the "
                        "class NAME (its id or join code), the old link stops working")
    c.add_argument("name", nargs="?", help="create: the class's name, e.g. \"7B maths\" (at most 60 characters); "
                                           "rekey: the class's id or join code, e.g. k7m-p3x")

    sub.add_parser("check-settings", help="read every MNIST_LAB_* setting; exit non-zero with the first bad one")

    sc = sub.add_parser("script", help="print a run's training as one runnable Python file (or a notebook)",
                        description="Print the training of --run DIR, or of --preset/--arch and any train option, "
                                    "as one plain runnable Python file: python FILE --data DIR.")
    sc.add_argument("--run", help="a run folder written by `train` (its saved settings)")
    add_config_options(sc)
    sc.add_argument("--notebook", action="store_true", help="a Jupyter notebook (.ipynb JSON) instead of a .py file")
    sc.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the comments (default: en)")
    return p


OVERRIDES = ("arch", "loss", "optimizer", "lr", "batch_size", "epochs", "activation", "l2", "label_smoothing",
             "schedule", "device", "seed", "target_accuracy", "train_subset", "k", "knn_features",
             "knn_grid")  # options named as fields


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    from core.learn.presets import get_preset

    if not args.preset and not args.arch:
        raise CliError(f"python -m core {args.command}: give --preset or --arch (or both)")
    base = get_preset(args.preset).config if args.preset else TrainConfig()
    changes = {field: getattr(args, field) for field in OVERRIDES if getattr(args, field) is not None}
    return base.replace(**changes).validated()


def cmd_presets(args) -> None:
    from core.learn.presets import PRESETS

    for p in PRESETS.values():
        if args.json:
            say(json.dumps({"name": p.name, "config": p.config.to_dict(), "source": p.source}))
        else:
            c = p.config
            say(f"{p.name:14} {c.arch:14} {c.loss:5} {c.optimizer:8} lr={c.lr:<6g} batch={c.batch_size:<4} "
                f"epochs={c.epochs}  {p.source}")


def _progress(event: dict, total: int) -> None:
    frac = min(event["seen"] / total, 1.0) if total else 1.0
    bar = "#" * int(30 * frac)
    sys.stderr.write(f"\r[{bar:<30}] {100 * frac:5.1f}%  loss {event['loss']:.4f}  "
                     f"{event['images_per_s']:,.0f} img/s")
    sys.stderr.flush()


def check_out(text: str, force: bool) -> Path:
    """The folder to save a run in, refused now rather than after the training: empty, not a folder, a folder
    with other files (saving replaces the folder whole), a run without --force, or a place that cannot be written."""
    if not text.strip():
        raise CliError("--out is empty: name the folder to save the run in")
    out = Path(text).absolute()
    if out.exists() and not out.is_dir():
        raise CliError(f"--out {text} exists and is not a folder")
    if out.is_dir():
        names = {p.name for p in out.iterdir()}
        if names - RUN_FILES:
            raise CliError(f"--out {text} is a folder with other files in it; name a new or empty folder")
        if names and not force:
            raise CliError(f"--out {text} already holds a run; add --force to replace it")
    try:  # the run is written beside `out` and renamed into place: its parent must take a new file
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=out.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise CliError(f"--out {text}: cannot write in {out.parent} ({exc.strerror or exc})") from None
    return out


def cmd_train(args) -> None:
    import torch

    from core.lab.runfiles.folders import save_run
    from core.learn.data import load_mnist
    from core.learn.run import collect
    from core.learn.training import train

    config = config_from_args(args)
    out = check_out(args.out, args.force)
    torch.set_num_threads(args.threads)
    data = load_mnist()
    tty = sys.stderr.isatty()
    total = (config.train_subset or len(data.train_labels)) * config.epochs

    def show(event: dict) -> None:
        if event["kind"] == "step" and tty and event["step"] % 20 == 0:
            _progress(event, total)
        elif event["kind"] == "eval":
            say(json.dumps({k: event[k] for k in EVAL_KEYS}))

    run = collect(train(config, data), out.name, config, on_event=show)
    if tty:
        sys.stderr.write("\n")
    final = run.final
    save_run(run, out)
    say(json.dumps({"test_acc": final["test_acc"], "seconds": final["seconds"],
                    "time_to_target_s": final["time_to_target_s"], "status": final["status"],
                    "run": str(out)}))
    if final["status"] == "diverged":
        why = next(e["reason"] for e in run.history if e["kind"] == "diverged")
        raise CliError(f"training diverged: {why} (the run was saved in {out})")


def cmd_evaluate(args) -> None:
    from core.lab.runfiles.folders import load_run
    from core.learn.data import load_mnist
    from core.learn.metrics import report
    from core.learn.training import evaluate

    run = load_run(args.run)
    data = load_mnist()
    result = evaluate(run.model, data.images("test"), data.labels("test"), loss=None)
    rep = report(result["preds"], data.labels("test"))
    if args.json:
        say(json.dumps(rep))
        return
    say(f"run {args.run}: {run.config.arch}, test accuracy {rep['accuracy']:.2%}")
    say("digit  precision  recall  support")
    for row in rep["per_class"]:
        say(f"{row['digit']:>5}  {row['precision']:9.2%}  {row['recall']:6.2%}  {row['support']:7}")
    say("confusion matrix (rows: true digit, columns: predicted)")
    say("      " + "".join(f"{d:>6}" for d in range(10)))
    for d, row in enumerate(rep["confusion_matrix"]):
        say(f"{d:>6}" + "".join(f"{v:>6}" for v in row))


def cmd_predict(args) -> None:
    from core.lab.runfiles.folders import load_run
    from core.learn.preprocess import batch_tensor, canvas_to_mnist, load_image
    from core.learn.training import predict_proba

    run = load_run(args.run)
    ready, results = [], {}
    for i, path in enumerate(args.images):
        try:
            item = canvas_to_mnist(load_image(path))
        except (OSError, ValueError) as exc:
            results[i] = {"image": path, "error": str(exc)}
            continue
        if item.empty:
            results[i] = {"image": path, "error": "no ink found: the image is empty"}
        else:
            ready.append((i, path, item))
    if ready:  # every readable image in one batch
        probs = predict_proba(run.model, batch_tensor([item for _, _, item in ready]))
        for (i, path, _), p in zip(ready, probs, strict=True):
            results[i] = {"image": path, "pred": int(p.argmax()), "probs": [round(float(v), 6) for v in p]}
    for i in range(len(args.images)):
        say(json.dumps(results[i]))
    if not ready:
        raise CliError(f"none of the {len(args.images)} image(s) could be read (see the errors above)")


def cmd_worker(args) -> None:
    from core import settings
    from core.lab.jobs.pool import run_pool
    from core.learn.families.nets import device_availability

    settings.check_all()  # a bad setting stops the pool here, in one line, not in every job
    why = device_availability().get(args.device) if args.device != "cpu" else None
    if why:
        raise CliError(f"--device {args.device}: {why}")
    workers = args.workers or settings.workers()
    where = settings.queue_url() or f"SQLite in {settings.home()}"
    print(f"mnist-lab worker: {workers} process worker(s) on the {args.device} queue ({where}); Ctrl-C stops",
          file=sys.stderr, flush=True)
    run_pool(workers, args.device)


def cmd_workspaces(args) -> None:
    import time

    from core import settings
    from core.lab import workspaces

    days = args.days or settings.keep_days()
    chosen = workspaces.stale(days) if args.action == "prune" else workspaces.all_workspaces()
    for ws in chosen:
        idle = (time.time() - ws.last_used()) / 86400
        runs = sum(1 for d in ws.runs_dir.iterdir()) if ws.runs_dir.is_dir() else 0
        say(f"{ws.id}  code {workspaces.pretty_code(ws.code)}  {runs} runs  unused for {idle:.1f} days")
    if args.action == "prune":
        if not args.yes:
            say(f"{len(chosen)} workspace(s) untouched for more than {days} days; add --yes to remove them")
            return
        for ws in chosen:
            workspaces.remove(ws)
        say(f"removed {len(chosen)} workspace(s) untouched for more than {days} days")


def cmd_classes(args) -> None:
    from core.lab import classes

    if args.action == "create":
        if not args.name:
            raise CliError("python -m core classes create: give the class a NAME")
        cls, key = classes.create_class(args.name)
        say(f"class {cls.name!r} created (id {cls.id})")
        say(f"join code for students: {classes.pretty_join_code(cls.join_code)}")
        say(f"teacher link (keep it to yourself; shown only now): ?teacher={key}")
        say("  open the app with it, e.g. http://localhost:8501/class?teacher=" + key)
        return
    if args.action == "rekey":
        if not args.name:
            raise CliError("python -m core classes rekey: give the class's id or join code")
        cls = classes.find_class(args.name)
        key = classes.rekey(cls)
        say(f"class {cls.name!r} (id {cls.id}, join code {classes.pretty_join_code(cls.join_code)}) has a new "
            "teacher link; the old one no longer opens it")
        say(f"teacher link (keep it to yourself; shown only now): ?teacher={key}")
        say("  open the app with it, e.g. http://localhost:8501/class?teacher=" + key)
        return
    if args.name:
        raise CliError("python -m core classes list: takes no NAME")
    for cls in classes.all_classes():
        pinned = "setup pinned" if cls.pinned else "no setup pinned"
        say(f"{cls.id}  {cls.name!r}  join code {classes.pretty_join_code(cls.join_code)}  "
            f"{len(classes.members(cls))} students  {pinned}")


def cmd_check_settings(args) -> None:
    from core import settings

    settings.check_all()
    say("settings ok")


def cmd_script(args) -> None:
    from core.lab.runfiles.format import LIMITS, config_from_json
    from core.learn.script import notebook, script

    if args.run is not None:
        if args.preset or any(getattr(args, field) is not None for field in OVERRIDES):
            raise CliError("python -m core script: --run takes no other training option (the run's are used)")
        folder = Path(args.run)
        path = folder / "config.json"
        if not path.is_file():
            raise CliError(f"--run {args.run}: no config.json there; name a run folder written by `train`")
        if path.stat().st_size > LIMITS["config.json"]:
            raise CliError(f"--run {args.run}: config.json is larger than {LIMITS['config.json']} bytes")
        config, name = config_from_json(path.read_bytes()), folder.resolve().name
    else:
        config = config_from_args(args)
        name = args.preset or config.arch.replace(":", "-").replace(",", "-")
    text = (notebook if args.notebook else script)(config, name, args.lang)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


COMMANDS = {"presets": cmd_presets, "train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict,
            "worker": cmd_worker, "workspaces": cmd_workspaces, "classes": cmd_classes,
            "check-settings": cmd_check_settings, "script": cmd_script}


def main(argv: list[str] | None = None) -> int:
    from core.errors import LabError
    from core.lab.runfiles.format import RunError

    try:
        args = build_parser().parse_args(argv)
        COMMANDS[args.command](args)
    except (CliError, ConfigError, DataError, RunError, LabError) as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a full disk, a failing device...: still one line, never a traceback
        print(f"error: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return 1
    return 0


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":
    sys.exit(main())
