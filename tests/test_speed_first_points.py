"""Issue 19: a kNN job's chart has a point long before its whole neighbour search ends."""

from __future__ import annotations

from core.learn.config import TrainConfig
from core.learn.training import train
from ui.figures.train import knn_figure


def test_knn_chart_shows_the_quick_point_until_the_whole_search_replaces_it(small_mnist):
    events = []
    for event in train(TrainConfig(arch="knn", k=3, device="cpu"), small_mnist):
        events.append(event)
        if len(events) == 1:  # what the Train page has once the first event is on disk
            first = knn_figure(events, k=3)
            xs = [x for trace in first.data for x in (trace.x if trace.x is not None else [])]
            assert xs == [3] and event["kind"] == "eval" and not event["full"]
    done = knn_figure(events, k=3)
    curve = {e["k"]: e["test_acc"] for e in events if e["kind"] == "knn"}
    assert list(done.data[0].x) == sorted(curve)  # the whole test set's curve, the quick point gone
    assert len(done.data) == 2 and done.data[1].y[0] == curve[3] == events[-1]["test_acc"]  # the star: k = 3


def test_serve_imports_what_app_py_imports_before_the_server_starts():
    import subprocess
    import sys

    from ui import serve

    names = serve.imported_modules(serve.ROOT / "app.py")
    assert {"streamlit", "core.settings", "ui.session", "ui.widgets"} <= set(names)
    assert serve.SCRIPTS[:2] == ["app.py", "views/home.py"] and "views/train.py" in serve.SCRIPTS
    # in a fresh interpreter: after warm(), torch (which the Home page's imports need) is there, and nothing failed
    code = "import sys; from ui import serve; serve.warm(); print('torch' in sys.modules, 'ui.widgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=serve.ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.split() == ["True", "True"], out.stderr
