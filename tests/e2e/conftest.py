"""Browser tests: a real Streamlit server and a real worker pool started by a fixture, driven by Playwright
in Debian's Chromium.

The server and the pool share one data folder (MNIST_LAB_HOME=<work>/lab-data), as `make run` sets them up:
the app only queues jobs and reads the workspaces' folders; the pool's worker processes train. Browser, server
and pool start once for this package and stop after its last test: the unit tests that follow run on a quiet
machine, with no Playwright thread or pipe left in the pytest process that they fork.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORT = {"width": 1400, "height": 1000}
WORKSPACE_ID = re.compile(r"[a-z2-7]{24}")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="package")
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


PREPARED_RUN = "before-class-mlp"  # trained with core before the server starts, as a teacher would


def save_prepared_run(runs_dir: Path) -> None:
    """A small MLP saved under MNIST_LAB_RUNS_DIR: every workspace lists it (read-only)."""
    from core.lab.runfiles.folders import save_run
    from core.learn.config import TrainConfig
    from core.learn.data import load_mnist
    from tests.conftest import train_run

    config = TrainConfig(arch="mlp:64", epochs=2, batch_size=64, lr=2e-3, train_subset=12000, device="cpu")
    save_run(train_run(config, load_mnist(), name=PREPARED_RUN), runs_dir / PREPARED_RUN)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _end(proc: subprocess.Popen, grace: float = 10) -> None:
    """SIGTERM to the process group the fixture started, then SIGKILL if it has not gone within `grace` s."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    try:  # the group's stragglers (a pool's worker processes), or the process itself if it ignored SIGTERM
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


@pytest.fixture(scope="package")
def server_dir(tmp_path_factory) -> Path:
    """The server's working folder, with the prepared run already in its runs/."""
    work = tmp_path_factory.mktemp("server")
    save_prepared_run(work / "runs")
    return work


def server_env(work: Path) -> dict[str, str]:
    """What `make run` would see, on a small slice of MNIST; the app and the pool get the same."""
    return {
        **os.environ,
        "MNIST_LAB_HOME": str(work / "lab-data"),
        "MNIST_LAB_SUBSET": os.environ.get("MNIST_LAB_E2E_SUBSET", "12000,2000"),
        "MNIST_LAB_RUNS_DIR": str(work / "runs"),
        "MNIST_LAB_CLASS_DIR": str(work / "class_test_set"),
        "PYTHONPATH": str(ROOT),
        # Under two pytest workers the other one runs unit tests at nice 0 beside this server: its pool at the
        # default nice 10 got a tenth of a core then and jobs timed out. Alone (one process), as `make run` does.
        **({"MNIST_LAB_WORKER_NICE": "0"} if os.environ.get("PYTEST_XDIST_WORKER") else {}),
    }


class Server:
    """`streamlit run app.py` on a fixed port; kill() (SIGKILL) and start() again on the same port.

    str(server) is its URL, so `f"{server}/train"` works as it did when the fixture yielded the URL.
    """

    def __init__(self, work: Path, port: int):
        self.work, self.port = work, port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None
        self.log = open(work / "server.log", "a")

    def __str__(self) -> str:
        return self.url

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self, timeout: float = 90) -> None:
        """Start it and wait until /_stcore/health answers ok."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env=server_env(self.work), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {(self.work / 'server.log').read_text()[-3000:]}")
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.3)
        self.kill()
        raise RuntimeError(f"streamlit did not become healthy in {timeout:.0f} s")

    def kill(self) -> None:
        """SIGKILL, as an out-of-memory killer or a pulled plug would: no clean-up of any kind."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None:
            _end(self.proc)
        self.log.close()


def no_traceback_in(log: Path) -> None:
    """After every browser test of the session: the server's (or the pool's) log holds no traceback. Every one is
    a bug, or an expected refusal that should have been logged as one line (issue 20)."""
    text = log.read_text(errors="replace")
    if "Traceback" in text:
        at = text.index("Traceback")
        pytest.fail(f"{log.name} holds a traceback after the browser tests:\n{text[max(0, at - 500):at + 3000]}")


@pytest.fixture(scope="package")
def workers(server_dir):
    """`python -m core worker --workers 2` (two process workers), as `make run` starts it beside the app."""
    log = open(server_dir / "worker.log", "a")
    proc = subprocess.Popen([sys.executable, "-m", "core", "worker", "--workers", "2"], cwd=ROOT,
                            env=server_env(server_dir), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    beats = server_dir / "lab-data" / "workers"
    deadline = time.time() + 60
    while not (beats.is_dir() and any(beats.glob("*.json"))):  # the pool announces itself: pages see a worker
        if proc.poll() is not None:
            raise RuntimeError(f"the worker pool exited: {(server_dir / 'worker.log').read_text()[-3000:]}")
        if time.time() > deadline:
            _end(proc)
            raise RuntimeError("the worker pool did not announce itself in 60 s")
        time.sleep(0.2)
    yield proc
    _end(proc)
    log.close()
    no_traceback_in(server_dir / "worker.log")


@pytest.fixture(scope="package")
def server(server_dir, workers):
    """The app on a free port with its worker pool running; yields a Server (.url, .pid, .kill(), .start())."""
    srv = Server(server_dir, _free_port())
    srv.start()
    yield srv
    srv.stop()
    no_traceback_in(server_dir / "server.log")


@pytest.fixture(autouse=True)
def _still_serving(request):
    """After each browser test: the worker pool and the web server must still be running (a test that waits
    for a job would otherwise fail with a bare timeout when the real cause is a pool that went away)."""
    yield
    if "server" not in request.fixturenames:
        return
    srv, pool = request.getfixturevalue("server"), request.getfixturevalue("workers")
    if pool.poll() is not None:
        log = (srv.work / "worker.log").read_text()[-2000:]
        pytest.fail(f"the worker pool exited (status {pool.returncode}) during the test:\n{log}")
    if srv.proc.poll() is not None:
        pytest.fail(f"the web server exited during the test: {(srv.work / 'server.log').read_text()[-2000:]}")


def new_page(browser, **context_options):
    """A page in a fresh browser context (its own cookies and storage: another student's browser)."""
    context = browser.new_context(viewport=VIEWPORT, **context_options)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    return pg


@pytest.fixture
def page(browser, server):
    pg = new_page(browser)
    yield pg
    pg.context.close()


def wait_for_app(page) -> None:
    """Wait until Streamlit has finished running the script (no 'running' status widget)."""
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]') || "
        "!document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=60_000,
    )
    page.wait_for_timeout(500)


