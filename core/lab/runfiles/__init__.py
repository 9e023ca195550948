"""Run files on the classroom server: a run is a folder of config.json, metrics.jsonl and model.safetensors.

    format.py     the file format and its checks (limits, safetensors headers, config and history parsing)
    folders.py    run folders: atomic save, recovery, open (weights cached), list, names, write_file, HistoryTail
    zips.py       a run as one zip and back (export, upload)
    checkpoint.py a training job's checkpoint (core.lab.jobs)

The in-memory Run lives in core.learn.run. Import what you use from the module that holds it.
"""
