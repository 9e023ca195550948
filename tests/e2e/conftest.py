"""Browser tests: a real Streamlit server started by a fixture, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):  # under CI the browser tests must run, never skip
            pytest.fail(f"{CHROMIUM} is missing: .ci/run should have installed Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


SERVER_PIDS: dict[str, int] = {}  # url -> the server's process id (tests read its CPU time)
PREPARED_RUN = "before-class-mlp"  # trained with core before the server starts, as a teacher would


def save_prepared_run(runs_dir: Path) -> None:
    """A small MLP saved under MNIST_LAB_RUNS_DIR: every session of the server lists it."""
    from core.config import TrainConfig
    from core.data import load_mnist
    from core.runs import save_run
    from tests.conftest import train_run

    config = TrainConfig(arch="mlp:64", epochs=2, batch_size=64, lr=2e-3, train_subset=12000, device="cpu")
    save_run(train_run(config, load_mnist(), name=PREPARED_RUN), runs_dir / PREPARED_RUN)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server_dir(tmp_path_factory) -> Path:
    """The server's working folder, with the prepared run already in its runs/."""
    work = tmp_path_factory.mktemp("server")
    save_prepared_run(work / "runs")
    return work


@pytest.fixture(scope="session")
def server(server_dir):
    """`streamlit run app.py` on a free port with a small slice of MNIST; waits on /_stcore/health."""
    port = _free_port()
    work = server_dir
    env = {
        **os.environ,
        "MNIST_LAB_SUBSET": os.environ.get("MNIST_LAB_E2E_SUBSET", "12000,2000"),
        "MNIST_LAB_RUNS_DIR": str(work / "runs"),
        "MNIST_LAB_CLASS_DIR": str(work / "class_test_set"),
        "PYTHONPATH": str(ROOT),
    }
    log = open(work / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    SERVER_PIDS[url] = proc.pid
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited: {(work / 'server.log').read_text()}")
    else:
        proc.kill()
        raise RuntimeError("streamlit did not become healthy in 90 s")
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def wait_for_app(page) -> None:
    """Wait until Streamlit has finished running the script (no 'running' status widget)."""
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]') || "
        "!document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=60_000,
    )
    page.wait_for_timeout(500)


def open_page(page, server: str, path: str = "") -> None:
    page.goto(f"{server}/{path}")
    wait_for_app(page)
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=60_000)


ERROR_ELEMENTS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def errors_on(page) -> list[str]:
    """Texts of every exception box and st.error on the page."""
    return [e.inner_text() for e in page.query_selector_all(ERROR_ELEMENTS)]


def plotly_trace_lengths(page) -> list[list[int]]:
    """Points in every trace of every Plotly chart on the page, read from Plotly's own decoded data."""
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".map(p => (p._fullData || []).map(t => ((t.x || t.y || t.z || []).length) || 0))"
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_rate(pid: int, seconds: float = 2.0) -> float:
    """CPU seconds per second the process uses over the next `seconds`."""
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds
