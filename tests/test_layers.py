"""The folder tree is the architecture: core is the learning library, ui/figures draws without Streamlit."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def offenders(folder: str, banned: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        bad = sorted(m for m in imported_modules(path) if m.split(".")[0] in banned or m in banned
                     or any(m.startswith(b + ".") for b in banned))
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def test_core_never_imports_presentation():
    assert offenders("core", ("streamlit", "plotly", "ui", "streamlit_drawable_canvas")) == {}


def test_figures_never_import_streamlit():
    assert offenders("ui/figures", ("streamlit", "streamlit_drawable_canvas")) == {}


def test_the_check_sees_a_banned_import(tmp_path, monkeypatch):
    bad = tmp_path / "core" / "leak.py"
    bad.parent.mkdir()
    bad.write_text("def f():\n    import plotly.graph_objects as go\n    from ui.i18n import t\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert offenders("core", ("plotly", "ui")) == {"core/leak.py": ["plotly.graph_objects", "ui.i18n"]}
