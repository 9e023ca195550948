"""Compare: chosen runs' curves overlaid with their settings side by side; one-click experiments trained live."""

import pandas as pd
import streamlit as st

from core.errors import LabError
from core.lab.jobs import store as core_jobs
from core.learn.config import ConfigError, TrainConfig
from core.learn.experiments import (
    DEFAULT_ARCH,
    DEFAULT_SUBSET,
    EXPERIMENTS,
    THRESHOLD,
    base_config,
    settings_rows,
)
from ui.dataset import dataset
from ui.figures.compare import LABELS, X_AXES, compare_figure
from ui.figures.report import comparison_report_html
from ui.i18n import CATALOGS
from ui.i18n.readings import shared_summary, summarize
from ui.job_list import submit
from ui.run_list import current_run, run_label, runs
from ui.session import lang, reason, t, workspace
from ui.train_form import SUBSET_CHOICES
from ui.widgets import no_workers_ui

EXP_KEY = "compare_experiment"  # {"key": experiment key, "jobs": [[label, job id], ...]} of the latest experiment
RUNS_KEY = "compare_runs"  # the multiselect's value: names of the runs compared
ARCH_CHOICES = (DEFAULT_ARCH, "mlp:32", "linear", "cnn")
HIGHLIGHT = "background-color: #fff3b0; font-weight: 600"  # rows whose setting differs between the runs
KEEP = {"persist_state": "session"}  # the controls keep their values across page switches
LIVE_EVERY = 1.0  # seconds between redraws while an experiment trains


def variant(label: str) -> str:
    """An experiment run's label in the current language (technical names like 'Adam' stay as they are)."""
    key = f"compare.variant.{label}"
    return t(key) if key in CATALOGS["en"] else label


def plot_labels() -> dict:
    return {name: t(f"compare.plot.{name}") for name in LABELS}


def x_axis_ui(key: str) -> str:
    st.session_state.setdefault(key, "epoch")
    return st.segmented_control(t("compare.x"), X_AXES, key=key, format_func=lambda x: t(f"compare.x.{x}"),
                                help=t("compare.x.help"), required=True, **KEEP) or "epoch"


def losses_note_ui(configs: list[TrainConfig]) -> None:
    """Runs that minimise different losses: say that their loss curves are on different scales."""
    losses = sorted({c.loss for c in configs})
    if len(losses) > 1:
        st.caption(t("compare.losses_differ", losses=", ".join(losses)))


# ---- comparing runs ---------------------------------------------------------------------------------------

def pick_runs_ui() -> list[str]:
    """The multiselect over the workspace's runs: at first the workspace's current run (the one picked on any
    page) and the newest other run that learned."""
    available = runs()
    names = list(available)
    chosen = st.session_state.get(RUNS_KEY)
    learned = [n for n in names if not available[n].diverged]  # a diverged run only when chosen by hand
    if chosen is None:
        first = current_run(available)
        chosen = ([first] if first else []) + [n for n in reversed(learned) if n != first][:1]
    st.session_state[RUNS_KEY] = [n for n in chosen if n in available]
    return st.multiselect(t("compare.pick"), names, key=RUNS_KEY, help=t("compare.pick.help"),
                          format_func=lambda n: run_label(available[n]), **KEEP)


def settings_frame(names: list[str], configs: list[TrainConfig]) -> pd.DataFrame:
    """One row per setting, one column per run, plus a ● column for the settings that differ."""
    rows = settings_rows(configs)
    frame = {
        t("compare.col.setting"): [t(f"compare.field.{r['field']}") for r in rows],
        t("compare.col.differs"): ["●" if r["differs"] else "" for r in rows],
    }
    for i, name in enumerate(names):
        frame[name] = [t("compare.value.all") if r["field"] == "train_subset" and r["values"][i] == "–"
                       else r["values"][i] for r in rows]
    return pd.DataFrame(frame)


def settings_ui(names: list[str], configs: list[TrainConfig]) -> None:
    st.subheader(t("compare.settings"))
    st.caption(t("compare.settings.explain"))
    df = settings_frame(names, configs)
    marker = t("compare.col.differs")
    if not (df[marker] == "●").any():
        st.info(t("compare.settings.same"))
    if st.toggle(t("compare.settings.only_diff"), key="compare_only_diff", help=t("compare.settings.only_diff.help")):
        df = df[df[marker] == "●"]
    styled = df.style.apply(lambda row: [HIGHLIGHT if row[marker] else "" for _ in row], axis=1)
    st.dataframe(styled, hide_index=True, width="stretch", height="content",
                 column_config={marker: st.column_config.TextColumn(width="small")})


