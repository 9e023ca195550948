"""The teacher's Class page in a real browser: a class of 40 students with 5 runs each, and while students train.

    python benchmarks/class_page.py [--students 40] [--runs 5] [--repeats 5] [--training 30] [--port 8621]
                                    [--keep DIR]   # reuse the class prepared in DIR (prepared there if missing)

Setup: a temporary MNIST_LAB_HOME; five real runs trained here with core (mlp:64 and mlp:128,64, adam / sgd /
momentum, learning rates 1e-3 .. 0.1, one epoch on 12,000 training images, evaluated on the full 10,000 test
images, so each metrics.jsonl holds full evaluations with their 10,000 predictions as a real run does), copied
into --students workspaces x --runs run folders (each config.json rewritten with its own learning rate and
batch size, so the charts get 200 different lines); the workspaces join one class. `streamlit run app.py` on
full MNIST, Chromium (Debian's, headless, 1280x720: the projector) opened with the teacher link.

Measured (benchmarks/pages.py's SETTLE_JS): sidebar click on "Class" (from Home) to the page settled: its h1,
the script run ended, no stale element, the open tab's Plotly chart drawn. --repeats clicks, median and max,
with the curves tab open (the page's first view) and then with the parallel-coordinates tab open; the click
back to Home is timed too, as the cost of any page switch on the same machine at the same moment. The load
average is printed with each line (the machine is shared). The parallel-coordinates chart draws its lines with
WebGL after its SVG frame is up, which the settle test cannot see: its full cost is measured apart, in the
page, from Plotly.newPlot to its promise (benchmarks/class_page.py --plotly, no server).
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


def load() -> str:
    return "load average " + " / ".join(f"{x:.1f}" for x in os.getloadavg())


def click_times(page, repeats: int) -> tuple[list[float], list[float]]:
    """Home -> Class by the sidebar, `repeats` times; seconds to settled, for Class and for Home."""
    def title() -> str:
        return page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text().strip()

    times, homes = [], []
    for _ in range(repeats):
        home = page.evaluate(SETTLE_JS, {"path": "/", "expected": None, "previous": title(), "timeout": TIMEOUT_MS})
        homes.append(home["ready"] / 1000)
        result = page.evaluate(SETTLE_JS, {"path": "/class", "expected": None, "previous": title(),
                                           "timeout": TIMEOUT_MS})
        if result["ready"] < 0:
            raise SystemExit("the Class page did not settle")
        times.append(result["ready"] / 1000)
    return times, homes


def say(what: str, times: tuple[list[float], list[float]]) -> None:
    cls, home = times
    print(f"{what}: median {statistics.median(cls):.2f} s, max {max(cls):.2f} s  ({', '.join(f'{x:.2f}' for x in cls)})"
          f"; Home median {statistics.median(home):.2f} s; {load()}", flush=True)


PLOT_JS = """async (fig) => {
  const g = document.getElementById('g');
  Plotly.purge(g);
  const t0 = performance.now();
  await Plotly.newPlot(g, fig.data, fig.layout);
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - t0;
}"""


def plotly_times(repeats: int) -> None:
    """The Class page's figures drawn alone in Chromium (Plotly.newPlot to its promise and two frames), built by
    ui.figures.classroom from a class of 40 students x 5 runs with random values, 1280x720."""
    import random

    import plotly
    from playwright.sync_api import sync_playwright

    from ui.figures.classroom import curves_figure, parallel_figure

    rng = random.Random(0)
    curve = lambda: [(e / 4, rng.uniform(0.8, 0.98)) for e in range(1, 9)]  # noqa: E731 (4 evaluations an epoch)
    runs = [{"lr": 10 ** rng.uniform(-4, -0.5), "batch_size": rng.choice(BATCHES), "optimizer": rng.choice(
        ["adam", "sgd", "momentum"]), "loss": "ce", "parameters": rng.choice([50890, 109386]), "epochs": 1,
        "test_acc": rng.uniform(0.1, 0.98)} for _ in range(200)]
    figures = {
        "curves, 40 best runs": curves_figure([(f"student {i}", curve()) for i in range(40)], height=300),
        "curves, 3 runs (legend, markers)": curves_figure([(f"student {i}", curve()) for i in range(3)], height=300),
        "curves, 200 runs of a preset": curves_figure([(f"s{i // 5} · run-{i % 5}", curve()) for i in range(200)],
                                                      height=300),
        "parallel coordinates, 200 runs (WebGL)": parallel_figure(runs, height=300),
    }
    script = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        page = browser.new_page(viewport=VIEWPORT)
        page.set_content(f"<div id=g style='width:700px'></div><script>{script}</script>")
        for name, fig in figures.items():
            spec = json.loads(fig.to_json())
            times = [page.evaluate(PLOT_JS, spec) / 1000 for _ in range(repeats)]
            print(f"{name}: {len(fig.to_json()) / 1024:.0f} KB of JSON, drawn in median {statistics.median(times):.2f}"
                  f" s, max {max(times):.2f} s; {load()}", flush=True)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5, help="finished runs per student")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--training", type=int, default=30, help="students training while measured again (0: skip)")
    parser.add_argument("--port", type=int, default=8621)
    parser.add_argument("--keep", type=Path, default=None,
                        help="prepare the class in this folder and keep it; reuse it when it is there already")
    parser.add_argument("--plotly", action="store_true", help="only draw the page's figures alone in Chromium")
    args = parser.parse_args()
    if args.plotly:
        plotly_times(args.repeats * 2 + 1)
        return

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="class-bench-"))
    kept = args.keep
    if kept is None or not (kept / "teacher-key").is_file():
        print(f"preparing {args.students} students x {args.runs} runs in {kept or work} ...", flush=True)
        key, wids = prepare((kept or work) / "home", args.students, args.runs)
        if kept is not None:
            (kept / "teacher-key").write_text(key)
            (kept / "workspaces").write_text("\n".join(wids))
    if kept is not None:  # a copy each time: the students who train add runs and jobs
        print(f"using the class kept in {kept}", flush=True)
        key, wids = (kept / "teacher-key").read_text(), (kept / "workspaces").read_text().split()
        shutil.copytree(kept / "home", work / "home", symlinks=True, dirs_exist_ok=True)
    env = {**os.environ, "MNIST_LAB_HOME": str(work / "home"), "MNIST_LAB_RUNS_DIR": str(work / "shared-runs"),
           "MNIST_DATA_DIR": os.environ.get("MNIST_DATA_DIR", str(ROOT.parent / "shared" / "data" / "mnist"))}
    os.environ["MNIST_LAB_HOME"] = env["MNIST_LAB_HOME"]
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
            print(f"first visit (fresh server: the app's imports, runs parsed for the first time): ready "
                  f"{first['ready'] / 1000:.2f} s; {load()}")
            say("idle, curves tab", click_times(page, args.repeats))
            page.get_by_role("tab").nth(1).click()
            time.sleep(2)
            say("idle, parallel-coordinates tab", click_times(page, args.repeats))
            page.get_by_role("tab").nth(0).click()
            time.sleep(2)
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
                say(f"while {args.training} students train ({running} running now, the rest queued), curves tab", busy)
                for job in started:
                    job.stop()
            browser.close()
    finally:
        if pool is not None:
            pool.terminate()  # only the pool this script started
            pool.wait(30)
        server.stop()
    print(f"{os.cpu_count()} CPU cores, {load()} at the end")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
