"""Train: pick a recipe or set your own, start a background job, watch loss and accuracy move.

The job in view is the one training (else the next to train, else the latest); every other job of the
workspace that waits, is paused or was interrupted is listed by name below it, in queue order, with its
own buttons."""

import math
import time

import streamlit as st

from core.errors import LabError
from core.lab.jobs import store as jobs
from core.lab.jobs.store import device_queue
from core.lab.runfiles.checkpoint import CHECKPOINT
from core.learn.config import ConfigError, TrainConfig
from core.learn.metrics import did_not_learn
from ui.code_export import code_buttons_ui
from ui.dataset import dataset
from ui.figures.train import accuracy_figure, knn_figure, loss_figure
from ui.i18n import CATALOGS
from ui.job_list import live_jobs, my_jobs, submit, workers_ready
from ui.job_notes import damaged_jobs_ui, goes_on_by_itself, interrupted_reason, repeated_loss_note, resumed_note
from ui.run_list import runs
from ui.session import lang, reason, t
from ui.train_controls import PRESET_KEY, key, train_controls_ui
from ui.train_form import (
    LR_CHOICES,
    distinct_name,
    divergence_tips,
    format_duration,
    lower_lr,
    nearest,
    run_name,
    summary,
)
from ui.widgets import no_workers_ui, plotly_warmup_ui

LIVE_EVERY = 1.0  # seconds between redraws: at 0.5 s a watched mlp-adam run took 9 s instead of 6-8 on 2 cores
FIRST_POINT_WAIT_S = 1.0  # Start waits at most this long for the job's first point (a free worker: ~0.2 s)
MORE_EPOCHS = (1, 2, 5, 10)
STEADY_AFTER_S = 15.0  # no speed or time left before this much training: the first seconds' rate is wild

st.title("🏋️ " + t("nav.train"))
no_workers_ui()  # at the top: without a pool nothing starts, and the reader must see that first


def _submit(configs: list[TrainConfig], names: list[str], continue_of: str | None = None,
            more_epochs: int | None = None) -> list:
    """Queue jobs; a refusal (queue full, bad settings) is kept to be shown in the reader's language."""
    try:
        started = submit(configs, names, continue_of=continue_of, more_epochs=more_epochs)
        st.session_state.pop("train_refused", None)
        return started
    except (LabError, ConfigError) as exc:
        st.session_state["train_refused"] = exc
        return []


def _wait_for_first_point(job) -> None:
    """A free worker takes a job within ~0.1 s and writes the untrained model's point ~0.1 s later: waited for here,
    it shows with the click's own redraw instead of after a poll (LIVE_EVERY) and a second redraw
    (benchmarks/first_point.py). A job still queued after 0.7 s (an idle worker polls every 0.5 s at most,
    core/lab/jobs/pool.py POLL) waits for a busy worker: it is shown as waiting then."""
    start = time.monotonic()
    while time.monotonic() - start < FIRST_POINT_WAIT_S:
        if job.refresh().done or job.history() or (job.state == "queued" and time.monotonic() - start > 0.7):
            return
        time.sleep(0.02)


def _busy() -> bool:
    """The Train page starts one job at a time: Start waits while the workspace's newest job waits or trains."""
    mine = my_jobs()
    return bool(mine) and mine[0].state in ("queued", "running")


def _start(config: TrainConfig, preset: str) -> None:
    """on_click of Start: submit the job before the page redraws, so the button is already disabled. A Start drawn
    before the workspace's job began (a second tab, a stale page) starts nothing: the page then shows that job."""
    if _busy():
        return
    for job in _submit([config], [distinct_name(run_name(config, preset), config, runs())]):
        _wait_for_first_point(job)


def _epoch_text(epoch: float) -> str:
    return f"{epoch:.2f}".rstrip("0").rstrip(".")


def stopped_epoch(job) -> float:
    """The epoch the job's run got to (its last step)."""
    return next((e["epoch"] for e in reversed(job.history()) if e.get("kind") == "step"), 0.0)


def _continue(job, more: int) -> None:
    """on_click of Continue: `more` epochs from where the run stopped, from its last checkpoint, as a new run."""
    config = job.config
    epochs = max(config.epochs, math.ceil(stopped_epoch(job) + more - 1e-9))
    _submit([config.replace(epochs=epochs, target_accuracy=None)], [f"{job.name}-more"], continue_of=job.name,
            more_epochs=more)


def _toggle_pause(job, resume: bool) -> None:
    """on_click of Pause/Resume: does what the button said when it was drawn, so that a click in a second tab on
    a job the first tab already resumed changes nothing (reading the state again here would pause it)."""
    if resume:
        job.resume()
    else:
        job.pause()


def _set_lr(lr: float) -> None:
    st.session_state[key("lr")] = nearest(lr, LR_CHOICES)
    st.session_state[PRESET_KEY] = "custom"


