"""A real worker pool (`python -m core worker`, SqliteHuey) trains the jobs this process submits.

One pool with one process worker serves the whole module; each test has its own workspace. The jobs train a
small CNN for 3 epochs on 12000 images (about 5 s on one core), long enough to pause, stop or kill in the middle.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.lab import workspaces
from core.lab.jobs import queue as job_queue
from core.lab.jobs import store as jobs
from core.lab.runfiles.checkpoint import CHECKPOINT
from core.lab.runfiles.folders import load_run
from core.learn.config import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
SUBSET = "12000,2000"
CONFIG = TrainConfig(arch="cnn", epochs=3, batch_size=64, lr=3e-3, device="cpu", eval_subset=500)
STEPS = 3 * 188  # 12000 / 64 rounded up, per epoch
RUNNING: list[subprocess.Popen] = []  # the pools started by start_pool, for the failure messages


def pools_status() -> str:
    return "".join(f"\npool {p.pid} ({'running' if p.poll() is None else f'exited {p.returncode}'}), log:\n"
                   f"{p.log.read_text()[-2000:]}" for p in RUNNING)


def wait_for(predicate, timeout: float, every: float = 0.05, what: str = "condition", job=None):
    """Poll until `predicate()` returns something true; fail after `timeout` seconds, saying what was seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}" + (f"; job: {job._r}" if job else "")
                        + pools_status())
        time.sleep(every)


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (read from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def niceness(pid: int) -> int:
    """A process's nice value, from /proc/PID/stat (field 19)."""
    return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[16])


def parent_of(pid: int) -> int:
    return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])


def start_pool(home: Path, cwd: Path, log: Path, env_extra: dict | None = None) -> subprocess.Popen:
    """`python -m core worker --workers 1` in its own folder, with only the data folder (and queue) in common."""
    cwd.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MNIST_LAB_")}
    env.update(MNIST_LAB_HOME=str(home), MNIST_DATA_DIR=os.environ["MNIST_DATA_DIR"], MNIST_LAB_SUBSET=SUBSET,
               PYTHONPATH=str(ROOT), **(env_extra or {}))
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "core", "worker", "--workers", "1"], cwd=cwd, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    proc.log = log
    RUNNING.append(proc)
    return proc


def wait_for_pool(proc: subprocess.Popen, timeout: float = 60) -> dict:
    """The pool's heartbeat (jobs.pools()) once it is up, and its worker process forked."""
    def up():
        if proc.poll() is not None:
            pytest.fail(f"the worker pool exited with {proc.returncode}:\n{proc.log.read_text()}")
        info = next((p for p in jobs.pools() if p["pid"] == proc.pid), None)
        return info if info and children(proc.pid) else None

    return wait_for(up, timeout, what="the worker pool to start")


def stop_pool(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it lingers; its worker processes go with it."""
    kids = children(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    for pid in kids:  # a worker left behind by a killed pool
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if proc in RUNNING:
        RUNNING.remove(proc)


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """One worker pool for the module, with its data folder; yields the pool's Popen."""
    base = tmp_path_factory.mktemp("pool")
    with pytest.MonkeyPatch.context() as mp:  # module scope: conftest's lab_home is not set up yet
        mp.setenv("MNIST_LAB_HOME", str(base / "home"))
        mp.setenv("MNIST_LAB_SUBSET", SUBSET)
        mp.delenv("MNIST_LAB_QUEUE", raising=False)
        mp.delenv("MNIST_LAB_QUEUE_PER_WORKSPACE", raising=False)
        job_queue.set_immediate(False)  # the real SqliteHuey in the pool's data folder
        proc = start_pool(base / "home", base / "cwd", base / "worker.log")
        proc.home = base / "home"
        try:
            info = wait_for_pool(proc)
            assert info["workers"] == 1 and info["queue"] == "cpu" and info["kind"] == "process"
            yield proc
        finally:
            stop_pool(proc)
            job_queue.set_immediate(False)


@pytest.fixture(autouse=True)
def lab_home(pool, monkeypatch):
    """Replaces conftest's: the tests here use the pool's data folder and the real queue, not immediate mode."""
    monkeypatch.setenv("MNIST_LAB_HOME", str(pool.home))
    monkeypatch.setenv("MNIST_LAB_SUBSET", SUBSET)
    job_queue.set_immediate(False)
    yield pool.home
    job_queue.set_immediate(False)
    assert pool.poll() is None, f"the worker pool died during the test{pools_status()}"


@pytest.fixture(scope="module")
def reference(pool):
    """CONFIG trained without interruption by the pool: the job all the others are compared to."""
    job = job_queue.submit(workspaces.create(), CONFIG, name="reference")
    assert job.wait(120), job.refresh()
    return job


def events(job) -> list[dict]:
    return [json.loads(line) for line in (job.run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]


def final_acc(job) -> float:
    return next(e for e in reversed(events(job)) if e["kind"] == "final")["test_acc"]


def steps(job) -> list[int]:
    return [e["step"] for e in events(job) if e["kind"] == "step"]


def started(job, epoch: float = 0.3):
    """The job is running and has trained past `epoch`."""
    latest = job.refresh().latest()
    return job.state == "running" and latest["epoch"] >= epoch


def test_worker_trains_a_submitted_job(pool, reference):
    """A job submitted here is taken by the pool's worker process and trained to a real accuracy."""
    job = reference
    assert job.state == "finished", job.error
    pid = int(job._r["worker"].rsplit(":", 1)[1])
    assert pid in children(pool.pid)  # trained in the pool's worker process, not here
    # ... which yields the CPU to the web server: niceness MNIST_LAB_WORKER_NICE (10) above this process's
    assert niceness(pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
    assert final_acc(job) > 0.95  # small CNN, 3 epochs on 12000 images: about 96.5%
    assert job.result.test_acc == final_acc(job) == load_run(job.run_dir).test_acc
    assert steps(job) == list(range(1, STEPS + 1))
    assert (job.run_dir / CHECKPOINT).is_file()
    assert job.latest()["fraction"] == 1.0 and job.latest()["total"] == 3 * 12000


def test_pause_then_resume_ends_as_if_never_paused(pool, reference):
    """pause -> paused with a checkpoint, the worker freed; resume -> finished, exactly the uninterrupted run."""
    ws = workspaces.create()
    job = job_queue.submit(ws, CONFIG, name="paused")
    wait_for(lambda: started(job), 60, what="the job to train", job=job)
    job.pause()
    wait_for(lambda: job.refresh().state == "paused", 30, what="the job to pause", job=job)
    assert (job.run_dir / CHECKPOINT).is_file()
    assert load_run(job.run_dir).test_acc is not None  # the weights so far can be looked at
    at_pause = job.latest()
    assert 0 < at_pause["fraction"] < 1
    # The worker is free while the job is paused: another job runs meanwhile.
    other = job_queue.submit(workspaces.create(), CONFIG.replace(epochs=1), name="meanwhile")
    assert other.wait(60) and other.state == "finished"
    assert job.refresh().state == "paused"
    job.resume()
    assert job.wait(120), job.refresh()
    assert job.state == "finished", job.error
    assert steps(job) == list(range(1, STEPS + 1))  # the steps after the checkpoint are not repeated
    assert abs(final_acc(job) - final_acc(reference)) <= 0.005
    assert final_acc(job) == final_acc(reference)  # same weights, optimizer, batch order: the very same run
    assert job.result.test_acc == final_acc(job)


def test_stop_a_running_job_keeps_its_model(pool, reference):
    """stop while running -> stopped, with the model trained so far saved and loadable."""
    job = job_queue.submit(workspaces.create(), CONFIG, name="stopped")
    wait_for(lambda: started(job), 60, what="the job to train", job=job)
    job.stop()
    assert job.stop_requested
    assert job.wait(30), job.refresh()
    assert job.state == "stopped"
    run = job.result
    assert run is not None and run.status == "stopped"
    assert 0 < len(steps(job)) < STEPS
    assert run.test_acc > 0.5  # a few hundred steps of a CNN already read most digits
    assert not (job.ws.jobs_dir / f"{job.id}.control").exists()


def test_stop_a_paused_job_closes_its_run(pool):
    """stop of a paused job (nobody is training it) ends it here: stopped, its run closed at the checkpoint."""
    job = job_queue.submit(workspaces.create(), CONFIG, name="paused-then-stopped")
    wait_for(lambda: started(job), 60, what="the job to train", job=job)
    job.pause()
    wait_for(lambda: job.refresh().state == "paused", 30, what="the job to pause", job=job)
    job.stop()
    assert job.state == "stopped" and job.refresh().state == "stopped"
    history = events(job)
    assert history[-1]["kind"] == "final" and history[-1]["status"] == "stopped"
    assert history[-1]["steps"] == len(steps(job))
    assert job.result is not None and job.result.status == "stopped"
    job.resume()  # a stopped job stays stopped
    assert job.refresh().state == "stopped"


def on_disk(job) -> dict:
    """The job's record as the workers wrote it (Job.refresh would itself mark a dead worker's job)."""
    return json.loads((job.ws.jobs_dir / f"{job.id}.json").read_text())


def test_killed_worker_leaves_an_interrupted_job_that_resumes(pool, reference):
    """SIGKILL of the worker process mid-training: the pool marks the job interrupted once its beat is stale
    (nobody has to look), its files stay readable, and resume() finishes it from the last epoch checkpoint with
    the accuracy of an uninterrupted run."""
    job = job_queue.submit(workspaces.create(), CONFIG, name="killed")
    wait_for(lambda: job.refresh().state == "running" and (job.run_dir / CHECKPOINT).is_file(), 60,
             what="the first epoch checkpoint", job=job)
    assert job.state == "running"
    host, pid = job._r["worker"].rsplit(":", 1)
    assert parent_of(int(pid)) == pool.pid
    os.kill(int(pid), signal.SIGKILL)
    killed_at = time.monotonic()
    wait_for(lambda: on_disk(job)["state"] == "interrupted", 30, every=0.5, what="the pool to mark the job",
             job=job)
    assert time.monotonic() - killed_at >= jobs.STALE_AFTER_S - jobs.BEAT_EVERY_S - 1  # not before its beat aged
    assert job.refresh().state == "interrupted" and job.error_code == "worker_lost"
    # What the dead worker wrote is intact: every line parses, and the weights of the last epoch end load.
    lines = (job.run_dir / "metrics.jsonl").read_text().splitlines()
    assert lines and all(json.loads(line)["kind"] for line in lines)
    assert load_run(job.run_dir).test_acc > 0.9
    assert not job.done and job.result is None
    job.resume()
    assert job.refresh().state in ("queued", "running", "finished")
    assert job.wait(120), job.refresh()
    assert job.state == "finished", job.error
    assert job._r["worker"] != f"{host}:{pid}"  # the pool replaced its dead worker process
    assert steps(job) == list(range(1, STEPS + 1))
    assert abs(final_acc(job) - final_acc(reference)) <= 0.005
    assert pool.poll() is None and len(children(pool.pid)) == 2  # the scheduler and a worker


def test_a_pool_killed_mid_training_resumes_its_job_by_itself(pool, reference, tmp_path, monkeypatch):
    """SIGKILL of a whole pool, its worker with it, after the first epoch checkpoint (a crash, or `make run`
    killed): a new pool on the same data folder marks the job interrupted by its pool's end (at once: both
    processes are gone from this machine) and trains it on from that checkpoint with no click: every step once,
    the accuracy of an uninterrupted run, and a record that says it resumed by itself and from which epoch."""
    home = tmp_path / "home"
    monkeypatch.setenv("MNIST_LAB_HOME", str(home))
    job_queue.set_immediate(False)  # the queue of this data folder
    first = start_pool(home, tmp_path / "first", tmp_path / "first.log")
    try:
        wait_for_pool(first)
        job = job_queue.submit(workspaces.create(), CONFIG, name="restarted")
        wait_for(lambda: job.refresh().state == "running" and (job.run_dir / CHECKPOINT).is_file(), 60,
                 what="the first epoch checkpoint", job=job)
        os.killpg(first.pid, signal.SIGKILL)  # the pool and its worker processes (one session)
        first.wait(10)
    finally:
        stop_pool(first)
    assert on_disk(job)["state"] == "running"  # nobody has looked yet
    second = start_pool(home, tmp_path / "second", tmp_path / "second.log")
    try:
        wait_for_pool(second)
        assert job.refresh().state != "interrupted" or job.error_code == "pool_ended"
        assert job.wait(150), job.refresh()
        assert job.state == "finished", job.error
        assert job._r["pool"] == f"{socket.gethostname()}-{second.pid}"
    finally:
        stop_pool(second)
    assert job.resumed["auto"] is True and job.resumed["epoch"] >= 1.0
    assert steps(job) == list(range(1, STEPS + 1))  # the steps after the checkpoint are not repeated
    assert abs(final_acc(job) - final_acc(reference)) <= 0.005


def test_a_job_killed_with_its_pool_three_times_waits_with_the_reason(pool, tmp_path, monkeypatch):
    """Three real pools SIGKILLed in turn while they train the same job (a job that crashes its pool each time,
    or a server that keeps dying): the first two losses resume it by itself in the next pool, the third leaves it
    interrupted with the reason, and the fourth pool does not take it again (no crash loop)."""
    home = tmp_path / "home"
    monkeypatch.setenv("MNIST_LAB_HOME", str(home))
    job_queue.set_immediate(False)  # the queue of this data folder
    job = job_queue.submit(workspaces.create(), CONFIG, name="poisonous")
    for loss in range(1, 4):
        killed = start_pool(home, tmp_path / f"pool{loss}", tmp_path / f"pool{loss}.log")
        try:
            wait_for_pool(killed)
            mine = f"-{killed.pid}"
            wait_for(lambda mine=mine: job.refresh().state == "running" and job._r.get("pool", "").endswith(mine),
                     60, what=f"pool {loss} to take the job", job=job)
            os.killpg(killed.pid, signal.SIGKILL)  # the pool and its worker process (one session)
            killed.wait(10)
        finally:
            stop_pool(killed)
    last = start_pool(home, tmp_path / "pool4", tmp_path / "pool4.log")
    try:
        wait_for_pool(last)
        wait_for(lambda: job.refresh().state == "interrupted" and job.error_code == "pool_lost_repeatedly", 30,
                 what="the third loss to be recorded", job=job)
        time.sleep(2 * jobs.POOL_BEAT_S)  # two more sweeps of the live pool: it must not take the job again
        assert job.refresh().state == "interrupted", job._r
    finally:
        stop_pool(last)
    assert job.error_code == "pool_lost_repeatedly" and job.error_params == {"times": 3}
    assert job._r["pool_losses"] == 3


def test_the_task_keeps_its_queued_name():
    """Jobs queued before the move to core/lab refer to the task as core.worker.train_job: it must still resolve."""
    huey = job_queue.huey_for("cpu")
    task_class = type(huey.train_job.s("ws", "job"))
    assert huey._registry.task_to_string(task_class) == "core.worker.train_job"