def report_ui(chosen: list) -> None:
    data, language = dataset(), lang()

    def build() -> str:  # runs on click, on another thread: no st.* in here
        return comparison_report_html(chosen, data, lang=language)

    st.download_button(t("compare.report"), data=build, file_name="mnist-lab-comparison.html", mime="text/html",
                       key="compare_report", help=t("compare.report.help"), icon="📄")


def compare_runs_ui() -> None:
    available = runs()
    if not available:
        st.info(t("compare.none"))
        return
    names = pick_runs_ui()
    if not names:
        st.info(t("compare.pick.none"))
        return
    chosen = [available[n] for n in names]
    left, right = st.columns([3, 1])
    with left:
        x = x_axis_ui("compare_x")
    with right:
        log_loss = st.toggle(t("compare.logy"), key="compare_logy", help=t("compare.logy.help"))
    series = [(n, available[n].history) for n in names]
    st.plotly_chart(compare_figure(series, x=x, labels=plot_labels(), threshold=THRESHOLD, log_loss=log_loss),
                    key="compare_chart", width="stretch")
    losses_note_ui([r.config for r in chosen])
    st.success("📖 " + summarize(series, lang()))
    settings_ui(names, [r.config for r in chosen])
    report_ui(chosen)


# ---- one-click experiments ------------------------------------------------------------------------------

def base_ui() -> TrainConfig:
    """The settings every run of an experiment shares: network, epochs, training images, seed."""
    ss = st.session_state
    n_train = len(dataset().train_labels)
    subsets = [n for n in SUBSET_CHOICES if 0 < n < n_train] + [0]
    ss.setdefault("compare_arch", DEFAULT_ARCH)
    ss.setdefault("compare_epochs", 1)
    ss.setdefault("compare_seed", 0)
    if ss.get("compare_subset") not in subsets:
        ss["compare_subset"] = DEFAULT_SUBSET if DEFAULT_SUBSET in subsets else 0
    st.markdown("#### " + t("compare.base"))
    a, b, c, d = st.columns(4)
    arch = a.selectbox(t("compare.base.arch"), ARCH_CHOICES, key="compare_arch", help=t("compare.base.arch.help"),
                       **KEEP)
    epochs = b.number_input(t("compare.base.epochs"), min_value=1, max_value=20, step=1, key="compare_epochs",
                            help=t("compare.base.epochs.help"), **KEEP)
    subset = c.selectbox(t("compare.base.subset"), subsets, key="compare_subset", help=t("compare.base.subset.help"),
                         format_func=lambda n: f"{n:,}" if n else t("compare.base.subset.all", n=f"{n_train:,}"),
                         **KEEP)
    seed = d.number_input(t("compare.base.seed"), min_value=0, max_value=2**31 - 1, step=1, key="compare_seed",
                          help=t("compare.base.seed.help"), **KEEP)
    return base_config(epochs=int(epochs), train_subset=subset or None, seed=int(seed), arch=arch)


def _start(exp_key: str, base: TrainConfig) -> None:
    """on_click of an experiment's button: queue one job per config, all or none, and remember their ids
    in the workspace (a reload or another tab finds the experiment again)."""
    exp = EXPERIMENTS[exp_key]
    pairs = exp.configs(base)
    try:  # core.lab.jobs.store makes each name unique in the workspace
        started = submit([config for _, config in pairs], [exp.run_name(config) for _, config in pairs])
    except (LabError, ConfigError) as exc:
        st.session_state["compare_refused"] = exc
        return
    current = {"key": exp_key, "jobs": [[label, job.id] for (label, _), job in zip(pairs, started, strict=True)]}
    workspace().set_setting(EXP_KEY, current)


def experiment_jobs() -> list[tuple[str, object]]:
    """(label, job) of the current experiment, leaving out jobs the server no longer knows."""
    current = workspace().settings().get(EXP_KEY) or {}
    pairs = [(label, core_jobs.get(workspace(), job_id)) for label, job_id in current.get("jobs", [])]
    return [(label, job) for label, job in pairs if job is not None]


def _stop(pairs: list) -> None:
    for _, job in pairs:
        job.stop()


def _forget() -> None:
    workspace().set_setting(EXP_KEY, None)


def _select(names: list[str]) -> None:
    st.session_state[RUNS_KEY] = [n for n in names if n in runs()]
    st.session_state["compare_selected"] = True


