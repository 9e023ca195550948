"""ui.run_actions: the Runs page's actions on a workspace's run folders, called directly."""

from __future__ import annotations

import pytest

from core.lab.runfiles.folders import load_run
from core.lab.runfiles.format import RunError
from core.lab.runfiles.zips import run_to_zip
from tests.conftest import new_workspace
from ui.run_actions import ActionError, add_uploaded_run, delete_run, rename_run


def names(ws) -> set[str]:
    return {d.name for d in ws.runs_dir.iterdir()}


def test_rename_moves_the_folder_and_makes_the_name_safe(tiny_run):
    ws = new_workspace({"a": tiny_run, tiny_run.name: tiny_run, "c": tiny_run})
    assert rename_run(ws, "tiny-mlp", "  new name ") == "new-name"
    assert names(ws) == {"a", "new-name", "c"} and load_run(ws.runs_dir / "new-name").name == "new-name"
    assert tiny_run.name == "tiny-mlp"
    with pytest.raises(ActionError) as err:
        rename_run(ws, "new-name", "c")
    assert err.value.key == "runs.rename.taken"
    with pytest.raises(ActionError):
        rename_run(ws, "new-name", "   ")
    assert rename_run(ws, "c", "c") == "c"


def test_only_the_workspaces_own_runs_change(tiny_run):
    ws = new_workspace({tiny_run.name: tiny_run})
    for bad in ("../runs", "shared-run", "tiny-mlp/.."):
        with pytest.raises(ActionError) as err:
            rename_run(ws, bad, "x")
        assert err.value.key == "runs.readonly"
        assert delete_run(ws, bad) is False
    assert names(ws) == {"tiny-mlp"}


def test_upload_adds_a_valid_run_and_nothing_else(tiny_run):
    ws = new_workspace({tiny_run.name: tiny_run})
    assert add_uploaded_run(ws, "tiny.zip", run_to_zip(tiny_run)) == "tiny-mlp-2"
    for blob in (b"garbage", run_to_zip(tiny_run)[:200]):
        with pytest.raises(RunError):
            add_uploaded_run(ws, "bad.zip", blob)
    assert names(ws) == {"tiny-mlp", "tiny-mlp-2"}
    assert load_run(ws.runs_dir / "tiny-mlp-2").test_acc == tiny_run.test_acc
    assert delete_run(ws, "tiny-mlp-2") is True and delete_run(ws, "nope") is False
    assert names(ws) == {"tiny-mlp"}