def open_page(page, server, path: str = "") -> None:
    """Go to a page of the app (`path` may carry a query, e.g. "runs?ws=..."), wait for its title."""
    page.goto(f"{getattr(server, 'url', server)}/{path}")
    wait_for_app(page)
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=60_000)


def go(page, name: str, lang: str = "en") -> None:
    """Change page with the sidebar's navigation, as a student does."""
    from ui.i18n import t

    page.locator('[data-testid="stSidebarNav"]').get_by_text(t(f"nav.{name}", lang), exact=True).click()
    wait_for_app(page)


def heading(page) -> str:
    return page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text().strip()


ERROR_ELEMENTS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def errors_on(page) -> list[str]:
    """Texts of every exception box and st.error on the page."""
    return [e.inner_text() for e in page.query_selector_all(ERROR_ELEMENTS)]


def plotly_trace_lengths(page, within: str = "") -> list[list[int]]:
    """Points in every trace of every Plotly chart on the page (or inside the CSS selector `within`, e.g.
    ".st-key-train_loss_chart"), read from Plotly's own decoded data."""
    return page.evaluate(
        "(within) => Array.from(document.querySelectorAll(within + ' .js-plotly-plot'))"
        ".map(p => (p._fullData || []).map(t => ((t.x || t.y || t.z || []).length) || 0))",
        within,
    )


def chart_x(page, key: str, trace: int = 0) -> list[float]:
    """The x values of one trace of the Plotly chart drawn with st.plotly_chart(key=key); [] if not drawn yet."""
    return page.evaluate(
        "([key, i]) => { const p = document.querySelector('.st-key-' + key + ' .js-plotly-plot');"
        " const t = p && p._fullData && p._fullData[i]; return t && t.x ? Array.from(t.x) : []; }",
        [key, trace],
    )


def wait_until(check, timeout: float, what: str, poll: float = 0.25):
    """Call check() until it returns something truthy (returned); AssertionError naming `what` at the deadline."""
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s (last: {value!r})")
        time.sleep(poll)


def address(page) -> str:
    """The address bar as the page itself has it. Playwright's page.url can miss a change the app makes during
    the page's first moments (history.replaceState: the ?teacher= key stayed in page.url in a reproduction, every
    time, while the page's own location had lost it), so tests of what the URL holds read this instead."""
    return page.evaluate("location.href")


def workspace_id(page) -> str:
    """The ?ws= of the page's URL (the app writes it there on the first visit)."""
    def found():
        wid = parse_qs(urlsplit(address(page)).query).get("ws", [""])[0]
        return wid if WORKSPACE_ID.fullmatch(wid) else ""

    return wait_until(found, 30, "a workspace id in the URL")


def job_records(server_dir: Path, wid: str) -> list[dict]:
    """The workspace's job records as the worker wrote them on disk (newest first)."""
    folder = server_dir / "lab-data" / "workspaces" / wid / "jobs"
    records = []
    for path in folder.glob("*.json"):
        try:
            records.append(json.loads(path.read_text()))
        except ValueError:  # being replaced this very moment: read it on the next poll
            continue
    return sorted(records, key=lambda r: r.get("created", 0), reverse=True)


def choose_preset(page, name: str) -> None:
    from ui.i18n import t

    page.locator('[data-testid="stSelectbox"]').filter(has_text=t("train.preset")).click()
    page.get_by_role("option", name=name, exact=True).click()
    wait_for_app(page)


def start_training(page) -> None:
    from ui.i18n import t

    page.get_by_role("button", name=t("train.start")).click()


def train_text(key: str, lang: str = "en") -> str:
    """A Train-page message's fixed start, without its emoji and before its first value, to wait for."""
    from ui.i18n import t

    text = t(key, lang, acc="\0", time="\0", epoch="\0", reason="\0", name="\0")
    return text.split("\0")[0].replace("**", "").split(" ", 1)[1].strip()


def table_cells(page) -> list[str]:
    """The texts of the Runs table's cells (a canvas grid; its accessible cells carry the text)."""
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('[data-testid^=glide-cell-]')).map(c => c.textContent.trim())")


def wait_for_runs(page, names, timeout: float = 60) -> list[str]:
    """Wait until the Runs table lists every one of `names`; returns the cells."""
    names = set(names)

    def listed():
        cells = table_cells(page)
        return cells if names <= set(cells) else []

    return wait_until(listed, timeout, f"the runs table listing {sorted(names)}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_rate(pid: int, seconds: float = 2.0) -> float:
    """CPU seconds per second the process uses over the next `seconds`."""
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds
