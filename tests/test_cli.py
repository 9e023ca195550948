"""The command line as a user runs it: real subprocesses, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cli-mlp"
    proc = cli("train", "--preset", "mlp-adam", "--epochs", "1", "--train-subset", "10000", "--device", "cpu",
               "--out", str(out))
    return out, proc


def test_presets_json_lists_every_preset():
    from core.presets import PRESETS

    lines = [json.loads(line) for line in cli("presets", "--json").stdout.splitlines()]
    assert [p["name"] for p in lines] == list(PRESETS)
    assert all(p["source"] and p["config"]["arch"] for p in lines)


def test_train_prints_one_json_line_per_evaluation_then_a_summary(trained):
    out, proc = trained
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    evals, summary = lines[:-1], lines[-1]
    assert len(evals) >= 5 and evals[0]["step"] == 0 and evals[0]["seen"] == 0
    for line in evals:
        assert set(line) == {"epoch", "step", "seen", "seconds", "train_loss", "test_loss", "test_acc"}
    assert [e["seen"] for e in evals] == sorted(e["seen"] for e in evals)
    assert summary["test_acc"] >= 0.9 and summary["seconds"] > 0 and summary["time_to_target_s"] is None
    assert {p.name for p in out.iterdir()} == {"config.json", "metrics.jsonl", "model.safetensors"}
    assert proc.stderr == ""  # no progress bar when stderr is not a terminal


def test_preset_options_override(trained):
    out, _ = trained
    config = json.loads((out / "config.json").read_text())
    assert config["arch"] == "mlp:128,64" and config["epochs"] == 1 and config["train_subset"] == 10000


def test_evaluate_reports_accuracy_per_class_and_confusion(trained):
    out, proc = trained
    report = json.loads(cli("evaluate", "--run", str(out), "--json").stdout)
    assert report["accuracy"] == pytest.approx(json.loads(proc.stdout.splitlines()[-1])["test_acc"], abs=1e-6)
    cm = np.array(report["confusion_matrix"])
    assert cm.shape == (10, 10) and cm.sum() == 10000 and np.trace(cm) == round(report["accuracy"] * 10000)
    assert len(report["per_class"]) == 10 and all(0 < r["recall"] <= 1 for r in report["per_class"])
    text = cli("evaluate", "--run", str(out)).stdout
    assert "confusion matrix" in text and "precision" in text


def test_predict_reads_drawings_in_one_batch(trained, tmp_path, mnist):
    out, _ = trained
    paths = []
    for i in range(3):  # real test digits drawn large, as a canvas would give them
        big = np.kron(mnist.test_images[i].numpy(), np.ones((10, 10), dtype=np.uint8))
        path = tmp_path / f"digit{i}.png"
        Image.fromarray(big).convert("RGBA").save(path)
        paths.append(str(path))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    Image.new("RGB", (200, 200), "white").save(tmp_path / "blank.jpg")
    args = [*paths, str(tmp_path / "broken.png"), str(tmp_path / "blank.jpg")]
    lines = [json.loads(line) for line in cli("predict", "--run", str(out), *args).stdout.splitlines()]
    assert [line["image"] for line in lines] == args
    assert [line["pred"] for line in lines[:3]] == mnist.test_labels[:3].tolist()
    assert all(len(line["probs"]) == 10 and abs(sum(line["probs"]) - 1) < 1e-4 for line in lines[:3])
    assert "error" in lines[3] and "error" in lines[4] and "empty" in lines[4]["error"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["train", "--arch", "mlp:64", "--lr", "0", "--out", "x"], "--lr"),
        (["train", "--arch", "mlp:64", "--lr", "-0.1", "--out", "x"], "--lr"),
        (["train", "--arch", "mlp:64", "--batch-size", "0", "--out", "x"], "--batch-size"),
        (["train", "--arch", "transformer", "--out", "x"], "unknown architecture"),
        (["train", "--preset", "nope", "--out", "x"], "unknown preset"),
        (["evaluate", "--run", "/nonexistent/run"], "no run at"),
        (["predict", "--run", "/nonexistent/run", "a.png"], "no run at"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_nonzero_with_one_line(args, words):
    proc = cli(*args, check=False)
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1 and words in proc.stderr
    assert "Traceback" not in proc.stderr


def test_foreign_run_folder_is_refused(tmp_path):
    for name in ("config.json", "metrics.jsonl", "model.safetensors"):
        (tmp_path / name).write_text("{}")
    proc = cli("evaluate", "--run", str(tmp_path), check=False)
    assert proc.returncode != 0 and proc.stderr.startswith("error:") and "Traceback" not in proc.stderr


def test_core_never_imports_streamlit():
    code = (
        "import pkgutil, importlib, sys, core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'core.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('streamlit' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
    offenders = [p for p in (ROOT / "core").rglob("*.py") if "import streamlit" in p.read_text()]
    assert offenders == []


def _read_first_line_then_hang_up(*args: str) -> subprocess.CompletedProcess:
    """What `python -m core ... | head -1` does: read one line, close the pipe, let the command go on."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "core", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()
    proc.stdout.close()
    _, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(args, proc.returncode, first, err)


def test_a_reader_that_hangs_up_early_gets_no_traceback_and_the_run_is_still_saved(trained, tmp_path):
    out = tmp_path / "piped"
    proc = _read_first_line_then_hang_up("train", "--preset", "mlp-adam", "--epochs", "1", "--train-subset",
                                         "3000", "--device", "cpu", "--out", str(out))
    assert json.loads(proc.stdout)["step"] == 0
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert (out / "model.safetensors").exists()
    proc = _read_first_line_then_hang_up("evaluate", "--run", str(trained[0]))
    assert proc.stdout.startswith("run ") and proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr


def test_preset_and_arch_together_the_option_wins(tmp_path):
    out = tmp_path / "knn-pixels"
    proc = cli("train", "--preset", "knn-blocks", "--knn-features", "pixels", "--k", "5", "--train-subset", "2000",
               "--device", "cpu", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    config = json.loads((out / "config.json").read_text())
    assert config["arch"] == "knn" and config["knn_features"] == "pixels" and config["k"] == 5
    proc = cli("train", "--preset", "mlp-adam", "--arch", "mlp:16", "--epochs", "1", "--train-subset", "2000",
               "--device", "cpu", "--threads", "1", "--out", str(tmp_path / "m"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "m" / "config.json").read_text())["arch"] == "mlp:16"
    proc = cli("train", "--out", str(tmp_path / "none"), check=False)
    assert proc.returncode == 2 and "--preset or --arch" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_help_shows_every_default():
    text = cli("train", "--help").stdout.split("options:", 1)[1]
    for option in ("--lr", "--batch-size", "--epochs", "--loss", "--k", "--knn-features", "--threads"):
        block = text.split(option, 1)[1].split("\n  --", 1)[0]
        assert "default" in block, option
