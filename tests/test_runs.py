"""core.lab.runfiles: runs survive disk and zip round trips; foreign, corrupt or mismatched files are refused."""

from __future__ import annotations

import ast
import io
import json
import zipfile
from pathlib import Path

import pytest
import torch
from safetensors.torch import save as save_safetensors

from core.lab.runfiles.folders import list_run_dirs, load_run, safe_name, save_run
from core.lab.runfiles.format import FILES, RunError
from core.lab.runfiles.zips import run_from_zip, run_to_zip
from core.learn.config import TrainConfig
from core.learn.run import summary
from core.learn.training import predict_proba
from tests.conftest import ROOT, train_run


@pytest.fixture(scope="module")
def cnn_run(small_mnist):
    """A CNN trained briefly (500 images: a few seconds) for the round trips and the mismatch tests."""
    config = TrainConfig(arch="cnn", batch_size=50, lr=3e-3, device="cpu", train_subset=500, eval_subset=200)
    return train_run(config, small_mnist, name="cnn")


@pytest.fixture(scope="module")
def other_runs(small_mnist):
    """A hand-written NumPy net and a kNN: the two learners that are not nn.Modules."""
    scratch = TrainConfig(arch="scratch:16", loss="mse", optimizer="sgd", lr=3.0, batch_size=10, device="cpu",
                          train_subset=500, eval_subset=200)
    knn = TrainConfig(arch="knn", device="cpu", train_subset=500)
    return [train_run(scratch, small_mnist, name="scratch"), train_run(knn, small_mnist, name="knn")]


@pytest.fixture
def all_runs(tiny_run, cnn_run, other_runs):
    return [tiny_run, cnn_run, *other_runs]


def same_predictions(a, b, images):
    torch.testing.assert_close(predict_proba(a.model, images), predict_proba(b.model, images), rtol=0, atol=1e-6)


def zip_of(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, blob in files.items():
            zf.writestr(name, blob)
    return buf.getvalue()


def run_files(run) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(run_to_zip(run))) as zf:
        return {Path(n).name: zf.read(n) for n in zf.namelist()}


def refused(blob: bytes, *words: str, code: str) -> str:
    with pytest.raises(RunError) as err:
        run_from_zip(blob)
    message = str(err.value)
    assert all(w in message for w in words), message
    assert "\n" not in message
    assert err.value.code == code, (err.value.code, message)  # what the page translates
    return message


def test_save_and_load_give_the_same_predictions(all_runs, small_mnist, tmp_path):
    images = small_mnist.images("test")[:300]
    for run in all_runs:
        loaded = load_run(save_run(run, tmp_path / run.name))
        assert loaded.name == run.name and loaded.origin == "disk"
        assert loaded.config == run.config and loaded.history == json.loads(json.dumps(run.history))
        assert loaded.test_acc == run.test_acc and loaded.status == run.status
        same_predictions(run, loaded, images)
    assert sorted(d.name for d in list_run_dirs(tmp_path)) == sorted(r.name for r in all_runs)
    assert not list(tmp_path.glob("*/.*.tmp"))  # files were written aside and renamed into place


def test_zip_round_trip(all_runs, small_mnist):
    images = small_mnist.images("test")[:300]
    for run in all_runs:
        blob = run_to_zip(run)
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            assert sorted(zf.namelist()) == sorted(f"{run.name}/{f}" for f in FILES)
        loaded = run_from_zip(blob)
        assert loaded.name == run.name and loaded.origin == "upload" and loaded.config == run.config
        same_predictions(run, loaded, images)
    flat = run_from_zip(zip_of(run_files(all_runs[0])), name="from-the-file-name")  # files at the top level
    assert flat.name == "from-the-file-name"


def test_files_that_are_not_runs_are_refused(tiny_run):
    refused(b"\x89PNG\r\n" + bytes(range(256)) * 20, "not a zip", code="not_zip")
    refused(zip_of({"notes.txt": b"hello", "photo.jpg": b"\xff\xd8"}), "not an MNIST Lab run", "config.json",
            code="missing_files")
    files = run_files(tiny_run)
    refused(zip_of({"a/config.json": files["config.json"], "a/metrics.jsonl": files["metrics.jsonl"]}),
            "model.safetensors missing", code="missing_files")
    # a valid safetensors file, but without our metadata (e.g. a model from somewhere else)
    foreign = save_safetensors({"weight": torch.zeros(10, 784), "bias": torch.zeros(10)})
    refused(zip_of({**files, "model.safetensors": foreign}), "not written by MNIST Lab", code="not_ours")
    refused(zip_of({**files, "model.safetensors": b"\x00" * 64}), "not a safetensors file", code="weights_corrupt")
    refused(zip_of({**files, "config.json": b"{'arch': 'cnn'}"}), "config.json is not valid JSON", code="config_bad")
    refused(zip_of({**files, "config.json": b'{"arch": "cnn", "lr": "fast"}'}), "lr", code="config_bad")
    refused(zip_of({**files, "config.json": b'{"arch": "transformer"}'}), "unknown architecture", code="config_bad")
    refused(zip_of({**files, "metrics.jsonl": b"not json\n"}), "metrics.jsonl", code="metrics_bad")
    refused(zip_of({**files, "metrics.jsonl": b'{"kind": "eval", "full": true}\n'}), "test accuracy",
            code="metrics_bad")
    two = {f"{n}/{f}": b for n in ("a", "b") for f, b in files.items()}
    refused(zip_of(two), "2 runs", code="many_runs")


