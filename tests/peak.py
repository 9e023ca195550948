"""What one call adds to a fresh process's peak memory: for the hostile-input tests.

`python -m tests.peak MODULE:FUNCTION FILE` calls FUNCTION(FILE's bytes) in a process of its own and prints one
JSON line: the LabError code it raised (or null), the shape of what it returned (or null), `peak_kb`, how
far the call raised the peak resident memory (VmHWM, reset through /proc/self/clear_refs just before the call,
so the import of torch does not hide it), `held_kb`, how much more is resident while its result is kept, and
`cpu_s`, the CPU time the call took. `in_fresh_process` runs that from a test.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _kb(key: str) -> int:
    return int(re.search(key + r":\s+(\d+)", Path("/proc/self/status").read_text()).group(1))


def in_fresh_process(function: str, data: bytes, tmp_path: Path) -> dict:
    path = tmp_path / "input"
    path.write_bytes(data)
    out = subprocess.run([sys.executable, "-m", "tests.peak", function, str(path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def main(function: str, file: str) -> None:
    from core.errors import LabError

    module, _, name = function.partition(":")
    call = getattr(importlib.import_module(module), name)
    data = Path(file).read_bytes()
    Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from what is resident now
    before, cpu = _kb("VmRSS"), time.process_time()
    shape = code = result = None
    try:
        result = call(data)
        shape = list(getattr(result, "shape", []))
    except LabError as exc:
        code = exc.code
    cpu_s = time.process_time() - cpu
    print(json.dumps({"code": code, "shape": shape, "peak_kb": _kb("VmHWM") - before,
                      "held_kb": _kb("VmRSS") - before, "cpu_s": round(cpu_s, 3)}))
    del result


if __name__ == "__main__":
    main(*sys.argv[1:])
