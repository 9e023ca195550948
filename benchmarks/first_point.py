"""Start -> first chart point, in a real browser against a real server and worker pool started as `make run` does.

    python benchmarks/first_point.py [--presets mlp-adam,cnn-adam,...] [--repeats 5] [--first mlp-adam,cnn-adam]

Setup: a fresh MNIST_LAB_HOME in a temporary folder, full MNIST from MNIST_DATA_DIR (no MNIST_LAB_SUBSET), then
`python -m core worker` (one worker per core, at its default niceness) and `streamlit run app.py` started side by
side, as `make run` starts them, driven by Debian's Chromium (Playwright, 1366x768).

1. "first job": for each preset in --first, a fresh data folder, pool and server; the first job that pool
   trains, clicked as soon as the server answers and the pool has announced itself (a teacher's first click),
   in a fresh browser context (nothing cached: Plotly's JavaScript loads with the first chart).
2. "later jobs": on one pool and server, --repeats tries per preset, the presets alternating try by try; each
   try opens /train in a new tab of one browser context (a new workspace each time; the browser has drawn a
   chart before, as a student's has after the Home page), chooses the preset and clicks Start.

Timed inside the browser (so Playwright's round trips are not in it): from the click on Start to the first
animation frame at which one of the Train page's charts (loss, accuracy, or kNN's) has a point. The job is
then stopped through core.lab.jobs.store and waited on before the next try, so every try finds idle workers.
Beside the total, where the time went, on the machine's own clock (the browser's Date.now() at the click and
the job's record): click -> queued (the page's rerun that submits), queued -> taken by a worker (the queue's
pick-up), taken -> first event in metrics.jsonl (the job's start and the untrained model's first evaluation),
and first event -> on the chart (the Train page's poll, views/train.py LIVE_EVERY, and its redraw).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pages import CHROMIUM, Server  # noqa: E402  (benchmarks/pages.py: streamlit run app.py, waited on)

VIEWPORT = {"width": 1366, "height": 768}
TIMEOUT_MS = 120_000
SLOTS = ".st-key-train_loss_chart, .st-key-train_acc_chart, .st-key-train_knn_chart"  # a chart's element
CHARTS = ", ".join(f"{slot} .js-plotly-plot" for slot in SLOTS.split(", "))  # ... once Plotly has drawn in it

# Clicks Start and resolves with {ms, clicked}: ms from the click to the first frame at which a Train chart has a
# point (-1: not within `timeout`; -2: a chart already had points before the click), box: ms to the first chart's
# element on the page (Streamlit shows a skeleton there until Plotly's code has loaded), clicked = Date.now() then.
CLICK_JS = """async ({charts, slots, timeout}) => {
  const frame = () => new Promise(r => requestAnimationFrame(r));
  const points = () => Array.from(document.querySelectorAll(charts))
    .some(p => (p._fullData || []).some(t => ((t.x || t.y || []).length) > 0));
  if (points()) return {ms: -2, clicked: Date.now()};
  const button = document.querySelector('.st-key-train_start button');
  const clicked = Date.now(), t0 = performance.now();
  let box = -1;  // when a chart's element is first on the page (a skeleton until Plotly's code has loaded)
  button.click();
  while (performance.now() - t0 < timeout) {
    await frame();
    if (box < 0 && document.querySelector(slots)) box = performance.now() - t0;
    if (points()) return {ms: performance.now() - t0, box, clicked};
  }
  return {ms: -1, box, clicked};
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(home: Path, shared_runs: Path) -> dict:
    env = {**os.environ, "MNIST_LAB_HOME": str(home), "MNIST_LAB_RUNS_DIR": str(shared_runs),
           "MNIST_DATA_DIR": os.environ.get("MNIST_DATA_DIR", str(ROOT.parent / "shared" / "data" / "mnist")),
           "PYTHONPATH": str(ROOT)}
    env.pop("MNIST_LAB_SUBSET", None)
    return env


class Lab:
    """A worker pool and a web server on one fresh data folder, started together as `make run` starts them."""

    def __init__(self, work: Path, name: str):
        self.home = work / name
        (work / "shared-runs").mkdir(exist_ok=True)
        self.env = environment(self.home, work / "shared-runs")
        os.environ["MNIST_LAB_HOME"] = str(self.home)  # this process reads the same folder through core
        self.pool_log = open(work / f"{name}-pool.log", "a")
        self.pool = subprocess.Popen([sys.executable, "-m", "core", "worker"], cwd=ROOT, env=self.env,
                                     stdout=self.pool_log, stderr=subprocess.STDOUT, start_new_session=True)
        self.server = Server(ROOT, free_port(), self.env, work / f"{name}-server.log")
        from core.lab.jobs import store

        deadline = time.time() + 120
        while not store.pools("cpu"):  # the pool announces itself once MNIST is decoded and the CNN warmed
            if self.pool.poll() is not None or time.time() > deadline:
                self.stop()
                raise SystemExit(f"the worker pool did not start: see {self.pool_log.name}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.stop()
        if self.pool.poll() is None:
            self.pool.terminate()  # only the pool this script started (its workers end with it)
            try:
                self.pool.wait(30)
            except subprocess.TimeoutExpired:
                self.pool.kill()
                self.pool.wait(10)
        self.pool_log.close()


def _first_event_time(runs_dir: Path, seen: dict, stop: threading.Event) -> None:
    """Notes when the first line lands in any metrics.jsonl under runs_dir (polled every 5 ms)."""
    while not stop.is_set():
        for path in runs_dir.glob("*/metrics.jsonl"):
            try:
                if path.stat().st_size > 0:
                    seen["first_event"] = time.time()
                    return
            except OSError:
                pass
        time.sleep(0.005)


def one_try(browser, lab: Lab, preset: str, context=None) -> dict:
    """Open /train in a new tab (a new workspace; in a fresh browser context unless `context` is given), choose
    `preset`, click Start; times and breakdown."""
    from core.lab import workspaces
    from core.lab.jobs import store
    from ui.i18n import t

    fresh = context is None
    context = context or browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{lab.server.url}/train")
        page.wait_for_selector(".st-key-train_start button")
        page.wait_for_function("() => document.querySelector('[data-testid=stApp]')"
                               ".getAttribute('data-test-script-state') === 'notRunning'")
        page.locator('[data-testid="stSelectbox"]').filter(has_text=t("train.preset")).click()
        page.get_by_role("option", name=preset, exact=True).click()
        page.wait_for_function("() => document.querySelector('[data-testid=stApp]')"
                               ".getAttribute('data-test-script-state') === 'notRunning'")
        page.wait_for_timeout(300)
        wid = page.evaluate("() => new URLSearchParams(location.search).get('ws')")
        ws = workspaces.at(wid)
        seen, stop = {}, threading.Event()
        watcher = threading.Thread(target=_first_event_time, args=(ws.runs_dir, seen, stop), daemon=True)
        watcher.start()
        result = page.evaluate(CLICK_JS, {"charts": CHARTS, "slots": SLOTS, "timeout": TIMEOUT_MS})
        stop.set()
        watcher.join()
        if result["ms"] < 0:
            raise SystemExit(f"{preset}: no chart point ({result['ms']}); logs in {lab.home.parent}")
        job = store.list_jobs(ws)[0]
        record = job._r
        job.stop()
        job.wait(120)
        clicked = result["clicked"] / 1000
        shown = clicked + result["ms"] / 1000
        first = seen.get("first_event", shown)
        return {"total": result["ms"] / 1000, "submit": record["created"] - clicked,
                "pickup": record["started"] - record["created"], "start": first - record["started"],
                "page": shown - first, "box": result["box"] / 1000}
    finally:
        page.close()
        if fresh:
            context.close()


def table(rows: dict[str, list[dict]]) -> None:
    parts = ("submit", "pickup", "start", "page", "box")
    print("| preset | tries | Start -> first point s, median (min-max) | click -> queued | queued -> taken "
          "| taken -> first event | first event -> chart | (click -> chart's element, skeleton or drawn) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, tries in rows.items():
        totals = [r["total"] for r in tries]
        cells = " | ".join(f"{statistics.median(r[p] for r in tries):.2f}" for p in parts)
        print(f"| {name} | {len(tries)} | **{statistics.median(totals):.2f}** ({min(totals):.2f}-{max(totals):.2f}) "
              f"| {cells} |", flush=True)


def main() -> None:
    from core.learn.presets import PRESETS

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presets", default=",".join(PRESETS), help="presets to time (default: every preset)")
    parser.add_argument("--repeats", type=int, default=5, help="tries per preset on one pool (default 5)")
    parser.add_argument("--first", default="mlp-adam,cnn-adam",
                        help="presets timed as the first job of a fresh pool and server ('' for none)")
    args = parser.parse_args()
    presets = [p for p in args.presets.split(",") if p]
    for name in presets + [p for p in args.first.split(",") if p]:
        if name not in PRESETS:
            raise SystemExit(f"error: unknown preset {name!r}; choose from {', '.join(PRESETS)}")

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="first-point-"))
    load_start = os.getloadavg()[0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        first: dict[str, list[dict]] = {}
        for i, name in enumerate(p for p in args.first.split(",") if p):
            lab = Lab(work, f"first{i}")
            try:
                first[f"{name}, first job of a fresh pool"] = [one_try(browser, lab, name)]
            finally:
                lab.stop()
        lab = Lab(work, "later")
        later: dict[str, list[dict]] = {name: [] for name in presets}
        try:
            context = browser.new_context(viewport=VIEWPORT)  # one student's browser, a new tab per try
            one_try(browser, lab, presets[0], context)  # not counted: the first chart loads Plotly's JavaScript
            for _ in range(args.repeats):
                for name in presets:
                    later[name].append(one_try(browser, lab, name, context))
            context.close()
        finally:
            lab.stop()
        browser.close()
    shutil.rmtree(work)  # kept when something failed: the logs are in it
    print(f"\n# Start -> first chart point, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {os.cpu_count()} "
          f"CPU cores, load average {load_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; seconds\n")
    table({**first, **later})
    print("\nThe parts are medians each, so they need not add up to the total's median exactly.")


if __name__ == "__main__":
    main()
