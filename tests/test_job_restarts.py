"""What a job survives (issue 20): its pool's end (it goes on by itself, in queue order, at most MAX_POOL_LOSSES
times in a row), a damaged record of any shape (that job only, never a page), and clicks from two tabs or two
servers at once (resume, pause and stop are idempotent and decided under the workspace's lock).

The queue is the real SqliteHuey with nobody consuming it; the test plays the worker through the store's own
transitions (take, interrupt), and a dead pool is one whose file is gone, as after SIGKILL or SIGTERM. Real
worker processes killed with their pool: test_worker.py.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import socket
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.lab import workspaces
from core.lab.jobs import queue as job_queue
from core.lab.jobs import store
from core.learn.config import TrainConfig
from tests.conftest import new_workspace

ROOT = Path(__file__).resolve().parents[1]
QUICK = TrainConfig(arch="mlp:32", epochs=2, batch_size=64, lr=3e-3, device="cpu", eval_subset=300)
DEAD_POOL = "a-machine-1"  # a pool that never beat here: dead, as one is after SIGKILL


pytestmark = pytest.mark.usefixtures("real_queue")  # conftest: the real SQLite queue, nobody consuming it


def pending() -> int:
    """Tasks waiting in the CPU queue's queue.db."""
    return len(job_queue.huey_for("cpu"))


def tickets() -> list[str]:
    folder = store.queue_dir("cpu")
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def on_disk(ws, job_id: str) -> dict:
    return json.loads((ws.jobs_dir / f"{job_id}.json").read_text())


def age_beat(ws, job_id: str) -> None:
    old = time.time() - store.STALE_AFTER_S - 5
    os.utime(store.beat_path(ws, job_id), (old, old))


def taken(ws, job, pool: str | None) -> None:
    """A worker of `pool` (this process plays it) takes the job off the queue."""
    store.set_pool(pool)
    try:
        assert store.take(ws, job.id)["state"] == "running"
    finally:
        store.set_pool(None)


def killed_with_its_pool(ws, job) -> None:
    """Taken by a worker of a pool that then died with it (SIGKILL): no pool file, the job's beat ages."""
    taken(ws, job, DEAD_POOL)
    age_beat(ws, job.id)


def beat_this_pool() -> str:
    """This process's pool file, fresh: a pool alive now."""
    name = store.pool_name()
    path = store.pool_file(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "workers": 1, "queue": "cpu",
                                "kind": "thread", "time": time.time()}))
    return name


# ---- a pool's end ---------------------------------------------------------------------------------------------

def test_jobs_whose_pool_ended_go_on_by_themselves_in_queue_order():
    """Three workspaces' jobs trained by one pool that was killed: the next pool's sweep marks them interrupted
    by the pool's end and puts them back on the queue in the order they were queued before, ahead of the
    workspace's own waiting job; the record says it resumed by itself."""
    spaces = [workspaces.create() for _ in range(3)]
    first = [job_queue.submit(ws, QUICK, name=f"job{i}") for i, ws in enumerate(spaces)]
    waiting = job_queue.submit(spaces[0], QUICK.replace(seed=1), name="next")
    order = [r.split("-")[1] for r in tickets()]
    assert order == [ws.id for ws in spaces]
    for ws, job in reversed(list(zip(spaces, first, strict=True))):  # taken in another order than queued
        killed_with_its_pool(ws, job)
    before = pending()

    assert store.sweep_interrupted() == 3
    for ws, job in zip(spaces, first, strict=True):
        record = on_disk(ws, job.id)
        assert record["state"] == "interrupted" and record["error_code"] == "pool_ended", record
    assert pending() == before  # marking is no queueing

    assert job_queue.resume_lost() == 3
    assert [r.split("-")[1] for r in tickets()] == [ws.id for ws in spaces]  # the same order as before
    assert pending() == before + 3
    for job in first:
        job.refresh()
        assert job.state == "queued" and job._r["dispatched"] and job._r["resume"]
        assert job.resumed["auto"] is True and job.resumed.get("epoch") is None  # no checkpoint yet: from 0
    assert waiting.refresh().state == "queued" and not waiting._r["dispatched"]  # after its resumed job
    assert job_queue.resume_lost() == 0  # nothing twice


