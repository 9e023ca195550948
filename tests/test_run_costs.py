"""What one run costs the server, bounded by its shape: the worst file within each limit, measured.

Each worst case is uploaded (core.lab.runfiles.zips.save_zip, what the Runs page calls) or listed
(folders.open_run) in a fresh Python process (tests/peak.py): an upload adds at most 60 MB at peak and takes
at most 1 s of CPU before it is accepted or refused; a listed run holds at most 10 MB.
"""

from __future__ import annotations

import functools
import gc
import io
import json
import struct
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import torch

from core.lab.runfiles.folders import load_run, open_run, save_run
from core.lab.runfiles.format import (
    LIMITS,
    MAX_LINE_BYTES,
    MAX_METRICS_LINES,
    RunError,
    history_from_jsonl,
    tensors_bytes,
)
from core.lab.runfiles.zips import MAX_MEMBERS, run_to_zip, save_zip
from core.learn.config import TrainConfig
from core.learn.history import MAX_SNAPSHOTS, History
from core.learn.run import Run
from tests.peak import in_fresh_process

UPLOAD_PEAK_MB, UPLOAD_CPU_S, LISTED_MB = 60, 1.0, 10


# ---- the worst inputs -------------------------------------------------------------------------------------

def _step(i: int, **extra) -> bytes:
    event = {"kind": "step", "epoch": i / 937, "step": i, "seen": 64 * i, "seconds": i * 0.0123456789,
             "loss": 0.123456789012345 + i * 1e-9, "batch_acc": 0.984375, "images_per_s": 12345.678901234,
             "lr": 0.001, **extra}
    return (json.dumps(event) + "\n").encode()


def _final() -> bytes:
    return b'{"kind":"final","status":"finished","test_acc":0.9,"seconds":1.0}\n'


def longest_history() -> bytes:
    """100,000 lines (the limit): steps with all their fields and unknown ones, up to 12 fields a line."""
    steps = b"".join(_step(i, note=i, extra="x" * 40, more=None) for i in range(MAX_METRICS_LINES - 1))
    return steps + _final()


