"""The checkpoint a job goes on from: weights, optimizer, batch order and clocks, in one safetensors file.

Tensors are stored as safetensors and everything else as JSON in the file's metadata, so nothing is ever
unpickled. `lines` says how many events metrics.jsonl held when it was written: a job resumed from it drops
the events after that line, so its curve goes on exactly where the checkpoint left it.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from core.lab.runfiles.folders import write_file
from core.lab.runfiles.format import tensors_bytes
from core.learn.config import TrainConfig

CHECKPOINT = "checkpoint.safetensors"  # tensors as safetensors, the rest as JSON in its metadata


def flatten(state: dict, lines: int) -> tuple[dict[str, torch.Tensor], dict]:
    """A checkpoint as named tensors plus JSON (no pickle anywhere): the optimizer's tensors are split out."""
    tensors = {f"model/{k}": v.detach().cpu().contiguous() for k, v in state["model"].items()}
    if state["g_epoch"] is not None:
        tensors["g_epoch"] = state["g_epoch"]
    opt = None
    if state["opt"] is not None:
        opt = {"state": {}, "param_groups": state["opt"]["param_groups"]}
        for idx, entries in state["opt"]["state"].items():
            opt["state"][str(idx)] = {}
            for name, value in entries.items():
                if torch.is_tensor(value):
                    tensors[f"opt/{idx}/{name}"] = value.detach().cpu().contiguous()
                else:
                    opt["state"][str(idx)][name] = value
    rest = {k: v for k, v in state.items() if k not in ("model", "opt", "g_epoch")}
    return tensors, {**rest, "opt": opt, "lines": lines}


def unflatten(tensors: dict[str, torch.Tensor], meta: dict) -> dict:
    """What train(resume=...) takes, from flatten's two halves."""
    state = {k: v for k, v in meta.items() if k not in ("opt", "lines")}
    state["model"] = {k[len("model/"):]: v for k, v in tensors.items() if k.startswith("model/")}
    state["g_epoch"] = tensors.get("g_epoch")
    state["opt"] = None
    if meta.get("opt") is not None:
        opt_state = {int(idx): dict(entries) for idx, entries in meta["opt"]["state"].items()}
        for key, value in tensors.items():
            if key.startswith("opt/"):
                _, idx, name = key.split("/", 2)
                opt_state.setdefault(int(idx), {})[name] = value
        groups = [{**g, "betas": tuple(g["betas"])} if "betas" in g else g for g in meta["opt"]["param_groups"]]
        state["opt"] = {"state": opt_state, "param_groups": groups}
    return state


def read_checkpoint(run_dir: Path) -> dict | None:
    """{"state": what train(resume=...) takes, "lines": events metrics.jsonl held then}; None if there is none."""
    path = Path(run_dir) / CHECKPOINT
    if not path.is_file():
        return None
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), framework="pt") as f:
        meta = json.loads(f.metadata()["state"])
    return {"state": unflatten(load_file(str(path)), meta), "lines": meta["lines"]}


def checkpoint_position(run_dir: Path) -> dict | None:
    """Where a checkpoint stands ({"step", "seen", "lines"}), read from its metadata alone; None without one."""
    path = Path(run_dir) / CHECKPOINT
    if not path.is_file():
        return None
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = json.loads(f.metadata()["state"])
        return {"step": int(meta["step"]), "seen": int(meta["seen"]), "lines": int(meta["lines"])}
    except Exception:  # unreadable or not ours (safetensors raises its own error types): no position to show
        return None


def write_checkpoint(run_dir: Path, config: TrainConfig, state: dict, lines: int) -> None:
    """The weights (model.safetensors, what the pages load) and everything needed to go on (the checkpoint), in
    that order: where there is a checkpoint, there are weights at least as new to look at."""
    from safetensors.torch import save

    tensors, meta = flatten(state, lines)
    write_file(Path(run_dir) / "model.safetensors", tensors_bytes(config, state["model"]))
    write_file(Path(run_dir) / CHECKPOINT, save(tensors, metadata={"state": json.dumps(meta)}))


def truncate_events(run_dir: Path, lines: int) -> list[dict]:
    """Keep the first `lines` events of metrics.jsonl (those the checkpoint had seen); returns them."""
    path = Path(run_dir) / "metrics.jsonl"
    kept = [json.loads(line) for line in path.read_text().splitlines() if line.strip()][:lines]
    write_file(path, "".join(json.dumps(e) + "\n" for e in kept).encode())
    return kept


def continued_events(source: Path, lines: int) -> list[dict]:
    """A run's events up to its checkpoint, without its end: the new run's curve goes on from them."""
    events = [json.loads(line) for line in (Path(source) / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [e for e in events[:lines] if e.get("kind") not in ("final", "diverged")]
