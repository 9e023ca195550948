"""Classroom load: N students start a training job at once on one server (through core.jobs).

    python benchmarks/load.py [--students 1,2,4,8] [--max-jobs 1] [--preset mlp-adam] [--subset 20000] [--watch 1]

For each N: every job is the same small run (the preset, one epoch on --subset training images);
all N are submitted at the same moment to one JobManager with the server's job limit. Reports how
many completed, how long the last student waited in the queue, the median and worst time from click
to finished, and the slowdown against one student alone (measured first, in the same run).
With --watch S every running job's charts are also rebuilt every S seconds in the server process, as each
student's open Train page does (history -> Plotly figures -> JSON; Streamlit's own work comes on top).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.data import DataError, load_mnist  # noqa: E402
from core.jobs import JobManager, default_max_jobs  # noqa: E402
from core.presets import get_preset  # noqa: E402
from ui.figures.train import accuracy_figure, loss_figure  # noqa: E402


def redraw(job, seen: dict[str, list]) -> None:
    """What a student's open Train page does each time it refreshes a running job's charts."""
    events = seen.setdefault(job.id, [])
    events.extend(job.history(since=len(events)))  # the page keeps the events it already has, too
    loss_figure(events).to_json()
    accuracy_figure(events, epochs=job.config.epochs).to_json()


def classroom(n: int, max_jobs: int, config, data, watch: float = 0.0) -> dict:
    manager = JobManager(max_jobs=max_jobs, reap_interval=0)
    t0 = time.perf_counter()
    jobs = [manager.submit(config, data, owner=f"student-{i}", name=f"s{i}") for i in range(n)]
    started: dict[str, float] = {}
    ended: dict[str, float] = {}
    seen: dict[str, list] = {}
    next_redraw = watch
    max_queue = sum(1 for j in jobs if j.state == "queued")
    while len(ended) < n:
        now = time.perf_counter() - t0
        if watch and now >= next_redraw:
            for j in jobs:
                if j.state == "running":
                    redraw(j, seen)
            next_redraw = now + watch
        for j in jobs:
            if j.id not in started and j.state not in ("queued",):
                started[j.id] = now
            if j.done and j.id not in ended:
                ended[j.id] = now
        time.sleep(0.05)
    manager.shutdown()
    totals = [ended[j.id] for j in jobs]
    waits = [started[j.id] for j in jobs]
    return {
        "completed": sum(1 for j in jobs if j.state == "finished"),
        "max_queue": max_queue,
        "worst_wait": max(waits),
        "median_total": statistics.median(totals),
        "worst_total": max(totals),
        "train_s": statistics.median(j.result.final["train_seconds"] for j in jobs if j.result),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", default="1,2,4,8", help="comma-separated class sizes to try")
    parser.add_argument("--max-jobs", type=int, default=None,
                        help="server job limit (default: MNIST_LAB_MAX_JOBS or one per core)")
    parser.add_argument("--preset", default="mlp-adam", help="what every student trains (one epoch)")
    parser.add_argument("--subset", type=int, default=20000, help="training images per job")
    parser.add_argument("--watch", type=float, default=0.0,
                        help="rebuild each running job's charts every WATCH seconds, as open Train pages do (0: off)")
    args = parser.parse_args()
    max_jobs = args.max_jobs or default_max_jobs()
    data = load_mnist()
    config = get_preset(args.preset).config.replace(epochs=1, train_subset=args.subset, device="cpu")
    watching = f", charts redrawn every {args.watch:g} s" if args.watch else ""
    print(f"# Classroom load: {os.cpu_count()} cores, job limit {max_jobs}, each job {args.preset} "
          f"1 epoch on {args.subset} images{watching}\n")
    print("| students | completed | queued at once | worst queue wait s | median click-to-done s | "
          "worst click-to-done s | training s per job | slowdown vs alone (worst) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    alone = None
    for n in (int(v) for v in args.students.split(",")):
        r = classroom(n, max_jobs, config, data, args.watch)
        alone = alone or r["worst_total"]
        print(f"| {n} | {r['completed']}/{n} | {r['max_queue']} | {r['worst_wait']:.1f} | {r['median_total']:.1f} | "
              f"{r['worst_total']:.1f} | {r['train_s']:.1f} | {r['worst_total'] / alone:.1f}x |", flush=True)


if __name__ == "__main__":
    try:
        main()
    except DataError as exc:
        sys.exit(f"error: {exc}")
