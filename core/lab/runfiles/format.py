"""The run format, checked: config.json, metrics.jsonl and model.safetensors, and what each may cost.

Every file is judged by its size (and its shape: lines, tensors, fields) before it is read, parsed or
allocated, whether it comes from an upload or the shared folder. Nothing is ever unpickled.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import struct
from typing import BinaryIO

import numpy as np
import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from core.errors import LabError
from core.learn import families
from core.learn.config import ConfigError, TrainConfig
from core.learn.history import History, HistoryError
from core.learn.run import Run, state_dict
from core.learn.training import predict_proba

FORMAT = "mnist-lab-run/1"  # written into the weights' metadata; a file without it is not ours
FILES = ("config.json", "metrics.jsonl", "model.safetensors")
# What one run may cost to load, checked before anything is read, parsed or allocated (uploads and the shared
# folder alike). Real runs stay far below: the largest, a pixel kNN, has 47 MB of weights; the wildest run the
# form allows keeps about 56,000 history lines (events.keep_step); the deepest network has a few dozen tensors.
LIMITS = {"config.json": 64 * 1024, "metrics.jsonl": 32 * 1024 * 1024, "model.safetensors": 64 * 1024 * 1024}
MAX_METRICS_LINES = 100_000
MAX_LINE_BYTES = 64 * 1024  # one event: a full evaluation's 10,000 predictions take about 30 KB
MAX_FIELDS = 12  # fields (and values) per line on average, as an evaluation has: a parse costs what its events do
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
    return weights_header(blob, data_bytes)[0]


def weights_header(blob: bytes, data_bytes: int | None = None) -> tuple[dict, dict[str, dict]]:
    """As weights_metadata, returning the metadata and the tensor entries (name -> dtype, shape, offsets)."""
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
    return (meta if isinstance(meta, dict) else {}), tensors


def check_ours(config: TrainConfig, meta: dict) -> None:
    if meta.get("format") != FORMAT:
        raise RunError("model.safetensors was not written by MNIST Lab (its metadata lacks our format tag)", "not_ours")
    if meta.get("arch") != config.arch:
        raise RunError(f"the weights are for architecture {meta.get('arch')!r}, the config says {config.arch!r}",
                       "arch_mismatch", weights=meta.get("arch"), config=config.arch)


_SAFETENSORS_DTYPE = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
                      torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
                      torch.uint8: "U8", torch.bool: "BOOL"}
MNIST_TRAIN = 60_000  # training images: the most rows a kNN can remember


def _expected(config: TrainConfig) -> dict[str, tuple[set[str], tuple | None]]:
    """name -> (dtypes allowed, shape; None where a size is free) of the tensors `config`'s learner saves,
    found without allocating its weights (torch nets are built on the meta device)."""
    if config.family == "knn":
        dim = families.build(config).dim
        return {"features": ({"U8", "F32"}, (None, dim)), "labels": ({"I64"}, (None,)), "k": ({"I64"}, ()),
                "grid": ({"I64"}, ()), "kind": ({"I64"}, ())}
    try:
        with torch.device("meta"):
            model = families.build(config)
    except Exception:  # a learner that is not a torch module (the NumPy network): a few MB, built for real
        model = families.build(config)
    return {k: ({_SAFETENSORS_DTYPE.get(v.dtype, "?")}, tuple(v.shape)) for k, v in model.state_dict().items()}


def check_tensors(config: TrainConfig, tensors: dict[str, dict]) -> None:
    """The header's tensors are exactly those `config`'s learner has (names, dtypes, shapes), laid end to end:
    weights that would not load are refused before a byte of them is read."""
    expected = _expected(config)
    if set(tensors) != set(expected):
        raise RunError(f"the weights do not fit architecture {config.arch!r} (other tensor names)",
                       "weights_mismatch", arch=config.arch)
    for name, entry in tensors.items():
        dtypes, shape = expected[name]
        got = tuple(int(d) for d in entry["shape"])
        if entry["dtype"] not in dtypes or len(got) != len(shape) or any(
                want is not None and want != d for want, d in zip(shape, got, strict=True)):
            raise RunError(f"the weights do not fit architecture {config.arch!r} ({name} is {entry['dtype']} "
                           f"{list(got)})", "weights_mismatch", arch=config.arch)
    if config.family == "knn":
        rows = int(tensors["features"]["shape"][0])
        if rows > MNIST_TRAIN or int(tensors["labels"]["shape"][0]) != rows:
            raise RunError("the kNN weights do not hold up to 60,000 labelled images", "weights_mismatch",
                           arch=config.arch)
    end = 0
    for entry in sorted(tensors.values(), key=lambda e: e["data_offsets"]):
        if entry["data_offsets"][0] != end:
            raise RunError("model.safetensors is corrupt (tensors overlap or leave gaps)", "weights_corrupt")
        end = entry["data_offsets"][1]


def copy_weights(config: TrainConfig, src: BinaryIO, out: BinaryIO) -> None:
    """Stream model.safetensors from `src` to `out`, checking its header (ours, this architecture's tensors)
    before any data is copied and its length after; nothing is loaded, so it costs a 1 MB buffer."""
    head = src.read(8)
    (size,) = struct.unpack("<Q", head) if len(head) == 8 else (0,)
    head += src.read(min(size, MAX_HEADER_BYTES + 1))
    room = LIMITS["model.safetensors"] - len(head)
    meta, tensors = weights_header(head, data_bytes=room)
    check_ours(config, meta)
    check_tensors(config, tensors)
    data = max((e["data_offsets"][1] for e in tensors.values()), default=0)
    out.write(head)
    copied = 0
    while chunk := src.read(min(1024 * 1024, data - copied + 1)):
        copied += len(chunk)
        if copied > data:
            raise RunError("model.safetensors is corrupt (more data than its tensors)", "weights_corrupt")
        out.write(chunk)
    if copied != data:
        raise RunError("model.safetensors is truncated", "weights_corrupt")


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


def _too_many_lines(n: int) -> RunError:
    return RunError(f"metrics.jsonl has {n} lines, more than a run's {MAX_METRICS_LINES}", "limit_lines", n=n,
                    limit=MAX_METRICS_LINES)


def history_from_jsonl(source: str | bytes | BinaryIO, copy_to: BinaryIO | None = None) -> History:
    """metrics.jsonl as a compact History, read 256 KB at a time: each line at most MAX_LINE_BYTES, at most
    MAX_METRICS_LINES of them, the known fields of the known event kinds kept (core.learn.history), anything
    else dropped. `source` is the text, or a binary file (a zip member) read as it goes; `copy_to` receives the
    bytes read, for a save that streams them to disk. Each block is one short C call to parse (a few ms of
    GIL), so a long history never holds up the other pages for long."""
    if isinstance(source, str):
        source = source.encode("utf-8", errors="replace")
    if isinstance(source, bytes | bytearray):
        n = source.count(b"\n")
        if n > MAX_METRICS_LINES:
            raise _too_many_lines(n)
        source = io.BytesIO(source)
    history, n, size, rest = History(), 0, 0, b""
    while True:
        block = source.read(256 * 1024)
        size += len(block)
        check_size("metrics.jsonl", size)
        if copy_to is not None:
            copy_to.write(block)
        lines = (rest + block).split(b"\n")
        rest = lines.pop()  # the last piece may be half a line: kept for the next block
        if not block and rest:  # the file's last line, without its newline
            lines.append(rest)
        if len(rest) > MAX_LINE_BYTES or (lines and max(map(len, lines)) > MAX_LINE_BYTES):
            raise RunError(f"metrics.jsonl has a line longer than {MAX_LINE_BYTES // 1024} KB", "metrics_bad")
        n += len(lines)
        if n > MAX_METRICS_LINES:  # count the rest without parsing it, to say how many there are
            while block := source.read(1024 * 1024):
                size += len(block)
                check_size("metrics.jsonl", size)
                n += block.count(b"\n")
            raise _too_many_lines(n)
        if block.count(b'":') > MAX_FIELDS * (len(lines) + 1):  # counted in C before anything is parsed
            raise RunError(f"metrics.jsonl has lines of more than {MAX_FIELDS} fields", "metrics_bad")
        _parse_events(history, [line for line in lines if not line.isspace() and line])
        if not block:
            return history


_PREDS = b'"test_preds"'
_DIGIT, _COMMA, _SPACE = 1, 2, 3
_BYTE_CLASS = np.zeros(256, dtype=np.uint8)
_BYTE_CLASS[list(b"0123456789")], _BYTE_CLASS[ord(",")], _BYTE_CLASS[list(b" \t")] = _DIGIT, _COMMA, _SPACE


def _digits(text: bytes) -> np.ndarray:
    """A JSON list's inside that must be single digits ("7, 2, 1" or "7,2,1"), read by NumPy in one pass
    instead of json building 10,000 int objects for it (what a full evaluation's predictions are)."""
    raw = np.frombuffer(text, dtype=np.uint8)
    cls = _BYTE_CLASS[raw]
    digit = cls == _DIGIT
    if not raw.size or cls.min() == 0 or (digit[1:] & digit[:-1]).any():
        if raw.size and not (cls == _SPACE).all():
            raise RunError("metrics.jsonl: test_preds must be digits 0-9", "metrics_bad")
        return np.zeros(0, dtype=np.uint8)
    seen = cls[cls != _SPACE]  # digit, comma, digit, ...: it starts and ends with a digit, nothing repeats
    if seen[0] != _DIGIT or seen[-1] != _DIGIT or (seen[1:] == seen[:-1]).any():
        raise RunError("metrics.jsonl: test_preds must be digits 0-9", "metrics_bad")
    return raw[digit] - ord("0")


def _split_preds(line: bytes) -> tuple[bytes, np.ndarray | None]:
    """The line with its test_preds list replaced by null, and that list's digits (None: the line has none)."""
    at = line.find(_PREDS)
    if at < 0:
        return line, None
    start = line.find(b"[", at)
    end = line.find(b"]", start)
    if start < 0 or end < 0 or line[at + len(_PREDS):start].strip(b" \t:") or b"[" in line[start + 1:end]:
        raise RunError("metrics.jsonl: test_preds must be a list of digits", "metrics_bad")
    return line[:start] + b"null" + line[end + 1:], _digits(line[start + 1:end])


def _parse_events(history: History, lines: list[bytes]) -> None:
    if not lines:
        return
    preds = {}
    for i, line in enumerate(lines):
        if _PREDS in line:
            lines[i], preds[i] = _split_preds(line)
    joined = b",".join(lines)
    if joined.count(b",") - (len(lines) - 1) > MAX_FIELDS * len(lines):  # values, not only keys: no long lists
        raise RunError(f"metrics.jsonl has lines of more than {MAX_FIELDS} values", "metrics_bad")
    try:
        events = json.loads(b"[" + joined + b"]")
    except (ValueError, RecursionError):  # RecursionError: brackets nested thousands deep
        raise RunError("metrics.jsonl is not valid JSON lines", "metrics_bad") from None
    if len(events) != len(lines):  # a line holding two values ("1, 2") is not one event
        raise RunError("metrics.jsonl is not valid JSON lines", "metrics_bad")
    for i, digits in preds.items():
        if type(events[i]) is dict and events[i].get("test_preds", 0) is None:
            events[i]["test_preds"] = digits
    append, steps = history.append, []
    try:
        for event in events:
            if type(event) is not dict or type(kind := event.get("kind")) is not str:
                raise RunError("metrics.jsonl holds lines that are not MNIST Lab events", "metrics_bad")
            if kind == "step":  # most lines: straight in, a run of them at once
                steps.append(event)
                continue
            if steps:
                history.extend("step", steps)
                steps = []
            if kind == "eval" and not _number(event.get("test_acc")):  # what Run's properties read
                raise RunError("metrics.jsonl: an evaluation has no numeric test accuracy", "metrics_bad")
            if kind == "final" and not (isinstance(event.get("status", ""), str)
                                        and (event.get("seconds") is None or _number(event["seconds"]))):
                raise RunError("metrics.jsonl: the final event has a malformed status or time", "metrics_bad")
            append(event)
        history.extend("step", steps)
    except HistoryError as exc:
        raise RunError(f"metrics.jsonl: {exc}", "metrics_bad") from None


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
    history = history_from_jsonl(files["metrics.jsonl"])
    model = model_from_bytes(config, files["model.safetensors"])
    return Run(name=name, config=config, model=model, history=history, origin=origin)