def test_corrupt_files_are_refused(tiny_run, tmp_path):
    files = run_files(tiny_run)
    weights = files["model.safetensors"]
    refused(zip_of({**files, "model.safetensors": weights[: len(weights) // 2]}), "model.safetensors",
            code="weights_corrupt")
    refused(zip_of({**files, "model.safetensors": weights[:-16]}), "corrupt", code="weights_corrupt")
    refused(zip_of({**files, "model.safetensors": weights[:5]}), "truncated", code="weights_corrupt")
    refused(run_to_zip(tiny_run)[:-40], "not a zip", code="not_zip")  # the archive itself cut short
    damaged = bytearray(zip_of(files, zipfile.ZIP_STORED))  # change bytes inside a member: its CRC no longer fits
    at = damaged.find(b"mnist-lab-run") + 200
    damaged[at:at + 4] = bytes(255 - b for b in damaged[at:at + 4])
    refused(bytes(damaged), "damaged", code="damaged")
    folder = save_run(tiny_run, tmp_path / "cut")
    (folder / "model.safetensors").write_bytes(weights[:100])
    with pytest.raises(RunError, match="model.safetensors"):
        load_run(folder)
    with pytest.raises(RunError, match="not a folder"):
        load_run(tmp_path / "nowhere")


def test_weights_of_another_architecture_are_refused(tiny_run, cnn_run):
    mlp, cnn = run_files(tiny_run), run_files(cnn_run)
    refused(zip_of({**mlp, "config.json": cnn["config.json"]}), "'mlp:32'", "'cnn'", code="arch_mismatch")
    # even with the metadata forged to say cnn, mlp weights do not fit a cnn
    from safetensors.torch import load

    forged = save_safetensors(load(mlp["model.safetensors"]), metadata={"format": "mnist-lab-run/1", "arch": "cnn"})
    refused(zip_of({**mlp, "config.json": cnn["config.json"], "model.safetensors": forged}), "do not fit",
            code="weights_mismatch")
    wider = json.loads(mlp["config.json"]) | {"arch": "mlp:64"}
    forged = save_safetensors(load(mlp["model.safetensors"]), metadata={"format": "mnist-lab-run/1", "arch": "mlp:64"})
    refused(zip_of({**mlp, "config.json": json.dumps(wider).encode(), "model.safetensors": forged}), "do not fit",
            code="weights_mismatch")


def test_loading_never_unpickles(tiny_run, tmp_path, monkeypatch):
    import pickle

    def boom(*args, **kwargs):
        raise AssertionError("something tried to unpickle")

    for module, name in [(torch, "load"), (pickle, "load"), (pickle, "loads")]:
        monkeypatch.setattr(module, name, boom)
    run_from_zip(run_to_zip(tiny_run))
    load_run(save_run(tiny_run, tmp_path / "r"))


def test_no_pickle_anywhere_in_core():
    """No module in core imports pickle (or a relative) or calls torch.load / np.load(allow_pickle=True)."""
    banned_modules = {"pickle", "cPickle", "dill", "cloudpickle", "joblib", "marshal", "shelve"}
    for path in sorted((ROOT / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & banned_modules, path
            elif isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] not in banned_modules, path
            elif isinstance(node, ast.Call):
                called = ast.unparse(node.func)
                assert not called.endswith(("torch.load", "jit.load", "serialization.load")), f"{path}: {called}"
                if called.endswith("load") and called.startswith(("np.", "numpy.")):
                    assert not any(k.arg == "allow_pickle" for k in node.keywords), path


@pytest.mark.parametrize("name, expected", [
    ("mlp-adam", "mlp-adam"), ("my run (2)", "my-run-2"), ("../../etc/passwd", "etc-passwd"),
    ("/absolute", "absolute"), ("..", "run"), ("", "run"), ("a\\b:c*d?", "a-b-c-d"), ("测试 一", "测试-一"),
    (".hidden", "hidden"), ("x" * 200, "x" * 64),
])
def test_run_names_are_made_safe(name, expected, tmp_path):
    assert safe_name(name) == expected
    assert (tmp_path / safe_name(name)).parent == tmp_path


def test_an_unsafe_folder_name_inside_a_zip_is_made_safe(tiny_run):
    files = run_files(tiny_run)
    run = run_from_zip(zip_of({f"../../evil name/{f}": b for f, b in files.items()}))
    assert run.name == "evil-name"


def test_list_run_dirs_skips_incomplete_folders(tiny_run, tmp_path):
    save_run(tiny_run, tmp_path / "whole")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.json").write_text("{}")
    (tmp_path / "file.txt").write_text("x")
    assert [d.name for d in list_run_dirs(tmp_path)] == ["whole"]
    assert list_run_dirs(tmp_path / "missing") == []


def test_summary_row(tiny_run):
    row = summary(tiny_run)
    assert row["name"] == "tiny-mlp" and row["arch"] == "mlp:32" and row["batch_size"] == 32
    assert row["test_acc"] == tiny_run.test_acc and row["status"] == "finished" and row["origin"] == "trained"
    assert row["seconds"] > 0


def test_an_opened_run_loads_its_weights_when_used_and_says_so_when_they_are_gone(tiny_run, tmp_path):
    import shutil

    from core.lab.runfiles import folders as runs

    folder = save_run(tiny_run, tmp_path / "lazy")
    runs._weights.clear()
    opened = runs.open_run(folder)
    assert opened.test_acc == tiny_run.test_acc and opened.history == tiny_run.history
    assert not runs._weights and not opened.diverged  # listed, read, not loaded
    x = torch.zeros(1, 1, 28, 28)
    assert torch.allclose(predict_proba(opened.model, x), predict_proba(tiny_run.model, x))
    assert len(runs._weights) == 1
    shutil.rmtree(folder)
    runs._weights.clear()
    with pytest.raises(RunError) as gone:
        predict_proba(opened.model, x)
    assert gone.value.code == "no_run"