def test_a_job_whose_pool_ended_with_it_three_times_in_a_row_waits_with_the_reason():
    """Killed with its pool (SIGKILL), stopped with it (SIGTERM: the worker marks it), killed again: the third
    time it stays interrupted and says why, so one poisonous job cannot crash-loop a pool. Reading it never
    queues anything; the student's Resume starts the count again."""
    ws = workspaces.create()
    job = job_queue.submit(ws, QUICK, name="poison")
    for time_ in (1, 2, 3):
        if time_ == 2:  # the pool got SIGTERM: its worker marks the job itself on the way out
            taken(ws, job, store.pool_name())
            assert store.interrupt(ws, job.id)["state"] == "interrupted"
        else:
            killed_with_its_pool(ws, job)
        before = pending()
        assert [j.state for j in store.list_jobs(ws)] == ["interrupted"]  # a page reading it marks it...
        assert store.get(ws, job.id).state == "interrupted" and pending() == before  # ...and queues nothing
        woken = job_queue.resume_lost()
        assert job.refresh()._r["pool_losses"] == time_
        if time_ < store.MAX_POOL_LOSSES:
            assert woken == 1 and job.state == "queued" and job.error_code == ""
    assert woken == 0 and job.state == "interrupted"
    assert job.error_code == "pool_lost_repeatedly" and job.error_params == {"times": 3}
    assert "3 times in a row" in job.error
    assert job_queue.resume_lost() == 0 and job.refresh().state == "interrupted"  # for good, until a click
    job.resume()
    assert job.refresh().state == "queued" and job._r["pool_losses"] == 0 and job.resumed["auto"] is False


def test_a_worker_lost_while_its_pool_lives_waits_for_the_student():
    """A worker process killed alone (its pool beats on): interrupted with worker_lost, not put back by itself."""
    ws = workspaces.create()
    job = job_queue.submit(ws, QUICK, name="lost")
    taken(ws, job, beat_this_pool())
    age_beat(ws, job.id)
    assert store.sweep_interrupted() == 1
    assert job_queue.resume_lost() == 0
    assert job.refresh().state == "interrupted" and job.error_code == "worker_lost"


def test_a_record_written_before_this_version_opens_and_resumes():
    """A job record as the code before the store/queue split wrote it (no pool, no resumed, no pool_losses)."""
    ws = workspaces.create()
    (ws.runs_dir / "old").mkdir(parents=True)
    (ws.runs_dir / "older").mkdir(parents=True)
    old = {"id": "0123456789ab", "name": "old", "run": "old", "config": QUICK.to_dict(), "state": "paused",
           "created": time.time() - 60, "dispatched": False, "resume": True, "continue_of": None, "queue": "cpu",
           "total": 6000, "error": None, "click": "0f0f0f0f0f0f0f0f", "ticket": "01764000000000000000-"
           f"{ws.id}-0123456789ab", "started": time.time() - 50, "worker": "host:123", "ended": None,
           "error_code": None}
    done = {**old, "id": "ba9876543210", "name": "older", "run": "older", "state": "finished",
            "created": time.time() - 30, "ended": time.time() - 10, "resume": False, "error_code": None,
            "error_params": {}, "outcome": {}}
    ws.jobs_dir.mkdir(parents=True, exist_ok=True)
    for record in (old, done):
        (ws.jobs_dir / f"{record['id']}.json").write_text(json.dumps(record, indent=1))
    assert [j.state for j in store.list_jobs(ws)] == ["finished", "paused"]  # newest first
    assert store.damaged(ws) == []
    store.get(ws, old["id"]).resume()
    assert store.get(ws, old["id"]).state == "queued" and pending() == 1


# ---- damaged records --------------------------------------------------------------------------------------------

BAD_VALUES = [None, "", "x", "../../etc", 5, -1.5, True, [], {}, [1, "a"], {"a": 1}, math.inf, math.nan, 10**30]


