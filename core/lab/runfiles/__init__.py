"""A run on disk: config.json, metrics.jsonl and model.safetensors. Nothing is ever unpickled."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import re
import shutil
import struct
import time
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from core.errors import LabError
from core.learn import families as learners
from core.learn.config import ConfigError, TrainConfig
from core.learn.events import history_entry, keep_step
from core.learn.training import predict_proba

FORMAT = "mnist-lab-run/1"  # written into the weights' metadata; a file without it is not ours
FILES = ("config.json", "metrics.jsonl", "model.safetensors")
# What one run may cost to load, checked before anything is read, parsed or allocated (uploads and the shared
# folder alike). Real runs stay far below: the largest, a pixel kNN, has 47 MB of weights; the wildest run the
# form allows keeps about 56,000 history lines (events.keep_step); the deepest network has a few dozen tensors.
LIMITS = {"config.json": 64 * 1024, "metrics.jsonl": 32 * 1024 * 1024, "model.safetensors": 64 * 1024 * 1024}
MAX_METRICS_LINES = 100_000
MAX_HEADER_BYTES = 256 * 1024  # the safetensors header: a JSON line per tensor
MAX_TENSORS = 64
MAX_ZIP_BYTES = sum(LIMITS.values()) + 1024 * 1024  # refuse to inflate more than this from an uploaded zip
MAX_NAME = 64  # characters kept by safe_name
ORIGINS = ("trained", "disk", "upload")  # where a run came from: this app, a runs folder, an uploaded zip


class RunError(LabError):
    """A run that cannot be loaded; the message says why, for the user (`code` names the reason)."""


@dataclass
class Run:
    """A trained (or partly trained) learner with its settings and everything it reported."""

    name: str
    config: TrainConfig
    model: object
    history: list[dict] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    origin: str = "trained"  # one of ORIGINS

    @property
    def final(self) -> dict:
        return next((e for e in reversed(self.history) if e["kind"] == "final"), {})

    @property
    def test_acc(self) -> float | None:
        evals = [e for e in self.history if e["kind"] == "eval" and e.get("full")]
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
        return [e for e in self.history if e["kind"] == "eval" and (e.get("full") or not full_only)]

def collect(events: Iterable[dict], name: str, config: TrainConfig, on_event=None) -> Run:
    """The one function that turns train()'s events into a Run (the command line and tests use it; a worker
    writes the same events to disk as they come). `on_event(event)` sees each event first."""
    history, final = [], {}
    for event in events:
        if on_event is not None:
            on_event(event)
        if event["kind"] in ("checkpoint", "paused") or (event["kind"] == "step" and not keep_step(event["step"])):
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
    sd = model.state_dict()
    return {k: v.detach().cpu().contiguous() for k, v in sd.items()}


def tensors_bytes(config: TrainConfig, tensors: dict[str, torch.Tensor]) -> bytes:
    meta = {"format": FORMAT, "arch": config.arch}
    return save_safetensors({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, metadata=meta)


def weights_bytes(run: Run) -> bytes:
    return tensors_bytes(run.config, state_dict(run.model))


def write_file(path: Path, blob: bytes) -> None:
    """Whole or not at all: written aside, then renamed, so a reader never loads half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, path)


class HistoryTail:
    """metrics.jsonl read incrementally: each call parses only the complete lines added since the last one.

    A file that shrank or was replaced (a resumed job drops the events after its checkpoint) is read again
    from the start.
    """

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.events, self.inode = Path(path), 0, [], None

    def read(self) -> list[dict]:
        try:
            stat = self.path.stat()
        except OSError:
            return self.events
        size = stat.st_size
        if size < self.offset or stat.st_ino != self.inode:  # cut short, or replaced (rewritten aside, renamed)
            self.offset, self.events, self.inode = 0, [], stat.st_ino
        if size == self.offset:
            return self.events
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            chunk = f.read(size - self.offset)
        end = chunk.rfind(b"\n") + 1  # only whole lines: the writer may be in the middle of one
        for line in chunk[:end].splitlines():
            if line.strip():
                try:
                    self.events.append(json.loads(line))
                except ValueError:  # a damaged line is skipped, not fatal for a page
                    continue
        self.offset += end
        return self.events


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _check_size(fname: str, size: int) -> None:
    if size > LIMITS[fname]:
        raise RunError(f"{fname} is {_mb(size)}, more than a run's {_mb(LIMITS[fname])}", "limit_file",
                       file=fname, size=_mb(size), limit=_mb(LIMITS[fname]))


