"""Limits: disk, saves and drawings per minute (per workspace and for the whole class), new workspaces per minute,
the class set's size. Each reached for real."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.lab import classset, limits
from core.lab.jobs import queue as job_queue
from core.lab.jobs import store as jobs
from core.lab.limits import LimitError
from core.lab.runfiles.folders import list_run_dirs
from core.lab.runfiles.zips import run_to_zip
from core.learn.config import TrainConfig
from tests.conftest import new_workspace
from ui.run_actions import add_uploaded_run, share_run


def test_a_rate_allows_its_number_a_minute_then_says_when_to_try_again(monkeypatch):
    ws = new_workspace()
    for _ in range(3):
        limits.take(ws, "drawings", 3)
    with pytest.raises(LimitError) as refused:
        limits.take(ws, "drawings", 3)
    assert refused.value.code == "too_fast" and 1 <= refused.value.params["wait"] <= 60
    limits.take(ws, "saves", 3)  # another action has its own count
    later = limits.time.time() + limits.WINDOW
    monkeypatch.setattr(limits.time, "time", lambda: later)
    limits.take(ws, "drawings", 3)  # a minute later it is allowed again


def test_uploads_count_against_the_saves_per_minute(tiny_run, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_SAVES_PER_MINUTE", "2")
    ws, blob = new_workspace(), run_to_zip(tiny_run)
    add_uploaded_run(ws, "a.zip", blob)
    add_uploaded_run(ws, "b.zip", blob)
    with pytest.raises(LimitError):
        add_uploaded_run(ws, "c.zip", blob)
    assert len(list_run_dirs(ws.runs_dir)) == 2


def test_a_full_workspace_takes_no_upload_and_no_job(tiny_run, monkeypatch):
    ws = new_workspace({"mine": tiny_run})
    (ws.folder / "big.bin").write_bytes(b"\0" * 1024 * 1024)
    monkeypatch.setenv("MNIST_LAB_WORKSPACE_MB", "1")
    with pytest.raises(LimitError) as upload:
        add_uploaded_run(ws, "more.zip", run_to_zip(tiny_run))
    assert upload.value.code == "ws_disk_full"
    with pytest.raises(LimitError) as job:
        job_queue.submit(ws, TrainConfig(arch="mlp:32", device="cpu"))
    assert job.value.code == "ws_disk_full"
    assert jobs.list_jobs(ws) == []


def test_the_shared_folder_has_a_limit_and_replacing_a_run_counts_only_the_difference(tiny_run, tmp_path,
                                                                                        monkeypatch):
    shared = tmp_path / "shared"
    ws = new_workspace()
    share_run(ws, tiny_run, shared)
    size = limits.folder_bytes(shared)
    monkeypatch.setenv("MNIST_LAB_SHARED_MB", "1")
    (shared / "filler.bin").write_bytes(b"\0" * (1024 * 1024 - size - 1000))
    share_run(ws, tiny_run, shared)  # the same run again: replaces itself, needs no more room
    with pytest.raises(LimitError) as refused:
        share_run(ws, dataclasses.replace(tiny_run, name="another"), shared)
    assert refused.value.code == "shared_disk_full"
    assert [d.name for d in list_run_dirs(shared)] == ["tiny-mlp"]


def test_the_class_set_stops_at_its_size(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_CLASS_MAX", "3")
    digit = np.zeros((28, 28), np.uint8)
    for label in range(3):
        classset.add_drawing(tmp_path, digit, label)
    with pytest.raises(LimitError) as refused:
        classset.add_drawing(tmp_path, digit, 3)
    assert refused.value.code == "class_set_full" and refused.value.params["limit"] == 3
    assert len(classset.drawing_files(tmp_path)) == 3


def test_all_workspaces_together_have_a_limit(tiny_run, monkeypatch):
    """A student who opens one new workspace after another still meets a limit: the data folder's."""
    first, second = new_workspace(), new_workspace()
    (first.folder / "big.bin").write_bytes(b"\0" * 1024 * 1024)
    monkeypatch.setenv("MNIST_LAB_HOME_MB", "1")
    with pytest.raises(LimitError) as refused:
        job_queue.submit(second, TrainConfig(arch="mlp:32", device="cpu"))
    assert refused.value.code == "home_disk_full"
    with pytest.raises(LimitError):
        add_uploaded_run(second, "run.zip", run_to_zip(tiny_run))