def cards_ui(base: TrainConfig, busy: bool) -> None:
    """The experiments as cards, two per row: name, question, the runs it trains and its start button."""
    experiments = list(EXPERIMENTS.values())
    for row in range(0, len(experiments), 2):
        for col, exp in zip(st.columns(2), experiments[row:row + 2], strict=False):
            with col.container(border=True):
                st.markdown(f"##### {t(f'compare.exp.{exp.key}.name')}")
                st.markdown(t(f"compare.exp.{exp.key}.question"))
                st.markdown(t("compare.exp.runs", labels=" · ".join(f"**{variant(label)}**"
                                                                    for label, _ in exp.configs(base))))
                st.caption(t("compare.exp.shared", summary=shared_summary(exp, base, lang())))
                st.button(t("compare.exp.start"), key=f"compare_start_{exp.key}", type="primary", disabled=busy,
                          on_click=_start, args=(exp.key, base), width="stretch",
                          help=t("compare.exp.busy") if busy else t("compare.exp.start.help"))


def _state_text(info: dict) -> str:
    return t(f"compare.state.{info['state']}", pos=info.get("queue_position") or 1, error=info.get("error") or "?")


def experiment_body(pairs: list) -> None:
    """Status of each run, the overlaid curves from the jobs' histories, and the one-line reading."""
    done = all(job.done for _, job in pairs)
    a, b, _ = st.columns([1, 1, 2])
    a.button(t("compare.exp.stop"), key="compare_exp_stop", disabled=done, on_click=_stop, args=(pairs,),
             help=t("compare.exp.stop.help"), width="stretch")
    b.button(t("compare.exp.forget"), key="compare_exp_forget", disabled=not done, on_click=_forget,
             help=t("compare.exp.forget.help"), width="stretch")
    infos = [job.latest() for _, job in pairs]
    status = pd.DataFrame({
        t("compare.col.run"): [f"{variant(label)} ({job.name})" for label, job in pairs],
        t("compare.col.state"): [_state_text(info) for info in infos],
        t("compare.col.progress"): [info.get("fraction") or 0.0 for info in infos],
        # text, not a number column: one not measured yet reads "–", never "None"
        t("compare.col.acc"): ["–" if info.get("test_acc") is None else f"{info['test_acc']:.1%}" for info in infos],
    })
    st.dataframe(status, hide_index=True, width="stretch", column_config={
        t("compare.col.progress"): st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="percent"),
    })
    x = x_axis_ui("compare_exp_x")
    series = [(variant(label), job.history()) for label, job in pairs]
    st.plotly_chart(compare_figure(series, x=x, labels=plot_labels(), threshold=THRESHOLD),
                    key="compare_exp_chart", width="stretch")
    losses_note_ui([job.config for _, job in pairs])
    text = summarize(series, lang())
    if text:
        (st.success if done else st.info)("📖 " + text)


@st.fragment(run_every=LIVE_EVERY)
def live_experiment_ui() -> None:
    """Redrawn every second while the experiment trains; once every job has ended, the whole page reruns."""
    pairs = experiment_jobs()
    experiment_body(pairs)
    if pairs and all(job.done for _, job in pairs):
        st.rerun()  # every job has ended: its runs are on disk, the page draws the finished experiment


def experiment_ui() -> None:
    current = workspace().settings().get(EXP_KEY)
    if not current:
        return
    st.subheader(t("compare.exp.current", name=t(f"compare.exp.{current['key']}.name")))
    pairs = experiment_jobs()
    if not pairs:
        st.info(t("compare.exp.gone"))
        st.button(t("compare.exp.forget"), key="compare_exp_forget", on_click=_forget,
                  help=t("compare.exp.forget.help"))
        return
    if not all(job.done for _, job in pairs):
        live_experiment_ui()
        return
    experiment_body(pairs)
    names = [job.result.name for _, job in pairs if job.result is not None]
    if names:
        st.markdown(t("compare.exp.done", names=", ".join(f"**{n}**" for n in names)))
        st.button(t("compare.exp.to_compare"), key="compare_exp_select", on_click=_select, args=(names,),
                  help=t("compare.exp.to_compare.help"))
        if st.session_state.pop("compare_selected", False):
            st.caption("✅ " + t("compare.exp.selected"))


def experiments_ui() -> None:
    st.markdown(t("compare.exp.intro"))
    base = base_ui()
    busy = any(not job.done for _, job in experiment_jobs())
    refused = st.session_state.pop("compare_refused", None)
    if refused is not None:
        st.error(t("train.refused", reason=reason(refused)))
    cards_ui(base, busy)
    experiment_ui()


# ---- the page ----------------------------------------------------------------------------------------------

st.title("📈 " + t("nav.compare"))
no_workers_ui()  # at the top: the experiments train, and without a worker pool nothing starts
st.markdown(t("compare.intro"))
tab_runs, tab_experiments = st.tabs([t("compare.tab.runs"), t("compare.tab.experiments")])
with tab_runs:
    compare_runs_ui()
with tab_experiments:
    experiments_ui()
