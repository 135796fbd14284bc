"""The engine's structure: the CPU speed rules behind their one entry point, no import circle."""

import ast
from pathlib import Path

import vgv_core

PACKAGE = Path(vgv_core.__file__).parent


def _module_name(path: Path) -> str:
    parts = ("vgv_core",) + path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        graph[_module_name(path)] = {
            node.module for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vgv_core")
        }
    return graph


def _cycle_from(graph: dict[str, set[str]], start: str) -> list[str] | None:
    stack = [(start, [start])]
    while stack:
        module, path = stack.pop()
        for dependency in graph.get(module, ()):
            if dependency == start:
                return path + [start]
            if dependency not in path:
                stack.append((dependency, path + [dependency]))
    return None


def test_no_import_circle_in_the_explanation_engine():
    graph = _imports()
    engine = [m for m in graph if m.startswith("vgv_core.explain")]
    assert len(engine) > 10
    cycles = [cycle for cycle in (_cycle_from(graph, m) for m in engine) if cycle]
    assert not cycles, cycles


def test_the_engine_reaches_the_cpu_rules_through_their_entry_point_only():
    graph = _imports()
    outside = {m: deps for m, deps in graph.items() if not m.startswith("vgv_core.explain.cpu")}
    reaching_in = {m for m, deps in outside.items() if any(d.startswith("vgv_core.explain.cpu.") for d in deps)}
    assert not reaching_in
    assert "vgv_core.explain.cpu" in graph["vgv_core.explain.engine"]
