"""The rule modules stand alone: no rule imports another rule, and every rule is in a criterion.

A rule module is a module of ``workflows/checks`` that defines ``RULE``; what two rules share lives in a helper
module (``common``, ``context``, ``finding``, ...). Read from the source with ``ast``, so nothing is imported.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from cicd_acceptance.criteria import CRITERIA, HARNESS_CRITERIA
from cicd_acceptance.workflows import checks

CHECKS_DIR = Path(checks.__file__).parent
PACKAGE = "cicd_acceptance.workflows.checks"


def _trees() -> dict[str, ast.Module]:
    return {path.stem: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in CHECKS_DIR.glob("*.py")}


def _defines_rule(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "RULE" for t in node.targets)
               for node in tree.body)


def _imported_siblings(tree: ast.Module) -> set[str]:
    """Modules of the checks package that ``tree`` imports, however it spells the import."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom):  # relative: from . import x, from .x import y
            base = f"{PACKAGE}.{node.module}" if node.module else PACKAGE
            names |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return {name.removeprefix(PACKAGE + ".").split(".")[0] for name in names if name.startswith(PACKAGE + ".")}


def test_the_checks_package_has_rule_modules() -> None:
    assert len([name for name, tree in _trees().items() if _defines_rule(tree)]) >= 20


def test_no_rule_module_imports_another_rule_module() -> None:
    trees = _trees()
    rules = {name for name, tree in trees.items() if _defines_rule(tree)}
    offenders = {name: sorted(_imported_siblings(trees[name]) & rules) for name in sorted(rules)}
    assert {name: found for name, found in offenders.items() if found} == {}, "move shared helpers to common.py"


def test_the_import_reader_sees_every_spelling() -> None:
    tree = ast.parse("from . import a\nfrom .b import x\nfrom cicd_acceptance.workflows.checks.c import y\n"
                     "import cicd_acceptance.workflows.checks.d\nfrom cicd_acceptance.workflows.checks import e\n")
    assert _imported_siblings(tree) >= {"a", "b", "c", "d", "e"}


def test_every_rule_module_is_in_a_criterion() -> None:
    registered = {rule.id for c in CRITERIA + HARNESS_CRITERIA for rule in c.rules}
    for name, tree in _trees().items():
        if _defines_rule(tree):
            module = importlib.import_module(f"{PACKAGE}.{name}")
            assert module.RULE.id in registered, f"{name}.RULE is in no criterion of cicd_acceptance.criteria"
