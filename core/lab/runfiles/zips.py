"""A run as one zip (export) and back (upload), judged by its size and shape before it is inflated."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Container
from pathlib import Path

from core.lab.runfiles.folders import safe_name, save_whole, unique_name
from core.lab.runfiles.format import (
    FILES,
    LIMITS,
    RunError,
    check_size,
    config_from_json,
    copy_weights,
    files_of,
    history_from_jsonl,
    one_line,
    run_from_files,
)
from core.learn.run import Run

MAX_ZIP_BYTES = sum(LIMITS.values()) + 1024 * 1024  # refuse to inflate more than this from an uploaded zip


def run_to_zip(run: Run) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for fname, blob in files_of(run).items():
            zf.writestr(f"{safe_name(run.name)}/{fname}", blob)
    return buf.getvalue()


# Everything zipfile and zlib raise on a damaged, encrypted or exotic archive.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError)


MAX_MEMBERS = 64  # a run is 3 files (a folder entry, a stray .DS_Store or __MACOSX copy fit many times over)
MAX_DIRECTORY_BYTES = 64 * 1024  # the central directory: about 100 bytes per member
_EOCD = struct.Struct("<4sHHHHIIH")  # the end-of-central-directory record, 22 bytes


def check_directory(blob: bytes) -> None:
    """Judge a zip by its end-of-central-directory record before zipfile reads its member list: how many
    members it declares and how big its directory is. A split, zip64 or member-bomb archive is refused here."""
    tail = blob[-(_EOCD.size + 65535):]  # the record, then a comment of at most 64 KB
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise RunError("the file is not a zip archive", "not_zip")
    _sig, disk, cd_disk, here, total, cd_size, cd_offset, _comment = _EOCD.unpack_from(tail, at)
    zip64 = at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07"
    if disk or cd_disk or here != total or zip64 or total > MAX_MEMBERS or cd_size > MAX_DIRECTORY_BYTES:
        n = "many" if zip64 else total
        raise RunError(f"the zip declares {n} files in a {cd_size}-byte directory; a run has 3", "zip_members",
                       n=n, limit=MAX_MEMBERS)
    if cd_offset + cd_size > len(blob):
        raise RunError("the zip is damaged (its directory lies outside the file)", "damaged")


def _run_members(zf: zipfile.ZipFile) -> tuple[str, dict[str, zipfile.ZipInfo]]:
    """The one run folder in the zip and its three members, each within its limit by its stated size."""
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
        raise RunError("the zip is too large to be a run", "too_large")
    folders: dict[str, dict[str, zipfile.ZipInfo]] = {}
    for info in infos:
        folder, _, base = info.filename.rpartition("/")
        if base in FILES:
            folders.setdefault(folder, {})[base] = info
    complete = [f for f, found in folders.items() if len(found) == len(FILES)]
    if len(complete) > 1:
        raise RunError(f"the zip holds {len(complete)} runs; upload one run at a time", "many_runs",
                       n=len(complete))
    if not complete:
        found = max(folders.values(), key=len, default={})
        missing = [f for f in FILES if f not in found]
        raise RunError(f"not an MNIST Lab run: {', '.join(missing)} missing from the zip", "missing_files",
                       files=", ".join(missing))
    for base, info in folders[complete[0]].items():
        check_size(base, info.file_size)
    return complete[0], folders[complete[0]]


def _open(blob: bytes) -> zipfile.ZipFile:
    check_directory(blob)
    try:
        return zipfile.ZipFile(io.BytesIO(blob))
    except _ZIP_ERRORS:
        raise RunError("the file is not a zip archive", "not_zip") from None


def run_from_zip(blob: bytes, name: str = "uploaded") -> Run:
    """A run from a zip made by run_to_zip (files at the top or in one folder); validated throughout, the
    learner built and loaded (the command line and tests; an upload uses save_zip, which builds nothing)."""
    with _open(blob) as zf:
        folder, members = _run_members(zf)
        try:
            files = {}
            for base, info in members.items():
                with zf.open(info) as member:  # read at most the limit: a zip's stated size may lie
                    files[base] = member.read(LIMITS[base] + 1)
        except _ZIP_ERRORS as exc:
            raise RunError(f"the zip is damaged ({one_line(exc)})", "damaged") from None
    return run_from_files(safe_name(folder.rpartition("/")[2] or name), files, origin="upload")


def save_zip(blob: bytes, runs_dir: str | Path, name: str = "uploaded", taken: Container[str] = ()) -> str:
    """Check an uploaded zip and save the run it holds as `runs_dir/<its name>` (made unique among `taken`);
    returns that name. Nothing is built or loaded: the zip is judged by its directory, the config parsed, the
    history parsed line by line into a compact table as it streams to disk, the weights' header checked
    against the tensors this architecture has before their bytes stream to disk. So an upload costs a few MB
    and parses in small steps that leave the GIL to the other pages. RunError before anything is in place."""
    with _open(blob) as zf:
        folder, members = _run_members(zf)
        try:
            with zf.open(members["config.json"]) as member:
                config_blob = member.read(LIMITS["config.json"] + 1)
            check_size("config.json", len(config_blob))
            config = config_from_json(config_blob)
            final = unique_name(taken, safe_name(folder.rpartition("/")[2] or name))

            def write(tmp: Path) -> None:
                (tmp / "config.json").write_bytes(config_blob)
                with zf.open(members["metrics.jsonl"]) as src, open(tmp / "metrics.jsonl", "wb") as out:
                    history_from_jsonl(src, copy_to=out)
                with zf.open(members["model.safetensors"]) as src, open(tmp / "model.safetensors", "wb") as out:
                    copy_weights(config, src, out)

            save_whole(Path(runs_dir) / final, write)
        except RunError:
            raise
        except _ZIP_ERRORS as exc:
            raise RunError(f"the zip is damaged ({one_line(exc)})", "damaged") from None
    return final
