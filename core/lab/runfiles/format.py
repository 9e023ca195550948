"""The run format, checked: config.json, metrics.jsonl and model.safetensors, and what each may cost.

Every file is judged by its size (and its shape: lines, tensors, fields) before it is read, parsed or
allocated, whether it comes from an upload or the shared folder. Nothing is ever unpickled.
"""

from __future__ import annotations

import dataclasses
import json
import math
import struct

import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from core.errors import LabError
from core.learn import families
from core.learn.config import ConfigError, TrainConfig
from core.learn.run import Run, state_dict
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


class RunError(LabError):
    """A run that cannot be loaded; the message says why, for the user (`code` names the reason)."""


def tensors_bytes(config: TrainConfig, tensors: dict[str, torch.Tensor]) -> bytes:
    meta = {"format": FORMAT, "arch": config.arch}
    return save_safetensors({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, metadata=meta)


def weights_bytes(run: Run) -> bytes:
    return tensors_bytes(run.config, state_dict(run.model))


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def check_size(fname: str, size: int) -> None:
    if size > LIMITS[fname]:
        raise RunError(f"{fname} is {_mb(size)}, more than a run's {_mb(LIMITS[fname])}", "limit_file",
                       file=fname, size=_mb(size), limit=_mb(LIMITS[fname]))


_DTYPES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def weights_metadata(blob: bytes, data_bytes: int | None = None) -> dict:
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


def check_ours(config: TrainConfig, meta: dict) -> None:
    if meta.get("format") != FORMAT:
        raise RunError("model.safetensors was not written by MNIST Lab (its metadata lacks our format tag)", "not_ours")
    if meta.get("arch") != config.arch:
        raise RunError(f"the weights are for architecture {meta.get('arch')!r}, the config says {config.arch!r}",
                       "arch_mismatch", weights=meta.get("arch"), config=config.arch)


def model_from_bytes(config: TrainConfig, blob: bytes):
    """Build the learner for `config` and load weights into it, refusing foreign or mismatched files."""
    check_ours(config, weights_metadata(blob))
    try:
        tensors = load_safetensors(blob)
    except Exception as exc:  # safetensors raises its own error types for every kind of damage
        raise RunError(f"model.safetensors is corrupt ({one_line(exc)})", "weights_corrupt") from None
    kind = families.FAMILIES[config.family]
    model = kind.build(config)
    try:
        kind.load(model, tensors)
    except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise RunError(f"the weights do not fit architecture {config.arch!r}: {one_line(exc)}", "weights_mismatch",
                       arch=config.arch) from None
    try:  # weights that load but cannot predict (e.g. kNN labels outside 0-9) are refused here, not later
        probe = predict_proba(model, torch.zeros(2, 1, 28, 28))
    except Exception as exc:
        raise RunError(f"the weights load but the model cannot predict: {one_line(exc)}", "weights_mismatch",
                       arch=config.arch) from None
    if tuple(probe.shape) != (2, 10):
        raise RunError(f"the model predicts {tuple(probe.shape)[1:]} scores per image instead of 10",
                       "weights_mismatch", arch=config.arch)
    return model


def one_line(exc: BaseException) -> str:
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


def files_of(run: Run) -> dict[str, bytes]:
    return {
        "config.json": json.dumps(run.config.to_dict(), indent=2).encode(),
        "metrics.jsonl": "".join(json.dumps(e) + "\n" for e in run.history).encode(),
        "model.safetensors": weights_bytes(run),
    }


def run_from_files(name: str, files: dict[str, bytes], origin: str) -> Run:
    missing = [f for f in FILES if f not in files]
    if missing:
        raise RunError(f"not an MNIST Lab run: {', '.join(missing)} missing", "missing_files", files=", ".join(missing))
    for fname, blob in files.items():
        check_size(fname, len(blob))
    config = config_from_json(files["config.json"])
    history = history_from_jsonl(files["metrics.jsonl"].decode("utf-8", errors="replace"))
    model = model_from_bytes(config, files["model.safetensors"])
    return Run(name=name, config=config, model=model, history=history, origin=origin)
