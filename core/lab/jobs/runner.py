"""The worker side: the Huey queues, the task a worker process runs, and a pool of worker processes.

One queue per device ("cpu", "cuda", "mps"): a job that asked for CUDA waits for a worker started with
`python -m core worker --device cuda`. The queue is SqliteHuey in MNIST_LAB_HOME by default (nothing to
install) and RedisHuey when MNIST_LAB_QUEUE names a Redis server (several machines); the task is the same.

A task trains one job and writes its run folder as it goes: every event is appended to metrics.jsonl, the
weights and a checkpoint (weights, optimizer, batch order, clocks) are written at each epoch end and on a
pause, so a killed worker loses at most one epoch and a paused job frees its worker. Checkpoints are
safetensors with JSON metadata: nothing is ever unpickled.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import torch

from core import settings
from core.errors import LabError
from core.lab import workspaces
from core.lab.jobs import store as jobs
from core.lab.runfiles import tensors_bytes, write_file
from core.learn.config import TrainConfig
from core.learn.events import history_entry, in_history

QUEUES = ("cpu", "cuda", "mps")
CHECKPOINT = "checkpoint.safetensors"  # tensors as safetensors, the rest as JSON in its metadata
_hueys: dict[str, object] = {}
_immediate = False  # tests: tasks run at once, in the caller's process (Huey's immediate mode)


def set_immediate(on: bool) -> None:
    """Run tasks synchronously in this process (unit tests); forgets the queues made so far."""
    global _immediate
    _immediate = on
    _hueys.clear()


def is_immediate() -> bool:
    return _immediate


def huey_for(queue: str):
    """The Huey instance of one device's queue, with the training task registered on it."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}; one of {', '.join(QUEUES)}")
    if queue not in _hueys:
        from huey import MemoryHuey, RedisHuey, SqliteHuey

        name = f"mnist-lab-{queue}"
        url = settings.queue_url()
        if _immediate:
            huey = MemoryHuey(name, immediate=True)
        elif url:
            huey = RedisHuey(name, url=url)
        else:
            settings.home().mkdir(parents=True, exist_ok=True)
            huey = SqliteHuey(name, filename=str(settings.home() / "queue.db"))
        huey.train_job = huey.task(name="train_job")(_train_job)
        _hueys[queue] = huey
    return _hueys[queue]


def _train_job(workspace_id: str, job_id: str) -> str:
    return run_job(workspace_id, job_id)


# Huey names a task by its function's module and name: jobs queued before core/ was split into learn/ and lab/
# say "core.worker.train_job", so the task keeps that name wherever the code lives.
TASK_MODULE = "core.worker"
_train_job.__module__ = TASK_MODULE


def enqueue(queue: str, workspace_id: str, job_id: str) -> None:
    huey_for(queue).train_job(workspace_id, job_id)


# ---- checkpoints ------------------------------------------------------------------------------------------

def _flatten(state: dict, lines: int) -> tuple[dict[str, torch.Tensor], dict]:
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


def _unflatten(tensors: dict[str, torch.Tensor], meta: dict) -> dict:
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
    return {"state": _unflatten(load_file(str(path)), meta), "lines": meta["lines"]}


def _write_checkpoint(run_dir: Path, config: TrainConfig, state: dict, lines: int) -> None:
    """The weights (model.safetensors, what the pages load) and everything needed to go on (the checkpoint)."""
    from safetensors.torch import save

    tensors, meta = _flatten(state, lines)
    write_file(run_dir / CHECKPOINT, save(tensors, metadata={"state": json.dumps(meta)}))
    write_file(run_dir / "model.safetensors", tensors_bytes(config, state["model"]))


def truncate_events(run_dir: Path, lines: int) -> list[dict]:
    """Keep the first `lines` events of metrics.jsonl (those the checkpoint had seen); returns them."""
    path = Path(run_dir) / "metrics.jsonl"
    kept = [json.loads(line) for line in path.read_text().splitlines() if line.strip()][:lines]
    write_file(path, "".join(json.dumps(e) + "\n" for e in kept).encode())
    return kept


