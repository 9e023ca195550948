"""Trains one job into its run folder: what a worker process does with a task. It never queues anything.

The run folder fills up as the job trains: every event is appended to metrics.jsonl, the weights and a
checkpoint (core.lab.runfiles.checkpoint: weights, optimizer, batch order, clocks) are written at each epoch
end and on a pause, so a killed worker loses at most one epoch and a paused job frees its worker. The job's
state changes only through core.lab.jobs.store's transitions (take, finish, interrupt).
"""

from __future__ import annotations

import json
import threading

import torch

from core import settings
from core.errors import LabError
from core.lab import workspaces
from core.lab.jobs import store
from core.lab.runfiles.checkpoint import (
    CHECKPOINT,
    continued_events,
    read_checkpoint,
    truncate_events,
    write_checkpoint,
)
from core.lab.runfiles.folders import load_run, save_run, write_file
from core.lab.runfiles.format import tensors_bytes
from core.learn.config import TrainConfig
from core.learn.events import history_entry, in_history
from core.learn.run import Run, state_dict

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
        events = continued_events(source, checkpoint["lines"])
        write_file(run_dir / "metrics.jsonl", "".join(json.dumps(e) + "\n" for e in events).encode())
        return checkpoint["state"], len(events)
    for stale in ("metrics.jsonl", "model.safetensors", CHECKPOINT):  # resume without a checkpoint: start over
        (run_dir / stale).unlink(missing_ok=True)
    (run_dir / "metrics.jsonl").touch()
    return None, 0


def _fine_tune(ws: workspaces.Workspace, record: dict) -> dict:
    """A fine-tuning job: the source run's copy trained on the class drawings, saved as a new run."""
    from core.lab import classset
    spec = record["finetune"]
    source = load_run(spec["source"])
    images, labels = classset.load_class_set(spec["drawings"])
    model, event, outcome = classset.fine_tune_outcome(source, images, labels, dataset(), epochs=spec["epochs"],
                                                       lr=spec["lr"], replay=spec["replay"])
    save_run(Run(name=record["run"], config=source.config, model=model, history=source.history + [event]),
             ws.runs_dir / record["run"])
    return outcome


def _beat_job(ws: workspaces.Workspace, job_id: str, done: threading.Event) -> None:
    while not done.wait(store.BEAT_EVERY_S):
        try:
            store.beat_path(ws, job_id).touch()
        except OSError:  # the workspace was removed under a running job: nothing left to show alive
            return


def _train(ws: workspaces.Workspace, job_id: str, record: dict, fields: dict) -> str:
    """Train the job's config into its run folder; returns the state it ended in (paused, or how it ended)."""
    from core.learn import training

    state = "failed"
    config = TrainConfig.from_dict(record["config"])
    run_dir = ws.runs_dir / record["run"]
    resume, lines = _prepare(ws, record, config)
    control = store.Control(ws, job_id)
    control.is_set()  # the first beat, before the data loads
    data = dataset()
    if not record.get("total"):
        fields["total"] = store.epochs_total(config, len(data.train_labels))
        store.update(ws, job_id, **fields)
    if record.get("more_epochs") and resume is not None and not record.get("until_step"):
        # continued for N more epochs: N epochs from where the source run stopped, even mid-epoch
        n = config.train_subset or len(data.train_labels)
        per_epoch = -(-n // config.batch_size)
        fields.update(until_step=resume["step"] + record["more_epochs"] * per_epoch,
                      total=resume["seen"] + record["more_epochs"] * n)
        record.update(fields)
        store.update(ws, job_id, **fields)
    events = training.train(config, data, stop=control, resume=resume, checkpoints=config.family != "knn",
                            until_step=record.get("until_step"))
    with open(run_dir / "metrics.jsonl", "a") as out:
        for event in events:
            kind = event["kind"]
            if kind == "checkpoint":
                write_checkpoint(run_dir, config, event["state"], lines)
                continue
            if kind == "paused":
                return "paused"
            if not in_history(event):  # the one rule, shared with core.learn.run.collect
                continue
            out.write(json.dumps(history_entry(event)) + "\n")
            out.flush()
            lines += 1
            if kind == "final":
                state = store.FINAL_STATE.get(event["status"], "finished")
                if event["model"] is not None:
                    write_file(run_dir / "model.safetensors", tensors_bytes(config, state_dict(event["model"])))
    return state


def run_job(workspace_id: str, job_id: str) -> str:
    """Train one job of one workspace, writing its run folder as it goes; returns its state ("skipped" when it
    was no longer waiting). Queues nothing: core.lab.jobs.queue's task sends the workspace's next job."""
    ws = workspaces.at(workspace_id)
    record = store.take(ws, job_id)
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
            store.Control(ws, job_id).is_set()  # a beat: fine-tuning takes seconds, one is enough
            fields["outcome"] = _fine_tune(ws, record)
            state = "finished"
        else:
            state = _train(ws, job_id, record, fields)
        fields.update(error=None, error_code=None)
    except Exception as exc:  # anything: the page must only ever see a state and a message
        state = "failed"
        fields.update(error=" ".join(str(exc).split()) or type(exc).__name__,
                      error_code=getattr(exc, "code", "") or "", error_params=getattr(exc, "params", {}))
    except BaseException:  # the pool is stopping (Huey turns SIGTERM into KeyboardInterrupt): resumable, not failed
        beating.set()
        store.interrupt(ws, job_id)
        raise
    beating.set()
    store.finish(ws, job_id, state, **fields)
    return state
