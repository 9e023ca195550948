"""ui.figures.report: the lab report and the comparison report are single, self-contained HTML files."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from html.parser import HTMLParser

import pytest

from core.learn import evaluation as ev
from ui.figures.report import comparison_report_html, lab_report_html, report_file_name

VOID = {"meta", "img", "br", "hr", "input", "link", "col", "source", "wbr", "area", "base", "embed", "track"}
WHEN = datetime(2024, 5, 17, 9, 30)


class _Checker(HTMLParser):
    """Counts tags and checks that every opened element is closed in order (outside scripts)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.tags, self.errors = [], {}, []
        self.script_srcs, self.link_hrefs, self.img_srcs = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.script_srcs.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.link_hrefs.append(attrs["href"])
        if tag == "img":
            self.img_srcs.append(attrs.get("src", ""))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()


def check_self_contained(page: str) -> _Checker:
    assert page.lstrip().startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert not checker.errors, checker.errors[:5]
    assert not checker.stack, checker.stack
    assert checker.tags.get("html") == checker.tags.get("head") == checker.tags.get("body") == 1
    assert checker.script_srcs == [] and checker.link_hrefs == []  # nothing fetched from anywhere
    assert not re.search(r"<script[^>]*\bsrc\s*=\s*[\"']?https?:", page, re.I)
    assert page.count("Plotly.newPlot") >= 1
    assert len(re.findall(r"\* plotly\.js v\d", page)) == 1  # the library is inlined exactly once
    return checker


@pytest.fixture(scope="module")
def final(tiny_run, small_mnist):
    return ev.test_predictions(tiny_run.model, small_mnist)


def test_lab_report_is_self_contained_and_complete(tiny_run, small_mnist, final):
    page = lab_report_html(tiny_run, small_mnist, final, when=WHEN)
    checker = check_self_contained(page)
    assert tiny_run.name in page
    assert f"{final.accuracy:.2%}" in page
    assert "2024-05-17 09:30" in page
    assert "Confusion matrix" in page and "Per-digit scores" in page
    assert tiny_run.config.arch in page and "Learning rate" in page
    mistakes = int((final.preds != final.labels).sum())
    pngs = [s for s in checker.img_srcs if s.startswith("data:image/png;base64,")]
    assert len(pngs) == min(24, mistakes) and len(pngs) == len(checker.img_srcs)
    assert f"{mistakes} / {len(final.labels)}" in page


def test_lab_report_computes_predictions_and_speaks_chinese(tiny_run, small_mnist, final):
    page = lab_report_html(tiny_run, small_mnist, lang="zh", when=WHEN, mistakes=3)
    check_self_contained(page)
    assert '<html lang="zh-CN">' in page
    assert "MNIST 实验室报告" in page and "混淆矩阵" in page and "最自信的错误" in page
    assert f"{final.accuracy:.2%}" in page
    assert sum(src.startswith("data:image/png;base64,") for src in check_self_contained(page).img_srcs) == 3


def test_run_names_are_escaped(tiny_run, small_mnist, final):
    odd = dataclasses.replace(tiny_run, name="<b>mine</b>")
    page = lab_report_html(odd, small_mnist, final, mistakes=0)
    assert "&lt;b&gt;mine&lt;/b&gt;" in page and "<b>mine</b>" not in page
    assert report_file_name(odd.name) == "mnist-lab-report-b-mine-b.html"
    assert report_file_name("tiny-mlp") == "mnist-lab-report-tiny-mlp.html"


def test_comparison_report_marks_differences(tiny_run, small_mnist):
    # Same weights and history under other settings: the report only reads them, so that is enough here.
    faster = dataclasses.replace(tiny_run, name="tiny-fast", config=tiny_run.config.replace(lr=0.01))
    wider = dataclasses.replace(tiny_run, name="tiny-wide", config=tiny_run.config.replace(arch="mlp:64",
                                                                                       batch_size=64))
    page = comparison_report_html([tiny_run, faster, wider], small_mnist, when=WHEN)
    check_self_contained(page)
    for run in (tiny_run, faster, wider):
        assert run.name in page
        assert f"{run.test_acc:.2%}" in page
    rows = re.findall(r"<tr( class=\"diff\")?><td>([^<]*) <code>(\w+)</code>", page)
    differing = {name for cls, _, name in rows if cls}
    assert {"arch", "lr", "batch_size"} <= differing
    assert "optimizer" not in differing and "epochs" not in differing
    assert len(rows) == len(tiny_run.config.settings())  # every setting an MLP has; no k, no kNN grid
    assert "Accuracy per digit" in page  # from the recorded final evaluations
    assert "class=\"num best\"" in page


def test_comparison_report_without_data(tiny_run):
    page = comparison_report_html([tiny_run], lang="zh")
    check_self_contained(page)
    assert "MNIST 实验室对比" in page and tiny_run.name in page
    assert 'class="diff"' not in page  # one run: nothing to differ from