_DTYPES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def _metadata(blob: bytes, data_bytes: int | None = None) -> dict:
    """Check the safetensors header (8-byte length, then JSON) and return its metadata, loading no tensor:
    a header with too many tensors, or tensors the file does not hold, is refused before any allocation.
    `blob` is the whole file, or only its header when `data_bytes` says how many bytes follow it."""
    if len(blob) < 8:
        raise RunError("model.safetensors is empty or truncated", "weights_corrupt")
    (size,) = struct.unpack("<Q", blob[:8])
    if size > MAX_HEADER_BYTES:
        raise RunError(f"model.safetensors has a {_mb(size)} header, more than a run's {_mb(MAX_HEADER_BYTES)}",
                       "limit_file", file="model.safetensors", size=_mb(size), limit=_mb(MAX_HEADER_BYTES))
    if size > len(blob) - 8:
        raise RunError("model.safetensors is not a safetensors file, or it is truncated (bad header)",
                       "weights_corrupt")
    try:
        header = json.loads(blob[8:8 + size])
    except ValueError:
        raise RunError("model.safetensors is not a safetensors file (bad header)", "weights_corrupt") from None
    if not isinstance(header, dict):
        raise RunError("model.safetensors is not a safetensors file (bad header)", "weights_corrupt")
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    if len(tensors) > MAX_TENSORS:
        raise RunError(f"model.safetensors holds {len(tensors)} tensors, more than a run's {MAX_TENSORS}",
                       "limit_tensors", n=len(tensors), limit=MAX_TENSORS)
    data = len(blob) - 8 - size if data_bytes is None else data_bytes
    for entry in tensors.values():
        try:
            start, end = entry["data_offsets"]
            numel = math.prod(int(d) for d in entry["shape"])
            fits = 0 <= start <= end <= data and end - start == numel * _DTYPES[entry["dtype"]]
        except (KeyError, TypeError, ValueError):
            fits = False
        if not fits:
            raise RunError("model.safetensors is corrupt (a tensor does not match its data)", "weights_corrupt")
    meta = header.get("__metadata__")
    return meta if isinstance(meta, dict) else {}


def _check_ours(config: TrainConfig, meta: dict) -> None:
    if meta.get("format") != FORMAT:
        raise RunError("model.safetensors was not written by MNIST Lab (its metadata lacks our format tag)", "not_ours")
    if meta.get("arch") != config.arch:
        raise RunError(f"the weights are for architecture {meta.get('arch')!r}, the config says {config.arch!r}",
                       "arch_mismatch", weights=meta.get("arch"), config=config.arch)


def model_from_bytes(config: TrainConfig, blob: bytes):
    """Build the learner for `config` and load weights into it, refusing foreign or mismatched files."""
    _check_ours(config, _metadata(blob))
    try:
        tensors = load_safetensors(blob)
    except Exception as exc:  # safetensors raises its own error types for every kind of damage
        raise RunError(f"model.safetensors is corrupt ({_one_line(exc)})", "weights_corrupt") from None
    kind = learners.KINDS[config.family]
    model = kind.build(config)
    try:
        kind.load(model, tensors)
    except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise RunError(f"the weights do not fit architecture {config.arch!r}: {_one_line(exc)}", "weights_mismatch",
                       arch=config.arch) from None
    try:  # weights that load but cannot predict (e.g. kNN labels outside 0-9) are refused here, not later
        probe = predict_proba(model, torch.zeros(2, 1, 28, 28))
    except Exception as exc:
        raise RunError(f"the weights load but the model cannot predict: {_one_line(exc)}", "weights_mismatch",
                       arch=config.arch) from None
    if tuple(probe.shape) != (2, 10):
        raise RunError(f"the model predicts {tuple(probe.shape)[1:]} scores per image instead of 10",
                       "weights_mismatch", arch=config.arch)
    return model


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _check_types(raw: dict) -> None:
    """Uploaded configs are untrusted: every value must have its field's type (int accepted for float)."""
    for f in dataclasses.fields(TrainConfig):
        if f.name not in raw:
            continue
        declared = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        value, kinds = raw[f.name], declared.replace(" ", "").split("|")
        ok = (
            (value is None and "None" in kinds)
            or (isinstance(value, str) and "str" in kinds)
            or (isinstance(value, int) and not isinstance(value, bool) and ("int" in kinds or "float" in kinds))
            or (isinstance(value, float) and "float" in kinds and math.isfinite(value))
        )
        if not ok:
            raise RunError(f"config.json: {f.name} = {value!r} is not a valid {declared}", "config_bad")


