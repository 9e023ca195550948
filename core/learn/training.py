"""The training loop as a generator of events, plus evaluate and predict.

`train(config, data)` yields plain dicts (their kinds are typed and built in core/learn/events.py), so the caller
(command line, worker, test) decides what to show. Read `_Loop.run` first: it is the classic loop, one epoch
after another, batches from a small generator, `loss = ...; step(loss)`, an evaluation now and then.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Protocol

import torch

from core.learn import events, families
from core.learn.config import ConfigError, TrainConfig
from core.learn.data import MNIST
from core.learn.families.nets import resolve_device
from core.learn.losses import compute_loss
from core.learn.optim import LeanStep, make_optimizer

EVAL_SEED = 1234  # fixes which test images the cheap in-epoch evaluations use
EVAL_BATCH = 2000  # images per forward pass when evaluating (bounded memory)
GATHER_IMAGES = 1024  # shuffled images gathered at once (3 MB, so it stays in the CPU cache); batches slice it
# A weight beyond this means the run blew up even where its loss stayed finite (a linear model, or saturated
# sigmoids, at lr 1e30). Measured: at most 112 after 3 epochs of linear hinge with Adam at lr 1 (60 with SGD
# at lr 10); from 1e6 on, float32 cannot add the small steps learning takes (its spacing there is 0.06).
WEIGHT_LIMIT = 1e6


class Stop(Protocol):
    """What the loop checks between steps: `is_set()` asks it to stop and keep the model. A control may also
    offer `pause_requested()` (core.lab.jobs.store.Control does): the loop then checkpoints and returns."""

    def is_set(self) -> bool: ...


@torch.no_grad()
def predict_proba(model, images: torch.Tensor) -> torch.Tensor:
    """Normalised images [B, 1, 28, 28] -> class probabilities [B, 10] on the CPU.

    For torch models this is the softmax of the scores, also for models trained with MSE or hinge
    loss (their scores are not probabilities, but softmax ranks them the same way).
    """
    if families.of_model(model).has_gradients:  # an nn.Module
        model.eval()
        device = next(model.parameters()).device
        out = [torch.softmax(model(images[i:i + EVAL_BATCH].to(device)), dim=1).cpu()
               for i in range(0, len(images), EVAL_BATCH)]
        return torch.cat(out) if out else torch.empty(0, 10)
    return model.predict_proba(images).float().cpu()


@torch.no_grad()
def evaluate(model, images: torch.Tensor, labels: torch.Tensor, loss: str | None = "ce") -> dict:
    """Accuracy, mean loss (None only for kNN) and predicted labels on a set of normalised images.
    `loss`: the torch run's own loss (the NumPy network always reports its quadratic cost; None: no loss)."""
    kind = families.of_model(model)
    # A family that fixes its loss (the NumPy network: quadratic cost) always reports it.
    total_loss, preds, losses = 0.0, [], loss is not None or "loss" in kind.fixed
    if kind.has_gradients:  # an nn.Module: evaluation mode while measuring
        model.eval()
    for i in range(0, len(images), EVAL_BATCH):
        x, y = images[i:i + EVAL_BATCH], labels[i:i + EVAL_BATCH]
        scores = kind.scores(model, x)
        preds.append(scores.argmax(1).cpu())
        part = kind.test_loss(model, x, y, loss, scores) if losses else None
        losses = part is not None
        total_loss += (part or 0.0) * len(x)
    if kind.has_gradients:
        model.train()
    pred = torch.cat(preds) if preds else torch.empty(0, dtype=torch.long)
    n = len(labels)
    return {
        "test_acc": float((pred == labels.cpu()).float().mean()) if n else 0.0,
        "test_loss": total_loss / n if n and losses else None,
        "preds": pred,
    }


def eval_indices(n_test: int, size: int) -> torch.Tensor:
    """The fixed test subset for cheap evaluations: the same images in every run."""
    g = torch.Generator().manual_seed(EVAL_SEED)
    return torch.randperm(n_test, generator=g)[: min(size, n_test)].sort().values


