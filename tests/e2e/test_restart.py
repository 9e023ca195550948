"""`make run` restarted mid-training, as a teacher would: the student's open Train page sees the curve grow again,
without a click, and is told the job went on by itself from its checkpoint (issue 20).

The Makefile's own `run` target is started here (with this interpreter, and its install step skipped), so the
test covers exactly what the README promises: its Streamlit process is killed (SIGKILL), which ends `make run`
and, through its trap, the worker pool (SIGTERM); `make run` is started again on the same port and data folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from core.lab import workspaces
from core.lab.jobs import queue as job_queue
from core.lab.jobs import store as jobs
from core.learn.presets import get_preset
from tests.e2e.conftest import (
    ROOT,
    _free_port,
    errors_on,
    new_page,
    open_page,
    plotly_trace_lengths,
    server_env,
    wait_until,
)
from ui.i18n import t

LOSS_CHART = ".st-key-train_loss_chart"


class MakeRun:
    """`make run` in its own session, on a fixed port; its log collects the app's and the pool's output."""

    def __init__(self, work: Path, port: int):
        self.work, self.port, self.url = work, port, f"http://127.0.0.1:{port}"
        self.log_path = work / "make-run.log"
        self.proc: subprocess.Popen | None = None
        self.sessions: list[int] = []  # every `make run` started, for the clean-up
        (work / "runs").mkdir(parents=True, exist_ok=True)

    def start(self, timeout: float = 120) -> None:
        import urllib.request

        env = {**server_env(self.work), "STREAMLIT_SERVER_PORT": str(self.port),
               "STREAMLIT_SERVER_ADDRESS": "127.0.0.1", "STREAMLIT_SERVER_HEADLESS": "true",
               "MNIST_LAB_WORKERS": "1", "MNIST_LAB_SUBSET": "30000,2000"}  # epochs long enough to watch
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(["make", "-s", "--no-print-directory", "run", f"PY={sys.executable}",
                                          "APP_STAMP="], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self.sessions.append(self.proc.pid)
        workers = self.work / "lab-data" / "workers"
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"make run exited: {self.log_path.read_text()[-3000:]}")
            try:
                healthy = urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).read() == b"ok"
            except OSError:
                healthy = False
            if healthy and workers.is_dir() and any(workers.glob("*.json")):
                return
            time.sleep(0.3)
        raise RuntimeError(f"make run did not come up in {timeout:.0f} s: {self.log_path.read_text()[-3000:]}")

    def descendants(self) -> list[tuple[int, str]]:
        """(pid, command line) of every process under `make run`."""
        found, todo = [], [self.proc.pid]
        while todo:
            parent = todo.pop()
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    stat = (entry / "stat").read_text()
                    cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                    found.append((int(entry.name), cmd))
                    todo.append(int(entry.name))
        return found

    def left_behind(self) -> list[str]:
        """Command lines of processes still in any `make run` session this test started."""
        found = []
        for entry in Path("/proc").iterdir():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if entry.name.isdigit() and int(fields[3]) in self.sessions and fields[0] != "Z":
                    found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except (OSError, IndexError, ValueError):
                continue
        return found

    def kill_streamlit(self) -> None:
        """SIGKILL of the Streamlit process alone; `make run` then ends, its trap stopping the pool."""
        pid = next(pid for pid, cmd in self.descendants() if cmd.split()[1:3] == ["-m", "ui.serve"])  # streamlit run
        os.kill(pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        """Whatever is left of every `make run` this test started: SIGTERM, then SIGKILL."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for session in self.sessions:
                try:
                    os.killpg(session, sig)
                except ProcessLookupError:
                    pass
            if self.proc is not None:
                try:
                    self.proc.wait(20)
                except subprocess.TimeoutExpired:
                    pass


def last_step(runs: Path) -> int:
    """The last step the workspace's run wrote to its metrics.jsonl (0 before any)."""
    steps = [json.loads(line).get("step") or 0 for path in runs.glob("*/metrics.jsonl")
             for line in path.read_text().splitlines() if '"kind": "step"' in line]
    return max(steps, default=0)


def loss_points(page) -> int:
    lengths = plotly_trace_lengths(page, LOSS_CHART)
    return lengths[0][0] if lengths and lengths[0] else 0


def test_make_run_restarted_mid_training_goes_on_without_a_click(browser, tmp_path, monkeypatch):
    app = MakeRun(tmp_path, _free_port())
    page = new_page(browser)
    try:
        app.start()
        # The student's job: cnn-adam (10 epochs, still training after the restart), queued as the Train page's
        # Start does; the student watches it on the Train page of its workspace.
        monkeypatch.setenv("MNIST_LAB_HOME", str(tmp_path / "lab-data"))
        job_queue.set_immediate(False)  # the SQLite queue make run's pool takes from
        ws = workspaces.create()
        job_queue.submit(ws, get_preset("cnn-adam").config, name="cnn-adam", n_train=30000)
        open_page(page, app.url, f"train?ws={ws.id}")
        runs = ws.runs_dir
        wait_until(lambda: any(runs.glob("*/checkpoint.safetensors")), 120, "the first epoch checkpoint")
        before = wait_until(lambda: loss_points(page), 30, "the loss chart")

        app.kill_streamlit()  # make run ends; its trap stops the pool, which marks the job interrupted
        wait_until(lambda: not app.left_behind(), 30, "the pool of the ended make run to stop")
        killed_at = last_step(runs)  # nobody writes the run now: where training stood when it stopped
        app.start()  # the teacher runs make run again; the student's page is left as it was

        resumed = t("train.resumed.auto", epoch="\0").split("\0")[0].split(" ", 1)[1]
        try:
            page.get_by_text(resumed).first.wait_for(timeout=120_000)
        except Exception:
            page.screenshot(path=str(tmp_path / "after-restart.png"))
            (tmp_path / "after-restart.txt").write_text(page.inner_text("body"))
            raise
        # trained on by the new pool (not only the steps written before the kill, which the page may show late)
        wait_until(lambda: last_step(runs) > killed_at, 120, f"the resumed job to train past step {killed_at}")
        wait_until(lambda: loss_points(page) > before, 120, f"the loss chart growing past {before} points again")
        assert errors_on(page) == []

        log = app.log_path.read_text()
        assert "Traceback" not in log, log[-4000:]

        page.get_by_role("button", name=t("train.pause")).click()  # the controls work after the restart too
        try:
            page.get_by_role("button", name=t("train.resume")).wait_for(timeout=60_000)
        except Exception as exc:  # say where it stuck: the click lost, the worker not pausing, or the page not redrawn
            job = jobs.list_jobs(ws)[0]
            flag = ws.jobs_dir / f"{job.id}.control"
            page.screenshot(path=str(tmp_path / "after-pause.png"))
            asked = flag.read_text() if flag.is_file() else None
            raise AssertionError(f"no Resume button 60 s after Pause: job {job.state}, control flag {asked!r}, "
                                 f"page: {page.inner_text('body')[:1500]}") from exc
        page.get_by_role("button", name=t("train.resume")).click()
        page.get_by_role("button", name=t("train.pause")).wait_for(timeout=60_000)
        page.get_by_role("button", name=t("train.stop")).click()
        wait_until(lambda: not page.get_by_role("button", name=t("train.pause")).is_enabled(), 60,
                   "the job to stop")
    finally:
        page.context.close()
        app.stop()