def start_ui(config: TrainConfig | None, preset: str) -> None:
    """The Start button, a one-line summary of what it will train, and why it would wait or was refused."""
    busy = _busy()
    help_text = t("train.start.busy") if busy else t("train.start.help")
    st.button(t("train.start"), key="train_start", type="primary", disabled=config is None or busy,
              on_click=_start, args=(config, preset), help=help_text, width="stretch")
    if config is not None:
        st.caption(t("train.will_train", summary=summary(config, lang())))
        with st.expander(t("script.title"), icon="🐍"):
            st.caption(t("script.caption"))
            code_buttons_ui(config, run_name(config, preset), "train")
        if device_queue(config) != "cpu":  # the CPU pool's warning is at the top of the page
            no_workers_ui(device_queue(config))
    refused = st.session_state.pop("train_refused", None)
    if refused is not None:
        st.error(t("train.refused", reason=reason(refused)))


def _events(job) -> list[dict]:
    """The job's events so far (core.lab.jobs.store reads metrics.jsonl incrementally: only new lines are parsed)."""
    return job.history()


def buttons_ui(job) -> None:
    """Pause/resume and stop-and-keep (remove, for a waiting job); disabled when there is nothing to do."""
    state = job.state if job else None
    left, right = st.columns(2)
    paused = state in ("paused", "interrupted")
    can_pause = state in ("running", "paused", "interrupted") and job.config.family != "knn"  # kNN: no steps
    left.button(t("train.resume") if paused else t("train.pause"), key="train_pause",
                disabled=not can_pause or job.stop_requested, on_click=_toggle_pause, args=(job, paused),
                help=t("train.pause.help"), width="stretch")
    queued = state == "queued"
    right.button(t("train.remove") if queued else t("train.stop"), key="train_stop",
                 disabled=state not in ("queued", "running", "paused", "interrupted"),
                 on_click=lambda: job.stop(), help=t("train.remove.help" if queued else "train.stop.help"),
                 width="stretch")


def waiting_text(job) -> str:
    """Where a waiting job stands, naming the reader's own jobs ahead of it; never a promise the server cannot
    keep (no worker pool: it cannot start)."""
    if not workers_ready(device_queue(job.config)):
        return t("train.queued.noworker")
    ahead = jobs.queue_ahead(job)
    names = ", ".join(f"**{name}**" for name in ahead["mine"])
    if ahead["mine"] and ahead["others"]:
        return t("train.queued.both", names=names, n=ahead["others"])
    if ahead["mine"]:
        return t("train.queued.mine", names=names)
    if ahead["others"]:
        return t("train.queued.others", n=ahead["others"])
    return t("train.queued.next")


def _has_checkpoint(job) -> bool:
    return (job.run_dir / CHECKPOINT).is_file()  # what a resumed job goes on from


def interrupted_text(job, epoch: float) -> str:
    if _has_checkpoint(job):
        return t("train.interrupted", reason=interrupted_reason(job), epoch=f"{epoch:.2f}")
    return t("train.interrupted.restart", epoch=f"{epoch:.2f}") + repeated_loss_note(job)


def job_row_ui(job) -> None:
    """One more job of the workspace (waiting, paused or interrupted): its name, where it stands, its buttons."""
    with st.container(border=True, key=f"train_job_{job.id}"):
        text, first, second = st.columns([4, 2, 2], vertical_alignment="center")
        text.markdown(t("train.job", name=job.name, summary=summary(job.config, lang())))
        epoch = job.latest().get("epoch") or 0.0
        if job.state == "queued":
            text.markdown(waiting_text(job))
            second.button(t("train.remove"), key=f"train_remove_{job.id}", on_click=job.stop,
                          help=t("train.remove.help"), width="stretch")
            return
        if job.state == "paused":
            text.markdown(t("train.list.paused", epoch=f"{epoch:.2f}"))
        else:
            text.markdown(interrupted_text(job, epoch))
        if job.config.family != "knn":
            first.button(t("train.resume"), key=f"train_resume_{job.id}", on_click=job.resume,
                         help=t("train.pause.help"), width="stretch")
        second.button(t("train.stop"), key=f"train_stop_{job.id}", on_click=job.stop, help=t("train.stop.help"),
                      width="stretch")


def others_ui(others: list) -> None:
    """The workspace's other unfinished jobs, by name, in queue order."""
    if others:
        st.markdown(t("train.others", n=len(others)))
        for job in others:
            job_row_ui(job)