def most_snapshots() -> bytes:
    """Full evaluations with 10,000 predictions each, as many as 32 MB hold (1,663)."""
    preds = ",".join("7" for _ in range(10_000))
    line = ('{"kind":"eval","epoch":1.0,"step":9,"seen":9,"seconds":1.0,"train_seconds":1.0,"train_loss":null,'
            '"test_loss":0.1,"test_acc":0.9,"n_test":10000,"full":true,"test_preds":[' + preds + "]}\n").encode()
    return line * (LIMITS["metrics.jsonl"] // len(line))


def _files(config: TrainConfig, metrics: bytes, tensors: dict[str, torch.Tensor]) -> dict[str, bytes]:
    return {"config.json": json.dumps(config.to_dict()).encode(), "metrics.jsonl": metrics,
            "model.safetensors": tensors_bytes(config, tensors)}


def _zip(files: dict[str, bytes], level: int = 6) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, blob in files.items():
            zf.writestr(f"worst/{name}", blob)
    return buf.getvalue()


def _mlp_tensors(config: TrainConfig) -> dict[str, torch.Tensor]:
    from core.learn import families

    return {k: v.detach().clone() for k, v in families.build(config).state_dict().items()}


@functools.cache  # built once per test session
def worst_history_zip() -> bytes:
    config = TrainConfig(arch="mlp:32")
    return _zip(_files(config, longest_history(), _mlp_tensors(config)))


@functools.cache  # built once per test session
def worst_snapshots_zip() -> bytes:
    config = TrainConfig(arch="mlp:32")
    return _zip(_files(config, most_snapshots(), _mlp_tensors(config)))


@functools.cache  # built once per test session
def worst_weights_zip() -> bytes:
    """The largest weights a run can hold: a kNN remembering 60,000 images as raw pixels (47 MB)."""
    config = TrainConfig(arch="knn", knn_features="pixels", k=3)
    g = torch.Generator().manual_seed(0)
    tensors = {"features": torch.randint(0, 256, (60_000, 784), dtype=torch.uint8, generator=g),
               "labels": torch.randint(0, 10, (60_000,), generator=g), "k": torch.tensor(3),
               "grid": torch.tensor(7), "kind": torch.tensor(0)}
    return _zip(_files(config, _final(), tensors), level=1)


def biggest_claim_zip() -> bytes:
    """Weights at the size limit that do not fit the architecture they name: refused before they are read."""
    config = TrainConfig(arch="mlp:32")
    tensors = {f"t{i}": torch.zeros(250_000) for i in range(60)}
    return _zip(_files(config, _final(), tensors), level=1)


def member_bomb() -> bytes:
    """A zip whose directory declares 65,535 members (and holds a few thousand): judged by its end record."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(3000):
            zf.writestr(f"m{i}", b"")
    blob = bytearray(buf.getvalue())
    at = blob.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", blob, at + 8, 65535, 65535)
    return bytes(blob)


def upload(blob: bytes) -> None:
    """What the Runs page does with an uploaded file (into a scratch folder): for tests/peak.py."""
    save_zip(blob, tempfile.mkdtemp(prefix="upload-"))


def listed(path: bytes) -> Run:
    """What listing a run folder keeps (its settings and history): for tests/peak.py."""
    return open_run(path.decode())


# ---- the bounds -------------------------------------------------------------------------------------------

UPLOADS = [worst_history_zip, worst_snapshots_zip, worst_weights_zip, biggest_claim_zip, member_bomb]


@pytest.mark.parametrize("make", UPLOADS, ids=lambda f: f.__name__)
def test_the_worst_upload_within_each_limit_costs_at_most_60_mb_and_1_s(make, tmp_path):
    result = in_fresh_process("tests.test_run_costs:upload", make(), tmp_path)
    accepted = make in (worst_history_zip, worst_snapshots_zip, worst_weights_zip)
    assert (result["code"] is None) == accepted, result
    assert result["peak_kb"] < UPLOAD_PEAK_MB * 1024, f"{make.__name__}: +{result['peak_kb'] // 1024} MB at peak"
    assert result["cpu_s"] < UPLOAD_CPU_S, f"{make.__name__}: {result['cpu_s']} s of CPU"


@pytest.mark.parametrize("make", [worst_history_zip, worst_snapshots_zip], ids=lambda f: f.__name__)
def test_a_listed_run_holds_at_most_10_mb(make, tmp_path):
    """What a listed run keeps alive, counted by tracemalloc (every Python allocation it still references);
    its peak while being read, in a fresh process, stays small too (the file is parsed 256 KB at a time)."""
    folder = tmp_path / "runs"
    name = save_zip(make(), folder)
    gc.collect()
    tracemalloc.start()
    try:
        run = open_run(folder / name)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < LISTED_MB * 1024 * 1024, f"{make.__name__}: holds {held / 2**20:.1f} MB"
    assert isinstance(run.history, History) and abs(run.history.nbytes() - held) < held / 4  # what the cache counts
    result = in_fresh_process("tests.test_run_costs:listed", str(folder / name).encode(), tmp_path)
    assert result["code"] is None and result["peak_kb"] < 2 * LISTED_MB * 1024, result


def test_a_member_bomb_is_refused_by_its_end_record():
    with pytest.raises(RunError) as refused:
        save_zip(member_bomb(), tempfile.mkdtemp())
    assert refused.value.code == "zip_members" and refused.value.params["limit"] == MAX_MEMBERS


# ---- the compact history reads as the events did ----------------------------------------------------------

def test_the_compact_history_is_the_events_without_unknown_fields_and_kinds(tiny_run):
    text = "".join(json.dumps(e) + "\n" for e in tiny_run.history)
    extra = '{"kind": "checkpoint", "epoch": 1.0}\n{"kind": "from-the-future", "x": 1}\n'
    history = history_from_jsonl(text + extra.replace("1.0}", '1.0, "state": "x"}'))
    assert history == json.loads(json.dumps(tiny_run.history))  # the unknown kinds are dropped
    noted = history_from_jsonl(json.dumps({**tiny_run.history[0], "colour": "red"}) + "\n")
    assert "colour" not in noted[0] and noted[0] == tiny_run.history[0]
    assert history[-1] == tiny_run.history[-1] and history[1:3] == tiny_run.history[1:3]
    assert history + [{"kind": "x"}] == [*tiny_run.history, {"kind": "x"}]


@pytest.mark.parametrize("line, why", [
    ('{"kind": "step", "step": "three"}', "a number field holding text"),
    ('{"kind": "eval", "test_acc": 0.5, "test_preds": [1, 2, 12]}', "a prediction that is not a digit"),
    ('{"kind": "eval", "test_acc": 0.5, "full": "yes"}', "a flag that is not true or false"),
    ('{"kind": "final", "status": "' + "x" * 3000 + '"}', "a status of 3,000 characters"),
    ('[' * 5000 + ']' * 5000, "brackets nested 5,000 deep"),
    ('{"kind": "step"' + ', "a": 1' * 40 + '}', "40 fields on one line"),
    ('{"kind": "knn", "k": 1, "test_acc": 0.5, "pad": [' + "1," * 5000 + '1]}', "5,000 numbers in one field"),
])
def test_a_malformed_known_field_is_refused(line, why):
    with pytest.raises(RunError) as refused:
        history_from_jsonl(line + "\n")
    assert refused.value.code == "metrics_bad", why


def test_a_line_longer_than_a_real_event_is_refused():
    with pytest.raises(RunError) as refused:
        history_from_jsonl('{"kind": "knn", "k": 1, "test_acc": 0.5, "pad": "' + "x" * MAX_LINE_BYTES + '"}\n')
    assert refused.value.code == "metrics_bad"


def test_a_block_of_steps_reads_as_the_same_steps_one_by_one():
    """Steps are added a block at a time; a block with an odd row (a null, a missing field, a float step) reads
    exactly as adding each event alone does, and a wrong type in any row is still refused."""
    steps = [{"kind": "step", "epoch": i / 10, "step": i, "seen": 64 * i, "seconds": 0.1 * i, "loss": 1 / (i + 1),
              "batch_acc": 0.5, "images_per_s": 100.0, "lr": 0.01} for i in range(50)]
    steps[20]["loss"], steps[30]["step"] = None, 30.0
    del steps[40]["lr"]
    events = [*steps[:25], {"kind": "eval", "step": 25, "test_acc": 0.5}, *steps[25:], {"kind": "final", "status": "x"}]
    text = "".join(json.dumps(e) + "\n" for e in events)
    assert history_from_jsonl(text) == History(events) == json.loads(json.dumps(events))
    assert history_from_jsonl(text).rows("step").__next__() == steps[0]
    with pytest.raises(RunError):
        history_from_jsonl(text.replace('"step": 45,', '"step": "45",'))


def test_predictions_are_kept_for_an_even_spread_of_at_most_256_evaluations():
    line = '{"kind": "eval", "step": %d, "test_acc": 0.5, "full": true, "test_preds": [1, 2, 3]}\n'
    history = history_from_jsonl("".join(line % i for i in range(1000)))
    kept = [e["step"] for e in history if "test_preds" in e]
    assert len(history) == 1000 and len(kept) <= MAX_SNAPSHOTS
    assert kept[0] == 0 and kept[-1] == 999 and max(b - a for a, b in zip(kept, kept[1:], strict=False)) <= 8
    assert all(e["test_preds"] == [1, 2, 3] for e in history if "test_preds" in e)


# ---- an upload saves what it checked, for every family ----------------------------------------------------

def test_an_uploaded_run_of_every_family_lists_and_loads(tiny_run, tiny_cnn_run, small_mnist, tmp_path):
    from core.learn import families
    from core.learn.training import predict_proba

    runs = [tiny_run, tiny_cnn_run]
    for arch, extra in (("scratch:16", {}), ("knn", {"train_subset": 300})):
        config = TrainConfig(arch=arch, device="cpu", epochs=1, **extra)
        model = families.build(config)
        if arch == "knn":
            model.fit(small_mnist.images("train")[:300], small_mnist.labels("train")[:300])
        runs.append(Run(name=arch.split(":")[0], config=config, model=model, history=[]))
    x = small_mnist.images("test")[:4]
    for run in runs:
        name = save_zip(run_to_zip(run), tmp_path / "ws", taken={"tiny-mlp"} if run is tiny_run else ())
        opened = open_run(tmp_path / "ws" / name)
        assert opened.history == json.loads(json.dumps(run.history)) and opened.config == run.config
        assert torch.allclose(predict_proba(load_run(tmp_path / "ws" / name).model, x), predict_proba(run.model, x))
    assert (tmp_path / "ws" / "tiny-mlp-2").is_dir()


def test_an_upload_whose_weights_do_not_fit_leaves_nothing(tiny_run, tmp_path):
    wrong = Run(name="wrong", config=tiny_run.config.replace(arch="mlp:64"), model=tiny_run.model,
                history=tiny_run.history)
    folder = save_run(wrong, tmp_path / "src" / "wrong")
    (folder / "config.json").write_text(json.dumps(tiny_run.config.to_dict()))  # the config names mlp:32
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in Path(folder).iterdir():
            zf.write(f, f"wrong/{f.name}")
    with pytest.raises(RunError) as refused:
        save_zip(buf.getvalue(), tmp_path / "ws")
    assert refused.value.code in {"arch_mismatch", "weights_mismatch"}
    assert not list((tmp_path / "ws").iterdir())


def test_the_cache_of_listed_runs_is_bounded_in_bytes(tiny_run, tmp_path, monkeypatch):
    from core.lab.runfiles import folders

    one = folders.run_nbytes(folders.open_run(save_run(tiny_run, tmp_path / "r0")))
    monkeypatch.setattr(folders, "LISTED_BYTES", 3 * one + one // 2)  # room for three runs of this size
    monkeypatch.setattr(folders, "_listed", type(folders._listed)())
    monkeypatch.setattr(folders, "_listed_bytes", 0)
    runs = [folders.listed_run(save_run(tiny_run, tmp_path / f"r{i}")) for i in range(6)]
    assert len(folders._listed) == 3 and folders._listed_bytes <= folders.LISTED_BYTES
    assert folders.listed_run(tmp_path / "r5") is runs[5]  # a recent one is a hit
    assert folders.listed_run(tmp_path / "r0") is not runs[0]  # the oldest was let go, and is read again
    save_run(tiny_run, tmp_path / "r5")  # a new version of its files is read again
    assert folders.listed_run(tmp_path / "r5") is not runs[5]


def test_an_upload_leaves_the_gil_to_the_other_pages(tmp_path):
    """While the longest history uploads in one thread (as a Streamlit session does), another thread that
    wakes every millisecond (another student's page) is never held up for long: parsing goes a block at a
    time and inflating releases the GIL."""
    import threading
    import time

    blob, gaps, done = worst_history_zip(), [], threading.Event()

    def page() -> None:
        last = time.perf_counter()
        while not done.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    watcher = threading.Thread(target=page)
    watcher.start()
    started = time.perf_counter()
    try:
        save_zip(blob, tmp_path / "ws")
    finally:
        done.set()
        watcher.join()
    took = time.perf_counter() - started
    assert len(gaps) > 10 and max(gaps) < 0.5, f"the other thread waited up to {max(gaps):.3f} s of {took:.1f} s"
