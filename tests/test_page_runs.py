"""The Runs page: table, rename, delete, upload (good and bad), the server's runs folder, Chinese."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile

import pytest
from streamlit.testing.v1 import AppTest

from core.lab.runfiles.folders import save_run
from core.lab.runfiles.zips import run_to_zip
from core.learn.run import Run
from tests.conftest import open_view, workspace_runs


@pytest.fixture(autouse=True)
def runs_dir(tmp_path, monkeypatch):
    """Every test gets an empty server runs folder (ui.run_list reads the env var once, at import)."""
    import ui.run_list

    folder = tmp_path / "runs"
    monkeypatch.setattr(ui.run_list, "RUNS_DIR", folder)
    return folder


def open_page(runs: dict[str, Run] | None = None, lang: str = "en") -> AppTest:
    return open_view("runs", runs, lang)


def table(at: AppTest):
    return at.dataframe[0].value


def listed(at: AppTest) -> list[str]:
    """The runs the page lists, oldest first (the table shows the newest first)."""
    return list(reversed(list(table(at)["Name"]))) if at.dataframe else []


def messages(at: AppTest, kind: str) -> str:
    return " ".join(m.value for m in getattr(at, kind))


def test_table_lists_the_run_with_its_settings_and_accuracy(tiny_run):
    at = open_page({tiny_run.name: tiny_run})
    df = table(at)
    assert list(df["Name"]) == ["tiny-mlp"]
    row = df.iloc[0]
    assert row["Architecture"] == "mlp:32" and row["Optimizer"] == "adam" and row["Batch"] == 32
    assert row["Test accuracy"] == pytest.approx(tiny_run.test_acc) and 0.6 < row["Test accuracy"] <= 1
    assert row["Status"] == "finished" and row["From"] == "trained here"
    assert "safetensors" in at.markdown[0].value  # the explanation at the top
    assert at.download_button(key="runs_download").label.startswith("Download")


def test_rename_changes_the_key_keeps_order_and_makes_the_name_safe(tiny_run):
    other = dataclasses.replace(tiny_run, name="tiny-cnn")
    at = open_page({tiny_run.name: tiny_run, other.name: other})
    at.selectbox(key="runs_run").select("tiny-mlp").run()
    at.text_input(key="runs_new_name").input("my best/run!").run()
    at.button(key="runs_rename").click().run()
    assert not at.exception
    assert listed(at) == ["my-best-run", "tiny-cnn"] == workspace_runs(at)  # the folder itself was renamed
    assert tiny_run.name == "tiny-mlp"  # the object the test holds was not renamed in place
    assert list(table(at)["Name"]) == ["tiny-cnn", "my-best-run"]
    assert "my-best-run" in messages(at, "success")
    # a name that is taken is refused
    at.text_input(key="runs_new_name").input("tiny-cnn").run()
    at.button(key="runs_rename").click().run()
    assert "already a run called" in messages(at, "error")
    assert listed(at) == ["my-best-run", "tiny-cnn"]


def test_delete_asks_first_then_removes_the_run(tiny_run):
    at = open_page({tiny_run.name: tiny_run})
    at.button(key="runs_delete").click().run()
    assert "tiny-mlp" in workspace_runs(at)  # only asked
    at.button(key="runs_delete_no").click().run()
    assert "tiny-mlp" in workspace_runs(at) and "Delete **tiny-mlp**" not in messages(at, "warning")
    at.button(key="runs_delete").click().run()
    at.button(key="runs_delete_yes").click().run()
    assert not at.exception
    assert workspace_runs(at) == [] and listed(at) == []
    assert "No runs yet" in messages(at, "info")


def test_upload_of_a_valid_zip_adds_the_run(tiny_run):
    at = open_page({tiny_run.name: tiny_run})
    at.file_uploader[0].set_value(("tiny-mlp.zip", run_to_zip(tiny_run), "application/zip")).run()
    assert not at.exception
    assert listed(at) == ["tiny-mlp", "tiny-mlp-2"] == workspace_runs(at)  # same name inside the zip: made unique
    assert table(at).iloc[0]["Test accuracy"] == pytest.approx(tiny_run.test_acc)
    assert "tiny-mlp-2" in messages(at, "success")
    assert list(table(at)["From"]) == ["trained here", "trained here"]  # it is the workspace's run now


@pytest.mark.parametrize("blob", [b"\x00not a zip at all" * 10, None], ids=["random-bytes", "wrong-architecture"])
def test_upload_of_an_invalid_file_shows_an_error_and_adds_nothing(tiny_run, blob):
    if blob is None:  # a real run zip whose weights do not fit the architecture its config names
        good, buf = zipfile.ZipFile(io.BytesIO(run_to_zip(tiny_run))), io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("x/config.json", json.dumps(tiny_run.config.replace(arch="cnn").to_dict()))
            zf.writestr("x/metrics.jsonl", good.read("tiny-mlp/metrics.jsonl"))
            zf.writestr("x/model.safetensors", good.read("tiny-mlp/model.safetensors"))
        blob = buf.getvalue()
    at = open_page({tiny_run.name: tiny_run})
    at.file_uploader[0].set_value(("bad.zip", blob, "application/zip")).run()
    assert not at.exception
    assert listed(at) == ["tiny-mlp"] == workspace_runs(at)
    error = messages(at, "error")
    assert "bad.zip" in error and "nothing was added" in error


def test_an_upload_refused_in_chinese_says_why_in_chinese(tiny_run):
    at = open_page({tiny_run.name: tiny_run}, lang="zh")
    at.file_uploader[0].set_value(("bad.zip", b"\x00not a zip at all" * 10, "application/zip")).run()
    assert not at.exception
    assert "该文件不是 zip 压缩包" in messages(at, "error") and "not a zip" not in messages(at, "error")


def test_saved_run_appears_in_a_new_session_and_reload_picks_up_new_folders(tiny_run, runs_dir):
    at = open_page({tiny_run.name: tiny_run})
    assert str(runs_dir.resolve()) in " ".join(m.value for m in at.markdown)  # the page says where
    at.button(key="runs_save").click().run()
    assert (runs_dir / "tiny-mlp" / "model.safetensors").is_file()
    assert "Saved" in messages(at, "success")
    at.button(key="runs_save").click().run()  # again: the folder exists, so it asks before replacing
    assert "already has a run folder" in messages(at, "warning")
    at.button(key="runs_save_yes").click().run()
    assert not at.exception

    fresh = open_page()  # another workspace: the server's shared runs are listed in every one
    assert listed(fresh) == ["tiny-mlp"] and workspace_runs(fresh) == []
    assert table(fresh).iloc[0]["From"] == "server folder"

    save_run(tiny_run, runs_dir / "before-class")  # e.g. `python -m core train --out runs/before-class`
    fresh.button(key="runs_reload").click().run()
    assert sorted(listed(fresh)) == ["before-class", "tiny-mlp"]
    assert "before-class" in messages(fresh, "success")


def test_a_shared_run_is_read_only_in_a_workspace(tiny_run, runs_dir):
    save_run(tiny_run, runs_dir / "tiny-mlp")
    at = open_page()
    assert listed(at) == ["tiny-mlp"]
    assert not [b for b in at.button if b.key in ("runs_delete", "runs_rename")]  # nothing to click
    assert "read-only" in messages(at, "info")
    assert (runs_dir / "tiny-mlp" / "model.safetensors").is_file()


def test_page_in_chinese(tiny_run):
    at = open_page({tiny_run.name: tiny_run}, lang="zh")
    assert at.title[0].value.endswith("训练记录")
    assert "权重" in at.markdown[0].value
    assert at.button(key="runs_rename").label == "重命名"
    assert "名称" in table(at).columns and table(at).iloc[0]["状态"] == "已完成"


def test_catalogs_have_the_same_keys_and_do_not_clash_with_common():
    from ui.i18n import common, runs

    assert set(runs.EN) == set(runs.ZH)
    assert all(k.startswith("runs.") for k in runs.EN)
    assert not set(runs.EN) & set(common.EN)


def test_shared_runs_are_listed_without_loading_their_weights(tiny_run, runs_dir):
    import core.lab.runfiles.folders

    for i in range(12):
        save_run(tiny_run, runs_dir / f"shared-{i}")
    at = open_page()  # Home opens first and reads one digit with the newest run
    core.lab.runfiles.folders._weights.clear()
    at.switch_page("views/runs.py").run()
    assert len(listed(at)) == 12
    assert not core.lab.runfiles.folders._weights  # the table needs settings and histories only
    at.switch_page("views/evaluate.py").run()  # a page that needs the model loads the one it shows
    assert not at.exception
    assert len(core.lab.runfiles.folders._weights) == 1