def status_ui(job, events: list[dict], compact: bool = False) -> None:
    """Where the job is: queued, a progress bar, or how it ended (and that it is now a run).
    `compact`: one progress line with accuracy and loss in it, so the charts fit a projector's screen."""
    info = job.latest()
    state, cfg = info["state"], job.config
    st.markdown(t("train.job", name=job.name, summary=summary(cfg, lang())))
    if state in ("queued", "running") and resumed_note(job):
        st.caption(resumed_note(job))
    if state == "queued":
        st.info("⏳ " + waiting_text(job))
        return
    if state == "interrupted":
        st.warning(interrupted_text(job, info.get("epoch") or 0.0))
        return
    if state in ("running", "paused"):
        if cfg.family == "knn":
            st.info(t("train.knn.running"))
        else:
            steady = state == "running" and (info.get("elapsed_s") or 0.0) >= STEADY_AFTER_S
            ips = info.get("images_per_s") if steady else None
            text = t("train.progress" if steady else "train.progress.early", epoch=f"{info.get('epoch') or 0:.2f}",
                     epochs=_epoch_text(epochs_planned(job, info)), ips=f"{ips:,.0f}" if ips else "–",
                     left=format_duration(info.get("eta_s")))
            if compact:
                acc, loss = info.get("test_acc"), info.get("loss")
                text += t("train.progress.numbers", acc=f"{acc:.1%}" if acc is not None else "–",
                          loss=f"{loss:.3f}" if loss is not None else "–")
            st.progress(min(max(info.get("fraction") or 0.0, 0.0), 1.0), text=text)
        if state == "paused":
            st.warning(t("train.paused"))
        if not compact:
            metrics_ui(info, with_loss=cfg.family != "knn")
        return
    run = job.result
    acc = run.test_acc if run is not None else info.get("test_acc")
    secs = run.seconds if run is not None and run.seconds is not None else info.get("elapsed_s")
    acc_text = f"{acc:.2%}" if acc is not None else "–"
    if state == "failed":
        known = f"error.{job.error_code}" in CATALOGS["en"]
        st.error(t("train.failed", msg=t(f"error.{job.error_code}", **job.error_params) if known else job.error or "?"))
        return
    if state == "diverged":
        event = next((e for e in events if e["kind"] == "diverged"), {})
        why = t(f"error.{event['code']}", **event["params"]) if event.get("code") else event.get("reason", "")
        st.error(t("train.diverged", reason=why))
        st.markdown(t("train.tips") + "\n" + "\n".join(f"- {t(k, **v)}" for k, v, _ in divergence_tips(cfg)))
        st.button(t("train.tip.apply", lr=f"{lower_lr(cfg):g}"), key="train_apply_lr", on_click=_set_lr,
                  args=(lower_lr(cfg),), help=t("train.tip.apply.help"))
    elif state == "stopped" and run is None:
        st.info(t("train.knn.stopped" if cfg.family == "knn" and events else "train.unqueued"))  # events: it ran
    elif state == "stopped" and did_not_learn(events):  # stopped early, but what it kept is guessing
        st.warning(t("train.chance.stopped", acc=acc_text, time=format_duration(secs)))
        st.markdown(t("train.tips.chance") + "\n" + "\n".join(f"- {t(k, **v)}" for k, v, _ in divergence_tips(cfg)))
    elif state == "stopped":
        st.info(t("train.stopped", acc=acc_text, time=format_duration(secs)))
    elif did_not_learn(events):  # finished, but guessing (or the loss never moved): never a green success
        st.warning(t("train.chance", acc=acc_text, time=format_duration(secs)))
        st.markdown(t("train.tips.chance") + "\n" + "\n".join(f"- {t(k, **v)}" for k, v, _ in divergence_tips(cfg)))
    elif run is not None and run.status == "target":
        st.success(t("train.done.target", acc=acc_text, time=format_duration(secs)))
    else:
        st.success(t("train.done", acc=acc_text, time=format_duration(secs)))
    if run is not None:
        st.markdown(t("train.saved", name=run.name))
        st.page_link("views/runs.py", label=t("train.to_runs"), icon="🗂️")
        if state in ("finished", "stopped") and cfg.family != "knn":
            continue_ui(job)


def epochs_planned(job, info: dict) -> float:
    """The epoch the job will end at: its settings', or for a run continued N more epochs, where it stopped + N."""
    n = job.config.train_subset or len(dataset().train_labels)
    total = info.get("total") or 0
    return total / n if total and n and job.config.family != "knn" else float(job.config.epochs)


def continue_ui(job) -> None:
    """Train the finished or stopped run for more epochs, from its weights and optimizer state, as a new run."""
    more, go = st.columns([1, 3], vertical_alignment="bottom")  # room for "... (to epoch 2.89)" on a projector
    n = more.selectbox(t("train.more.epochs"), MORE_EPOCHS, key="train_more_epochs", help=t("train.more.help"))
    to = _epoch_text(stopped_epoch(job) + n)
    go.button(t("train.more", n=n) + t("train.more.to", to=to), key="train_more", on_click=_continue, args=(job, n),
              help=t("train.more.help"), disabled=any(j.state in ("queued", "running") for j in my_jobs()))


