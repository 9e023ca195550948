"""The run you picked stays picked (issue 18): one current run per workspace, on every page and across reloads;
before any pick, the best run that learned rather than merely the newest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import new_workspace, open_view


@pytest.fixture(scope="module")
def stuck_run(small_mnist):
    """A linear model that barely moved (lr 1e-6 for a few batches): about chance, the kind a default must skip."""
    from core.learn.config import TrainConfig
    from tests.conftest import train_run

    config = TrainConfig(arch="linear", epochs=1, batch_size=64, lr=1e-6, train_subset=640, device="cpu",
                         eval_subset=300)
    return train_run(config, small_mnist, name="stuck")


def app(ws_id: str, view: str) -> AppTest:
    return open_view(view, ws=ws_id)


def go(at: AppTest, view: str) -> None:
    at.switch_page(f"views/{view}.py")
    at.run()
    assert not at.exception, at.exception


def test_default_is_the_best_run_that_learned_not_the_newest(tiny_run, stuck_run):
    assert stuck_run.test_acc < 0.3 < tiny_run.test_acc
    ws = new_workspace({tiny_run.name: tiny_run, stuck_run.name: stuck_run})  # stuck is the newest
    at = app(ws.id, "draw")
    assert at.selectbox(key="draw_run").value == tiny_run.name


def test_the_picked_run_stays_picked_across_pages_and_a_reload(tiny_run, stuck_run, tiny_cnn_run):
    ws = new_workspace({tiny_run.name: tiny_run, tiny_cnn_run.name: tiny_cnn_run, stuck_run.name: stuck_run})
    at = app(ws.id, "evaluate")
    first = at.selectbox(key="evaluate_run").value
    other = tiny_cnn_run.name if first != tiny_cnn_run.name else tiny_run.name
    at.selectbox(key="evaluate_run").set_value(other).run()
    assert not at.exception
    go(at, "draw")
    assert at.selectbox(key="draw_run").value == other
    go(at, "home")
    assert at.selectbox(key="home_run").value == other
    go(at, "inside")
    assert at.selectbox(key="inside_run").value == other
    go(at, "evaluate")
    assert at.selectbox(key="evaluate_run").value == other
    again = app(ws.id, "evaluate")  # a reload: a new session on the same workspace
    assert again.selectbox(key="evaluate_run").value == other
    go(again, "compare")
    assert again.multiselect(key="compare_runs").value[0] == other  # Compare's first pick