def damaged_shapes(ws, good: dict) -> dict[str, bytes]:
    """Records a cut-short write, a full disk or a hand edit could leave: every field of a real record given
    every wrong kind of value, every field missing, and files that are not JSON objects at all."""
    def job_id(i: int) -> str:
        return f"{i:012x}"

    shapes, i = {}, 1
    for key in good:
        for value in BAD_VALUES:
            if value == good[key] and type(value) is type(good[key]):
                continue
            shapes[job_id(i)] = {**good, "id": job_id(i), key: value}
            i += 1
        shapes[job_id(i)] = {k: v for k, v in {**good, "id": job_id(i)}.items() if k != key}
        i += 1
    raw = {job_id(i): json.dumps({**good, "id": job_id(i)}).encode()[:40]}  # truncated JSON
    raw[job_id(i + 1)] = b""
    raw[job_id(i + 2)] = b"[1, 2, 3]"
    raw[job_id(i + 3)] = b"null"
    raw[job_id(i + 4)] = bytes(range(256))
    raw[job_id(i + 5)] = json.dumps({"id": job_id(i + 5)}).encode()  # an id but no state
    raw[job_id(i + 6)] = json.dumps({**good, "id": job_id(i + 6), "config": {**good["config"], "lr": "fast"}}).encode()
    raw[job_id(i + 7)] = json.dumps({**good, "id": "ffffffffffff"}).encode()  # not its own file's id
    raw[job_id(i + 8)] = json.dumps({**good, "id": job_id(i + 8), "ticket": "../../../queue.db"}).encode()
    raw[job_id(i + 9)] = json.dumps({**good, "id": job_id(i + 9), "kind": "finetune", "finetune": {"a": 1}}).encode()
    raw.update({k: json.dumps(v).encode() for k, v in shapes.items()})
    return raw


def write_damaged(ws, good: dict) -> list[str]:
    """Write every damaged shape next to the good record; returns the ids that must read as damaged."""
    written = []
    for job_id, blob in damaged_shapes(ws, good).items():
        (ws.jobs_dir / f"{job_id}.json").write_bytes(blob)
        record = None
        try:
            record = json.loads(blob)
        except ValueError:
            pass
        if not store._well_formed(record, job_id):
            written.append(job_id)
        else:  # a wrong value in a field that may hold it (a name like "x", an error text): still a good record
            job = store.get(ws, job_id)
            assert job is not None and job.state in store.STATES
    return sorted(written)


def test_a_damaged_record_of_any_shape_costs_that_job_only():
    """Hundreds of damaged records beside a good one: listing, reading, queue positions, the pool's sweep and
    every control on them raise nothing; the good job works on; each damaged one is listed and removable."""
    ws = workspaces.create()
    good = job_queue.submit(ws, QUICK, name="good")
    bad = write_damaged(ws, on_disk(ws, good.id))
    assert len(bad) > 150
    assert store.damaged(ws) == bad
    listed = {j.id for j in store.list_jobs(ws)}
    assert good.id in listed and not listed & set(bad)
    for job in store.list_jobs(ws):  # every job the pages see answers every question a page asks
        job.latest(), job.config, job.name, job.run_dir, job.resumed, job.error_params, job.result, job.created
        store.queue_position(job), store.queue_ahead(job)
    assert store.sweep_interrupted() == 0 and job_queue.resume_lost() == 0
    for job_id in bad:
        assert store.get(ws, job_id) is None
        assert store.pause(ws, job_id) is None and store.resume(ws, job_id) is None
        assert store.stop(ws, job_id) is None and store.take(ws, job_id) is None
    job_queue.kick(ws)
    assert good.refresh().state == "queued" and good.latest()["queue_position"] == 1
    assert store.remove_damaged(ws, good.id) is False  # a good record is not removed as damaged
    for job_id in bad:
        assert store.remove_damaged(ws, job_id) is True
    assert store.damaged(ws) == [] and store.get(ws, good.id).state == "queued"


