"""Home: what MNIST Lab is, the three steps, and one real test digit followed through a network."""

from __future__ import annotations

import streamlit as st

from core.errors import LabError
from core.lab.jobs import store as jobs
from core.learn.presets import get_preset
from ui.dataset import dataset
from ui.figures import data as dataviz
from ui.figures import home_svg
from ui.job_list import submit
from ui.run_list import run_picker_ui, runs
from ui.session import reason, t, workspace
from ui.widgets import no_workers_ui

QUICK_PRESET = "mlp-adam"  # the quick model: the preset's 784-128-64-10 network for a single epoch
FRESH_ARCH = "mlp:128,64"  # the untrained network shown when the session has no run

# The figures are plain SVG, not Plotly: this is a fresh browser's first page, and compiling Plotly's JavaScript
# took it past 3 s (see ui/figures/home_svg.py). Each is built once per input and shared by all sessions; a grid
# is up to ~210 KB and takes ~3 ms to build, so a few dozen are kept, not hundreds (a class looks at few images).
_figure = st.cache_resource(show_spinner=False, max_entries=64)
pixel_grid_svg = _figure(home_svg.pixel_grid_svg)
vector_strip_svg = _figure(home_svg.vector_strip_svg)
network_svg = _figure(home_svg.network_svg)
scores_probs_svg = _figure(home_svg.scores_probs_svg)


def figure_ui(svg: str, key: str) -> None:
    """An SVG figure in a keyed container (.st-key-<key> in the page, for tests and styles). Inside a <div> it is
    an HTML block to the markdown parser, passed on as it is: no *, _ or $ in a text is read as markdown."""
    with st.container(key=key):
        st.markdown(f"<div>{svg}</div>", unsafe_allow_html=True)


@st.cache_data(show_spinner=False, max_entries=256)
def untrained_outputs(index: int, n_test: int, _image) -> tuple[list[float], list[float]]:
    """The untrained network's outputs for test image `index` (building the network costs more than using it)."""
    return dataviz.untrained_outputs(_image, FRESH_ARCH)


def steps_ui() -> None:
    """The three-step path, each with a link to its page."""
    st.subheader(t("home.steps"))
    steps = [(1, "train", "🏋️"), (2, "evaluate", "🔍"), (3, "draw", "✏️")]
    for col, (n, page, icon) in zip(st.columns(3), steps, strict=True):
        with col.container(border=True):
            st.markdown(f"#### {t(f'home.step{n}.title')}")
            st.markdown(t(f"home.step{n}.body"))
            st.page_link(f"views/{page}.py", label=t(f"home.step{n}.link"), icon=icon)


def quick_train_ui(n_train: int) -> None:
    """One button that trains a small model in the background; the sidebar and the Train page show it."""
    config = get_preset(QUICK_PRESET).config.replace(epochs=1)
    job = jobs.get(workspace(), workspace().settings().get("home_job", ""))
    running = job is not None and not job.done
    with st.container(border=True):
        st.markdown(f"#### {t('home.quick.title')}")
        st.markdown(t("home.quick.body", arch=config.arch, n=n_train))
        if st.button(t("home.quick.button"), key="home_train", type="primary", icon="🚀", disabled=running,
                     help=t("home.quick.help")):
            try:
                job = submit([config], ["quick-mlp"])[0]
            except LabError as exc:
                st.error(t("train.refused", reason=reason(exc)))
                return
            workspace().set_setting("home_job", job.id)
            st.rerun()  # a full run that already knows the job, so the sidebar shows its progress bar
        if running and job.state == "running":
            st.info(t("home.quick.running", name=job.name, pct=job.latest().get("fraction") or 0.0))
        elif running:  # waiting, paused or interrupted: said as the sidebar says it, never "training"
            st.info(t(f"home.quick.{job.state}", name=job.name))
        elif job is not None and job.state == "failed":
            st.error(t("home.quick.failed", error=job.error))
        elif job is not None and job.result is not None and job.result.name in runs():
            st.success(t("home.quick.done", name=job.result.name))
        if job is not None:
            st.page_link("views/train.py", label=t("home.quick.watch"), icon="🏋️")


st.title(t("home.title"))
no_workers_ui()  # at the top: without a worker pool nothing this page starts can train
st.markdown(t("home.intro"))
steps_ui()
data = dataset()  # a fresh server may still be loading MNIST: the page so far shows while it waits
quick_train_ui(len(data.train_labels))

