"""Page switches in a real browser: sidebar click to settled page, and a fresh server's first page.

    python benchmarks/pages.py [--repeats 5] [--fresh 3] [--port 8611] [--compare DIR]

Setup: a temporary MNIST_LAB_HOME with one workspace holding two runs trained here with core on 12,000
training images (`cnn`, then `quick-mlp` = the Home page's quick model, preset mlp-adam for one epoch, so it
is the run every page picks first); full MNIST from MNIST_DATA_DIR; no worker pool (page switches never
need one: the pages that train show their notice instead). Each app folder (this checkout, and with
--compare DIR another checkout, e.g. a copy from before a change) gets its own `streamlit run app.py`.

1. Fresh server, --fresh times per app folder, alternating: start the server, wait for /_stcore/health,
   open `/?ws=<id>` in a new browser context (Chromium, 1366x768) and time, on the document's own clock
   (navigation start = 0), "shown": the sidebar's navigation and the page's h1 are on screen, then "ready"
   and "quiet" as below.
2. Page switches: --repeats rounds per app folder, the app folders alternating round by round. Each round
   clicks every page's sidebar link once, in an order rotated by one page per round (so each page is
   reached from different pages), then "leave Inside": Inside, then Runs, the Runs click timed.

"ready" (the number to quote): the first animation frame, checked inside the browser from just before the
click (so Playwright's round trips are not in it), at which the main area's h1 is the target page's own (read once
per page in a warm-up round), `stApp`'s data-test-script-state is `notRunning` (the page's script run has
ended; it is `running` from before the new page's first element arrives), no element of the main area is
stale (left over from the previous page) or a skeleton (an element whose code is still loading: Plotly's,
on a first page), and every Plotly chart has drawn its SVG. Images and custom-component iframes (the Draw
canvas) may still be loading then.
"quiet": when the main area last changed (DOM nodes or text, the sidebar left out: its jobs fragment reruns
every second) before staying unchanged for QUIET_MS. It adds what happens after the page is on screen:
Streamlit draws every Plotly chart a second time once mounted (the same picture, ~100 ms later), the Runs
table fills in its accessible cells, a live fragment reruns.

Evidence: 2 CPU cores (AMD EPYC, shared with other work; load average 0.4-0.8 during the run), 23 GB,
Debian's Chromium headless, Streamlit 1.67. One run, `--compare` a copy of the tree just before issue 9's
last changes (lazy Inside tabs, cached Home and Data figures, MNIST loading in the background); medians of
5, ready / quiet, in seconds:

    page                 before        after
    home                 0.43 / 0.45   0.31 / 0.43
    data                 0.42 / 0.45   0.39 / 0.40
    train                0.15 / 0.15   0.13 / 0.14
    runs                 0.11 / 0.42   0.10 / 0.41
    compare              0.21 / 0.55   0.23 / 0.56
    evaluate             0.33 / 0.66   0.35 / 0.69
    draw                 0.10 / 0.11   0.11 / 0.12
    inside               0.75 / 0.87   0.30 / 0.31
    leave inside         0.12 / 0.42   0.10 / 0.42
    first page (3 runs)  shown 3.77, ready 5.69   shown 2.33, ready 5.45

A fresh server's first page is now shown before MNIST is decoded; "ready" there is mostly the first run's
imports (torch alone takes 1.5 s) and Plotly's JavaScript loading, not the decode (1.3 s, now in parallel).
Timings on a shared machine drift by 10-20 % between runs: compare the two columns of one run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = ["home", "data", "train", "runs", "compare", "evaluate", "draw", "inside"]
VIEWPORT = {"width": 1366, "height": 768}
CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 120_000
QUIET_MS = 500  # a page is settled once its main area has not changed for this long

# Runs in the browser. With `path`, clicks that sidebar link; without, times the document being loaded.
# Resolves with {shown, ready, quiet} in ms since the click (or since navigation start): `shown` when the
# sidebar's navigation and an h1 are on screen, `ready` when the page is settled (module docstring), `quiet`
# when its main area last changed before staying unchanged for QUIET ms; -1 when not within `timeout` ms.
SETTLE_JS = """async ({path, expected, previous, timeout}) => {
  const settled = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    const h1 = main && main.querySelector('h1');
    if (!h1) return false;
    const title = h1.innerText.trim();
    if (expected !== null ? title !== expected : title === previous) return false;
    if (main.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')) return false;
    return Array.from(main.querySelectorAll('[data-testid="stPlotlyChart"]')).every(c => c.querySelector('.main-svg'));
  };
  const frame = () => new Promise(r => requestAnimationFrame(r));
  while (!document.body) await frame();
  let changed = 0;  // the last change outside the sidebar (its jobs fragment reruns every second)
  const observer = new MutationObserver(records => {
    const sidebar = document.querySelector('[data-testid="stSidebar"]');
    if (records.some(r => !(sidebar && sidebar.contains(r.target)))) changed = performance.now();
  });
  observer.observe(document.body, {childList: true, characterData: true, subtree: true});
  let t0 = 0;
  if (path !== null) {
    const link = Array.from(document.querySelectorAll('[data-testid="stSidebarNav"] a'))
      .find(a => new URL(a.href).pathname === path);
    t0 = performance.now();
    link.click();
  }
  let shown = -1, ready = null;
  try {
    while (performance.now() - t0 < timeout) {
      await frame();
      const now = performance.now();
      if (shown < 0 && document.querySelector('[data-testid="stSidebarNav"]')
          && document.querySelector('[data-testid="stMainBlockContainer"] h1')) shown = now - t0;
      if (ready === null && settled()) ready = now;  // kept: a fragment's rerun later flips the script state
      const last = Math.max(ready ?? now, changed);
      if (ready !== null && now - last >= QUIET) return {shown, ready: ready - t0, quiet: last - t0};
    }
    return {shown, ready: -1, quiet: -1};
  } finally {
    observer.disconnect();
  }
}""".replace("QUIET", str(QUIET_MS))


def prepare(home: Path) -> str:
    """A workspace with the two runs; returns its id."""
    os.environ["MNIST_LAB_HOME"] = str(home)
    from core.lab import workspaces
    from core.lab.runfiles.folders import save_run
    from core.learn.data import load_mnist
    from core.learn.presets import get_preset
    from core.learn.run import collect
    from core.learn.training import train

    ws = workspaces.create()
    data = load_mnist()
    configs = {"cnn": get_preset("cnn-adam").config.replace(epochs=1),
               "quick-mlp": get_preset("mlp-adam").config.replace(epochs=1)}
    for name, config in configs.items():  # the mlp last: the newest run is the one pages pick
        config = config.replace(train_subset=12000, device="cpu")
        save_run(collect(train(config, data), name, config), ws.runs_dir / name)
        time.sleep(0.05)  # distinct config.json times: listing order is by them
    return ws.id


class Server:
    """`streamlit run app.py` (or `python -m ui.serve`) in `app_dir`, its output appended to `log`; started and
    waited on for health."""

    def __init__(self, app_dir: Path, port: int, env: dict, log: Path):
        self.app_dir, self.port, self.url = app_dir, port, f"http://127.0.0.1:{port}"
        self.log = open(log, "a")
        # As `make run` starts it: through ui/serve.py (imports warmed at start) where the app folder has it.
        launch = ["-m", "ui.serve"] if (app_dir / "ui" / "serve.py").exists() else ["-m", "streamlit", "run", "app.py"]
        self.proc = subprocess.Popen(
            [sys.executable, *launch, "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1"],
            cwd=app_dir, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline, started = time.time() + 90, time.perf_counter()
        while True:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).read() == b"ok":
                    self.health_s = time.perf_counter() - started  # launch -> the server answers
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise SystemExit(f"streamlit in {app_dir} did not start: see {self.log.name}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()  # only the server this script started
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


def first_page(browser, server: Server, wid: str) -> tuple[float, float, float, float]:
    """shown, ready, quiet (from the navigation's start) and ready counted from the server's launch."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{server.url}/?ws={wid}", wait_until="commit")
    times = page.evaluate(SETTLE_JS, {"path": None, "expected": None, "previous": None, "timeout": TIMEOUT_MS})
    context.close()
    if times["quiet"] < 0:
        raise SystemExit(f"the first page did not settle within {TIMEOUT_MS / 1000:.0f} s")
    return times["shown"] / 1000, times["ready"] / 1000, times["quiet"] / 1000, server.health_s + times["ready"] / 1000