def eval_steps(steps_per_epoch: int, per_epoch: int) -> set[int]:
    """Steps within an epoch (1-based) after which a cheap evaluation runs; the last is the full one."""
    return {max(1, round(i * steps_per_epoch / per_epoch)) for i in range(1, per_epoch + 1)}


def pool_before_relu(model):
    """The model's forward for training, with every ReLU that a max-pooling follows moved after the pooling.

    max(relu(a), relu(b)) == relu(max(a, b)) exactly (both keep the order of numbers), and so are the gradients,
    so the scores and weights are bit for bit those of model(x) (tests/test_speed_cnn.py), while ReLU and its
    backward pass touch a quarter of the numbers: in the small CNN they took ~26% of a step (profiled at batch 256,
    1 thread), and the step takes 1.1-1.2x fewer CPU seconds (an interleaved A/B at 1 thread, batch 64 and 256;
    benchmarks/speed.py measures it beside the plain forward). The model itself is unchanged (the Inside page
    still shows conv -> ReLU -> pool). Anything but a plain nn.Sequential keeps its own forward."""
    if type(model) is not torch.nn.Sequential:
        return model
    plan = list(model)
    for i in range(len(plan) - 1):
        if isinstance(plan[i], torch.nn.ReLU) and isinstance(plan[i + 1], torch.nn.MaxPool2d):
            plan[i], plan[i + 1] = plan[i + 1], plan[i]
    if plan == list(model):
        return model

    def forward(x: torch.Tensor) -> torch.Tensor:
        for layer in plan:
            x = layer(x)
        return x

    return forward


def _has_convolutions(model) -> bool:
    return isinstance(model, torch.nn.Module) and any(isinstance(m, torch.nn.Conv2d) for m in model.modules())


def train(config: TrainConfig, data: MNIST, stop: Stop | None = None, resume: dict | None = None,
          checkpoints: bool = False, until_step: int | None = None) -> Iterator[dict]:
    """Train a learner for `config` on `data`, yielding events (see the module docstring).

    `checkpoints=True` adds a checkpoint event at every epoch end and before the final event; `resume` is
    the state of such a checkpoint, and training goes on from exactly there (same weights, optimizer
    state, batch order and clocks).
    """
    config = config.validated()
    if not families.FAMILIES[config.family].has_steps:  # kNN remembers the images: no steps
        yield from _train_knn(config, data, stop)
    else:
        yield from _Loop(config, data, stop, resume, checkpoints, until_step).run()