st.divider()
st.header(t("home.how.title"))
st.markdown(t("home.how.intro"))

n_test = len(data.test_labels)
c_pick, c_run, c_label = st.columns([1, 2, 2])
index = c_pick.number_input(t("home.pick"), min_value=0, max_value=n_test - 1, value=0, step=1, key="home_index",
                            help=t("home.pick.help", n=n_test))
with c_run:  # the run whose outputs are shown below; none yet: an untrained network
    run = run_picker_ui(key="home_run", label_key="home.run_pick") if runs() else None
image = data.test_images[index]
label = int(data.test_labels[index])
c_label.write("")
c_label.markdown(t("home.label", index=index, label=label))
row = dataviz.inkiest_row(image)

# ① the grid of grey values
st.subheader(t("home.grid.title"))
left, right = st.columns([3, 1])
left.markdown(t("home.grid.body"))
with right:
    zeros = st.toggle(t("home.grid.zeros"), key="home_zeros", help=t("home.grid.zeros.help"))
    st.markdown(t("home.grid.ink", share=float((image > 0).float().mean())))
figure_ui(pixel_grid_svg(image.numpy(), show_zeros=zeros, highlight_row=row, hover=t("home.grid.hover"),
                         label=t("home.grid.title")), "home_grid")

# ② flattening
st.subheader(t("home.flat.title"))
start, stop = dataviz.row_slice(row)
st.markdown(t("home.flat.body", row=row, start=start, stop=stop - 1))
figure_ui(vector_strip_svg(image.numpy(), highlight_row=row, xlabel=t("home.flat.axis"), hover=t("home.flat.hover"),
                           label=t("home.flat.title")), "home_strip")
normalised = data.images("test")[index]  # [1, 28, 28], exactly what the networks receive
st.markdown(t("home.flat.values", start=start, stop=stop - 1, row=row))
values = normalised.flatten()[start:stop].tolist()
st.code("x[{}:{}] = [{}]".format(start, stop, ", ".join(f"{v:.2f}" for v in values)), language=None, wrap_lines=True)

# ③ layers: the chosen run's, if it is fully connected, else the untrained MLP's
arch = run.config.arch if run is not None else FRESH_ARCH
sizes = dataviz.layer_sizes(arch)
st.subheader(t("home.layers.title"))
if sizes is None:
    st.caption(t("home.layers.other", name=run.name, arch=arch))
    sizes = dataviz.layer_sizes(FRESH_ARCH)
names = [t("home.layers.input"), *[t("home.layers.hidden")] * (len(sizes) - 2), t("home.layers.output")]
params = dataviz.parameter_count(sizes)
lcol, rcol = st.columns([3, 2])
with lcol:
    figure_ui(network_svg(tuple(sizes), tuple(names), label=t("home.layers.title")), "home_layers")
rcol.markdown(t("home.layers.body", params=params))

# ④ outputs and softmax
st.subheader(t("home.out.title"))
st.markdown(t("home.out.body"))
st.latex(r"p_k = \mathrm{softmax}(z)_k = \frac{e^{z_k}}{\sum_{j=0}^{9} e^{z_j}}, \qquad k = 0, \dots, 9")
if run is not None:
    st.markdown(t("home.out.run", name=run.name))
    scores, probs = dataviz.scores_and_probs(run.model, normalised)
    if scores is None:
        st.caption(t("home.out.noscores", name=run.name, arch=arch))
else:
    st.info(t("home.out.untrained"))
    scores, probs = untrained_outputs(index, n_test, normalised)
titles = (t("home.out.scores"), t("home.out.probs") if scores is not None else t("home.out.probs.plain"))
figure_ui(scores_probs_svg(None if scores is None else tuple(scores), tuple(probs), label, titles,
                          xlabel=t("common.digit"), label=t("home.out.title")), "home_probs")
pred = max(range(10), key=lambda d: probs[d])
st.markdown(t("home.out.answer", pred=pred, p=probs[pred], label=label))

# ⑤ training
st.subheader(t("home.train.title"))
st.markdown(t("home.train.body"))
st.latex(r"\mathrm{loss} = -\ln p_{\text{label}}, \qquad "
         r"\theta \leftarrow \theta - \eta\, \nabla_\theta\, \mathrm{loss}")
if scores is not None:  # kNN and the NumPy network are not trained on cross-entropy: no such loss to show
    st.markdown(t("home.train.loss", label=label, p=probs[label], loss=dataviz.cross_entropy(probs, label)))
