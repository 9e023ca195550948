"""Several machines: worker pools that share only the data folder and a Redis queue (MNIST_LAB_QUEUE=redis://...).

A real redis-server (Debian's package; .ci/run installs it) on a free loopback port, and two real pools started
from different folders, stand in for two machines.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from core.lab import workspaces
from core.lab.jobs import queue as job_queue
from core.lab.jobs import store as jobs
from core.learn.config import TrainConfig
from tests.test_worker import parent_of, start_pool, stop_pool, wait_for_pool

REDIS_SERVER = "/usr/bin/redis-server"
SUBSET = "12000,2000"  # test_worker.start_pool gives the pools this subset; the test process uses it too
# About 1.5 s each on one core: long enough that one worker cannot take them all before the other is asked.
CONFIG = TrainConfig(arch="cnn", epochs=1, batch_size=64, lr=3e-3, device="cpu", eval_subset=500)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    """A throw-away redis-server on a free loopback port (no persistence); its redis:// URL."""
    if not os.access(REDIS_SERVER, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail(f"{REDIS_SERVER} is missing: .ci/run installs Debian's redis-server")
        pytest.skip(f"{REDIS_SERVER} is not installed (apt-get install redis-server)")
    import redis

    folder = tmp_path / "redis"
    folder.mkdir()
    for _ in range(3):  # another process may take the free port before redis-server binds it
        port = free_port()
        proc = subprocess.Popen([REDIS_SERVER, "--save", "", "--appendonly", "no", "--port", str(port),
                                 "--bind", "127.0.0.1", "--dir", str(folder)], cwd=folder,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.05)
        if proc.poll() is None:
            break
    else:
        pytest.fail("redis-server did not start")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture
def machines(lab_home, redis_url, tmp_path, monkeypatch):
    """Two pools of one worker each, each in its own folder, sharing MNIST_LAB_HOME and the Redis queue."""
    monkeypatch.setenv("MNIST_LAB_QUEUE", redis_url)
    monkeypatch.setenv("MNIST_LAB_SUBSET", SUBSET)
    job_queue.set_immediate(False)  # conftest's immediate mode off; and forget SQLite queues: a RedisHuey is made
    job_queue._hueys.clear()
    pools = [start_pool(lab_home, tmp_path / f"machine-{i}", tmp_path / f"worker-{i}.log",
                        {"MNIST_LAB_QUEUE": redis_url}) for i in (1, 2)]
    try:
        for proc in pools:
            wait_for_pool(proc)
        yield pools
    finally:
        for proc in pools:
            stop_pool(proc)
        job_queue._hueys.clear()  # no Huey bound to this Redis may outlive it


def test_two_pools_share_a_redis_queue(machines, lab_home, tmp_path):
    """Jobs from several workspaces, queued in Redis, are trained by both pools; every one finishes once."""
    assert {p["pid"] for p in jobs.pools()} == {proc.pid for proc in machines}
    assert all(p["queue"] == "cpu" for p in jobs.pools())
    assert type(job_queue.huey_for("cpu")).__name__ == "RedisHuey"
    assert not (lab_home / "queue.db").exists()  # nothing went through SQLite
    spaces = [workspaces.create() for _ in range(3)]
    submitted = [job_queue.submit(ws, CONFIG.replace(seed=i), name=f"job{i}") for i, ws in enumerate(spaces)]
    submitted.append(job_queue.submit(spaces[0], CONFIG.replace(seed=9), name="second"))  # waits in its workspace
    for job in submitted:
        assert job.wait(120), (job.refresh(), [p.log.read_text()[-2000:] for p in machines])
    assert [j.state for j in submitted] == ["finished"] * 4, [j.error for j in submitted]
    assert all(j.result.test_acc > 0.9 for j in submitted)  # one epoch of the CNN on 12000 images: about 95%
    assert len({j.run_dir for j in submitted}) == 4
    # Who trained what: "host:pid" of a worker process, whose parent is one of the two pools.
    hosts = {j._r["worker"].rsplit(":", 1)[0] for j in submitted}
    assert hosts == {socket.gethostname()}
    trainers = {int(j._r["worker"].rsplit(":", 1)[1]) for j in submitted}
    assert len(trainers) >= 2, trainers
    assert {parent_of(pid) for pid in trainers} == {proc.pid for proc in machines}
    # The pools ran in their own folders and kept nothing there: the data folder is the only thing shared.
    for i in (1, 2):
        assert list((tmp_path / f"machine-{i}").iterdir()) == []


def test_unreachable_queue_fails_the_job_with_a_reason(lab_home, monkeypatch):
    """With MNIST_LAB_QUEUE pointing at a port nobody listens on, a submitted job fails with queue_down at once."""
    monkeypatch.setenv("MNIST_LAB_QUEUE", f"redis://127.0.0.1:{free_port()}/0")
    job_queue.set_immediate(False)
    try:
        ws = workspaces.create()
        job = job_queue.submit(ws, CONFIG)
        assert job.refresh().state == "failed"
        assert job.error_code == "queue_down"
        assert not list((Path(lab_home) / "queue" / "cpu").glob("*"))  # its ticket was taken back
    finally:
        job_queue._hueys.clear()
