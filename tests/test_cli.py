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


def cli(*args: str, check: bool = True, **settings: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **settings}
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
    from core.learn.presets import PRESETS

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
        (["train", "--arch", "mlp:64", "--seed", str(2**64), "--out", "x"], "seed must be between 0 and"),
        (["train", "--arch", "mlp:64", "--lr", "inf", "--out", "x"], "learning rate must be a finite number"),
        (["train", "--arch", "mlp:64", "--l2", "nan", "--out", "x"], "L2 weight must be a finite number"),
        (["train", "--arch", "mlp:" + ",".join(["4096"] * 200), "--out", "x"], "200 hidden layers"),
        (["train", "--arch", "mlp:4096,4096", "--out", "x"], "at most 5,000,000"),
        (["train", "--arch", "mlp:64", "--threads", str(2**40), "--out", "x"], "--threads"),
        (["train", "--arch", "mlp:64", "--out", ""], "--out is empty"),
        (["evaluate", "--run", "/nonexistent/run"], "no run at"),
        (["predict", "--run", "/nonexistent/run", "a.png"], "no run at"),
        (["frobnicate"], "invalid choice"),
        (["worker", "--workers", str(10**20)], "--workers: must be at most 256"),  # it forked until killed
    ],
)
def test_bad_arguments_exit_nonzero_with_one_line(args, words):
    proc = cli(*args, check=False)
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1 and words in proc.stderr
    assert "Traceback" not in proc.stderr


def one_line_error(proc: subprocess.CompletedProcess, words: str) -> None:
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1 and words in proc.stderr, proc.stderr


TINY = ("--train-subset", "500", "--epochs", "1", "--device", "cpu")


def test_k_beyond_the_training_set_is_refused_before_training(tmp_path):
    proc = cli("train", "--arch", "knn", "--k", "50", "--train-subset", "10", "--out", str(tmp_path / "knn"),
               check=False)
    one_line_error(proc, "k = 50 needs at least 50 training images, but there are only 10")
    assert not (tmp_path / "knn").exists()


def test_an_out_that_cannot_be_written_is_refused_before_training(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")  # a parent that is a file stops root too (chmod does not)
    proc = cli("train", "--arch", "mlp:16", *TINY, "--out", str(tmp_path / "a-file" / "run"), check=False)
    one_line_error(proc, "cannot write in")
    assert proc.stdout == ""  # no evaluation line: the training never started


def test_an_existing_run_is_replaced_only_with_force(tmp_path):
    out = tmp_path / "run"
    cli("train", "--arch", "mlp:16", *TINY, "--out", str(out))
    before = (out / "config.json").read_text()
    proc = cli("train", "--arch", "mlp:16", *TINY, "--seed", "7", "--out", str(out), check=False)
    one_line_error(proc, "already holds a run; add --force")
    assert proc.stdout == "" and (out / "config.json").read_text() == before
    cli("train", "--arch", "mlp:16", *TINY, "--seed", "7", "--out", str(out), "--force")
    assert json.loads((out / "config.json").read_text())["seed"] == 7
    (tmp_path / "notes.txt").write_text("mine")  # saving replaces the folder whole: never one with other files
    proc = cli("train", "--arch", "mlp:16", *TINY, "--out", str(tmp_path), "--force", check=False)
    one_line_error(proc, "other files in it")
    assert (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("arch", ["mlp:16", "linear"])  # linear: the loss stays finite, the weights blow up
def test_an_absurd_learning_rate_ends_as_a_diverged_run_in_one_line(tmp_path, arch):
    out = tmp_path / "boom"
    proc = cli("train", "--arch", arch, "--optimizer", "sgd", "--lr", "1e30", *TINY, "--out", str(out),
               check=False)
    one_line_error(proc, "training diverged: the ")
    assert "learning rate 1e+30 is too high" in proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["status"] == "diverged" and (out / "config.json").exists()


def test_predict_fails_when_no_image_can_be_read(trained, tmp_path):
    (tmp_path / "broken.png").write_bytes(b"not a png")
    Image.new("RGB", (200, 200), "white").save(tmp_path / "blank.jpg")
    args = [str(tmp_path / "broken.png"), str(tmp_path / "blank.jpg")]
    proc = cli("predict", "--run", str(trained[0]), *args, check=False)
    one_line_error(proc, "none of the 2 image(s) could be read")
    assert [json.loads(line)["image"] for line in proc.stdout.splitlines()] == args


def test_a_bad_setting_stops_the_check_and_the_worker_in_one_line():
    assert cli("check-settings").stdout == "settings ok\n"
    one_line_error(cli("check-settings", check=False, MNIST_LAB_WORKERS="abc"), "MNIST_LAB_WORKERS")
    one_line_error(cli("check-settings", check=False, MNIST_LAB_WORKERS=str(10**20)), "WORKERS must be at most")
    one_line_error(cli("worker", check=False, MNIST_LAB_QUEUE_PER_WORKSPACE="-1"), "MNIST_LAB_QUEUE_PER_WORKSPACE")


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
