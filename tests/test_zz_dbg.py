from tests.test_worker import *  # noqa
from tests.test_worker import pool, reference, fresh_job_manager  # noqa

def test_dbg(pool, reference):
    job = jobs.submit(workspaces.create(), CONFIG, name="x")
    time.sleep(8)
    print("REC", job.refresh()._r)
    print("POOL", pool.poll(), children(pool.pid), jobs.pools())
    print(sorted(p.name for p in (Path(os.environ["MNIST_LAB_HOME"]) / "queue" / "cpu").iterdir()))
