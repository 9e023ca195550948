"""Run files on the classroom server: a run is a folder of config.json, metrics.jsonl and model.safetensors.

    format.py     the file format and its checks (limits, safetensors headers, config and history parsing)
    folders.py    run folders: atomic save, recovery, open (weights cached), list, names, write_file, HistoryTail
    zips.py       a run as one zip and back (export, upload)
    checkpoint.py a training job's checkpoint (core.lab.jobs)

The in-memory Run lives in core.learn.run. The public names below stay importable from here while the code
that other work in progress imports from this package moves to the modules; new code imports the module
that holds what it uses.
"""

from core.lab.runfiles.folders import (
    WEIGHTS_CACHED,
    DiskRun,
    HistoryTail,
    list_run_dirs,
    load_run,
    open_run,
    recover,
    safe_name,
    save_run,
    unique_name,
    write_file,
)
from core.lab.runfiles.format import (
    FILES,
    FORMAT,
    LIMITS,
    MAX_METRICS_LINES,
    MAX_TENSORS,
    RunError,
    config_from_json,
    history_from_jsonl,
    model_from_bytes,
    tensors_bytes,
    weights_bytes,
)
from core.lab.runfiles.zips import run_from_zip, run_to_zip
from core.learn.run import Run, collect, state_dict, summary

__all__ = [
    "FILES", "FORMAT", "LIMITS", "MAX_METRICS_LINES", "MAX_TENSORS", "WEIGHTS_CACHED", "DiskRun", "HistoryTail",
    "Run", "RunError", "collect", "config_from_json", "history_from_jsonl", "list_run_dirs", "load_run",
    "model_from_bytes", "open_run", "recover", "run_from_zip", "run_to_zip", "safe_name", "save_run", "state_dict",
    "summary", "tensors_bytes", "unique_name", "weights_bytes", "write_file",
]
