"""The Train page in AppTest: controls, presets, friendly errors, a real background job that becomes a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.lab import workspaces
from core.lab.jobs import queue as job_queue
from core.lab.jobs import store as jobs
from core.learn.presets import PRESETS
from tests.conftest import open_view, slow_knn_search, workspace_runs
from ui.i18n.train import EN, ZH, ZH_SOURCES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def at(thread_workers):
    """The Train page of a fresh workspace, with a real queue and one worker thread behind it."""
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
    app.switch_page("views/train.py")
    app.run()
    assert not app.exception
    yield app


def _workspace(at: AppTest) -> workspaces.Workspace:
    return workspaces.open_id(at.session_state["ws_id"])


def _latest_job(at: AppTest):
    found = jobs.list_jobs(_workspace(at))
    assert found, "no job was submitted"
    return found[0]


def _wait_state(job, *states, timeout: float = 30.0) -> str:
    """Poll the job's record until it reaches one of `states` (the worker thread changes it)."""
    import time

    deadline = time.monotonic() + timeout
    while job.refresh().state not in states and time.monotonic() < deadline:
        time.sleep(0.05)
    return job.state


def _tiny_mlp(at: AppTest, epochs: int = 1, batch: int = 1024) -> None:
    at.selectbox(key="train_arch_kind").set_value("mlp")
    at.text_input(key="train_widths").set_value("32")
    at.number_input(key="train_epochs").set_value(epochs)
    at.select_slider(key="train_batch_size").set_value(batch)
    at.run()
    assert not at.exception and not at.error


def test_controls_are_present(at):
    preset = at.selectbox(key="train_preset")
    assert preset.options == [*PRESETS, EN["train.preset.custom"]]  # options as shown: every preset, then custom
    assert preset.value == "mlp-adam"
    for slider in ("train_lr", "train_batch_size", "train_l2"):
        assert at.select_slider(key=slider)
    lr_options = at.select_slider(key="train_lr").options
    assert lr_options[0] == "1e-05" and lr_options[-1] == "10"  # a log scale from 1e-5 to 10
    assert at.number_input(key="train_epochs").value == 5
    assert at.radio(key="train_device").value in ("auto", "cpu", "cuda", "mps")
    assert at.button(key="train_start").label == EN["train.start"] and not at.button(key="train_start").disabled
    stop = at.button(key="train_stop")
    assert stop.label != "Stop" and "Stop" in stop.label and stop.disabled  # nothing to stop yet
    assert any("784-128-64-10" in c.value for c in at.caption)  # the preset's source
    assert at.get("latex")  # the loss formula
    assert at.info  # the idle hint


def test_a_fresh_page_loads_plotly_ahead_of_the_first_chart(at):
    """No job yet: one empty chart, hidden, so the browser loads Plotly before Start (benchmarks/first_point.py)."""
    charts = at.get("plotly_chart")
    assert len(charts) == 1 and json.loads(charts[0].proto.spec)["data"] == []
    _tiny_mlp(at)
    at.button(key="train_start").click().run()
    assert _latest_job(at).wait(60)
    at.run()
    assert len(at.get("plotly_chart")) == 2  # loss and accuracy, no hidden chart any more


def test_unavailable_devices_are_listed_with_their_reason(at):
    from core.learn.families.nets import device_availability

    offered = at.radio(key="train_device").options
    for device, reason in device_availability().items():
        if reason is None:
            assert any(device.upper() in o.upper() for o in offered)
        else:
            assert any(reason in c.value for c in at.caption), device


def test_choosing_a_preset_fills_the_controls(at):
    at.selectbox(key="train_preset").set_value("linear-hinge").run()
    state = at.session_state
    assert state["train_arch_kind"] == "linear" and state["train_loss"] == "hinge"
    assert (state["train_l2"], state["train_optimizer"], state["train_lr"]) == (1e-3, "sgd", 0.01)
    assert (state["train_batch_size"], state["train_epochs"]) == (200, 3)
    assert at.radio(key="train_loss").value == "hinge"
    assert any("CS231n" in c.value for c in at.caption)

    at.selectbox(key="train_preset").set_value("numpy-sigmoid").run()
    assert at.number_input(key="train_hidden").value == 30
    assert at.select_slider(key="train_lr").value == 3.0
    assert not [r for r in at.radio if r.key == "train_loss"]  # the NumPy network's cost is fixed: hidden
    assert not at.exception

    at.selectbox(key="train_preset").set_value("knn-blocks").run()
    assert at.number_input(key="train_k").value == 3
    assert not [s for s in at.select_slider if s.key == "train_lr"]  # no learning rate for kNN
    # touching any control turns the picker to "custom"
    at.number_input(key="train_k").set_value(5).run()
    assert at.selectbox(key="train_preset").value == "custom"


def _reopen(ws_id: str, query: dict | None = None) -> AppTest:
    """The Train page of workspace ws_id in a new session: a reload, a second tab, another computer."""
    return open_view("train", ws=ws_id, query=query)


def test_the_form_is_as_it_was_left_after_a_reload(at):
    at.selectbox(key="train_preset").set_value("cnn-adam").run()
    at.select_slider(key="train_lr").set_value(0.003).run()
    at.number_input(key="train_epochs").set_value(7).run()
    at.radio(key="train_optimizer").set_value("sgd").run()
    again = _reopen(at.session_state["ws_id"])
    assert again.selectbox(key="train_preset").value == "custom"
    assert again.selectbox(key="train_arch_kind").value == "cnn"
    assert (again.select_slider(key="train_lr").value, again.number_input(key="train_epochs").value) == (0.003, 7)
    assert again.radio(key="train_optimizer").value == "sgd"
    # a preset chosen is kept as that preset
    again.selectbox(key="train_preset").set_value("linear-hinge").run()
    third = _reopen(at.session_state["ws_id"])
    assert third.selectbox(key="train_preset").value == "linear-hinge"
    assert third.radio(key="train_loss").value == "hinge"
    # a settings link still fills the form over what was saved, and is what is saved next
    link = _reopen(at.session_state["ws_id"], {"setup": "arch=mlp:32;lr=0.01;epochs=2"})
    assert link.text_input(key="train_widths").value == "32" and link.number_input(key="train_epochs").value == 2
    assert _reopen(at.session_state["ws_id"]).number_input(key="train_epochs").value == 2


def test_a_saved_form_with_values_no_control_can_show_puts_back_only_the_good_ones(at):
    ws = _workspace(at)
    ws.set_setting("train_form", {"train_preset": "no-such-preset", "arch_kind": "transformer", "lr": 0.123,
                                  "epochs": 10**9, "batch_size": True, "widths": "16,16", "device": "tpu",
                                  "seed": "7", "loss": "mse"})
    again = _reopen(ws.id)
    assert not again.error
    assert again.selectbox(key="train_preset").value == "custom"
    assert again.selectbox(key="train_arch_kind").value == "mlp"  # the default, not "transformer"
    assert again.text_input(key="train_widths").value == "16,16" and again.radio(key="train_loss").value == "mse"
    assert again.select_slider(key="train_lr").value == PRESETS["mlp-adam"].config.lr
    assert again.number_input(key="train_epochs").value == PRESETS["mlp-adam"].config.epochs
    assert again.select_slider(key="train_batch_size").value == PRESETS["mlp-adam"].config.batch_size
    assert again.radio(key="train_device").value == "auto" and again.number_input(key="train_seed").value == 0


def test_invalid_mlp_widths_show_a_friendly_error(at):
    at.selectbox(key="train_arch_kind").set_value("mlp").run()
    at.text_input(key="train_widths").set_value("mlp:abc").run()
    assert not at.exception
    assert at.error and "128,64" in at.error[0].value
    assert at.button(key="train_start").disabled


