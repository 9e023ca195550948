"""A run on disk: config.json, metrics.jsonl and model.safetensors. Nothing is ever unpickled."""

from __future__ import annotations

import io
import json
import re
import struct
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from torch import nn

from core.config import ConfigError, TrainConfig
from core.training import build_learner

FORMAT = "mnist-lab-run/1"  # written into the weights' metadata; a file without it is not ours
FILES = ("config.json", "metrics.jsonl", "model.safetensors")
MAX_ZIP_BYTES = 200 * 1024 * 1024  # refuse to inflate more than this from an uploaded zip


class RunError(ValueError):
    """A run that cannot be loaded; the message says why, for the user."""


@dataclass
class Run:
    """A trained (or partly trained) learner with its settings and everything it reported."""

    name: str
    config: TrainConfig
    model: object
    history: list[dict] = field(default_factory=list)
    created: float = field(default_factory=time.time)

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

    def evals(self, full_only: bool = False) -> list[dict]:
        return [e for e in self.history if e["kind"] == "eval" and (e.get("full") or not full_only)]


def history_entry(event: dict) -> dict:
    """An event as it is kept in a run's history (everything but the model object)."""
    return {k: v for k, v in event.items() if k != "model"}


def state_dict(model) -> dict[str, torch.Tensor]:
    sd = model.state_dict()
    return {k: v.detach().cpu().contiguous() for k, v in sd.items()}


def weights_bytes(run: Run) -> bytes:
    meta = {"format": FORMAT, "arch": run.config.arch}
    return save_safetensors(state_dict(run.model), metadata=meta)


def _metadata(blob: bytes) -> dict:
    """Read the safetensors header's metadata (8-byte length, then JSON) without loading tensors."""
    if len(blob) < 8:
        raise RunError("model.safetensors is empty or truncated")
    (size,) = struct.unpack("<Q", blob[:8])
    if size > len(blob) - 8 or size > 100_000_000:
        raise RunError("model.safetensors is not a safetensors file (bad header)")
    try:
        return json.loads(blob[8:8 + size]).get("__metadata__") or {}
    except (ValueError, AttributeError):
        raise RunError("model.safetensors is not a safetensors file (bad header)") from None


def model_from_bytes(config: TrainConfig, blob: bytes):
    """Build the learner for `config` and load weights into it, refusing foreign or mismatched files."""
    meta = _metadata(blob)
    if meta.get("format") != FORMAT:
        raise RunError("model.safetensors was not written by MNIST Lab")
    if meta.get("arch") != config.arch:
        raise RunError(f"the weights are for architecture {meta.get('arch')!r}, the config says {config.arch!r}")
    try:
        tensors = load_safetensors(blob)
    except Exception as exc:
        raise RunError(f"model.safetensors is corrupt ({exc})") from None
    model = build_learner(config)
    try:
        if isinstance(model, nn.Module):
            model.load_state_dict(tensors, strict=True)
        else:
            model.load_state_dict(tensors)
    except (RuntimeError, ValueError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise RunError(f"the weights do not fit architecture {config.arch!r}: {first}") from None
    if isinstance(model, nn.Module):
        model.eval()
    return model


def config_from_json(text: str | bytes) -> TrainConfig:
    try:
        raw = json.loads(text)
    except ValueError:
        raise RunError("config.json is not valid JSON") from None
    if not isinstance(raw, dict):
        raise RunError("config.json does not hold a training configuration")
    try:
        return TrainConfig.from_dict(raw)
    except (ConfigError, TypeError) as exc:
        raise RunError(f"config.json is not a valid configuration: {exc}") from None


def history_from_jsonl(text: str) -> list[dict]:
    try:
        history = [json.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError:
        raise RunError("metrics.jsonl is not valid JSON lines") from None
    if not all(isinstance(e, dict) and "kind" in e for e in history):
        raise RunError("metrics.jsonl holds lines that are not MNIST Lab events")
    return history


def _files(run: Run) -> dict[str, bytes]:
    return {
        "config.json": json.dumps(run.config.to_dict(), indent=2).encode(),
        "metrics.jsonl": "".join(json.dumps(e) + "\n" for e in run.history).encode(),
        "model.safetensors": weights_bytes(run),
    }


def _from_files(name: str, files: dict[str, bytes]) -> Run:
    missing = [f for f in FILES if f not in files]
    if missing:
        raise RunError(f"not an MNIST Lab run: {', '.join(missing)} missing")
    config = config_from_json(files["config.json"])
    history = history_from_jsonl(files["metrics.jsonl"].decode("utf-8", errors="replace"))
    model = model_from_bytes(config, files["model.safetensors"])
    return Run(name=name, config=config, model=model, history=history)


def save_run(run: Run, folder: str | Path) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for fname, blob in _files(run).items():
        (folder / fname).write_bytes(blob)
    return folder


def load_run(folder: str | Path) -> Run:
    folder = Path(folder)
    if not folder.is_dir():
        raise RunError(f"no run at {folder} (not a folder)")
    files = {f: (folder / f).read_bytes() for f in FILES if (folder / f).is_file()}
    return _from_files(folder.name, files)


def run_to_zip(run: Run) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for fname, blob in _files(run).items():
            zf.writestr(f"{safe_name(run.name)}/{fname}", blob)
    return buf.getvalue()


def run_from_zip(blob: bytes, name: str = "uploaded") -> Run:
    """A run from a zip made by run_to_zip (files at the top or in one folder); validated throughout."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(blob))
    except zipfile.BadZipFile:
        raise RunError("the file is not a zip archive") from None
    with zf:
        if sum(i.file_size for i in zf.infolist()) > MAX_ZIP_BYTES:
            raise RunError("the zip is too large to be a run")
        files, folder = {}, None
        for info in zf.infolist():
            base = info.filename.rsplit("/", 1)[-1]
            if base in FILES:
                files[base] = zf.read(info)
                folder = info.filename.rsplit("/", 1)[0] if "/" in info.filename else folder
    return _from_files(folder or name, files)


def safe_name(name: str) -> str:
    """A name usable as a folder: letters, digits, dot, dash, underscore."""
    cleaned = re.sub(r"[^\w.-]+", "-", name.strip(), flags=re.ASCII).strip("-.")
    return cleaned or "run"


def list_run_dirs(root: str | Path) -> list[Path]:
    """Folders under `root` that look like runs (all three files present), newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    dirs = [d for d in root.iterdir() if d.is_dir() and all((d / f).is_file() for f in FILES)]
    return sorted(dirs, key=lambda d: d.stat().st_mtime, reverse=True)
