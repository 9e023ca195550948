"""Shared fixtures: real MNIST from MNIST_DATA_DIR, small subsets, a small trained run."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The test process's own signal handlers, read before any worker thread starts (a shell that runs pytest in the
# background starts it with SIGINT ignored, so "the default" is not always Python's).
HOST_SIGNALS = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MNIST_DATA_DIR", str(ROOT.parent / "shared" / "data" / "mnist"))
# Page tests run the real app on a small slice of MNIST so that each takes seconds.
os.environ.setdefault("MNIST_LAB_SUBSET", "3000,1000")


E2E = "tests/e2e"


def pytest_xdist_make_scheduler(config, log):
    """`python -m pytest -n 2` runs two pytest workers (pytest-xdist). The browser tests share one server and pool per
    pytest worker and are the longest part, so the first worker starts with all of them and takes nothing else
    until they are done; the other test files go to the other worker a file at a time (module fixtures such as
    test_worker's pool start once). xdist's own loadgroup cannot do this with pytest 9: it renames node ids
    through an attribute pytest 9 no longer reads."""
    from xdist.scheduler import LoadScopeScheduling

    class BrowserTestsOnOneWorker(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return E2E if nodeid.startswith(E2E + "/") else nodeid.split("::", 1)[0]

        def _assign_work_unit(self, node) -> None:
            if E2E in self.workqueue:
                if node is self.nodes[0]:
                    self.workqueue.move_to_end(E2E, last=False)
                elif len(self.workqueue) == 1:
                    return  # only the browser tests are left: they wait for the first worker
                else:
                    self.workqueue.move_to_end(E2E)
            super()._assign_work_unit(node)

        def _reschedule(self, node) -> None:
            browser = self.assigned_work.get(node, {}).get(E2E)
            if browser is not None and not all(browser.values()) and self.workqueue:
                return  # the browser worker takes no more files while its tests run
            super()._reschedule(node)

    return BrowserTestsOnOneWorker(config, log)



@pytest.fixture(scope="session")
def mnist():
    from core.learn.data import load_mnist

    return load_mnist()


@pytest.fixture(scope="session")
def small_mnist(mnist):
    """The same slice the page tests use."""
    n_train, n_test = (int(v) for v in os.environ["MNIST_LAB_SUBSET"].split(","))
    return mnist.subset(n_train, n_test)


def train_run(config, data, name="tiny"):
    from core.learn.run import collect
    from core.learn.training import train

    return collect(train(config, data), name, config)


@pytest.fixture(scope="session")
def tiny_run(small_mnist):
    """An mlp:32 trained for one epoch on the page-test slice (about 85-90% on its test images)."""
    from core.learn.config import TrainConfig

    config = TrainConfig(arch="mlp:32", epochs=1, batch_size=32, lr=3e-3, device="cpu", eval_subset=300)
    return train_run(config, small_mnist, name="tiny-mlp")


@pytest.fixture(scope="session")
def tiny_cnn_run(small_mnist):
    from core.learn.config import TrainConfig

    config = TrainConfig(arch="cnn", epochs=1, batch_size=64, lr=3e-3, device="cpu", eval_subset=300)
    return train_run(config, small_mnist, name="tiny-cnn")


@pytest.fixture(scope="session")
def tiny_linear_run(small_mnist):
    """A linear model (7,850 parameters) trained for one epoch on the page-test slice."""
    from core.learn.config import TrainConfig

    config = TrainConfig(arch="linear", epochs=1, batch_size=64, lr=3e-3, device="cpu", eval_subset=300)
    return train_run(config, small_mnist, name="tiny-linear")


def renamed(run, name: str):
    """The same trained run under another name (a shallow copy: the model is shared, so do not train it)."""
    import dataclasses

    return dataclasses.replace(run, name=name)


@pytest.fixture(autouse=True)
def lab_home(tmp_path, monkeypatch):
    """Each test gets its own data folder (workspaces, queue) and runs jobs in Huey's immediate mode: a job
    submitted from a page trains right there, so page tests see its run. Worker tests start real pools."""
    from core.lab.jobs import queue as job_queue

    home = tmp_path / "lab-home"
    monkeypatch.setenv("MNIST_LAB_HOME", str(home))
    job_queue.set_immediate(True)
    yield home
    job_queue.set_immediate(False)


@pytest.fixture
def real_queue(lab_home, monkeypatch):
    """The real SqliteHuey queue in the test's data folder with nobody consuming it, so that jobs stay queued
    unless the test asks for immediate mode or plays the worker itself (test_jobs, test_job_restarts)."""
    from core.lab.jobs import queue as job_queue
    from core.lab.jobs import store

    monkeypatch.setenv("MNIST_LAB_SUBSET", "3000,1000")
    monkeypatch.delenv("MNIST_LAB_QUEUE", raising=False)
    monkeypatch.delenv("MNIST_LAB_QUEUE_PER_WORKSPACE", raising=False)
    job_queue.set_immediate(False)
    yield lab_home
    job_queue.set_immediate(False)
    store.set_pool(None)


@pytest.fixture
def thread_workers(lab_home):
    """A real SqliteHuey queue in the test's data folder with a consumer of one worker thread in this process:
    jobs run in the background while the test clicks Pause or Stop, and monkeypatches reach the training."""
    from core.lab import workspaces
    from core.lab.jobs import pool
    from core.lab.jobs import queue as job_queue
    from core.lab.jobs import store as jobs

    job_queue.set_immediate(False)
    stop = pool.serve_in_threads(1)
    yield
    for ws in workspaces.all_workspaces():  # nothing may keep the consumer busy at teardown
        for job in jobs.list_jobs(ws):
            if not job.done:
                job.stop()
                job.wait(60)
    stop()


def new_workspace(runs: dict | None = None):
    """A workspace in the test's data folder holding `runs` (saved as the Train page would have left them)."""
    from core.lab import workspaces
    from core.lab.runfiles.folders import save_run

    ws = workspaces.create()
    for name, run in (runs or {}).items():
        save_run(run, ws.runs_dir / name)
    return ws


def workspace_runs(at) -> list[str]:
    """The names of the runs in the AppTest session's workspace, oldest first (as the pages list them)."""
    from core.lab import workspaces

    ws = workspaces.at(at.session_state["ws_id"])
    folders = [d for d in ws.runs_dir.iterdir() if (d / "model.safetensors").exists()]
    return [d.name for d in sorted(folders, key=lambda d: (d / "config.json").stat().st_mtime)]


def open_view(view: str, runs: dict | None = None, lang: str = "en", ws=None, timeout: int = 60,
              query: dict | None = None, **state):
    """AppTest of the whole app (app.py) switched to views/<view>.py, in a workspace holding `runs` (or in `ws`,
    an existing workspace or its id), the address holding `query` too. app.py opens the workspace from the URL,
    as it does for a browser: pages never open one themselves."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.query_params["ws"] = ws if isinstance(ws, str) else (ws or new_workspace(runs)).id
    at.query_params["lang"] = lang
    at.query_params.update(query or {})
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(f"views/{view}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def plotly_specs(at) -> dict[str, dict]:
    """Plotly figures on an AppTest page by widget key (the element id ends with the key)."""
    import json

    return {e.proto.id.rsplit("-", 1)[-1]: json.loads(e.proto.spec) for e in at.get("plotly_chart")}


def svg_figures(at) -> dict:
    """The SVG figures on an AppTest page (drawn with st.markdown) by their data-figure name, parsed."""
    import xml.etree.ElementTree as ET

    found = {}
    for md in at.markdown:
        if md.value.startswith("<div><svg"):
            root = ET.fromstring(md.value).find("{http://www.w3.org/2000/svg}svg")
            found[root.get("data-figure")] = root
    return found


def svg_values(root, cls: str, **match: str) -> list[str]:
    """data-value of the figure's elements of class `cls` (any tag) whose data-* attributes match."""
    return [e.get("data-value") for e in root.iter() if e.get("class") == cls
            and all(e.get(f"data-{k}") == v for k, v in match.items())]


def slow_knn_search(monkeypatch, budget_bytes: int) -> tuple[threading.Event, list]:
    """Make every kNN neighbour search crawl (small chunks, 50 ms each), so Stop can land in the middle of one.

    Returns an event set once a search has begun and the list of chunks searched so far.
    `budget_bytes` sets the chunk size (see core.learn.families.knn).
    """
    import core.learn.families.knn as knn_module

    searching, chunks, real = threading.Event(), [], knn_module.squared_distances

    def slow(*args, **kwargs):
        searching.set()
        chunks.append(time.monotonic())
        time.sleep(0.05)
        return real(*args, **kwargs)

    monkeypatch.setattr(knn_module, "squared_distances", slow)
    monkeypatch.setattr(knn_module, "DIST_BUDGET_BYTES", budget_bytes)
    return searching, chunks