@pytest.mark.parametrize("page", ["train", "runs", "evaluate"])
def test_pages_of_a_workspace_with_damaged_records_work(page, tiny_cnn_run):
    """Train, Runs and Evaluate of a workspace holding a run, a finished job and damaged records (an id but no
    state among them) draw without an exception; Train says how many are damaged and removes them."""
    ws = new_workspace({"tiny": tiny_cnn_run})
    job = job_queue.submit(ws, QUICK, name="done")
    store.update(ws, job.id, state="finished", ended=time.time())
    (ws.jobs_dir / "00000000000a.json").write_text(json.dumps({"id": "00000000000a"}))
    (ws.jobs_dir / "00000000000b.json").write_text('{"id": "00000000000b", "state": "runn')
    (ws.jobs_dir / "00000000000c.json").write_text(json.dumps({**on_disk(ws, job.id), "id": "00000000000c",
                                                               "state": 7, "config": "cnn"}))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["ws"] = ws.id
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception
    if page != "train":
        return
    from ui.i18n import t

    assert any(w.value and w.value in t("train.damaged", n=3) for w in at.warning)  # (its icon drawn apart)
    at.button(key="train_damaged_00000000000a").click().run()
    assert not at.exception and store.damaged(ws) == ["00000000000b", "00000000000c"]
    assert any(w.value and w.value in t("train.damaged", n=2) for w in at.warning)


# ---- races: two tabs, two servers --------------------------------------------------------------------------------

def paused_job(ws):
    job = job_queue.submit(ws, QUICK, name="paused")
    taken(ws, job, store.pool_name())
    assert store.finish(ws, job.id, "paused")["state"] == "paused"
    return job.refresh()


def running_job(ws):
    job = job_queue.submit(ws, QUICK, name="running")
    taken(ws, job, store.pool_name())
    return job.refresh()


def control(ws, job) -> str:
    return store._control(ws, job.id)


@pytest.mark.parametrize("first, second", [("resume", "resume"), ("resume", "pause"), ("pause", "resume"),
                                           ("resume", "stop"), ("stop", "resume"), ("stop", "stop")])
def test_clicks_on_a_paused_job_in_either_order(first, second):
    """Two tabs' clicks on a paused job, one after the other, each from a page drawn before either click."""
    ws = workspaces.create()
    job = paused_job(ws)
    tab1, tab2 = store.get(ws, job.id), store.get(ws, job.id)  # both pages show it paused
    before = pending()
    getattr(tab1, first)()
    getattr(tab2, second)()
    record = on_disk(ws, job.id)
    if "stop" in (first, second):
        assert record["state"] == "stopped" and not [t for t in tickets() if job.id in t]
    else:
        assert record["state"] == "queued" and record["dispatched"]
        assert [t for t in tickets() if job.id in t] == [record["ticket"]] and pending() == before + 1
    assert control(ws, job) == ""


@pytest.mark.parametrize("first, second", [("pause", "pause"), ("pause", "stop"), ("stop", "pause"),
                                           ("stop", "stop")])
def test_clicks_on_a_running_job_in_either_order(first, second):
    """Pause and stop only raise the flag the worker reads; a stop asked for wins over a pause in either order."""
    ws = workspaces.create()
    job = running_job(ws)
    tab1, tab2 = store.get(ws, job.id), store.get(ws, job.id)
    getattr(tab1, first)()
    getattr(tab2, second)()
    assert on_disk(ws, job.id)["state"] == "running"
    assert control(ws, job) == ("stop" if "stop" in (first, second) else "pause")


def _click_at_once(ws_id: str, job_id: str, what: str, barrier) -> None:
    """In a forked process (another server): wait for the other one, then click."""
    job_queue.set_immediate(False)  # its own connection to queue.db, not the parent's
    job = store.get(workspaces.at(ws_id), job_id)
    barrier.wait(10)
    getattr(job, what)()


def clicked_at_once(ws, job, first: str, second: str) -> None:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_click_at_once, args=(ws.id, job.id, what, barrier)) for what in (first, second)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0


@pytest.mark.parametrize("first, second", [("resume", "resume"), ("resume", "stop"), ("stop", "stop")])
def test_the_same_instant_from_two_processes(first, second):
    """Two servers click on the same paused job at the same instant (five times over): one resume queues it
    once, and a stop leaves it stopped, whichever came first."""
    for _ in range(5):
        ws = workspaces.create()
        job = paused_job(ws)
        before = pending()
        clicked_at_once(ws, job, first, second)
        record = on_disk(ws, job.id)
        mine = [t for t in tickets() if job.id in t]
        if "stop" in (first, second):
            assert record["state"] == "stopped" and mine == []
        else:
            assert record["state"] == "queued" and mine == [record["ticket"]] and pending() == before + 1


def test_pause_and_stop_at_the_same_instant_from_two_processes():
    for _ in range(5):
        ws = workspaces.create()
        job = running_job(ws)
        clicked_at_once(ws, job, "pause", "stop")
        assert on_disk(ws, job.id)["state"] == "running" and control(ws, job) == "stop"


def test_resume_clicked_in_two_tabs_never_pauses_the_job():
    """Two tabs show the same paused job; the first tab's Resume is taken by a worker at once, then the second
    tab clicks the Resume it still shows: the job keeps running (a toggle reading the state again paused it)."""
    ws = workspaces.create()
    job = paused_job(ws)
    tabs = []
    for _ in range(2):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.query_params["ws"] = ws.id
        at.run()
        at.switch_page("views/train.py").run()
        assert not at.exception, at.exception
        tabs.append(at)
    from ui.i18n import t

    assert [at.button(key="train_pause").label for at in tabs] == [t("train.resume")] * 2
    tabs[0].button(key="train_pause").click().run()
    assert job.refresh().state == "queued"
    taken(ws, job, store.pool_name())  # a worker takes it before the second tab's click
    tabs[1].button(key="train_pause").click().run()
    assert not tabs[1].exception
    assert job.refresh().state == "running" and control(ws, job) == ""


def test_an_unreachable_queue_is_one_line_in_the_log_and_a_reason_on_the_job(monkeypatch, caplog):
    """Redis down when a job is sent: the job fails with queue_down and the log gets one line, no traceback."""
    import logging
    import socket as sockets

    with sockets.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MNIST_LAB_QUEUE", f"redis://127.0.0.1:{port}/0")
    job_queue.set_immediate(False)  # a RedisHuey for that URL
    with caplog.at_level(logging.INFO):
        job = job_queue.submit(workspaces.create(), QUICK, name="nowhere")
    assert job.refresh().state == "failed" and job.error_code == "queue_down"
    lines = [r for r in caplog.records if r.name.startswith("core.lab.jobs")]
    assert [r.levelname for r in lines] == ["WARNING"] and lines[0].exc_info is None
    assert "\n" not in lines[0].getMessage() and "cannot be reached" in lines[0].getMessage()


def test_what_the_train_page_says_after_restarts_in_chinese():
    """A job its pool ended with three times, and one resumed by itself from a checkpoint: both said in Chinese,
    with the count and the epoch, and no English sentence (the damaged-record notice too)."""
    from tests.test_chinese_messages import english_sentences, open_train, page_texts

    ws = workspaces.create()
    job = job_queue.submit(ws, QUICK, name="poison")
    store.update(ws, job.id, **store._interrupted({"pool_losses": 2}, with_pool=True))
    (ws.jobs_dir / "00000000000a.json").write_text(json.dumps({"id": "00000000000a"}))
    text = page_texts(open_train(ws))
    assert "连续 3 次" in text and "损坏" in text and not english_sentences(text), text
    other = workspaces.create()
    again = job_queue.submit(other, QUICK, name="again")
    store.update(other, again.id, resumed={"auto": True, "epoch": 2.0, "step": 94, "seen": 6000, "at": time.time()})
    text = page_texts(open_train(other))
    assert "自动从第 2.00 轮" in text and not english_sentences(text), text


FORK_WAITS = """
import os, sys, threading, time
from core.lab.jobs import pool
pool._fork_between_beats()
held = threading.Event()
def beat():  # a sweep of the pool's beat thread, 0.5 s long
    with pool._beat_busy:
        held.set()
        time.sleep(0.5)
threading.Thread(target=beat).start()
held.wait()
start = time.monotonic()
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
print(time.monotonic() - start)
"""


def test_a_worker_is_forked_only_between_two_beats_of_its_pool():
    """Huey forks a pool's worker processes while the pool's beat thread may be half-way through a sweep (importing
    safetensors, opening the checkpoint of a job it puts back): a child forked then inherits that half-done state
    and hangs when it needs the same, and the job the new pool resumed stayed "running" without a step. The fork
    waits for the sweep to end (in a process of its own: at-fork hooks cannot be removed again)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", FORK_WAITS], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) >= 0.3  # the fork waited for the sweep that held the lock
