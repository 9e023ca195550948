"""A run as one zip (export) and back (upload), judged by its size and shape before it is inflated."""

from __future__ import annotations

import io
import zipfile
import zlib

from core.lab.runfiles.folders import safe_name
from core.lab.runfiles.format import FILES, LIMITS, RunError, check_size, files_of, one_line, run_from_files
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


def run_from_zip(blob: bytes, name: str = "uploaded") -> Run:
    """A run from a zip made by run_to_zip (files at the top or in one folder); validated throughout."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(blob))
    except _ZIP_ERRORS:
        raise RunError("the file is not a zip archive", "not_zip") from None
    with zf:
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
        folder = complete[0]
        for base, info in folders[folder].items():
            check_size(base, info.file_size)
        try:
            files = {}
            for base, info in folders[folder].items():
                with zf.open(info) as member:  # read at most the limit: a zip's stated size may lie
                    files[base] = member.read(LIMITS[base] + 1)
        except _ZIP_ERRORS as exc:
            raise RunError(f"the zip is damaged ({one_line(exc)})", "damaged") from None
    return run_from_files(safe_name(folder.rpartition("/")[2] or name), files, origin="upload")
