"""Classroom load: N students start a training job at once, trained by a real worker pool (core.lab.jobs.runner).

    python benchmarks/load.py [--students 1,8,30] [--workers 2] [--preset mlp-adam] [--subset 60000] [--watch 1]
                              [--draw 5]
                              [--class-view 3]

For each N: N fresh workspaces each submit the same job (the preset, one epoch on --subset training
images) at the same moment through core.lab.jobs.store, exactly as N Train pages would; a worker pool started with
`python -m core worker --workers W` (a separate process, as `make run` starts it) trains them. Reports how
many completed, the longest wait in the queue, the median and worst time from click to finished, the
training time per job and the slowdown against one student alone (measured first, in the same run).
With --watch S this process also does what every open Train page does every S seconds for each running job
(read the new events of metrics.jsonl, rebuild both Plotly figures): its CPU share is the web server's
own cost of a class watching, since the server no longer trains.
With --draw K a drawing observer joins: a web server (`streamlit run app.py` on the same data folder, as
`make run` starts it beside the pool) and Debian's Chromium on its Draw page, in a workspace of its own with two
runs (mlp:128,64 and cnn, one epoch on 12,000 images each, so every stroke is read by two models). It draws K
strokes with no job running (idle), then, for each class size, as many strokes as fit while the class's jobs
train (one at a time, each after a Clear): stroke -> prediction is timed in the browser from the mouse button's
release to the first frame at which the page's prediction is the new run's (a script run started after the
release, the prediction's element no longer stale); "page done" is when that script run ended.
With --class-view S the N students are one class (core.lab.classes) and this process also builds the teacher's
Class page every S seconds as views/class_view.py does (every student's work read from their folders, the table,
both figures as JSON): the median and worst time of one build while they train. The browser's part of that
page is measured by benchmarks/class_page.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import settings  # noqa: E402
from core.lab import workspaces  # noqa: E402
from core.lab.jobs import queue as job_queue  # noqa: E402
from core.lab.jobs import store as jobs  # noqa: E402
from core.learn.presets import get_preset  # noqa: E402
from ui.figures.train import accuracy_figure, loss_figure  # noqa: E402

# Installed once per Draw page: notes the mouse button's release and every change of the script's state.
DRAW_WATCH_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window._draw = {up: 0, states: []};
  document.addEventListener('mouseup', () => { window._draw.up = performance.now(); }, true);
  new MutationObserver(() => window._draw.states.push([performance.now(), app.getAttribute('data-test-script-state')]))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
# After a stroke: {shown, done} in ms since the release (-1: not within `timeout` ms).
DRAW_WAIT_JS = """async (timeout) => {
  const frame = () => new Promise(r => requestAnimationFrame(r));
  const d = window._draw, up = d.up;
  let shown = -1;
  while (performance.now() - up < timeout) {
    await frame();
    const started = d.states.find(([t, s]) => t >= up && s === 'running');
    if (!started) continue;
    const value = document.querySelector('.st-key-draw_prediction [data-testid="stMetricValue"]');
    if (shown < 0 && value && /^[0-9]$/.test(value.innerText.trim()) && !value.closest('[data-stale="true"]'))
      shown = performance.now() - up;
    const ended = d.states.find(([t, s]) => t > started[0] && s === 'notRunning');
    if (shown >= 0 && ended) return {shown, done: ended[0] - up};
  }
  return {shown: -1, done: -1};
}"""


class DrawingObserver:
    """A student on the Draw page of a real web server, drawing a "1" again and again while the class trains."""

    def __init__(self, work: Path):
        from pages import CHROMIUM, Server
        from playwright.sync_api import sync_playwright

        self.wid = self._prepare()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.server = Server(ROOT, _free_port(), env, work / "server.log")
        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        self.page = self.browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        self.page.set_default_timeout(120_000)
        self.page.goto(f"{self.server.url}/draw?ws={self.wid}")
        self._settled()
        self.page.evaluate(DRAW_WATCH_JS)
        self.stroke()  # not counted: the first stroke loads the models

    @staticmethod
    def _prepare() -> str:
        from core.lab.runfiles.folders import save_run
        from core.learn.data import load_mnist
        from core.learn.run import collect
        from core.learn.training import train

        ws = workspaces.create()
        data = load_mnist()
        for name, preset in (("draw-cnn", "cnn-adam"), ("draw-mlp", "mlp-adam")):
            config = get_preset(preset).config.replace(epochs=1, train_subset=12000, device="cpu")
            save_run(collect(train(config, data), name, config), ws.runs_dir / name)
            time.sleep(0.05)
        return ws.id

    def _settled(self) -> None:
        self.page.wait_for_function("() => document.querySelector('[data-testid=stApp]')"
                                    "?.getAttribute('data-test-script-state') === 'notRunning'")
        self.page.locator(".st-key-draw_canvas canvas.upper-canvas").last.wait_for()

    def stroke(self) -> tuple[float, float]:
        """Clear, draw a "1", wait for the prediction: (stroke -> prediction s, stroke -> page done s)."""
        self.page.locator(".st-key-draw_clear button").first.click()
        self.page.wait_for_timeout(100)
        self._settled()
        box = self.page.locator(".st-key-draw_canvas canvas.upper-canvas").last.bounding_box()
        x, top = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.15
        self.page.mouse.move(x, top)
        self.page.mouse.down()
        for i in range(1, 21):
            self.page.mouse.move(x, top + i * box["height"] * 0.035)
        self.page.mouse.up()
        times = self.page.evaluate(DRAW_WAIT_JS, 120_000)
        if times["shown"] < 0:
            raise SystemExit("a stroke was not read within 120 s: see the server's log")
        return times["shown"] / 1000, times["done"] / 1000

    def close(self) -> None:
        self.browser.close()
        self._pw.stop()
        self.server.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_pool(workers: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "core", "worker", "--workers", str(workers)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not jobs.pools("cpu"):
        if time.time() > deadline or proc.poll() is not None:
            raise SystemExit("the worker pool did not start")
        time.sleep(0.2)
    return proc


def redraw(job) -> None:
    """What a student's open Train page does each time it refreshes a running job's charts."""
    events = job.history()
    loss_figure(events).to_json()
    accuracy_figure(events, epochs=job.config.epochs).to_json()


def class_view(cls) -> float:
    """Seconds to build what the teacher's Class page shows (views/class_view.py): work, rows, both figures."""
    from core.lab import classwork
    from ui.figures.classroom import curves_figure, parallel_figure

    t0 = time.perf_counter()
    work = classwork.class_work(cls)
    rows = [(w.member.nickname, w.live and w.live.fraction, w.best and w.best.test_acc, len(w.runs)) for w in work]
    curves_figure([(w.member.nickname, w.best.curve) for w in work if w.best is not None]).to_json()
    runs = [{"lr": r.config.lr, "batch_size": r.config.batch_size, "optimizer": r.config.optimizer,
             "loss": r.config.loss, "parameters": r.parameters, "epochs": r.config.epochs, "test_acc": r.test_acc}
            for w in work for r in w.runs if r.test_acc is not None]
    if runs:
        parallel_figure(runs).to_json()
    assert len(rows) == len(work)
    return time.perf_counter() - t0