# ---- bounds on the whole class: a new workspace does not get past them ------------------------------------

def test_new_workspaces_are_bounded_for_the_whole_server(monkeypatch):
    monkeypatch.setenv("MNIST_LAB_NEW_WORKSPACES_PER_MINUTE", "3")
    opened = [limits.new_workspace() for _ in range(3)]
    assert len({ws.id for ws in opened}) == 3 and all(ws.runs_dir.is_dir() for ws in opened)
    with pytest.raises(LimitError) as refused:
        limits.new_workspace()
    assert refused.value.code == "class_workspaces" and 1 <= refused.value.params["wait"] <= 60
    later = limits.time.time() + limits.WINDOW
    monkeypatch.setattr(limits.time, "time", lambda: later)
    limits.new_workspace()  # a minute later it is allowed again


def test_fresh_workspaces_do_not_get_past_the_class_upload_bound(tiny_run, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_CLASS_SAVES_PER_MINUTE", "2")
    blob = run_to_zip(tiny_run)
    first, second, third = (limits.new_workspace() for _ in range(3))
    add_uploaded_run(first, "a.zip", blob)
    add_uploaded_run(second, "b.zip", blob)
    with pytest.raises(LimitError) as refused:  # a third workspace, each within its own 6 a minute
        add_uploaded_run(third, "c.zip", blob)
    assert refused.value.code == "class_saves"
    assert not list_run_dirs(third.runs_dir)
    with pytest.raises(LimitError) as again:  # refusals are not counted: still the class bound, not the workspace's
        add_uploaded_run(third, "c.zip", blob)
    assert again.value.code == "class_saves"


def test_fresh_workspaces_do_not_get_past_the_class_drawing_bound(monkeypatch):
    monkeypatch.setenv("MNIST_LAB_CLASS_DRAWINGS_PER_MINUTE", "4")
    for ws in [limits.new_workspace() for _ in range(4)]:
        limits.take(ws, "drawings", 30)
    with pytest.raises(LimitError) as refused:
        limits.take(limits.new_workspace(), "drawings", 30)
    assert refused.value.code == "class_drawings" and refused.value.params["n"] == 4


def test_a_bad_class_bound_is_named_at_start(monkeypatch):
    from core import settings

    monkeypatch.setenv("MNIST_LAB_NEW_WORKSPACES_PER_MINUTE", "many")
    with pytest.raises(settings.SettingError, match="MNIST_LAB_NEW_WORKSPACES_PER_MINUTE"):
        settings.check_all()


def test_the_page_says_no_new_workspace_in_the_readers_language(monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT
    from ui.i18n import t

    monkeypatch.setenv("MNIST_LAB_NEW_WORKSPACES_PER_MINUTE", "1")
    first = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not first.exception and first.query_params.get("ws")  # the first visitor gets a workspace
    first.button(key="ws_new").click().run()  # the sidebar's New workspace: refused, said next to the button
    assert not first.exception
    assert any(t("ws.new.refused", "en", reason="")[:-1] in w.value for w in first.warning)
    for lang in ("en", "zh"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.query_params["lang"] = lang
        at.run()
        assert not at.exception and not at.error
        assert at.title[0].value.endswith(t("ws.busy.title", lang))
        assert "class_workspaces" not in at.warning[0].value and str(1) in at.warning[0].value
        if lang == "zh":
            assert "minute" not in at.warning[0].value and "新建" in at.warning[0].value