class _Loop:
    """One gradient-descent run (torch models and the NumPy network share the bookkeeping)."""

    def __init__(self, config: TrainConfig, data: MNIST, stop: Stop | None, resume: dict | None = None,
                 checkpoints: bool = False, until_step: int | None = None):
        self.cfg, self.stop, self.resume, self.checkpoints = config, stop, resume, checkpoints
        self.until_step = until_step
        self.pause_requested = getattr(stop, "pause_requested", None)
        # A learner without autograd (the NumPy network) does its own backprop on the CPU: model.train_step.
        self.by_hand = not families.FAMILIES[config.family].has_gradients
        self.device = torch.device("cpu") if self.by_hand else resolve_device(config.device)
        n = config.train_subset or len(data.train_labels)
        self.x = data.images("train", self.device)[:n]
        self.y = data.labels("train", self.device)[:n]
        self.xt, self.yt = data.images("test", self.device), data.labels("test", self.device)
        idx = eval_indices(len(self.yt), config.eval_subset).to(self.device)
        self.x_sub, self.y_sub = self.xt[idx], self.yt[idx]
        # With a target accuracy every evaluation uses the whole test set: the target is real.
        self.x_cheap, self.y_cheap = (self.xt, self.yt) if config.target_accuracy else (self.x_sub, self.y_sub)
        self.model = families.build(config)
        # Channels-last on the CPU: oneDNN's convolutions and max-pooling work on that layout natively (the small
        # CNN trains ~1.5x faster, benchmarks/speed.py); the weights go back to the usual layout at the end.
        self.channels_last = self.device.type == "cpu" and _has_convolutions(self.model)
        if not self.by_hand:
            self.model.to(self.device)
            if self.channels_last:
                self.model.to(memory_format=torch.channels_last)
        self.forward = None if self.by_hand else pool_before_relu(self.model)
        self.t0 = time.perf_counter()
        self.eval_time = 0.0
        self.step = self.seen = 0
        self.loss_sum, self.loss_n = 0.0, 0
        self.time_to_target: float | None = None
        self.last_acc = 0.0
        self.opt = self.sched = None
        self.g_epoch: torch.Tensor | None = None  # the batch-order generator's state before this epoch's shuffle
        if resume is not None:
            self.model.load_state_dict(resume["model"])
            self.step, self.seen = resume["step"], resume["seen"]
            self.loss_sum, self.loss_n = resume["loss_sum"], resume["loss_n"]
            self.time_to_target, self.last_acc = resume["time_to_target"], resume["last_acc"]
            self.t0 = time.perf_counter() - resume["wall"]  # the clocks go on from where they stopped
            self.eval_time = resume["eval_time"]

    def _now(self) -> tuple[float, float]:
        wall = time.perf_counter() - self.t0
        return wall, wall - self.eval_time

    def _eval(self, epoch: float, full: bool, first: bool = False) -> dict:
        t = time.perf_counter()
        x, y = (self.xt, self.yt) if full else (self.x_sub, self.y_sub) if first else (self.x_cheap, self.y_cheap)
        result = evaluate(self.model, x, y, None if self.by_hand else self.cfg.loss)
        self.eval_time += time.perf_counter() - t
        wall, train_s = self._now()
        event = events.eval_event(epoch, self.step, self.seen, wall, train_s,
                                  self.loss_sum / self.loss_n if self.loss_n else None, result,
                                  full=full or len(y) == len(self.yt))
        self.loss_sum, self.loss_n = 0.0, 0
        self.last_acc = result["test_acc"]
        target = self.cfg.target_accuracy
        if target and self.time_to_target is None and event["full"] and self.last_acc >= target:
            self.time_to_target = train_s
        return event

    def _checkpoint(self, epoch: int, i: int) -> dict:
        """Everything needed to go on at step `i` of `epoch` (0-based), as CPU tensors and numbers."""
        wall, _ = self._now()
        state = {
            "model": {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()},
            "opt": None if self.opt is None else self.opt.state_dict(),
            "sched": None if self.sched is None else self.sched.state_dict(),
            "total_steps": self.until_step or math.ceil(len(self.y) / self.cfg.batch_size) * self.cfg.epochs,
            "g_epoch": self.g_epoch, "epoch": epoch, "i": i, "step": self.step, "seen": self.seen,
            "loss_sum": self.loss_sum, "loss_n": self.loss_n, "time_to_target": self.time_to_target,
            "last_acc": self.last_acc, "wall": wall, "eval_time": self.eval_time,
        }
        return events.checkpoint_event(epoch + i / max(1, self._per_epoch), self.step, state)

    def _largest_weight(self) -> float:
        """max |w| over the learner's weights (NaN if one is NaN); read at evaluations, not every step."""
        weights = self.model.state_dict().values() if self.by_hand else self.model.parameters()
        return float(torch.stack([w.detach().abs().max() for w in weights]).max())

    def _final(self, status: str) -> dict:
        wall, train_s = self._now()
        if self.channels_last:  # the model handed on has the layout a loaded one has
            self.model.to(memory_format=torch.contiguous_format)
        return events.final_event(status, self.last_acc, wall, train_s, self.time_to_target, self.step, self.seen,
                                  self.model)

    def _optimizer(self, per_epoch: int):
        """The optimizer, its LeanStep and the schedule, restored from the checkpoint when resuming."""
        cfg, resume = self.cfg, self.resume or {}
        self.opt = make_optimizer(cfg, self.model.parameters())
        if resume.get("opt"):
            self.opt.load_state_dict(resume["opt"])
            if self.channels_last:  # saved in the usual layout: back to its weights' own, or the steps differ
                for state in self.opt.state.values():
                    for name, value in state.items():
                        if torch.is_tensor(value) and value.dim() == 4:
                            state[name] = value.contiguous(memory_format=torch.channels_last)
        # LeanStep(opt)(loss) does what the three classic lines do, minus torch.optim's per-step bookkeeping:
        #     opt.zero_grad(); loss.backward(); opt.step()
        step = LeanStep(self.opt)
        if cfg.schedule == "onecycle":
            total = self.until_step or per_epoch * cfg.epochs
            if resume.get("sched") and resume.get("total_steps") == total:
                self.sched = torch.optim.lr_scheduler.OneCycleLR(self.opt, max_lr=cfg.lr, total_steps=total)
                self.sched.load_state_dict(resume["sched"])
            else:  # fresh, or continued for more epochs than planned: one new cycle over the steps left
                for group in self.opt.param_groups:
                    group.pop("initial_lr", None)
                self.sched = torch.optim.lr_scheduler.OneCycleLR(self.opt, max_lr=cfg.lr,
                                                                 total_steps=max(1, total - self.step))
        return step

    def _batches(self, order: torch.Tensor, first: int) -> Iterator[tuple[int, torch.Tensor, torch.Tensor]]:
        """(i, images, labels) of this epoch's shuffled batches, from batch `first` on.

        One gather per block of GATHER_IMAGES instead of one per step, always into the same buffer: a fresh
        tensor per block cost more in page faults than the copy itself.
        """
        bs, n = self.cfg.batch_size, len(self.y)
        block = bs * max(1, GATHER_IMAGES // bs)
        if self._buffer is None:
            self._buffer = self.x.new_empty((min(block, n), *self.x.shape[1:]))
        x_block = y_block = None
        for i in range(first, self._per_epoch):
            start = i * bs
            if start % block == 0 or x_block is None:  # x_block None: resumed in the middle of a block
                idx = order[start - start % block:start - start % block + block]
                x_block = torch.index_select(self.x, 0, idx, out=self._buffer[:len(idx)])
                y_block = self.y[idx]
            yield i, x_block[start % block:start % block + bs], y_block[start % block:start % block + bs]

    def _train_step(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[float, float, float]:
        """One step on a batch: (its loss, its accuracy, the learning rate used), as plain numbers."""
        if self.by_hand:  # e.g. the NumPy network's own backprop (core/learn/families/scratch.py)
            loss, acc = self.model.train_step(images, labels, self.cfg.lr)
            return loss, acc, self.cfg.lr
        scores = self.forward(images)  # = self.model(images), bit for bit (see pool_before_relu)
        loss = compute_loss(self.cfg.loss, scores, labels, self.model, self.cfg.l2, self.cfg.label_smoothing)
        self.step_fn(loss)  # opt.zero_grad(); loss.backward(); opt.step()
        lr = self.opt.param_groups[0]["lr"]
        if self.sched is not None:
            self.sched.step()
        hits = (scores.detach().argmax(1) == labels).float().mean()
        loss_value, acc = torch.stack((loss.detach(), hits)).tolist()  # one device sync, not two
        return loss_value, acc, lr

    def _interrupted(self, epoch: int, i: int) -> list[dict]:
        """The events that end the run here when the control asks to stop or pause; [] to go on."""
        if self.stop is not None and self.stop.is_set():
            ending = [self._eval(epoch + i / self._per_epoch, full=True)]
            if self.checkpoints:
                ending.append(self._checkpoint(epoch, i))
            return [*ending, self._final("stopped")]
        if self.pause_requested is not None and self.pause_requested():
            return [self._checkpoint(epoch, i), events.paused_event(epoch + i / self._per_epoch, self.step, self.seen)]
        return []

    def run(self) -> Iterator[dict]:
        cfg = self.cfg
        g = torch.Generator().manual_seed(cfg.seed)  # the batch order: same seed, same batches
        n = len(self.y)
        per_epoch = self._per_epoch = math.ceil(n / cfg.batch_size)
        evals = eval_steps(per_epoch, cfg.evals_per_epoch)
        self._buffer = None
        self.step_fn = None if self.by_hand else self._optimizer(per_epoch)
        start_epoch, first = 0, 0
        if self.resume is None:
            # The untrained model (about 10%): first on the cheap subset, so that the chart's first point comes at
            # once (a CNN's full evaluation of 10,000 images takes longer than its first hundred steps), then on the
            # whole test set, whose predictions the Evaluate page replays as "before training".
            yield self._eval(0.0, full=False, first=True)
            yield self._eval(0.0, full=True)
        else:
            start_epoch, first = self.resume["epoch"], self.resume["i"]
            if self.resume["g_epoch"] is not None:
                g.set_state(self.resume["g_epoch"])
        last_epoch = cfg.epochs if self.until_step is None else math.ceil(self.until_step / per_epoch)
        for epoch in range(start_epoch, last_epoch):
            self.g_epoch = g.get_state()
            order = torch.randperm(n, generator=g).to(self.device)
            self._restart_rate()
            for i, images, labels in self._batches(order, first if epoch == start_epoch else 0):
                if ending := self._interrupted(epoch, i):  # stop or pause, asked between two steps
                    yield from ending
                    return
                loss, acc, lr = self._train_step(images, labels)  # forward, loss, backward and step
                self.step += 1
                self.seen += len(labels)
                if ending := self._diverged(loss):
                    yield from ending
                    return
                yield self._step_event(epoch, i, loss, acc, lr)
                if (i + 1) in evals:
                    if ending := self._weights_blew_up():
                        yield from ending
                        return
                    yield self._eval(epoch + (i + 1) / per_epoch, full=(i + 1) == per_epoch)
                    self._restart_rate()
                    if ending := self._target_reached(epoch, i):
                        yield from ending
                        return
                if ending := self._asked_steps_done(epoch, i, g):
                    yield from ending
                    return
            if self.checkpoints:  # at the epoch's end: a killed worker loses at most one epoch
                self.g_epoch = g.get_state()  # the next epoch's shuffle starts from here
                yield self._checkpoint(epoch + 1, 0)
        yield self._final("finished")

    # ---- the small decisions around each step -------------------------------------------------------

    def _restart_rate(self) -> None:
        """Images per second are measured from here (an evaluation's time is not training)."""
        self._tick, self._seen_at_tick = time.perf_counter(), self.seen

    def _step_event(self, epoch: int, i: int, loss: float, acc: float, lr: float) -> dict:
        """The step just taken, added to the running training loss and reported."""
        self.loss_sum += loss
        self.loss_n += 1
        wall, _ = self._now()
        rate = (self.seen - self._seen_at_tick) / max(time.perf_counter() - self._tick, 1e-9)
        return events.step_event(epoch + (i + 1) / self._per_epoch, self.step, self.seen, wall, loss, acc, rate, lr)

    def _diverged(self, loss: float) -> list[dict]:
        """A loss that is no longer a number ends the run as diverged."""
        if math.isfinite(loss):
            return []
        cfg = self.cfg
        return [events.diverged_event(self.step, loss, cfg.lr, cfg.loss, cfg.optimizer), self._final("diverged")]

    def _weights_blew_up(self) -> list[dict]:
        """Weights past WEIGHT_LIMIT end the run as diverged (read before evaluating: they read nothing)."""
        weight = self._largest_weight()
        if weight <= WEIGHT_LIMIT:
            return []
        cfg = self.cfg
        return [events.weights_diverged_event(self.step, weight, WEIGHT_LIMIT, cfg.lr, cfg.loss, cfg.optimizer),
                self._final("diverged")]

    def _target_reached(self, epoch: int, i: int) -> list[dict]:
        """The target accuracy, reached at a full evaluation, ends the run (not when more epochs were asked for)."""
        if self.time_to_target is None or self.until_step is not None:
            return []
        return [*([self._checkpoint(epoch, i + 1)] if self.checkpoints else []), self._final("target")]

    def _asked_steps_done(self, epoch: int, i: int, g: torch.Generator) -> list[dict]:
        """A run continued for N more epochs ends after exactly those steps, with a full evaluation."""
        if self.until_step is None or self.step < self.until_step:
            return []
        ending = []
        if (i + 1) != self._per_epoch:  # the last word is a full evaluation, as at an epoch's end
            ending.append(self._eval(epoch + (i + 1) / self._per_epoch, full=True))
        if self.checkpoints and i + 1 < self._per_epoch:
            ending.append(self._checkpoint(epoch, i + 1))
        elif self.checkpoints:
            self.g_epoch = g.get_state()
            ending.append(self._checkpoint(epoch + 1, 0))
        return [*ending, self._final("finished")]


KNN_QUICK = 1000  # test images of a kNN run's quick first point (the cheap subset the nets use too)


def knn_ks(k: int) -> list[int]:
    """The k values whose accuracy the kNN run reports (always including the configured k)."""
    return sorted({1, 2, 3, 4, 5, 7, 9, 11, 15, 21, k})


def _train_knn(config: TrainConfig, data: MNIST, stop: Stop | None = None) -> Iterator[dict]:
    """kNN 'training' stores the training set; the interesting curve is accuracy against k.

    One neighbour search over the test set gives both the curve and the predictions at the chosen k.
    A stop during that search ends with a "stopped" final and no model: a kNN learns nothing beyond
    the stored images, so there is nothing to keep (and the search would have to start again anyway).
    """
    from core.learn.families.knn import Stopped

    t0 = time.perf_counter()
    device = resolve_device(config.device)
    n = min(config.train_subset or len(data.train_labels), len(data.train_labels))
    if config.k > n:
        raise ConfigError(f"k = {config.k} needs at least {config.k} training images, but there are only {n}",
                          "config_k_images", k=config.k, n=n)
    model = families.build(config).fit(data.images("train", device)[:n], data.labels("train", device)[:n])
    xt, yt = data.images("test", device), data.labels("test", device)
    truth = yt.cpu()
    try:
        # A quick point first, as the nets' untrained one: the chosen k on the fixed KNN_QUICK-image subset
        # (~0.1 s), so the chart has something within a second while the whole search (~5 s) runs. The curve and
        # the result that count are the full test set's, below.
        idx = eval_indices(len(yt), KNN_QUICK)
        quick = model.votes_by_k(xt[idx.to(xt.device)], [config.k], stop)[config.k].argmax(1).cpu()
        result = {"test_acc": float((quick == truth[idx]).float().mean()), "test_loss": None, "preds": quick}
        wall = time.perf_counter() - t0
        yield events.eval_event(0.0, 0, n, wall, wall, None, result, full=False)
        votes = model.votes_by_k(xt, [k for k in knn_ks(config.k) if k <= n], stop)
    except Stopped:
        wall = time.perf_counter() - t0
        yield events.final_event("stopped", None, wall, wall, None, 0, 0, None)
        return
    # The prediction is the argmax of the votes, as evaluate() and every page read a kNN (ties: lower digit).
    preds = {k: v.argmax(1).cpu() for k, v in votes.items()}
    accs = {k: float((pred == truth).float().mean()) for k, pred in preds.items()}
    for k, acc in accs.items():
        yield events.knn_event(k, acc)
    pred, test_acc = preds[config.k], accs[config.k]
    wall = time.perf_counter() - t0
    result = {"test_acc": test_acc, "test_loss": None, "preds": pred}
    yield events.eval_event(1.0, 0, n, wall, wall, None, result, full=True)
    hit = config.target_accuracy is not None and test_acc >= config.target_accuracy
    yield events.final_event("finished", test_acc, wall, wall, wall if hit else None, 0, n, model)