def classroom(n: int, config, watch: float = 0.0, view_every: float = 0.0,
              observer: DrawingObserver | None = None) -> dict:
    from core.lab import classes

    spaces = [workspaces.create() for _ in range(n)]
    cls = None
    if view_every:
        cls, _ = classes.create_class(f"load {n}")
        for i, ws in enumerate(spaces):
            classes.join(ws, cls.join_code, f"student {i + 1}")
    cpu0, t0 = time.process_time(), time.time()
    started = [job_queue.submit(ws, config, name="load") for ws in spaces]
    last_redraw = last_view = 0.0
    views, strokes = [], []
    while not all(job.refresh().done for job in started):
        if watch and time.time() - last_redraw >= watch:
            last_redraw = time.time()
            for job in started:
                if job.state == "running":
                    redraw(job)
        if cls is not None and time.time() - last_view >= view_every:
            last_view = time.time()
            views.append(class_view(cls))
        if observer is not None and any(job.state == "running" for job in started):
            stroke = observer.stroke()
            if any(job.refresh().state == "running" for job in started):  # the class still trained at its end
                strokes.append(stroke)
        time.sleep(0.05)
    wall = time.time() - t0
    records = [job._r for job in started]
    waits = [r["started"] - r["created"] for r in records]
    totals = [r["ended"] - r["created"] for r in records]
    return {
        "completed": sum(1 for job in started if job.state == "finished"),
        "max_wait": max(waits), "median_total": statistics.median(totals), "max_total": max(totals),
        "train_s": statistics.median(job.result.final["train_seconds"] for job in started if job.result),
        "this_cpu_share": (time.process_time() - cpu0) / wall,
        "class_view": (statistics.median(views), max(views)) if views else None, "strokes": strokes,
    }