def test_start_trains_in_the_background_and_the_run_appears(at):
    _tiny_mlp(at)
    at.button(key="train_start").click().run()
    assert not at.exception
    job = _latest_job(at)
    assert job.config.arch == "mlp:32" and job.config.epochs == 1 and job.config.batch_size == 1024
    assert job.wait(60) and job.state == "finished"
    # widget changes never touch the job: the page still shows it
    at.number_input(key="train_epochs").set_value(3).run()
    history = job.history()
    kinds = {e["kind"] for e in history}
    assert {"eval", "step", "final"} <= kinds and history[0]["step"] == 0
    assert workspace_runs(at) == [job.name] and job.result.test_acc is not None
    assert at.success and f"{job.result.test_acc:.2%}" in at.success[0].value
    assert len(at.get("plotly_chart")) == 2  # loss and accuracy
    assert not at.button(key="train_start").disabled  # free to train again


def test_pause_resume_and_stop_keep_the_model(at):
    _tiny_mlp(at, epochs=30, batch=1)
    at.button(key="train_start").click().run()
    job = _latest_job(at)
    assert at.button(key="train_start").disabled  # one run at a time
    assert _wait_state(job, "running") == "running"
    at.run()
    at.button(key="train_pause").click().run()
    assert _wait_state(job, "paused") == "paused"  # checkpointed, its worker free for others
    at.run()
    assert at.button(key="train_pause").label == EN["train.resume"]
    at.button(key="train_pause").click().run()
    assert _wait_state(job, "running") == "running"
    at.run()
    at.button(key="train_stop").click().run()
    assert job.wait(60) and job.state == "stopped"
    at.run()
    run = job.result
    assert run.status == "stopped" and run.test_acc is not None and workspace_runs(at) == [job.name]
    assert any("Stopped" in i.value for i in at.info)


def test_leaving_the_page_and_coming_back_shows_the_same_job(at):
    _tiny_mlp(at, epochs=30, batch=1)
    at.button(key="train_start").click().run()
    job = _latest_job(at)
    at.switch_page("views/home.py").run()
    at.switch_page("views/train.py").run()
    assert not at.exception
    assert [j.id for j in jobs.list_jobs(_workspace(at))] == [job.id] and not job.refresh().done  # not restarted
    assert any(job.name in m.value for m in at.markdown)
    assert at.button(key="train_start").disabled and not at.button(key="train_stop").disabled


def test_a_queued_job_shows_its_place(at, small_mnist):
    from core.learn.config import TrainConfig

    busy = TrainConfig(arch="mlp:32", epochs=50, batch_size=1, device="cpu")
    blocker = job_queue.submit(workspaces.create(), busy, name="someone-else")  # another student holds the worker
    assert _wait_state(blocker, "running") == "running"
    _tiny_mlp(at)
    at.button(key="train_start").click().run()
    assert _latest_job(at).state == "queued"
    assert any(EN["train.queued.next"] in i.value for i in at.info)  # nothing of its own, nobody queued ahead
    assert at.button(key="train_stop").label == EN["train.remove"]
    at.button(key="train_stop").click().run()  # leaves the queue: nothing trained, nothing to keep
    assert _latest_job(at).state == "stopped" and any(EN["train.unqueued"][2:] in i.value for i in at.info)


def test_a_diverged_run_says_why_and_what_to_change(at):
    _tiny_mlp(at, batch=64)
    at.radio(key="train_loss").set_value("mse")
    at.radio(key="train_optimizer").set_value("momentum")
    at.select_slider(key="train_lr").set_value(10.0).run()
    at.button(key="train_start").click().run()
    job = _latest_job(at)
    assert job.wait(60) and job.state == "diverged"
    at.run()
    assert at.error and "learning rate" in at.error[0].value
    at.button(key="train_apply_lr").click().run()
    assert at.select_slider(key="train_lr").value == 0.01  # a rate that learns with MSE and momentum


def test_knn_shows_accuracy_against_k(at):
    at.selectbox(key="train_preset").set_value("knn-blocks").run()
    at.button(key="train_start").click().run()
    job = _latest_job(at)
    assert job.wait(60) and job.state == "finished"
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1 and at.success


