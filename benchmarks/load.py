"""Classroom load: N students start a training job at once, trained by a real worker pool (core.lab.jobs.runner).

    python benchmarks/load.py [--students 1,8,30] [--workers 2] [--preset mlp-adam] [--subset 60000] [--watch 1]

For each N: N fresh workspaces each submit the same job (the preset, one epoch on --subset training
images) at the same moment through core.lab.jobs.store, exactly as N Train pages would; a worker pool started with
`python -m core worker --workers W` (a separate process, as `make run` starts it) trains them. Reports how
many completed, the longest wait in the queue, the median and worst time from click to finished, the
training time per job and the slowdown against one student alone (measured first, in the same run).
With --watch S this process also does what every open Train page does every S seconds for each running job
(read the new events of metrics.jsonl, rebuild both Plotly figures): its CPU share is the web server's
own cost of a class watching, since the server no longer trains.
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


def classroom(n: int, config, watch: float = 0.0) -> dict:
    spaces = [workspaces.create() for _ in range(n)]
    cpu0, t0 = time.process_time(), time.time()
    started = [job_queue.submit(ws, config, name="load") for ws in spaces]
    last_redraw = 0.0
    while not all(job.refresh().done for job in started):
        if watch and time.time() - last_redraw >= watch:
            last_redraw = time.time()
            for job in started:
                if job.state == "running":
                    redraw(job)
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
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", default="1,8,30", help="comma-separated class sizes (1 is always measured)")
    parser.add_argument("--workers", type=int, default=None, help="process workers (default: one per core)")
    parser.add_argument("--preset", default="mlp-adam")
    parser.add_argument("--subset", type=int, default=60000, help="training images per job (one epoch)")
    parser.add_argument("--watch", type=float, default=0.0, help="redraw running jobs' charts every S seconds")
    args = parser.parse_args()
    workers = args.workers or settings.workers()
    config = get_preset(args.preset).config.replace(epochs=1, train_subset=args.subset, device="cpu")
    with tempfile.TemporaryDirectory() as home:
        os.environ["MNIST_LAB_HOME"] = home
        pool = start_pool(workers)
        try:
            classroom(1, config)  # warm-up: the workers decode MNIST once
            print(f"# Classroom load: {os.cpu_count()} cores, {workers} process workers, each job {args.preset} "
                  f"for 1 epoch on {args.subset:,} images; watch={args.watch or 'off'}")
            print("| students | completed | worst queue wait s | median click-to-done s | worst click-to-done s "
                  "| training s per job | slowdown vs alone (worst) | this process CPU share |")
            print("|---:|---:|---:|---:|---:|---:|---:|---:|")
            alone = None
            for n in sorted({1, *(int(s) for s in args.students.split(","))}):
                r = classroom(n, config, args.watch)
                alone = alone or r["max_total"]
                print(f"| {n} | {r['completed']}/{n} | {r['max_wait']:.1f} | {r['median_total']:.1f} | "
                      f"{r['max_total']:.1f} | {r['train_s']:.1f} | {r['max_total'] / alone:.1f}x | "
                      f"{r['this_cpu_share']:.0%} |", flush=True)
        finally:
            pool.terminate()
            pool.wait(30)


if __name__ == "__main__":
    main()
