"""Hostile runs: small files that would expand into gigabytes are refused before they are expanded.

Each case is loaded in a fresh Python process (tests/peak.py), so the bound covers everything the refusal
allocated, not only what this test can see. Measured: at most +5.3 MB (the million-line history, refused by
its line count); +150 MB for that one with the line limit lifted.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import pytest

from core.lab.runfiles.folders import load_run
from core.lab.runfiles.format import MAX_METRICS_LINES, MAX_TENSORS, RunError
from core.lab.runfiles.zips import run_from_zip, run_to_zip
from core.learn.config import TrainConfig
from tests.peak import in_fresh_process

PEAK_MB = 60  # what refusing one hostile run may add to a process's peak memory


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, blob in files.items():
            zf.writestr(f"bomb/{name}", blob)
    return buf.getvalue()


def _config(**fields) -> bytes:
    return json.dumps({**TrainConfig(arch="mlp:32").to_dict(), **fields}).encode()


def _safetensors(header: dict, data: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def _weights_ok() -> bytes:
    return _safetensors({"__metadata__": {"format": "mnist-lab-run/1", "arch": "mlp:32"}})


def line_bomb() -> bytes:
    """Five million tiny events: a 60 MB history in a zip of a few hundred KB."""
    return _zip({"config.json": _config(), "metrics.jsonl": b'{"kind":"x"}\n' * 5_000_000,
                 "model.safetensors": _weights_ok()})


def short_line_bomb() -> bytes:
    """Under the size limit, over the line limit: a million three-byte lines."""
    return _zip({"config.json": _config(), "metrics.jsonl": b"{}\n" * 1_000_000,
                 "model.safetensors": _weights_ok()})


def header_key_bomb() -> bytes:
    """A weights header naming thousands of empty tensors (each one an allocation if it were loaded)."""
    header = {f"t{i}": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]} for i in range(5000)}
    header["__metadata__"] = {"format": "mnist-lab-run/1", "arch": "mlp:32"}
    return _zip({"config.json": _config(), "metrics.jsonl": b"", "model.safetensors": _safetensors(header)})


def huge_model_config() -> bytes:
    """A config claiming an MLP of 200 layers of 4096 units (13 GB of float weights if built)."""
    arch = "mlp:" + ",".join(["4096"] * 200)
    header = {"__metadata__": {"format": "mnist-lab-run/1", "arch": arch}}
    return _zip({"config.json": _config(arch=arch), "metrics.jsonl": b"", "model.safetensors": _safetensors(header)})


def huge_tensor_claim() -> bytes:
    """A header claiming one tensor of 10^12 floats in a file of a few bytes."""
    header = {"w": {"dtype": "F32", "shape": [1_000_000, 1_000_000], "data_offsets": [0, 4]},
              "__metadata__": {"format": "mnist-lab-run/1", "arch": "mlp:32"}}
    return _zip({"config.json": _config(), "metrics.jsonl": b"", "model.safetensors": _safetensors(header, b"0000")})


BOMBS = [line_bomb, short_line_bomb, header_key_bomb, huge_model_config, huge_tensor_claim]


@pytest.mark.parametrize("bomb", BOMBS, ids=lambda b: b.__name__)
def test_an_upload_bomb_is_refused_without_expanding(bomb, tmp_path):
    blob = bomb()
    assert len(blob) < 600_000  # the attack is small
    result = in_fresh_process("core.lab.runfiles.zips:run_from_zip", blob, tmp_path)
    assert result["code"] in {"limit_file", "limit_lines", "limit_tensors", "weights_corrupt", "config_bad"}
    assert result["peak_kb"] < PEAK_MB * 1024, f"{bomb.__name__} raised the peak by {result['peak_kb'] // 1024} MB"


def test_the_limits_name_the_reason(tmp_path):
    with pytest.raises(RunError) as lines:
        run_from_zip(short_line_bomb())
    assert lines.value.code == "limit_lines" and lines.value.params["limit"] == MAX_METRICS_LINES
    with pytest.raises(RunError) as tensors:
        run_from_zip(_zip({"config.json": _config(), "metrics.jsonl": b"", "model.safetensors": _safetensors(
            {f"t{i}": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]} for i in range(MAX_TENSORS + 1)})}))
    assert tensors.value.code == "limit_tensors"
    with pytest.raises(RunError) as size:
        run_from_zip(line_bomb())
    assert size.value.code == "limit_file" and size.value.params["file"] == "metrics.jsonl"


def test_a_shared_folder_bomb_is_refused_before_it_is_read(tmp_path, tiny_run):
    folder = tmp_path / "bomb"
    folder.mkdir()
    with zipfile.ZipFile(io.BytesIO(run_to_zip(tiny_run))) as zf:
        for info in zf.infolist():
            (folder / Path(info.filename).name).write_bytes(zf.read(info))
    with open(folder / "metrics.jsonl", "ab") as f:  # a sparse 1 GB tail: costs no disk, would cost memory
        f.truncate(1024 ** 3)
    with pytest.raises(RunError) as refused:
        load_run(folder)
    assert refused.value.code == "limit_file"


def test_real_runs_pass_the_limits(tiny_run, tiny_cnn_run):
    for run in (tiny_run, tiny_cnn_run):
        assert run_from_zip(run_to_zip(run)).test_acc == run.test_acc