def config_from_json(text: str | bytes) -> TrainConfig:
    try:
        raw = json.loads(text)
    except ValueError:
        raise RunError("config.json is not valid JSON", "config_bad") from None
    if not isinstance(raw, dict):
        raise RunError("config.json does not hold a training configuration", "config_bad")
    _check_types(raw)
    try:
        return TrainConfig.from_dict(raw)
    except (ConfigError, TypeError, ValueError) as exc:
        raise RunError(f"config.json is not a valid configuration: {exc}", "config_bad") from None


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def history_from_jsonl(text: str) -> list[dict]:
    lines = text.count("\n")
    if lines > MAX_METRICS_LINES:
        raise RunError(f"metrics.jsonl has {lines} lines, more than a run's {MAX_METRICS_LINES}", "limit_lines",
                       n=lines, limit=MAX_METRICS_LINES)
    try:
        history = [json.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError:
        raise RunError("metrics.jsonl is not valid JSON lines", "metrics_bad") from None
    if not all(isinstance(e, dict) and isinstance(e.get("kind"), str) for e in history):
        raise RunError("metrics.jsonl holds lines that are not MNIST Lab events", "metrics_bad")
    for e in history:  # the fields Run's properties read must be usable as they are
        if e["kind"] == "eval" and not _number(e.get("test_acc")):
            raise RunError("metrics.jsonl: an evaluation has no numeric test accuracy", "metrics_bad")
        if e["kind"] == "final" and not (isinstance(e.get("status", ""), str)
                                         and (e.get("seconds") is None or _number(e["seconds"]))):
            raise RunError("metrics.jsonl: the final event has a malformed status or time", "metrics_bad")
    return history


def _files(run: Run) -> dict[str, bytes]:
    return {
        "config.json": json.dumps(run.config.to_dict(), indent=2).encode(),
        "metrics.jsonl": "".join(json.dumps(e) + "\n" for e in run.history).encode(),
        "model.safetensors": weights_bytes(run),
    }


def _from_files(name: str, files: dict[str, bytes], origin: str) -> Run:
    missing = [f for f in FILES if f not in files]
    if missing:
        raise RunError(f"not an MNIST Lab run: {', '.join(missing)} missing", "missing_files", files=", ".join(missing))
    for fname, blob in files.items():
        _check_size(fname, len(blob))
    config = config_from_json(files["config.json"])
    history = history_from_jsonl(files["metrics.jsonl"].decode("utf-8", errors="replace"))
    model = model_from_bytes(config, files["model.safetensors"])
    return Run(name=name, config=config, model=model, history=history, origin=origin)


def _write_synced(path: Path, blob: bytes) -> None:
    with open(path, "wb") as f:
        f.write(blob)
        f.flush()
        os.fsync(f.fileno())


def _sync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # a system without directory handles (Windows): the renames are still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _aside(folder: Path, tag: str) -> Path:
    """A hidden sibling of `folder` for a save in progress (tag "saving") or the run it replaces ("old")."""
    return folder.with_name(f".{folder.name}.{os.getpid()}-{time.monotonic_ns()}.{tag}")


def save_run(run: Run, folder: str | Path) -> Path:
    """Write the run as a whole: into a hidden folder beside `folder`, synced, then renamed into place.

    Overwriting moves the old run aside first and removes it only once the new one is in place, so a kill
    at any moment leaves the old run or the new one (recover() puts an old run back if it was moved aside
    and the new one never arrived), never files of both.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    recover(folder.parent, only=folder.name)
    tmp = _aside(folder, "saving")
    tmp.mkdir()
    try:
        for fname, blob in _files(run).items():
            _write_synced(tmp / fname, blob)
        _sync_dir(tmp)
        if folder.exists():
            old = _aside(folder, "old")
            os.rename(folder, old)
            os.rename(tmp, folder)
            _sync_dir(folder.parent)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _sync_dir(folder.parent)
    return folder


_ASIDE = re.compile(r"^\.(?P<name>.+)\.\d+-\d+\.(?P<tag>saving|old)$")


def recover(root: str | Path, grace: float = 60.0, only: str | None = None) -> None:
    """Finish what a killed save left under `root`: an old run moved aside with no new one in its place goes
    back; leftovers (a half-written new run, an old run already replaced) are removed. Folders younger than
    `grace` seconds are left alone: another process may be saving them right now."""
    root = Path(root)
    try:
        entries = list(root.iterdir())
    except OSError:
        return
    now = time.time()
    for entry in entries:
        match = _ASIDE.match(entry.name)
        if not match or (only is not None and match["name"] != only):
            continue
        try:
            if now - entry.stat().st_ctime < grace:
                continue
            target = root / match["name"]
            if match["tag"] == "old" and not target.exists():
                os.rename(entry, target)
            else:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:  # another process got there first
            continue


def _read_files(folder: Path, names: Iterable[str]) -> dict[str, bytes]:
    """The run files of `folder` among `names` that exist, each checked against its limit before it is read."""
    if not folder.is_dir():
        raise RunError(f"no run at {folder} (not a folder)", "no_run", folder=str(folder))
    try:
        files = {}
        for fname in names:
            if (folder / fname).is_file():
                _check_size(fname, (folder / fname).stat().st_size)
                files[fname] = (folder / fname).read_bytes()
    except OSError as exc:
        raise RunError(f"cannot read the run at {folder}: {exc.strerror or exc}", "no_run",
                       folder=str(folder)) from None
    return files


def load_run(folder: str | Path) -> Run:
    """A run folder, weights and all, validated throughout."""
    folder = Path(folder)
    return _from_files(folder.name, _read_files(folder, FILES), origin="disk")


class DiskRun(Run):
    """A run on disk whose weights load when a page first uses them (open_run), through a small cache shared
    by the process: listing a folder of runs reads only their settings and histories."""

    def __init__(self, folder: Path, **fields) -> None:
        self.folder = folder
        super().__init__(model=None, **fields)

    @property
    def model(self):
        key = (*self.version, self.config)
        if key not in _weights:
            blob = _read_files(self.folder, ["model.safetensors"]).get("model.safetensors")
            if blob is None:  # removed since it was listed (another tab deleted the run)
                raise RunError(f"no run at {self.folder} any more", "no_run", folder=str(self.folder))
            _weights[key] = model_from_bytes(self.config, blob)
            while len(_weights) > WEIGHTS_CACHED:
                _weights.popitem(last=False)
        _weights.move_to_end(key)
        return _weights[key]

    @model.setter
    def model(self, value) -> None:  # Run's __init__ sets it; the weights on disk are the model
        if value is not None:
            raise AttributeError("a DiskRun's model is its weights file")

    @property
    def version(self) -> tuple:
        path = self.folder / "model.safetensors"
        try:
            return (str(path), path.stat().st_mtime_ns)
        except OSError:  # removed since it was listed: loading it says so
            return (str(path), None)

    @property
    def diverged(self) -> bool:
        """As Run.diverged, without loading weights only to check them: a run that ended diverged says so in
        its history; the weights themselves are checked once something has loaded them."""
        if self.status == "diverged":
            return True
        return (*self.version, self.config) in _weights and super().diverged


WEIGHTS_CACHED = 8  # models kept loaded per process (a pixel kNN is about 190 MB once loaded)
_weights: OrderedDict = OrderedDict()


def open_run(folder: str | Path, origin: str = "disk") -> Run:
    """A run folder with its settings and history read now and its weights when first used. The weights file's
    header is checked now (ours, this architecture, within the limits), so a listed run loads."""
    folder = Path(folder)
    files = _read_files(folder, ("config.json", "metrics.jsonl"))
    missing = [f for f in FILES if f not in files and not (folder / f).is_file()]
    if missing:
        raise RunError(f"not an MNIST Lab run: {', '.join(missing)} missing", "missing_files", files=", ".join(missing))
    config = config_from_json(files["config.json"])
    history = history_from_jsonl(files["metrics.jsonl"].decode("utf-8", errors="replace"))
    weights = folder / "model.safetensors"
    try:
        size = weights.stat().st_size
        _check_size("model.safetensors", size)
        with open(weights, "rb") as f:
            head = f.read(8)
            (header,) = struct.unpack("<Q", head) if len(head) == 8 else (0,)
            blob = head + f.read(min(header, MAX_HEADER_BYTES + 1))
    except OSError as exc:
        raise RunError(f"cannot read the run at {folder}: {exc.strerror or exc}", "no_run",
                       folder=str(folder)) from None
    _check_ours(config, _metadata(blob, data_bytes=size - len(blob)))
    return DiskRun(folder, name=folder.name, config=config, history=history, origin=origin)


def run_to_zip(run: Run) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for fname, blob in _files(run).items():
            zf.writestr(f"{safe_name(run.name)}/{fname}", blob)
    return buf.getvalue()


# Everything zipfile and zlib raise on a damaged, encrypted or exotic archive.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError)


def run_from_zip(blob: bytes, name: str = "uploaded") -> Run:
    """A run from a zip made by run_to_zip (files at the top or in one folder); validated throughout."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(blob))
    except _ZIP_ERRORS:
        raise RunError("the file is not a zip archive", "not_zip") from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
            raise RunError("the zip is too large to be a run", "too_large")
        folders: dict[str, dict[str, zipfile.ZipInfo]] = {}
        for info in infos:
            folder, _, base = info.filename.rpartition("/")
            if base in FILES:
                folders.setdefault(folder, {})[base] = info
        complete = [f for f, found in folders.items() if len(found) == len(FILES)]
        if len(complete) > 1:
            raise RunError(f"the zip holds {len(complete)} runs; upload one run at a time", "many_runs",
                           n=len(complete))
        if not complete:
            found = max(folders.values(), key=len, default={})
            missing = [f for f in FILES if f not in found]
            raise RunError(f"not an MNIST Lab run: {', '.join(missing)} missing from the zip", "missing_files",
                           files=", ".join(missing))
        folder = complete[0]
        for base, info in folders[folder].items():
            _check_size(base, info.file_size)
        try:
            files = {}
            for base, info in folders[folder].items():
                with zf.open(info) as member:  # read at most the limit: a zip's stated size may lie
                    files[base] = member.read(LIMITS[base] + 1)
        except _ZIP_ERRORS as exc:
            raise RunError(f"the zip is damaged ({_one_line(exc)})", "damaged") from None
    return _from_files(safe_name(folder.rpartition("/")[2] or name), files, origin="upload")


def safe_name(name: str) -> str:
    """A name usable as a folder: letters (any script), digits, dot, dash, underscore; at most 64 characters."""
    cleaned = re.sub(r"[^\w.-]+", "-", str(name).strip()).strip("-.")
    return cleaned[:MAX_NAME].strip("-.") or "run"


def unique_name(taken, base: str) -> str:
    """`base`, or `base-2`, `base-3`, ... whichever is not in `taken` (any container of names)."""
    if base not in taken:
        return base
    i = 2
    while f"{base}-{i}" in taken:
        i += 1
    return f"{base}-{i}"


def list_run_dirs(root: str | Path) -> list[Path]:
    """Folders under `root` that look like runs (all three files present), newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    recover(root)
    dirs = [d for d in root.iterdir()
            if not d.name.startswith(".") and d.is_dir() and all((d / f).is_file() for f in FILES)]

    def mtime(d: Path) -> float:
        try:
            return d.stat().st_mtime
        except OSError:  # removed while we looked
            return 0.0

    return sorted(dirs, key=mtime, reverse=True)