def _continued_events(source: Path, lines: int) -> list[dict]:
    """A run's events up to its checkpoint, without its end: the new run's curve goes on from them."""
    events = [json.loads(line) for line in (source / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [e for e in events[:lines] if e.get("kind") not in ("final", "diverged")]


# ---- the task ---------------------------------------------------------------------------------------------

_data_cache: dict[str, object] = {}


def dataset():
    """MNIST for this worker process, decoded once (honours MNIST_LAB_SUBSET, as the app does)."""
    key = str(settings.subset())
    if key not in _data_cache:
        from core.learn.data import load_mnist

        data = load_mnist()
        sub = settings.subset()
        _data_cache.clear()
        _data_cache[key] = data.subset(*sub) if sub else data
    return _data_cache[key]


def _take(ws: workspaces.Workspace, job_id: str) -> dict | None:
    """Mark the job running if it is still queued (it may have been stopped while it waited)."""
    with jobs._locked(ws):
        record = jobs._read(jobs._record_path(ws, job_id))
        if record is None:
            return None
        jobs._unqueue(record)
        if record["state"] != "queued":
            return None
        record.update(state="running", dispatched=False, started=record.get("started") or time.time(),
                      worker=f"{socket.gethostname()}:{os.getpid()}")
        jobs.clear_control(ws, job_id)
        jobs.beat_path(ws, job_id).touch()
        jobs._write(jobs._record_path(ws, job_id), record)
        return record


def _prepare(ws: workspaces.Workspace, record: dict, config: TrainConfig) -> tuple[dict | None, int]:
    """The run folder ready to be appended to, and the state to resume from (None: from scratch)."""
    run_dir = ws.runs_dir / record["run"]
    run_dir.mkdir(parents=True, exist_ok=True)
    write_file(run_dir / "config.json", json.dumps(config.to_dict(), indent=2).encode())
    checkpoint = read_checkpoint(run_dir) if record.get("resume") else None
    if checkpoint is not None:
        return checkpoint["state"], len(truncate_events(run_dir, checkpoint["lines"]))
    if record.get("continue_of"):
        source = ws.runs_dir / record["continue_of"]
        checkpoint = read_checkpoint(source)
        if checkpoint is None:
            raise LabError(f"run {record['continue_of']} has no checkpoint to continue from", "no_checkpoint",
                           name=record["continue_of"])
        events = _continued_events(source, checkpoint["lines"])
        write_file(run_dir / "metrics.jsonl", "".join(json.dumps(e) + "\n" for e in events).encode())
        return checkpoint["state"], len(events)
    for stale in ("metrics.jsonl", "model.safetensors", CHECKPOINT):  # resume without a checkpoint: start over
        (run_dir / stale).unlink(missing_ok=True)
    (run_dir / "metrics.jsonl").touch()
    return None, 0


def _fine_tune(ws: workspaces.Workspace, record: dict) -> dict:
    """A fine-tuning job: the source run's copy trained on the class drawings, saved as a new run."""
    from core.lab import classset
    from core.lab.runfiles import Run, load_run, save_run

    spec = record["finetune"]
    source = load_run(spec["source"])
    images, labels = classset.load_class_set(spec["drawings"])
    model, event, outcome = classset.fine_tune_outcome(source, images, labels, dataset(), epochs=spec["epochs"],
                                                       lr=spec["lr"], replay=spec["replay"])
    save_run(Run(name=record["run"], config=source.config, model=model, history=source.history + [event]),
             ws.runs_dir / record["run"])
    return outcome


def _beat_job(ws: workspaces.Workspace, job_id: str, done: threading.Event) -> None:
    while not done.wait(jobs.BEAT_EVERY_S):
        try:
            jobs.beat_path(ws, job_id).touch()
        except OSError:  # the workspace was removed under a running job: nothing left to show alive
            return


def run_job(workspace_id: str, job_id: str) -> str:
    """The Huey task: train one job of one workspace, writing its run folder as it goes; returns its state."""
    from core.learn import training

    ws = workspaces.at(workspace_id)
    record = _take(ws, job_id)
    if record is None:
        return "skipped"
    state, fields = "failed", {}
    # The heartbeat comes from a thread, so that a long phase without steps (loading MNIST from a slow disk,
    # evaluating a big model, starting CUDA) never looks like a dead worker; only a dead process stops it.
    beating = threading.Event()
    threading.Thread(target=_beat_job, args=(ws, job_id, beating), daemon=True, name=f"beat-{job_id}").start()
    try:
        torch.set_num_threads(1)  # one single-threaded job per worker process: N workers share the cores
        if record.get("kind") == "finetune":
            jobs.Control(ws, job_id).is_set()  # a beat: fine-tuning takes seconds, one is enough
            fields["outcome"] = _fine_tune(ws, record)
            state = "finished"
            return state
        config = TrainConfig.from_dict(record["config"])
        run_dir = ws.runs_dir / record["run"]
        resume, lines = _prepare(ws, record, config)
        control = jobs.Control(ws, job_id)
        control.is_set()  # the first beat, before the data loads
        data = dataset()
        if not record.get("total"):
            fields["total"] = jobs._epochs_total(config, len(data.train_labels))
            jobs.update(ws, job_id, **fields)
        if record.get("more_epochs") and resume is not None and not record.get("until_step"):
            # continued for N more epochs: N epochs from where the source run stopped, even mid-epoch
            n = config.train_subset or len(data.train_labels)
            per_epoch = -(-n // config.batch_size)
            fields.update(until_step=resume["step"] + record["more_epochs"] * per_epoch,
                          total=resume["seen"] + record["more_epochs"] * n)
            record.update(fields)
            jobs.update(ws, job_id, **fields)
        events = training.train(config, data, stop=control, resume=resume, checkpoints=config.family != "knn",
                                until_step=record.get("until_step"))
        with open(run_dir / "metrics.jsonl", "a") as out:
            for event in events:
                kind = event["kind"]
                if kind == "checkpoint":
                    _write_checkpoint(run_dir, config, event["state"], lines)
                    continue
                if kind == "paused":
                    state = "paused"
                    break
                if not in_history(event):  # the one rule, shared with core.learn.run.collect
                    continue
                out.write(json.dumps(history_entry(event)) + "\n")
                out.flush()
                lines += 1
                if kind == "final":
                    state = jobs.FINAL_STATE.get(event["status"], "finished")
                    if event["model"] is not None:
                        from core.lab.runfiles import state_dict

                        write_file(run_dir / "model.safetensors", tensors_bytes(config, state_dict(event["model"])))
        fields.update(error=None, error_code=None)
    except Exception as exc:  # anything: the page must only ever see a state and a message
        state = "failed"
        fields.update(error=" ".join(str(exc).split()) or type(exc).__name__,
                      error_code=getattr(exc, "code", "") or "", error_params=getattr(exc, "params", {}))
    except BaseException:  # the pool is stopping (Huey turns SIGTERM into KeyboardInterrupt): resumable, not failed
        state = "interrupted"
        fields.update(error="its worker pool was stopped", error_code="worker_lost")
        raise
    finally:
        beating.set()
        jobs.update(ws, job_id, state=state, ended=None if state in ("paused", "interrupted") else time.time(),
                    resume=state == "paused", **fields)
        jobs.clear_control(ws, job_id)
        jobs.kick(ws)  # the workspace's next waiting job
    return state


# ---- a pool of worker processes ---------------------------------------------------------------------------

def _beat_pool(path: Path, info: dict, stop: threading.Event) -> None:
    """Say the pool is alive, and mark the jobs of workers that died (here or on another machine)."""
    while not stop.is_set():
        write_file(path, json.dumps({**info, "time": time.time()}).encode())
        try:
            jobs.sweep_interrupted()
        except OSError:  # a workspace removed while we looked: the next sweep sees the rest
            pass
        stop.wait(jobs.POOL_BEAT_S)


# An idle SQLite worker polls the queue; Huey's default back-off reaches 10 s, too slow for a click.
POLL = {"initial_delay": 0.1, "backoff": 1.15, "max_delay": 0.5}


def _announce(workers: int, queue: str, kind: str):
    """Start beating the pool's file (pages check it before queueing); returns the function that stops it."""
    path = jobs.pool_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    info = {"host": socket.gethostname(), "pid": os.getpid(), "workers": workers, "queue": queue, "kind": kind,
            "started": time.time()}
    stop = threading.Event()
    threading.Thread(target=_beat_pool, args=(path, info, stop), daemon=True, name="pool-beat").start()

    def done() -> None:
        stop.set()
        path.unlink(missing_ok=True)

    return done


def run_pool(workers: int, queue: str = "cpu") -> None:
    """Process workers taking jobs from one device's queue until SIGINT/SIGTERM (python -m core worker)."""
    consumer = huey_for(queue).create_consumer(workers=workers, worker_type="process", periodic=False,
                                               check_worker_health=True, health_check_interval=1, **POLL)
    done = _announce(workers, queue, "process")
    try:
        consumer.run()
    finally:
        done()


def serve_in_threads(workers: int = 1, queue: str = "cpu"):
    """Worker threads in this process (page tests, where a test must reach into the training); returns stop()."""
    consumer = huey_for(queue).create_consumer(workers=workers, worker_type="thread", periodic=False, **POLL)
    consumer.start()
    done = _announce(workers, queue, "thread")

    def stop() -> None:
        done()
        consumer.stop(graceful=True)

    return stop
