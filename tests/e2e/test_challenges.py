"""A challenge in Chromium with the real worker pool: the teacher opens "at most 10k parameters" on the Class page,
three students submit from their Runs page (one breaks the rule and is told why), the public leaderboard shows two
entries within 10 s (scored by the workers), no page shows a hidden image while it runs, closing reveals the
private scores; the teacher's section in Chinese."""

from __future__ import annotations

import io
import re
import time

import numpy as np
from PIL import Image

from tests.e2e.conftest import errors_on, new_page, open_page, wait_for_app, wait_until
from ui.i18n import t

PROJECTOR = {"width": 1280, "height": 720}
PAGES = ("", "data", "train", "evaluate", "draw", "inside", "compare", "runs")


def _board(page, cid: str) -> list[str]:
    return page.evaluate(f"() => Array.from(document.querySelectorAll('.st-key-ch_{cid}_board "
                         "[data-testid^=glide-cell-]')).map(c => c.textContent.trim())")


def _digits_shown(page) -> list[np.ndarray]:
    """Every <img> of the page that is a digit (a square picture of 28 x k pixels), read back as 28x28 grey."""
    found = []
    for src in page.evaluate("() => Array.from(document.images).map(i => i.src)"):
        if not src or src.startswith("data:image/svg"):
            continue
        try:
            body = page.request.get(src).body()
            img = Image.open(io.BytesIO(body)).convert("L")
        except Exception:  # not a raster picture
            continue
        w, h = img.size
        if w == h and w % 28 == 0:
            cell = w // 28
            grid = np.asarray(img)[cell // 2::cell, cell // 2::cell]
            found.append(grid)
    return found


def test_a_challenge_with_a_fair_leaderboard(browser, server, server_dir, monkeypatch, small_mnist, mnist):
    monkeypatch.setenv("MNIST_LAB_HOME", str(server_dir / "lab-data"))  # the server's classes, read as core does
    from core.lab import challenges as chs
    from core.lab import classes
    from core.lab import workspaces as wss
    from core.lab.runfiles.folders import save_run
    from core.learn.config import TrainConfig
    from tests.conftest import train_run

    small = TrainConfig(arch="linear", epochs=1, batch_size=64, device="cpu", eval_subset=300)
    runs = {"tiny-a": train_run(small.replace(lr=3e-3), small_mnist, "tiny-a"),
            "tiny-b": train_run(small.replace(lr=1e-3, seed=1), small_mnist, "tiny-b"),
            "wide": train_run(TrainConfig(arch="mlp:32", epochs=1, lr=3e-3, device="cpu", eval_subset=300),
                              small_mnist, "wide")}
    cls, key = classes.create_class("7B")
    students = []
    for nickname, run in (("ana", "tiny-a"), ("ben", "tiny-b"), ("chen", "wide")):
        ws = wss.create()
        save_run(runs[run], ws.runs_dir / run)
        classes.join(ws, cls.join_code, nickname)
        students.append((ws, run))

    teacher = new_page(browser)
    teacher.set_viewport_size(PROJECTOR)
    pages = [teacher]
    try:
        teacher.goto(f"{server}/class?teacher={key}")
        wait_for_app(teacher)
        teacher.locator(".st-key-ch_title input").fill("At most 10k parameters")
        teacher.locator(".st-key-ch_title input").press("Enter")
        wait_for_app(teacher)
        teacher.locator(".st-key-ch_open button").click()
        (ch,) = wait_until(lambda: chs.challenges_of(cls), 30, "the challenge being opened")
        assert ch.rules.max_parameters == 10_000 and chs.mnist_hidden()

        hidden, _, _ = chs.hidden_set(ch)  # the frozen hidden images the workers score on
        for ws, run in students:
            student = new_page(browser)
            pages.append(student)
            open_page(student, server, f"runs?ws={ws.id}")
            student.wait_for_selector(f".st-key-ch_run_{ch.id}")  # their one run is preselected
            student.locator(f".st-key-ch_submit_{ch.id} button").click()
            wait_for_app(student)
            if run == "wide":
                warning = wait_until(lambda s=student: s.locator('[data-testid="stAlertContentWarning"]')
                                     .all_inner_texts(), 10, "the refusal")
                assert "25,450" in " ".join(warning) and "10,000" in " ".join(warning)
            else:
                sent = wait_until(lambda s=student: s.locator('[data-testid="stAlertContentSuccess"]')
                                  .all_inner_texts(), 10, "the submission's confirmation")
                assert run in " ".join(sent)
        submitted = time.time()
        try:
            wait_until(lambda: {"ana", "ben"} <= set(_board(teacher, ch.id)) and "chen" not in _board(teacher, ch.id),
                       10, "two entries on the public leaderboard")
        except AssertionError:
            teacher.screenshot(path="/tmp/challenge-board.png")
            raise AssertionError(f"submissions {chs.submissions(ch)}, board cells {_board(teacher, ch.id)}, "
                                 "screenshot /tmp/challenge-board.png") from None
        print(f"\nleaderboard complete {time.time() - submitted:.1f} s after the last submission")
        assert not errors_on(teacher)

        viewer = pages[1]  # a student looks through every page while the challenge runs
        for path in PAGES:
            open_page(viewer, server, f"{path}?ws={students[0][0].id}")
            for digit in _digits_shown(viewer):
                assert not any((digit == h).all() or (255 - digit == h).all() for h in hidden), path

        teacher.locator(f".st-key-ch_close_{ch.id} button").first.click()
        wait_for_app(teacher)
        wait_until(lambda: not chs.get(cls, ch.id).open, 10, "the challenge closing")
        private = t("challenge.col.private")
        wait_until(lambda: private in teacher.locator('[data-testid="stMain"]').inner_text()
                   or len(_board(teacher, ch.id)) >= 12, 10, "the private scores")
        assert [e.private is not None for e in chs.leaderboard(chs.get(cls, ch.id))] == [True, True]

        teacher.goto(f"{server}/class?teacher={key}&lang=zh")
        wait_for_app(teacher)
        wait_until(lambda: t("challenge.section", "zh") in teacher.locator('[data-testid="stMain"]').inner_text(),
                   30, "the Chinese challenge section")
        section = teacher.locator('[data-testid="stMain"]').inner_text().split(t("challenge.section", "zh"))[1]
        section = section.replace("At most 10k parameters", "")
        assert not re.search(r"[A-Za-z]{3,}[ ,.]+[A-Za-z]{3,}[ ,.]+[A-Za-z]{3,}", section), section
        wait_until(lambda: {"ana", "ben"} <= set(_board(teacher, ch.id)), 10, "the Chinese leaderboard")
    finally:
        for pg in pages:
            pg.context.close()
