"""The shape of the code: package imports point one way, and what the product ships stands alone.

Feature packages under `app/` may use each other, but never in a circle: a cycle means a change in one
package can break the other through a path no reader sees. The product (`app`, `workers`) never imports
the development kit, the scripts or the tests.
"""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import pytest

from app.events import EVENT_JOBS

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("app", "workers")


def _package(module: str) -> str:
    """app.visits.intake -> app.visits; workers.check_jobs -> workers; devkit.stack -> devkit."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "app" and len(parts) > 1 else parts[0]


def _module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def import_graph(top_levels: tuple[str, ...]) -> dict[str, dict[str, set[str]]]:
    """{package: {imported package: {importing module files}}} over the given top-level packages."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for top in top_levels:
        for path in (ROOT / top).rglob("*.py"):
            source = _package(_module_name(path))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                else:
                    continue
                for name in names:
                    target = _package(name)
                    if target != source and target != "app":
                        graph[source][target].add(str(path.relative_to(ROOT)))
    return graph


def cycles(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """Strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_no_package_import_cycles():
    graph = import_graph(PRODUCT)
    found = cycles(graph)
    detail = [
        f"{a} -> {b} ({', '.join(sorted(graph[a][b]))})"
        for component in found
        for a in component
        for b in component
        if b in graph.get(a, {})
    ]
    assert found == [], "package cycles:\n" + "\n".join(detail)


def test_cycle_finder_finds_a_cycle():
    """The check above can fail: a two-package loop is reported."""
    graph = {"app.a": {"app.b": {"x"}}, "app.b": {"app.a": {"y"}, "app.c": {"z"}}}
    assert cycles(graph) == [["app.a", "app.b"]]


def test_product_does_not_import_development_code():
    graph = import_graph(PRODUCT)
    wrong = {
        (source, target)
        for source, targets in graph.items()
        for target in targets
        if target in ("devkit", "scripts", "tests", "bench")
    }
    assert wrong == set()
    app_to_workers = {s for s, targets in graph.items() if s.startswith("app") and "workers" in targets}
    assert app_to_workers == set(), "the API names jobs by path (app/events.py); it never imports workers"


def test_tests_do_not_import_scripts():
    graph = import_graph(("tests",))
    assert "scripts" not in graph.get("tests", {})


@pytest.mark.parametrize("event", sorted(EVENT_JOBS))
def test_every_event_job_is_a_module_level_function_in_workers(event):
    for path, _queue in EVENT_JOBS[event]:
        module, _, name = path.rpartition(".")
        assert module.startswith("workers."), path
        assert callable(getattr(importlib.import_module(module), name)), path