class Session:
    """One browser tab on one server, with each page's h1 learned in a warm-up round."""

    def __init__(self, browser, server: Server, wid: str):
        self.page = browser.new_context(viewport=VIEWPORT).new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.goto(f"{server.url}/?ws={wid}", wait_until="commit")
        self.page.evaluate(SETTLE_JS, {"path": None, "expected": None, "previous": None, "timeout": TIMEOUT_MS})
        self.titles, self.current = {"home": self.title()}, "home"
        for name in [*PAGES[1:], "home"]:
            self.switch(name)
            self.titles[name] = self.title()

    def title(self) -> str:
        return self.page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text().strip()

    def switch(self, name: str) -> tuple[float, float]:
        path = "/" if name == "home" else f"/{name}"
        times = self.page.evaluate(SETTLE_JS, {"path": path, "expected": self.titles.get(name),
                                               "previous": self.title(), "timeout": TIMEOUT_MS})
        if times["quiet"] < 0:
            raise SystemExit(f"{name} did not settle within {TIMEOUT_MS / 1000:.0f} s")
        self.current = name
        return times["ready"] / 1000, times["quiet"] / 1000

    def round(self, r: int, times: dict) -> None:
        order = PAGES[r % len(PAGES):] + PAGES[:r % len(PAGES)]
        if order[0] == self.current:
            order = order[1:] + order[:1]
        for name in order:
            times[name].append(self.switch(name))
        if self.current != "inside":
            self.switch("inside")
        times["leave inside (-> runs)"].append(self.switch("runs"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="page-switch rounds per app folder (default 5)")
    parser.add_argument("--fresh", type=int, default=3, help="fresh-server first pages per app folder (default 3)")
    parser.add_argument("--port", type=int, default=8611, help="first port; a --compare server takes the next")
    parser.add_argument("--compare", type=Path, help="another checkout of the app to measure alternately")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    apps = {"this": ROOT, **({"compare": args.compare.resolve()} if args.compare else {})}
    work = Path(tempfile.mkdtemp(prefix="pages-bench-"))
    (work / "shared-runs").mkdir()
    print(f"training the two runs into {work} ...", flush=True)
    wid = prepare(work / "home")
    env = {**os.environ, "MNIST_LAB_HOME": str(work / "home"), "MNIST_LAB_RUNS_DIR": str(work / "shared-runs"),
           "MNIST_DATA_DIR": os.environ.get("MNIST_DATA_DIR", str(ROOT.parent / "shared" / "data" / "mnist"))}
    env.pop("MNIST_LAB_SUBSET", None)
    ports = {label: args.port + i for i, label in enumerate(apps)}

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        fresh = {label: [] for label in apps}
        for _ in range(args.fresh):
            for label, app_dir in apps.items():
                server = Server(app_dir, ports[label], env, work / f"{label}.log")
                try:
                    fresh[label].append(first_page(browser, server, wid))
                finally:
                    server.stop()
        servers = {label: Server(app_dir, ports[label], env, work / f"{label}.log") for label, app_dir in apps.items()
                   if args.repeats}
        try:
            sessions = {label: Session(browser, servers[label], wid) for label in servers}
            times = {label: {name: [] for name in [*PAGES, "leave inside (-> runs)"]} for label in apps}
            for r in range(args.repeats):
                for label, session in sessions.items():
                    session.round(r, times[label])
        finally:
            for server in servers.values():
                server.stop()
        browser.close()
    shutil.rmtree(work)  # kept when something failed: the servers' logs are in it

    print(f"\n{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.2f} at the end")
    print("Median seconds, ready / quiet (max of ready); first page: shown / ready / quiet.")
    print("| page | " + " | ".join(f"{label}: {apps[label]}" for label in apps) + " |")
    print("|---|" + "---|" * len(apps))
    for name in times["this"] if args.repeats else []:
        cells = [f"{median(times[label][name], 0):.2f} / {median(times[label][name], 1):.2f} "
                 f"(max {max(ready for ready, _ in times[label][name]):.2f})" for label in apps]
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.fresh:
        cells = [" / ".join(f"{median(fresh[label], i):.2f}" for i in range(3)) for label in apps]
        print("| fresh server's first page | " + " | ".join(cells) + " |")
        cells = [f"{median(fresh[label], 3):.2f} (min {min(f[3] for f in fresh[label]):.2f}, max "
                 f"{max(f[3] for f in fresh[label]):.2f})" for label in apps]
        print("| fresh server, launch -> first page ready | " + " | ".join(cells) + " |")


def median(samples: list[tuple], i: int) -> float:
    return statistics.median(sample[i] for sample in samples)


if __name__ == "__main__":
    main()
