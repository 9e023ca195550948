"""A run is saved whole: a process killed at any moment of a save leaves the old run or the new one."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time

import torch

from core.lab.runfiles.folders import list_run_dirs, load_run, recover, save_run
from core.learn.config import TrainConfig
from core.learn.families import build
from core.learn.run import Run


def _run(arch: str, acc: float) -> Run:
    config = TrainConfig(arch=arch, epochs=1, device="cpu")
    torch.manual_seed(0)
    history = [{"kind": "eval", "full": True, "test_acc": acc, "epoch": e} for e in range(200)]
    history.append({"kind": "final", "status": "finished", "seconds": acc})
    return Run(name="r", config=config, model=build(config), history=history)


def _save_forever(folder: str, runs: list[Run]) -> None:
    i = 0
    while True:
        save_run(runs[i % 2], folder)
        i += 1


def test_a_killed_save_leaves_the_old_run_or_the_new_one(tmp_path):
    # Two runs that differ in every file: the config (architecture), the weights and the history.
    runs = [_run("mlp:64", 0.25), _run("linear", 0.75)]
    folder = tmp_path / "shared" / "r"
    save_run(runs[0], folder)
    rng = random.Random(0)
    fork = multiprocessing.get_context("fork")
    seen = set()
    for _ in range(25):
        child = fork.Process(target=_save_forever, args=(str(folder), runs))
        child.start()
        time.sleep(rng.uniform(0.005, 0.06))
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        recover(folder.parent, grace=0.0)  # what a listing does once the grace time has passed
        loaded = load_run(folder)  # raises on a torn run: files of both, or none
        want = {"mlp:64": 0.25, "linear": 0.75}[loaded.config.arch]
        assert loaded.test_acc == want and loaded.seconds == want  # the history belongs to these weights
        seen.add(loaded.config.arch)
        assert [p.name for p in folder.parent.iterdir()] == ["r"]  # nothing half-saved left behind
    assert list_run_dirs(folder.parent) == [folder]
    assert seen == {"mlp:64", "linear"}  # the kills landed in both directions of the swap


def test_a_listing_leaves_a_save_in_progress_alone(tmp_path):
    run = _run("linear", 0.5)
    save_run(run, tmp_path / "r")
    moved = tmp_path / ".r.1-2.old"  # as if another process had just moved it aside
    os.rename(tmp_path / "r", moved)
    assert list_run_dirs(tmp_path) == []  # not listed while the other process may still be saving
    assert moved.exists()
    recover(tmp_path, grace=0.0)  # later: the save never finished, so the old run comes back
    assert load_run(tmp_path / "r").test_acc == 0.5
