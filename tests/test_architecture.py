"""The layering holds: the import contracts pass, no module imports itself round a loop, no
private name is imported from another module, and lazy imports each say why."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(p for p in (ROOT / "tracker").rglob("*.py") if "migrations" not in p.parts)


def test_the_import_contracts_in_pyproject_are_kept() -> None:
    script = ("import sys; from importlinter.cli import lint_imports; "
              "sys.exit(lint_imports(no_cache=True, no_logo=True))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iteratively)."""
    modules = sorted(m for m in graph.modules if m.startswith("tracker"))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if not child.startswith("tracker"):
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                # A package's __init__ importing its own modules is not a loop of ours.
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_imports_itself_round_a_loop() -> None:
    graph = grimp.build_graph("tracker", cache_dir=None)
    assert _cycles(graph) == []


def test_the_loop_finder_finds_a_loop() -> None:
    graph = grimp.ImportGraph()
    for name in ("tracker.a", "tracker.b", "tracker.c"):
        graph.add_module(name)
    graph.add_import(importer="tracker.a", imported="tracker.b")
    graph.add_import(importer="tracker.b", imported="tracker.a")
    graph.add_import(importer="tracker.b", imported="tracker.c")
    assert _cycles(graph) == [["tracker.a", "tracker.b"]]


def test_no_private_name_is_imported_from_another_module() -> None:
    offences = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tracker"):
                offences += [f"{path.relative_to(ROOT)}: {node.module}.{a.name}"
                             for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
    assert offences == []


def test_every_lazy_import_says_why() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "PLC0415", "tracker"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout
    lines = [line for path in SOURCES for line in path.read_text().splitlines() if "noqa: PLC0415" in line]
    assert all("noqa: PLC0415 - " in line for line in lines), lines
