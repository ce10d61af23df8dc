"""The package's modules import each other without cycles, so each part can be read, loaded and tested on its own.

Every import counts: at module level, inside a function (a lazy import hides a cycle, it does not remove it) and
under ``if TYPE_CHECKING:`` (a cycle of annotations is still two modules that cannot be understood apart). Importing
``a.b.c`` runs ``a.b``'s ``__init__`` too, so that counts as an import of ``a.b``, except from inside ``a.b``
(whose ``__init__`` is already running). The top-level parts (``workflows``, ``tools``, ``emulator``, ...) form no
cycle either.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "cicd_acceptance"


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _ancestors(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:end]) for end in range(1, len(parts))}


def _imported(node: ast.AST, importer: str, is_package: bool) -> Iterator[tuple[str, str | None]]:
    """(module, name) pairs ``node`` imports, absolute; name None for ``import module`` (the name may be a
    submodule: the caller tells)."""
    if isinstance(node, ast.Import):
        yield from ((alias.name, None) for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parts = importer.split(".") if is_package else importer.split(".")[:-1]
            base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
        yield from ((base, alias.name) for alias in node.names)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of ``root``'s package it imports, in any way."""
    paths = {_module_name(root, path): path for path in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        targets: set[str] = set()
        for node in ast.walk(tree):
            for module, imported in _imported(node, name, path.name == "__init__.py"):
                submodule = f"{module}.{imported}"
                if imported is not None and submodule in paths:
                    module = submodule
                elif imported is not None:
                    targets.add(module)  # a name the package's __init__ defines: it must have run
                targets |= {module} | (_ancestors(module) - _ancestors(name))
        graph[name] = {target for target in targets if target in paths and target != name}
    return graph


def part_graph(graph: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """The same graph between the package's top-level parts (``cicd_acceptance.workflows``, ``...tools``)."""
    def part(name: str) -> str:
        return ".".join(name.split(".")[:2])

    parts: dict[str, set[str]] = {}
    for name, targets in graph.items():
        parts.setdefault(part(name), set()).update(part(t) for t in targets if part(t) != part(name))
    return parts


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


def test_the_package_import_graph_has_no_cycle() -> None:
    graph = import_graph(PACKAGE)
    assert "cicd_acceptance.emulator.github.state" in graph  # the walk really saw the subpackages
    assert " -> ".join(find_cycle(graph)) == ""


def test_the_top_level_parts_form_no_cycle() -> None:
    parts = part_graph(import_graph(PACKAGE))
    assert "cicd_acceptance.tools" in parts["cicd_acceptance.workflows"]  # the rules run the tools ...
    assert " -> ".join(find_cycle(parts)) == ""  # ... so the tools never reach back into the workflows


@pytest.mark.parametrize(("graph", "expected"), [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ({"a": {"a"}}, ["a", "a"]),
])
def test_the_cycle_finder_finds_cycles(graph: dict[str, set[str]], expected: list[str]) -> None:
    assert find_cycle(graph) == expected


def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    package = tmp_path / "cicd_acceptance"
    for name, text in {"__init__.py": "", **files}.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    return import_graph(package)


def test_type_only_and_lazy_imports_count(tmp_path: Path) -> None:
    graph = _package(tmp_path, {
        "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cicd_acceptance.b import B\n",
        "b.py": "def f() -> None:\n    from cicd_acceptance import a\n",
    })
    assert graph["cicd_acceptance.a"] == {"cicd_acceptance.b"}
    assert graph["cicd_acceptance.b"] == {"cicd_acceptance.a"}
    assert find_cycle(graph) == ["cicd_acceptance.a", "cicd_acceptance.b", "cicd_acceptance.a"]


def test_importing_a_submodule_runs_its_package(tmp_path: Path) -> None:
    graph = _package(tmp_path, {
        "config.py": "def f() -> None:\n    from cicd_acceptance.registry.credentials import policy\n",
        "registry/__init__.py": "from cicd_acceptance.registry.auth import Auth\n",
        "registry/auth.py": "from cicd_acceptance.config import is_loopback\n",
        "registry/credentials.py": "",
    })
    assert graph["cicd_acceptance.config"] == {"cicd_acceptance.registry", "cicd_acceptance.registry.credentials"}
    assert find_cycle(graph) != []


def test_a_package_importing_its_own_modules_is_no_cycle(tmp_path: Path) -> None:
    graph = _package(tmp_path, {
        "workflows/__init__.py": "from cicd_acceptance.workflows import parser\n",
        "workflows/parser.py": "from cicd_acceptance.workflows import lexer\nfrom . import model\n",
        "workflows/lexer.py": "",
        "workflows/model.py": "",
    })
    assert graph["cicd_acceptance.workflows.parser"] == {"cicd_acceptance.workflows.lexer",
                                                         "cicd_acceptance.workflows.model"}
    assert find_cycle(graph) == []


def test_parts_collapse_modules(tmp_path: Path) -> None:
    graph = _package(tmp_path, {
        "tools.py": "from cicd_acceptance.workflows.model import Step\n",
        "workflows/__init__.py": "",
        "workflows/model.py": "",
        "workflows/checks/__init__.py": "",
        "workflows/checks/lint.py": "from cicd_acceptance.tools import run\n",
    })
    assert find_cycle(graph) == []  # no module cycle ...
    parts = part_graph(graph)
    assert find_cycle(parts) == ["cicd_acceptance.tools", "cicd_acceptance.workflows", "cicd_acceptance.tools"]
