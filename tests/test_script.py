"""Show me the code: every preset and family exported as a plain script trains like the app.

The exported script runs in a subprocess for one epoch (`--data`) on a folder holding the offline MNIST copy's
first TRAIN_IMAGES training and TEST_IMAGES test images, as uncompressed IDX files; the app trains the same config
on the same images. A full epoch of every preset on all of MNIST took minutes on 2 cores (the CNNs' evaluations
of 10,000 test images most of it); this takes about a minute. The script's final accuracy must be the app's
within 1 point (kNN: exactly; the torch nets and the NumPy network come out equal or within 0.1 point, as they
draw the same initial weights and batches).
"""

from __future__ import annotations

import ast
import gzip
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from core.learn.config import TrainConfig
from core.learn.presets import PRESETS
from core.learn.script import COMMENTS, notebook, script
from core.learn.training import train

TRAIN_IMAGES, TEST_IMAGES = 3000, 2000
CASES = {name: p.config for name, p in PRESETS.items()} | {"lenet5": TrainConfig(arch="lenet5", lr=1e-3)}
STDLIB = {"argparse", "gzip", "math", "pathlib", "urllib"}


def run_script(source: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "exported.py"
    path.write_text(source, encoding="utf-8")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONPATH": ""}
    return subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)


def final_accuracy(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 0, out.stderr[-2000:]
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("final test accuracy: ") and last.endswith("%"), last
    return last.removeprefix("final test accuracy: ")


@pytest.fixture(scope="module")
def idx_folder(mnist, tmp_path_factory):
    folder = tmp_path_factory.mktemp("mnist-part") / "idx"
    small_idx(folder, mnist, TRAIN_IMAGES, TEST_IMAGES)
    return folder


@pytest.mark.parametrize("name", list(CASES))
def test_exported_script_trains_like_the_app(name, mnist, idx_folder, tmp_path):
    config = CASES[name].replace(epochs=1, device="cpu")
    torch.set_num_threads(1)
    app = list(train(config, mnist.subset(TRAIN_IMAGES, TEST_IMAGES)))[-1]
    assert app["kind"] == "final" and app["status"] in ("finished", "target")
    out = run_script(script(config, name), tmp_path, "--data", str(idx_folder))
    got = final_accuracy(out)
    assert out.stdout.count("epoch 1:") == (config.family != "knn")  # loss and accuracy per epoch
    if config.family == "knn":
        assert got == f"{app['test_acc']:.2%}"
    else:
        assert abs(float(got.rstrip("%")) - 100 * app["test_acc"]) <= 1.0, (got, app["test_acc"])


def test_numpy_randperm_is_torch_randperm():
    """The NumPy network's script orders its batches with torch's CPU randperm, rebuilt without torch."""
    namespace: dict = {}
    source = script(PRESETS["numpy-sigmoid"].config)
    exec(compile(ast.parse(source), "exported", "exec"), namespace)  # defines functions only (main is guarded)
    for seed in (0, 7, 2**40 + 3):
        g, rng = torch.Generator().manual_seed(seed), np.random.RandomState(seed % 2**32)
        for n in (1, 10, 6000):
            assert (namespace["randperm"](n, rng) == torch.randperm(n, generator=g).numpy()).all()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_scripts_are_short_plain_and_in_the_readers_language(lang):
    for name, config in CASES.items():
        source = script(config, name, lang)
        assert len(source.splitlines()) <= 150, name
        tree = ast.parse(source)
        imports = {a.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
        imports |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        allowed = {"torch", "torchvision"} if config.family == "torch" else {"numpy"}
        assert imports - STDLIB <= allowed, (name, imports)
        assert ("optimizer.zero_grad()" in source and "loss.backward()" in source) == (config.family == "torch")
        other = COMMENTS["zh" if lang == "en" else "en"]
        assert not [text for key, text in other.items() if "{" not in text and text in source], name
        if lang == "zh":
            assert "由 MNIST Lab 根据该运行保存的设置生成" in source


def test_settings_come_from_the_config():
    config = TrainConfig(arch="mlp:40,20", activation="tanh", loss="hinge", l2=0.01, optimizer="momentum",
                         lr=0.05, batch_size=33, epochs=4, seed=11, schedule="onecycle", target_accuracy=0.9)
    source = script(config, "custom")
    for line in ("LEARNING_RATE = 0.05", "BATCH_SIZE = 33", "EPOCHS = 4", "SEED = 11", "L2 = 0.01",
                 "TARGET_ACCURACY = 0.9", "nn.Linear(784, 40)", "nn.Linear(40, 20)", "nn.Linear(20, 10)",
                 "torch.tanh(", "momentum=0.9", "OneCycleLR", "scheduler.step()", "margins"):
        assert line in source, line


def test_a_hostile_config_makes_no_script():
    from core.learn.config import ConfigError

    for bad in (TrainConfig(lr=float("nan")), TrainConfig(arch="mlp:4096,4096,4096"), TrainConfig(seed=-1),
                TrainConfig(arch="mlp:1); import os; os.system('x')")):
        with pytest.raises(ConfigError):
            script(bad)


def small_idx(folder, mnist, n_train: int, n_test: int) -> None:
    """MNIST's four files, uncompressed, holding the first images of each split."""
    def write(name, tensor):
        data = tensor.to(torch.uint8).numpy()
        magic = bytes([0, 0, 8, data.ndim])
        dims = b"".join(int(d).to_bytes(4, "big") for d in data.shape)
        (folder / name).write_bytes(magic + dims + data.tobytes())

    folder.mkdir()
    write("train-images-idx3-ubyte", mnist.train_images[:n_train])
    write("train-labels-idx1-ubyte", mnist.train_labels[:n_train])
    write("t10k-images-idx3-ubyte", mnist.test_images[:n_test])
    write("t10k-labels-idx1-ubyte", mnist.test_labels[:n_test])


def test_notebook_runs_the_same_code(mnist, tmp_path):
    """The .ipynb is valid nbformat; its code cells, run in order on a folder of uncompressed IDX files, give the
    app's kNN accuracy on the same images."""
    import nbformat

    config = TrainConfig(arch="knn", k=5, knn_features="blocks", knn_grid=6)
    nb = nbformat.reads(notebook(config, "knn", "zh"), as_version=4)
    nbformat.validate(nb)
    cells = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    assert nb.cells[0].cell_type == "markdown" and cells[-1].endswith("main(DATA)")
    data = tmp_path / "idx"
    small_idx(data, mnist, 2000, 500)
    code = "\n\n".join(cells[:-1]) + f"\n\nmain({str(data)!r})\n"
    got = final_accuracy(run_script(code, tmp_path))
    app = list(train(config, mnist.subset(2000, 500)))[-1]["test_acc"]
    assert got == f"{app:.2%}"


def test_command_line(tiny_run, tmp_path, capsys):
    """python -m core script, through the command line's main() (in this process: a fresh interpreter per call
    costs a torch import each)."""
    from core.__main__ import main
    from core.lab.runfiles.folders import save_run

    def cli(*args: str) -> tuple[int, str, str]:
        rc = main(["script", *args])
        out = capsys.readouterr()
        return rc, out.out, out.err

    rc, out, _ = cli("--preset", "mlp-adam", "--epochs", "2", "--lang", "zh")
    assert rc == 0 and out == script(PRESETS["mlp-adam"].config.replace(epochs=2), "mlp-adam", "zh")
    save_run(tiny_run, tmp_path / "my-run")
    rc, out, _ = cli("--run", str(tmp_path / "my-run"))
    assert rc == 0 and out == script(tiny_run.config, "my-run")
    rc, out, _ = cli("--run", str(tmp_path / "my-run"), "--notebook")
    assert rc == 0 and json.loads(out)["nbformat"] == 4
    for bad in (["--preset", "mlp-adam", "--lr", "1e400"], ["--arch", "mlp:0"], ["--run", str(tmp_path)],
                ["--run", str(tmp_path / "my-run"), "--lr", "0.1"], [], ["--arch", "knn", "--seed", "-5"],
                ["--preset", "knn-blocks", "--k", "100000"]):
        rc, out, err = cli(*bad)
        assert rc == 2 and out == "", bad
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err


def test_gzipped_and_plain_files_read_the_same(mnist, tmp_path):
    """--data takes the .gz files (the offline copy) or uncompressed ones: the same images either way."""
    namespace: dict = {}
    exec(compile(script(PRESETS["knn-blocks"].config), "exported", "exec"), namespace)
    plain = tmp_path / "plain"
    small_idx(plain, mnist, 100, 50)
    zipped = tmp_path / "zipped"
    zipped.mkdir()
    for f in plain.iterdir():
        (zipped / f"{f.name}.gz").write_bytes(gzip.compress(f.read_bytes()))
    a, b = namespace["load_mnist"](plain), namespace["load_mnist"](zipped)
    for x, y in zip(a, b, strict=True):
        assert (x == y).all()
    assert (a[0] == mnist.train_images[:100].numpy()).all() and (a[3] == mnist.test_labels[:50].numpy()).all()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_runs_and_train_pages_offer_the_code(tiny_run, lang):
    """Runs: the selected run as a script and a notebook; Train: the form's current settings, before training."""
    from tests.conftest import open_view

    labels = {"en": ("Download as a PyTorch script", "Download as a Jupyter notebook"),
              "zh": ("下载为 PyTorch 脚本", "下载为 Jupyter 笔记本")}[lang]
    at = open_view("runs", {tiny_run.name: tiny_run}, lang)
    assert (at.download_button(key="runs_script").label, at.download_button(key="runs_notebook").label) == labels
    at = open_view("train", None, lang)
    assert (at.download_button(key="train_script").label, at.download_button(key="train_notebook").label) == labels
    assert not at.error and not at.exception
