"""What `training.train` yields: the event kinds, typed, and the one place each is built.

Every listener (the command line, a worker writing metrics.jsonl, a test) reads these plain dicts; a run's
history is the same events without the model (`history_entry`). `seconds` is wall time since training
began; `train_seconds` leaves out the time spent evaluating.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict


class StepEvent(TypedDict):
    kind: Literal["step"]
    epoch: float  # epochs done, fractional
    step: int
    seen: int  # training images seen so far
    seconds: float
    loss: float  # this batch's loss
    batch_acc: float
    images_per_s: float
    lr: float  # the learning rate this step used


class EvalEvent(TypedDict, total=False):
    kind: Literal["eval"]
    epoch: float
    step: int
    seen: int
    seconds: float
    train_seconds: float
    train_loss: float | None  # mean batch loss since the previous evaluation
    test_loss: float | None  # None only for kNN
    test_acc: float
    n_test: int
    full: bool  # the whole test set (else the fixed cheap subset)
    test_preds: list[int]  # full evaluations only: every test image's predicted digit


class KnnEvent(TypedDict):
    kind: Literal["knn"]
    k: int
    test_acc: float


class DivergedEvent(TypedDict):
    kind: Literal["diverged"]
    step: int
    reason: str  # English, for the command line
    code: str  # "diverged": the pages say it in the reader's language from `params`
    params: dict[str, str]


class CheckpointEvent(TypedDict):
    kind: Literal["checkpoint"]
    epoch: float
    step: int
    state: dict[str, Any]  # tensors: core.lab.jobs.runner saves it as safetensors, never in metrics.jsonl


class PausedEvent(TypedDict):
    kind: Literal["paused"]
    epoch: float
    step: int
    seen: int


class FinalEvent(TypedDict):
    kind: Literal["final"]
    status: Literal["finished", "stopped", "diverged", "target"]
    test_acc: float | None
    seconds: float
    train_seconds: float
    time_to_target_s: float | None
    steps: int
    seen: int
    model: object | None  # the learner; None only for a kNN stopped during its search


Event = StepEvent | EvalEvent | KnnEvent | DivergedEvent | CheckpointEvent | PausedEvent | FinalEvent


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def step_event(epoch: float, step: int, seen: int, seconds: float, loss: float, batch_acc: float,
               images_per_s: float, lr: float) -> StepEvent:
    return {"kind": "step", "epoch": _r(epoch), "step": step, "seen": seen, "seconds": _r(seconds), "loss": loss,
            "batch_acc": batch_acc, "images_per_s": images_per_s, "lr": lr}


def eval_event(epoch: float, step: int, seen: int, seconds: float, train_seconds: float, train_loss: float | None,
               result: dict, full: bool) -> EvalEvent:
    """`result` is what training.evaluate returned; a full evaluation keeps every prediction."""
    event: EvalEvent = {
        "kind": "eval", "epoch": _r(epoch), "step": step, "seen": seen, "seconds": _r(seconds),
        "train_seconds": _r(train_seconds), "train_loss": train_loss, "test_loss": result["test_loss"],
        "test_acc": result["test_acc"], "n_test": len(result["preds"]), "full": full,
    }
    if full:
        event["test_preds"] = result["preds"].tolist()
    return event


def knn_event(k: int, test_acc: float) -> KnnEvent:
    return {"kind": "knn", "k": k, "test_acc": test_acc}


def diverged_event(step: int, loss: float, lr: float, loss_name: str, optimizer: str) -> DivergedEvent:
    reason = (f"the loss became {loss} (no longer a finite number): learning rate {lr:g} is too high for "
              f"{loss_name} loss with {optimizer}; try a smaller rate")
    return {"kind": "diverged", "step": step, "reason": reason, "code": "diverged",
            "params": {"loss": str(loss), "lr": f"{lr:g}", "loss_name": loss_name, "optimizer": optimizer}}


def weights_diverged_event(step: int, weight: float, limit: float, lr: float, loss_name: str,
                           optimizer: str) -> DivergedEvent:
    """Divergence with a finite loss: the weights grew past `limit` (a linear model or saturated units)."""
    reason = (f"the weights grew to {weight:.3g} (more than {limit:g}): learning rate {lr:g} is too high for "
              f"{loss_name} loss with {optimizer}; try a smaller rate")
    return {"kind": "diverged", "step": step, "reason": reason, "code": "diverged_weights",
            "params": {"weight": f"{weight:.3g}", "limit": f"{limit:g}", "lr": f"{lr:g}", "loss_name": loss_name,
                       "optimizer": optimizer}}


def checkpoint_event(epoch: float, step: int, state: dict) -> CheckpointEvent:
    return {"kind": "checkpoint", "epoch": _r(epoch), "step": step, "state": state}


def paused_event(epoch: float, step: int, seen: int) -> PausedEvent:
    return {"kind": "paused", "epoch": _r(epoch), "step": step, "seen": seen}


def final_event(status: str, test_acc: float | None, seconds: float, train_seconds: float,
                time_to_target_s: float | None, steps: int, seen: int, model) -> FinalEvent:
    return {"kind": "final", "status": status, "test_acc": test_acc, "seconds": _r(seconds),
            "train_seconds": _r(train_seconds), "time_to_target_s": _r(time_to_target_s), "steps": steps,
            "seen": seen, "model": model}


STEPS_KEPT = 5000  # a run's history keeps every step up to twice this, then ever fewer (see keep_step)


def keep_step(step: int) -> bool:
    """Whether a run's history keeps step number `step`: all of the first 2*STEPS_KEPT steps, then every 2nd
    up to 4*STEPS_KEPT, every 4th up to 8*STEPS_KEPT, and so on. A chart looks the same, and the wildest
    run the form allows (batch 1, 100 epochs: 6 million steps) keeps about 50,000 lines instead of 6 million.
    """
    stride = 1 << max(0, (step // STEPS_KEPT).bit_length() - 1)
    return step % stride == 0


def history_entry(event: dict) -> dict:
    """An event as a run's history keeps it: everything but the model object."""
    return {k: v for k, v in event.items() if k != "model"}



def in_history(event: dict) -> bool:
    """The one rule for which events a run's history keeps (in memory and in metrics.jsonl): not checkpoints
    (their tensors go to the checkpoint file), not pauses, and of the steps only those keep_step keeps."""
    kind = event["kind"]
    if kind in ("checkpoint", "paused"):
        return False
    return kind != "step" or keep_step(event["step"])