def metrics_ui(info: dict, with_loss: bool = True) -> None:
    """Latest test accuracy, latest batch loss and time so far, in big numbers."""
    acc, loss = info.get("test_acc"), info.get("loss")
    cols = iter(st.columns(3 if with_loss else 2))
    next(cols).metric(t("common.accuracy"), f"{acc:.1%}" if acc is not None else "–")
    if with_loss:
        next(cols).metric(t("common.loss"), f"{loss:.3f}" if loss is not None else "–")
    next(cols).metric(t("train.elapsed"), format_duration(info.get("elapsed_s")))


def _plot_labels() -> dict:
    names = ("step", "loss", "raw", "smoothed", "test_loss", "epoch", "accuracy", "quick", "full", "chance",
             "target", "k", "chosen")
    return {n: t(f"train.plot.{n}") for n in names}


def charts_ui(job, events: list[dict], live: bool = False) -> None:
    """Loss per step and accuracy per epoch (kNN: accuracy against k), each under a short explanation.
    `live`: side by side and a little lower, the explanations in the charts' help, so that progress and both
    charts share one projector screen (1280x720) while the job trains."""
    cfg, labels = job.config, _plot_labels()
    if cfg.family == "knn":
        st.caption(t("train.explain.knn"))
        if any(e["kind"] in ("knn", "eval") for e in events):  # eval: the quick check before the whole search
            st.plotly_chart(knn_figure(events, labels, k=cfg.k), key="train_knn_chart", width="stretch")
        return
    loss_note = t("train.explain.loss.scratch" if cfg.family == "scratch" else "train.explain.loss",
                  batch=cfg.batch_size)
    acc_note = t("train.explain.acc.target" if cfg.target_accuracy else "train.explain.acc",
                 n=f"{cfg.eval_subset:,}", target=f"{cfg.target_accuracy or 0:.1%}")
    height = 275 if live else 340  # live: progress and both charts on a 1280x720 screen under the page header
    loss_box, acc_box = st.columns(2) if live else (st.container(), st.container())
    with loss_box:
        note, switch = st.columns([1, 1] if live else [2, 1], vertical_alignment="center")  # room for the label
        if not live:
            note.caption(loss_note)
        log_y = switch.toggle(t("train.logy"), key="train_logy", help=t("train.logy.help"))
        st.plotly_chart(loss_figure(events, labels, log_y=log_y, height=height), key="train_loss_chart",
                        width="stretch")
    with acc_box:
        if live:
            st.caption(t("train.plot.accuracy"), help=acc_note)
        else:
            st.caption(acc_note)
        st.plotly_chart(accuracy_figure(events, labels, epochs=cfg.epochs, target=cfg.target_accuracy, height=height),
                        key="train_acc_chart", width="stretch")


def job_view(job, events: list[dict]) -> None:
    buttons_ui(job)
    status_ui(job, events)
    charts_ui(job, events)


def _signature(queue: list) -> list:
    return [(job.id, job.state) for job in queue]


@st.fragment(run_every=LIVE_EVERY)
def live_ui() -> None:
    """Redrawn every second while a job of the workspace trains or waits, full width above the settings: the
    job in view (buttons, one progress line, both charts on one screen), then the others by name. A change of
    which jobs are unfinished, or of their states, draws the whole page once."""
    queue = live_jobs()
    if _signature(queue) != st.session_state.get("train_live_jobs"):
        st.rerun()
    job, events = queue[0], _events(queue[0])
    status, buttons = st.columns([1, 1], vertical_alignment="bottom")  # room for "Stop and keep model"
    with status:
        status_ui(job, events, compact=True)
    with buttons:
        buttons_ui(job)
    if job.state != "queued":
        charts_ui(job, events, live=True)
    others_ui(queue[1:])


damaged_jobs_ui()
queue = live_jobs()  # running first, then waiting in queue order, then paused and interrupted
st.session_state["train_live_jobs"] = _signature(queue)
focus = queue[0] if queue else next(iter(my_jobs()), None)  # nothing unfinished: the latest job's end
live = bool(queue) and (focus.state in ("running", "queued") or goes_on_by_itself(focus))  # a restart: it comes back
if live:
    live_ui()
    st.divider()
else:
    st.markdown(t("train.intro"))
controls, view = st.columns([2, 3], gap="large")
with controls:
    config, preset = train_controls_ui()
with view:
    start_ui(config, preset)
    if focus is None:
        buttons_ui(None)
        st.info(t("train.idle"))
        plotly_warmup_ui()  # no chart here yet: Plotly's code loads now, so the first point shows at once
    elif not live:
        job_view(focus, _events(focus))
        others_ui(queue[1:])