def test_knn_stopped_mid_search_says_there_is_nothing_to_keep(at, monkeypatch):
    searching, _ = slow_knn_search(monkeypatch, 4 * 3000 * 20)  # ~20 test images per chunk (3000 train)
    at.selectbox(key="train_preset").set_value("knn-blocks").run()
    at.button(key="train_start").click().run()
    job = _latest_job(at)
    assert searching.wait(30)
    at.button(key="train_stop").click().run()
    assert job.wait(10) and job.state == "stopped" and job.result is None
    at.run()
    assert not at.exception and any(EN["train.knn.stopped"][2:] in i.value for i in at.info)


def test_language_switch_shows_chinese(at):
    at.segmented_control(key="lang_switch").set_value("zh").run()
    assert not at.exception
    assert at.button(key="train_start").label == ZH["train.start"]
    assert at.button(key="train_stop").label == ZH["train.stop"]
    assert at.selectbox(key="train_arch_kind").label == ZH["train.arch"]
    assert ZH["train.arch.mlp"] in at.selectbox(key="train_arch_kind").options
    assert at.select_slider(key="train_lr").label == ZH["train.lr"]
    assert any(ZH_SOURCES["mlp-adam"] in c.value for c in at.caption)  # the preset's source, translated


def test_catalogs_have_the_same_keys_and_real_chinese():
    assert set(ZH_SOURCES) <= set(PRESETS)
    assert set(EN) == set(ZH)
    assert all(k.startswith("train.") for k in EN)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in ZH[k]) for k in ZH if k not in {
        "train.job", "train.optimizer.sgd", "train.optimizer.adam", "train.arch.lenet5"})


def test_the_running_job_is_in_view_and_each_waiting_job_is_named_with_its_own_button(at):
    """Issue 18: a running job and two waiting ones. The page shows the running one (not the newest), lists the
    waiting ones by name in queue order, removes the one asked for, and Stop stops the running one."""
    from core.learn.config import TrainConfig

    ws = _workspace(at)
    long = TrainConfig(arch="mlp:32", epochs=50, batch_size=1, device="cpu")
    running = job_queue.submit(ws, long, name="wild")
    assert _wait_state(running, "running") == "running"
    first, second = job_queue.submit_many(ws, [(long.replace(seed=1), "loss-mse"), (long.replace(seed=2), "cnn-adam")])
    at.run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert text.index("**wild**") < text.index("**loss-mse**") < text.index("**cnn-adam**")
    assert EN["train.queued.mine"].format(names="**wild**") in text
    assert EN["train.queued.mine"].format(names="**wild**, **loss-mse**") in text
    at.button(key=f"train_remove_{second.id}").click().run()
    assert second.refresh().state == "stopped" and first.refresh().state == "queued"
    assert running.refresh().state == "running"
    at.button(key="train_stop").click().run()  # the job in view is the running one
    assert running.wait(60) and running.state == "stopped"
    assert first.refresh().state in ("queued", "running")
    first.stop()
    assert first.wait(60)


def test_continue_for_two_more_epochs_trains_two_epochs(at):
    """Issue 18: the button says how many epochs and to which one, and the new run trains exactly that many."""
    _tiny_mlp(at)
    at.button(key="train_start").click().run()
    first = _latest_job(at)
    assert first.wait(60) and first.state == "finished"
    at.run()
    at.selectbox(key="train_more_epochs").set_value(2).run()
    assert at.button(key="train_more").label == EN["train.more"].format(n=2) + EN["train.more.to"].format(to="3")
    at.button(key="train_more").click().run()
    assert not at.exception
    more = _latest_job(at)
    assert more.id != first.id and more.wait(60) and more.state == "finished", more.error
    steps = [e for e in more.history() if e["kind"] == "step"]
    assert steps[-1]["epoch"] == 3.0 and steps[-1]["seen"] == 3 * 3000