def stroke_cell(strokes: list[tuple[float, float]]) -> str:
    if not strokes:
        return "–"
    shown = [s for s, _ in strokes]
    return (f"{statistics.median(shown):.2f} (max {max(shown):.2f}, n={len(strokes)}); "
            f"done {statistics.median(d for _, d in strokes):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", default="1,8,30", help="comma-separated class sizes (1 is always measured)")
    parser.add_argument("--workers", type=int, default=None, help="process workers (default: one per core)")
    parser.add_argument("--preset", default="mlp-adam")
    parser.add_argument("--subset", type=int, default=60000, help="training images per job (one epoch)")
    parser.add_argument("--watch", type=float, default=0.0, help="redraw running jobs' charts every S seconds")
    parser.add_argument("--class-view", type=float, default=0.0,
                        help="the students are a class: build the teacher's Class page every S seconds")
    parser.add_argument("--draw", type=int, default=0, help="a drawing observer: K idle strokes, then strokes "
                                                            "while each class trains (0: none)")
    args = parser.parse_args()
    workers = args.workers or settings.workers()
    config = get_preset(args.preset).config.replace(epochs=1, train_subset=args.subset, device="cpu")
    with tempfile.TemporaryDirectory() as home:
        os.environ["MNIST_LAB_HOME"] = home
        os.environ.pop("MNIST_LAB_SUBSET", None)
        pool = start_pool(workers)
        observer = None
        try:
            classroom(1, config)  # warm-up: the workers decode MNIST once
            if args.draw:
                observer = DrawingObserver(Path(home))
                idle = [observer.stroke() for _ in range(args.draw)]
            print(f"# Classroom load, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {os.cpu_count()} cores "
                  f"(load average {os.getloadavg()[0]:.1f}), {workers} process workers at niceness "
                  f"{settings.worker_nice()}, each job {args.preset} for 1 epoch on {args.subset:,} images; "
                  f"watch={args.watch or 'off'}")
            if observer is not None:
                print(f"Drawing observer, no job running: stroke -> prediction {stroke_cell(idle)} s")
            print("| students | completed | worst queue wait s | median click-to-done s | worst click-to-done s "
                  "| training s per job | slowdown vs alone (worst) | this process CPU share "
                  "| stroke -> prediction s, median (max, n); page done |")
            print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
            alone = None
            for n in sorted({1, *(int(s) for s in args.students.split(","))}):
                r = classroom(n, config, args.watch, args.class_view, observer)
                alone = alone or r["max_total"]
                print(f"| {n} | {r['completed']}/{n} | {r['max_wait']:.1f} | {r['median_total']:.1f} | "
                      f"{r['max_total']:.1f} | {r['train_s']:.1f} | {r['max_total'] / alone:.1f}x | "
                      f"{r['this_cpu_share']:.0%} | {stroke_cell(r['strokes'])} |", flush=True)
                if r["class_view"]:
                    print(f"|   | Class page build while they train: median {r['class_view'][0]:.3f} s, worst "
                          f"{r['class_view'][1]:.3f} s |", flush=True)
        finally:
            if observer is not None:
                observer.close()
            pool.terminate()
            pool.wait(30)


if __name__ == "__main__":
    main()
