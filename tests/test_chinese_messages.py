"""Chinese all the way: every message that can reach a page is triggered in Chinese and holds no English sentence.

A sentence here is three or more English words in a row. Settings' own names (adam, lr, mlp:32), numbers,
file names and commands in `backticks` are not sentences, and stay as the controls and the terminal show them.
"""

from __future__ import annotations

import re
import string

import pytest
from streamlit.testing.v1 import AppTest

from core.errors import LabError
from core.lab import workspaces
from core.lab.jobs import queue as job_queue
from core.lab.jobs import store as jobs
from core.learn.config import TrainConfig
from tests.conftest import ROOT, new_workspace
from ui.i18n import CATALOGS, reason

WORD = r"[A-Za-z][a-z]+(?:'[a-z]+)?"
SENTENCE = re.compile(rf"\b{WORD}(?:[ ,]+{WORD}){{2,}}\b")


def english_sentences(text: str) -> list[str]:
    return SENTENCE.findall(re.sub(r"`[^`]*`", "", text))


class _Any(dict):  # fills every {placeholder} of a template
    def __missing__(self, key):
        return 7


def test_the_check_finds_english():
    assert english_sentences("训练发散了：the loss became inf") == ["the loss became inf"]
    assert english_sentences("mlp:32 · adam · lr 0.001 · 批量 64 · `python -m core worker`") == []


def test_no_chinese_string_holds_an_english_sentence():
    found = {key: english_sentences(string.Formatter().vformat(text, (), _Any()))
             for key, text in CATALOGS["zh"].items()}
    assert {key: s for key, s in found.items() if s} == {}


def test_every_reason_code_reads_in_chinese():
    """Each coded error (configuration, data, devices, workspaces, queue, workers, runs) has its own words."""
    codes = [key.removeprefix("error.") for key in CATALOGS["en"] if key.startswith("error.")]
    assert {"config_lr", "config_widths", "mnist_missing", "device_unavailable", "queue_full", "worker_lost",
            "ws_unknown", "diverged", "no_cuda"} <= set(codes)
    for code in codes:
        template = CATALOGS["zh"][f"error.{code}"]
        params = {name: 7 for _, name, _, _ in string.Formatter().parse(template) if name}
        text = reason(LabError("an English sentence for the command line", code, **params), "zh")
        assert text == template.format(**params) and not english_sentences(text), code


def page_texts(at: AppTest) -> str:
    parts = [e.value for kind in ("error", "warning", "info", "success", "caption", "markdown", "title", "subheader")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def open_train(ws, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["ws"] = ws.id
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("views/train.py")
    at.run()
    assert not at.exception
    return at


def test_train_page_failures_in_chinese(small_mnist):
    """A bad setting, a diverged run and a run stuck at chance, all on the Chinese Train page (jobs run at once),
    and never a green success for a run that did not learn."""
    at = open_train(new_workspace())
    at.selectbox(key="train_arch_kind").set_value("mlp")
    at.text_input(key="train_widths").set_value("abc").run()
    assert at.error and not english_sentences(page_texts(at))
    at.text_input(key="train_widths").set_value("32")
    at.select_slider(key="train_batch_size").set_value(64)
    at.number_input(key="train_epochs").set_value(1)
    at.radio(key="train_loss").set_value("mse")
    at.radio(key="train_optimizer").set_value("momentum")
    at.select_slider(key="train_lr").set_value(10.0).run()
    at.button(key="train_start").click().run()
    at.run()
    assert "训练发散了" in page_texts(at) and not english_sentences(page_texts(at))
    at.select_slider(key="train_lr").set_value(1e-5).run()  # too small to learn in one epoch: stuck at chance
    at.button(key="train_start").click().run()
    at.run()
    text = page_texts(at)
    assert "没有学会" in text and not english_sentences(text) and not at.success


def test_queue_full_and_no_workers_in_chinese(small_mnist, monkeypatch):
    """No worker pool and a full workspace queue: both said in Chinese, nothing queued silently."""
    job_queue.set_immediate(False)  # a real SQLite queue with nobody consuming it
    ws = new_workspace()
    config = TrainConfig(arch="mlp:32", epochs=1, device="cpu")
    job_queue.submit_many(ws, [(config, "a"), (config, "b"), (config, "c"), (config, "d")])
    at = open_train(ws)
    text = page_texts(at)
    assert "没有正在运行的训练进程" in text and not english_sentences(text)
    assert at.button(key="train_start").disabled  # its job is still queued: one at a time


def test_interrupted_job_in_chinese(small_mnist):
    ws = new_workspace()
    job = job_queue.submit(ws, TrainConfig(arch="mlp:32", epochs=1, device="cpu"), name="lost")
    jobs.update(ws, job.id, state="interrupted", error="its worker process stopped", error_code="worker_lost")
    at = open_train(ws)
    assert "中断" in page_texts(at) and not english_sentences(page_texts(at))


def test_refused_workspace_link_in_chinese():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["ws"] = "../../etc/passwd"
    at.query_params["lang"] = "zh"
    at.run()
    assert not at.exception
    text = page_texts(at)
    assert "找不到工作区" in text and not english_sentences(text)
    assert workspaces.all_workspaces() == []  # nothing was created for a bad link


def test_missing_mnist_in_chinese(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path))  # an empty folder: nothing to read
    monkeypatch.setenv("MNIST_LAB_SUBSET", "9,9")  # its own cache entry
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    text = page_texts(at)
    assert "没有找到 MNIST 文件" in text and not english_sentences(text)


@pytest.mark.parametrize("device", ["cuda", "mps"])
def test_unavailable_devices_are_explained_in_chinese(device):
    from core.learn.families.nets import device_availability

    if device_availability().get(device) is None:
        pytest.skip(f"{device} is available here")
    at = open_train(new_workspace())
    captions = " ".join(c.value for c in at.caption if "不可用" in c.value)
    assert captions and not english_sentences(captions)
