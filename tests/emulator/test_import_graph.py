"""The emulator's modules import each other without cycles, so each subpackage can be read and loaded on its own.

Imports under ``if TYPE_CHECKING:`` do not count: they never run. Lazy imports inside functions do count: a cycle
hidden in a function is still a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import pytest

EMULATOR = Path(__file__).resolve().parents[2] / "src" / "cicd_acceptance" / "emulator"


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            guarded |= {id(inner) for stmt in node.body for inner in ast.walk(stmt)}
    return guarded


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return []


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package modules it imports at run time."""
    paths = {_module_name(root, path): path for path in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        guarded = _type_checking_nodes(tree)
        graph[name] = {target for node in ast.walk(tree) if id(node) not in guarded
                       for target in _imported(node) if target in paths and target != name}
    return graph


def find_cycle(graph: Mapping[str, set[str]]) -> list[str]:
    """One import cycle as a path that ends where it starts, or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return []


def test_the_emulator_import_graph_has_no_cycle() -> None:
    graph = import_graph(EMULATOR)
    assert "cicd_acceptance.emulator.github.state" in graph  # the walk really saw the subpackages
    assert " -> ".join(find_cycle(graph)) == ""


@pytest.mark.parametrize(("graph", "expected"), [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ({"a": {"a"}}, ["a", "a"]),
])
def test_the_cycle_finder_finds_cycles(graph: dict[str, set[str]], expected: list[str]) -> None:
    assert find_cycle(graph) == expected


def test_type_only_imports_do_not_count_but_lazy_ones_do(tmp_path: Path) -> None:
    package = tmp_path / "cicd_acceptance" / "emulator"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from typing import TYPE_CHECKING\n"
                                  "if TYPE_CHECKING:\n    from cicd_acceptance.emulator.b import B\n")
    (package / "b.py").write_text("def f() -> None:\n    from cicd_acceptance.emulator import a\n")
    graph = import_graph(package)
    assert graph["cicd_acceptance.emulator.a"] == set()
    assert graph["cicd_acceptance.emulator.b"] == {"cicd_acceptance.emulator", "cicd_acceptance.emulator.a"}
