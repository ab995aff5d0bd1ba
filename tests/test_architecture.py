"""The shape of the code that users and maintainers rely on: the library (rag/) never
imports its consumers (app/, evals/), importing it changes nothing in the environment,
and the data-path modules stay short enough to read."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("rag", "app", "evals")
# Who may import whom: the library is at the bottom; the web app and the evaluation sit
# on top of it and apart from each other.
ALLOWED = {"rag": set(), "app": {"rag"}, "evals": {"rag"}}
MAX_LINES = 450  # a data-path module longer than this is doing more than one stage


def _modules(package: str) -> list[str]:
    out = []
    for path in sorted((REPO / package).rglob("*.py")):
        rel = path.relative_to(REPO).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append(".".join(parts))
    return out


def _import_in_fresh_interpreter(modules: list[str]) -> dict:
    """Import ``modules`` in a new Python; report which top-level packages got loaded and
    which environment variables changed."""
    code = (
        "import importlib, json, os, sys\n"
        "before = dict(os.environ)\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))\n"
        "print(json.dumps({'loaded': sorted({m.split('.')[0] for m in sys.modules}), 'env': changed}))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_import_only_downward(package):
    loaded = set(_import_in_fresh_interpreter(_modules(package))["loaded"])
    forbidden = set(PACKAGES) - {package} - ALLOWED[package]
    assert not loaded & forbidden, f"{package} imports {sorted(loaded & forbidden)}"


def test_the_check_sees_an_upward_import(tmp_path):
    """The probe above must be able to fail: a module importing app is caught."""
    report = _import_in_fresh_interpreter(["rag", "app.strings"])
    assert "app" in report["loaded"]


def test_importing_the_library_changes_no_environment_variable():
    # Switching the hub and telemetry off happens when a command runs or a model is loaded
    # (rag.offline.enable), never as a side effect of an import.
    assert _import_in_fresh_interpreter(_modules("rag"))["env"] == []


def test_data_path_modules_stay_short():
    long = {str(p.relative_to(REPO)): n for p in (REPO / "rag").glob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these modules: {long}"


def _imports(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, at the top or inside a function (a lazy
    import still ties the two modules together). ``from . import x`` is an import of x."""
    names = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = ".".join(here[:len(here) - node.level + 1] + [node.module or ""]).strip(".") \
                    if node.level else (node.module or "")
                found = {f"{base}.{a.name}" for a in node.names} & names.keys()
                deps |= found or ({base} & names.keys())
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names} & names.keys()
        graph[name] = deps - {name}
    return graph


def _loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """The module groups that import each other round a loop (strongly connected, > 1)."""
    order, low, stack, out = {}, {}, [], []

    def visit(v):
        order[v] = low[v] = len(order)
        stack.append(v)
        for w in graph[v]:
            if w not in order:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], order[w])
        if low[v] == order[v]:
            group = []
            while (w := stack.pop()) != v:
                group.append(w)
            if group:
                out.append(sorted(group + [v]))

    for v in graph:
        if v not in order:
            visit(v)
    return out


def test_library_modules_import_each_other_without_a_loop():
    # A loop means neither module can be read, tested or replaced without the other (the
    # Milvus index stage once took its prepare step back from index.py).
    assert _loops(_imports(REPO, "rag")) == []


def test_the_loop_check_sees_a_loop(tmp_path):
    pkg = tmp_path / "lib"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from .a import f\n")
    (pkg / "a.py").write_text("def f():\n    from . import b\n")
    (pkg / "b.py").write_text("from .c import g\n")
    (pkg / "c.py").write_text("def g():\n    pass\n")
    assert _loops(_imports(tmp_path, "lib")) == []
    (pkg / "c.py").write_text("def g():\n    from .a import f\n")
    assert _loops(_imports(tmp_path, "lib")) == [["lib.a", "lib.b", "lib.c"]]


def test_plugin_commands_are_found_through_entry_points():
    from click.testing import CliRunner

    from rag.cli import cli

    out = CliRunner().invoke(cli, ["--help"]).output
    for name in ("index", "search", "ask", "chat", "calibrate", "serve", "eval", "bench"):
        assert f"  {name} " in out, name
    assert CliRunner().invoke(cli, ["no-such-command"]).exit_code == 2
