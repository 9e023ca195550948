"""The Compare page: overlaid curves and a settings table with the differences marked; experiments queue jobs."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from core.learn.config import TrainConfig
from tests.conftest import open_view, train_run, workspace_runs


@pytest.fixture(autouse=True)
def no_disk_runs(tmp_path, monkeypatch):
    """Runs saved on the server's runs folder must not leak into these tests."""
    import ui.run_list

    monkeypatch.setattr(ui.run_list, "RUNS_DIR", tmp_path / "runs")


@pytest.fixture(scope="module")
def sgd_run(small_mnist):
    """A second tiny run that differs from tiny_run in optimizer, learning rate and batch size."""
    config = TrainConfig(arch="mlp:32", epochs=1, batch_size=64, lr=0.1, optimizer="sgd", device="cpu",
                         eval_subset=300)
    return train_run(config, small_mnist, name="tiny-sgd")


def open_page(runs: dict | None = None, lang: str = "en") -> AppTest:
    return open_view("compare", runs, lang)


def texts(at: AppTest, kind: str) -> str:
    return " ".join(m.value for m in getattr(at, kind))


def test_two_runs_overlaid_with_settings_and_differences_marked(tiny_run, sgd_run):
    at = open_page({tiny_run.name: tiny_run, sgd_run.name: sgd_run})
    assert at.multiselect(key="compare_runs").value == ["tiny-mlp", "tiny-sgd"]  # the newest two at first
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = {tr.get("name") for tr in spec["data"]}
    assert {"tiny-mlp", "tiny-sgd"} <= names
    assert len([tr for tr in spec["data"] if tr.get("xaxis") in (None, "x")]) == 2  # one loss line per run
    reading = texts(at, "success")
    winner = max((tiny_run, sgd_run), key=lambda r: r.test_acc)
    assert f"**{winner.name}** reached {winner.test_acc:.1%}" in reading

    df = at.dataframe[0].value
    marked = set(df.loc[df["Differs"] == "●", "Setting"])
    assert marked == {"Optimiser", "Learning rate", "Batch size"}
    row = df.set_index("Setting")
    assert row.loc["Learning rate", "tiny-mlp"] == "0.003" and row.loc["Learning rate", "tiny-sgd"] == "0.1"
    assert row.loc["Training images", "tiny-mlp"] == "all"

    at.toggle(key="compare_only_diff").set_value(True).run()
    assert len(at.dataframe[0].value) == 3
    at.segmented_control(key="compare_x").set_value("seen").run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["xaxis"]["title"]["text"] == "Images seen"
    assert at.get("download_button")[0].proto.label.startswith("Download a comparison report")


def test_no_runs_says_where_to_get_some():
    at = open_page({})
    assert "No runs yet" in texts(at, "info")
    assert at.button(key="compare_start_loss")  # the experiments are there without any run


def _jobs(at: AppTest) -> list:
    from core.lab import workspaces
    from core.lab.jobs import store as jobs

    return jobs.list_jobs(workspaces.open_id(at.session_state["ws_id"]))


def test_starting_an_experiment_queues_its_jobs_and_stop_ends_them(tiny_run, thread_workers):
    from core.lab import workspaces

    at = open_page({tiny_run.name: tiny_run})
    at.selectbox(key="compare_subset").set_value(1000).run()
    at.button(key="compare_start_lr").click().run()
    assert not at.exception
    new = _jobs(at)
    try:
        assert sorted(j.name for j in new) == ["lr-0.0001", "lr-0.001", "lr-0.01", "lr-0.1"]
        assert {j.config.seed for j in new} == {0} and {j.config.train_subset for j in new} == {1000}
        current = workspaces.open_id(at.session_state["ws_id"]).settings()["compare_experiment"]  # kept on disk
        assert current["key"] == "lr" and {jid for _, jid in current["jobs"]} == {j.id for j in new}
        assert "Experiment: Learning-rate sweep" in [s.value for s in at.subheader]
        assert at.button(key="compare_start_loss").disabled  # one experiment at a time
        states = list(at.dataframe[-1].value["State"])
        assert len(states) == 4
        # one job of a workspace trains at a time: the others wait, with their place in the queue
        assert any("waiting in the queue (position" in s for s in states)
        at.button(key="compare_exp_stop").click().run()
        assert all(job.wait(60) for job in new)
        assert {job.state for job in new} <= {"stopped", "finished"}
    finally:
        for job in new:
            job.stop()
    at.run()
    assert not at.exception
    assert not at.button(key="compare_start_loss").disabled


def test_a_finished_experiment_lists_its_runs(tiny_run, thread_workers):
    at = open_page({tiny_run.name: tiny_run})
    at.selectbox(key="compare_subset").set_value(1000).run()
    at.button(key="compare_start_loss").click().run()
    new = _jobs(at)
    try:
        assert sorted(j.name for j in new) == ["loss-ce", "loss-mse"]
        assert all(job.wait(120) for job in new)
    finally:
        for job in new:
            job.stop()
    at.run()  # the ended jobs become runs; the experiment is drawn finished, with its runs and a reading
    assert not at.exception
    assert {"loss-ce", "loss-mse"} <= set(workspace_runs(at))
    assert "reached" in texts(at, "success")
    spec = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert {"cross-entropy", "MSE"} <= {tr.get("name") for tr in spec["data"]}
    at.button(key="compare_exp_select").click().run()
    assert at.multiselect(key="compare_runs").value == ["loss-ce", "loss-mse"]
    at.button(key="compare_exp_forget").click().run()
    assert "compare_experiment" not in at.session_state


def test_chinese(tiny_run, sgd_run):
    at = open_page({tiny_run.name: tiny_run, sgd_run.name: sgd_run}, lang="zh")
    assert at.title[0].value.endswith("对比")
    assert "把几次训练放在一起比较" in at.markdown[0].value
    assert "设置" in at.dataframe[0].value.columns
    assert "达到" in texts(at, "success")
    assert at.button(key="compare_start_loss").label == "▶ 运行这个实验"
