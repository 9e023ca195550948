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


def core_modules() -> dict[str, Path]:
    """core's modules by dotted name (a package by its __init__.py)."""
    out = {}
    for path in sorted((ROOT / "core").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Which core modules each core module imports (at the top or inside a function): `from a import b` counts
    as importing the module a.b when there is one, else a."""
    graph = {}
    for name, path in modules.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                edges.update(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules
                             else node.module for alias in node.names)
        graph[name] = {m for m in edges if m in modules and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles (strongly connected components of more than one module), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_in_core():
    """No module of core imports one that imports it back, directly or around a circle (a circle hidden in a
    function-level import counts too)."""
    assert cycles(import_graph(core_modules())) == []


def test_the_learning_library_never_imports_the_classroom_server():
    assert offenders("core/learn", ("core.lab",)) == {}


def test_the_circle_check_sees_a_circle(tmp_path, monkeypatch):
    for name, text in {"__init__": "", "a": "from core import b\n", "b": "def f():\n    import core.c\n",
                       "c": "from core.a import x\n", "d": "from core import a\n"}.items():
        (tmp_path / "core").mkdir(exist_ok=True)
        (tmp_path / "core" / f"{name}.py").write_text(text)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert cycles(import_graph(core_modules())) == [["core.a", "core.b", "core.c"]]
