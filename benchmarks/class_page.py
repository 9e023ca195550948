"""The teacher's Class page in a real browser: a class of 40 students with 5 runs each, and while students train.

    python benchmarks/class_page.py [--students 40] [--runs 5] [--repeats 5] [--training 30] [--port 8621]

Setup: a temporary MNIST_LAB_HOME; five real runs trained here with core (mlp:64 and mlp:128,64, adam / sgd /
momentum, learning rates 1e-3 .. 0.1, one epoch on 12,000 training images, evaluated on the full 10,000 test
images, so each metrics.jsonl holds full evaluations with their 10,000 predictions as a real run does), copied
into --students workspaces x --runs run folders (each config.json rewritten with its own learning rate and
batch size, so the charts get 200 different lines); the workspaces join one class. `streamlit run app.py` on
full MNIST, Chromium (Debian's, headless, 1280x720: the projector) opened with the teacher link.

Measured (benchmarks/pages.py's SETTLE_JS): sidebar click on "Class" (from Home) to the page settled: its h1,
the script run ended, no stale element, both Plotly charts drawn. --repeats clicks, median and max.
Then, with --training N, a worker pool (`python -m core worker`, as `make run` starts it) and N of the
students each start a job (mlp-adam, one epoch on 60,000 images) and the same clicks are measured while
they train (the page's table then has N live rows; the workers take the cores, as in a real lesson).

Evidence (2 CPU cores shared with other work, Streamlit 1.67, Debian Chromium): see README, "Teaching a class".
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from pages import CHROMIUM, SETTLE_JS, TIMEOUT_MS, Server  # noqa: E402

VIEWPORT = {"width": 1280, "height": 720}
RECIPES = [("mlp:64", "adam", 1e-3, 64), ("mlp:64", "sgd", 0.1, 32), ("mlp:128,64", "momentum", 0.01, 128),
           ("mlp:128,64", "adam", 3e-3, 256), ("mlp:64", "adam", 0.05, 64)]
LRS = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3)
BATCHES = (16, 32, 64, 128, 256, 512)


def prepare(home: Path, n_students: int, n_runs: int) -> tuple[str, list[str]]:
    """The class on disk; returns the teacher key and the students' workspace ids."""
    os.environ["MNIST_LAB_HOME"] = str(home)
    from core.lab import classes, workspaces
    from core.lab.runfiles.folders import save_run
    from core.learn.config import TrainConfig
    from core.learn.data import load_mnist
    from core.learn.run import collect
    from core.learn.training import train

    data = load_mnist()
    models = home / "models"
    for i, (arch, opt, lr, batch) in enumerate(RECIPES):
        config = TrainConfig(arch=arch, optimizer=opt, lr=lr, batch_size=batch, epochs=1, train_subset=12000,
                             device="cpu")
        save_run(collect(train(config, data), f"r{i}", config), models / f"r{i}")
    cls, key = classes.create_class("benchmark class")
    wids = []
    for s in range(n_students):
        ws = workspaces.create()
        classes.join(ws, cls.join_code, f"student {s + 1}")
        for r in range(n_runs):
            folder = ws.runs_dir / f"run-{r + 1}"
            shutil.copytree(models / f"r{(s + r) % len(RECIPES)}", folder)
            config = json.loads((folder / "config.json").read_text())
            config.update(lr=LRS[(s * 7 + r) % len(LRS)], batch_size=BATCHES[(s + 3 * r) % len(BATCHES)])
            (folder / "config.json").write_text(json.dumps(config))
        wids.append(ws.id)
    return key, wids


def click_times(page, repeats: int) -> list[float]:
    """Home -> Class by the sidebar, `repeats` times; seconds to settled."""
    def title() -> str:
        return page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text().strip()

    times = []
    for _ in range(repeats):
        page.evaluate(SETTLE_JS, {"path": "/", "expected": None, "previous": title(), "timeout": TIMEOUT_MS})
        result = page.evaluate(SETTLE_JS, {"path": "/class", "expected": None, "previous": title(),
                                           "timeout": TIMEOUT_MS})
        if result["ready"] < 0:
            raise SystemExit("the Class page did not settle")
        times.append(result["ready"] / 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5, help="finished runs per student")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--training", type=int, default=30, help="students training while measured again (0: skip)")
    parser.add_argument("--port", type=int, default=8621)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="class-bench-"))
    print(f"preparing {args.students} students x {args.runs} runs in {work} ...", flush=True)
    key, wids = prepare(work / "home", args.students, args.runs)
    env = {**os.environ, "MNIST_LAB_HOME": str(work / "home"), "MNIST_LAB_RUNS_DIR": str(work / "shared-runs"),
           "MNIST_DATA_DIR": os.environ.get("MNIST_DATA_DIR", str(ROOT.parent / "shared" / "data" / "mnist"))}
    env.pop("MNIST_LAB_SUBSET", None)
    server = Server(ROOT, args.port, env, work / "server.log")
    pool = None
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
            page = browser.new_context(viewport=VIEWPORT).new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{server.url}/class?teacher={key}", wait_until="commit")
            first = page.evaluate(SETTLE_JS, {"path": None, "expected": None, "previous": None, "timeout": TIMEOUT_MS})
            print(f"first visit (fresh server, runs parsed for the first time): ready {first['ready'] / 1000:.2f} s")
            idle = click_times(page, args.repeats)
            print(f"idle: median {statistics.median(idle):.2f} s, max {max(idle):.2f} s  ({idle})", flush=True)
            if args.training:
                import subprocess

                from core.lab import workspaces
                from core.lab.jobs import queue as job_queue
                from core.lab.jobs import store as jobs
                from core.learn.presets import get_preset

                pool = subprocess.Popen([sys.executable, "-m", "core", "worker"], cwd=ROOT, env=env,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
                while not jobs.pools("cpu"):
                    time.sleep(0.2)
                config = get_preset("mlp-adam").config.replace(epochs=1, device="cpu")
                started = [job_queue.submit(workspaces.at(wid), config, name="lesson") for wid in wids[:args.training]]
                while not any(job.refresh().state == "running" for job in started):
                    time.sleep(0.2)
                busy = click_times(page, args.repeats)
                running = sum(job.refresh().state == "running" for job in started)
                print(f"while {args.training} students train ({running} running now, the rest queued): median "
                      f"{statistics.median(busy):.2f} s, max {max(busy):.2f} s  ({busy})")
                for job in started:
                    job.stop()
            browser.close()
    finally:
        if pool is not None:
            pool.terminate()  # only the pool this script started
            pool.wait(30)
        server.stop()
    print(f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.2f} at the end")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
