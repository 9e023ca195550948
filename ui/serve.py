"""`python -m ui.serve [streamlit options]`: `streamlit run app.py`, with the app's imports done before it serves.

Streamlit runs app.py only when the first browser connects, so a fresh server's first page used to wait for
that run's imports (torch alone: ~2.5 s of ~5.5 s on the project's 2-core machine, issue 19). Here the
modules that app.py and the pages import (read from their import lines) are imported first, then the server
starts: the first page's script run finds them imported. They are imported in the main thread, before the
server answers, not in a thread beside the first script run: two threads importing the same modules (Streamlit
itself among them) can meet in the middle of one and fail. It imports, nothing more: no Streamlit call, no data
read, no training. benchmarks/pages.py --fresh measures it, from the launch and from the server's first answer.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ["app.py", "views/home.py", *(f"views/{p.name}" for p in sorted((ROOT / "views").glob("*.py")))]


def imported_modules(script: Path) -> list[str]:
    """The modules a script imports at its top level, in order (`from ui import x`: ui.x where it is a module)."""
    names: list[str] = []
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def warm() -> None:
    """Import what app.py, then the Home page, then the other pages import; a name that is no module is skipped."""
    # st.cache_data checks its settings at import and, with no server yet, warns that it has none: harmless
    # (the calls find the server's caches), and said once per cached function, so kept out of the log.
    log = logging.getLogger("streamlit.runtime.caching.cache_data_api")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        _import_all(set())
    finally:
        log.setLevel(level)


def _import_all(seen: set[str]) -> None:
    for script in SCRIPTS:
        for name in imported_modules(ROOT / script):
            if name in seen:
                continue
            seen.add(name)
            try:
                if name in sys.modules or importlib.util.find_spec(name) is not None:
                    importlib.import_module(name)
            except Exception:  # noqa: BLE001 - not a module (a name imported from one), or broken: the page says so
                pass


def main() -> None:
    from streamlit.web import cli

    warm()
    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
