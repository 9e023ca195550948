"""ui.runs_parts: the Runs page's actions on a session's dict of runs, called directly."""

from __future__ import annotations

import pytest

from core.runs import RunError, run_to_zip, save_run
from ui.runs_parts import ActionError, add_uploaded_run, delete_run, disk_key, reload_from_disk, rename_run


def test_rename_keeps_order_and_does_not_touch_the_shared_run(tiny_run):
    runs = {"a": tiny_run, tiny_run.name: tiny_run, "c": tiny_run}
    assert rename_run(runs, "tiny-mlp", "  new name ") == "new-name"
    assert list(runs) == ["a", "new-name", "c"] and runs["new-name"].name == "new-name"
    assert tiny_run.name == "tiny-mlp"
    with pytest.raises(ActionError) as err:
        rename_run(runs, "new-name", "c")
    assert err.value.key == "runs.rename.taken"
    with pytest.raises(ActionError):
        rename_run(runs, "new-name", "   ")
    assert rename_run(runs, "c", "c") == "c"


def test_upload_adds_a_valid_run_and_nothing_else(tiny_run):
    runs = {tiny_run.name: tiny_run}
    assert add_uploaded_run(runs, "tiny.zip", run_to_zip(tiny_run)) == "tiny-mlp-2"
    for blob in (b"garbage", run_to_zip(tiny_run)[:200]):
        with pytest.raises(RunError):
            add_uploaded_run(runs, "bad.zip", blob)
    assert list(runs) == ["tiny-mlp", "tiny-mlp-2"]
    assert delete_run(runs, "tiny-mlp-2").origin == "upload" and delete_run(runs, "nope") is None


def test_reload_adds_new_folders_only(tiny_run, tmp_path):
    save_run(tiny_run, tmp_path / "one")
    runs = {}
    assert reload_from_disk(runs, tmp_path, set()) == ["one"]
    assert reload_from_disk(runs, tmp_path, set()) == []
    save_run(tiny_run, tmp_path / "two")
    (tmp_path / "broken").mkdir()
    for f in ("config.json", "metrics.jsonl", "model.safetensors"):
        (tmp_path / "broken" / f).write_bytes(b"x")
    skip = {disk_key(tmp_path, "one")}
    del runs["one"]
    assert reload_from_disk(runs, tmp_path, skip) == ["two"]  # "one" was deleted, "broken" does not load
    assert runs["two"].origin == "disk"
