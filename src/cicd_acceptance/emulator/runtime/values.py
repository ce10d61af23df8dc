"""Evaluating workflow values at run time: whole YAML subtrees, ``if:`` conditions, and matrices.

Expressions go to the project's evaluator with every context known (:func:`evaluate_known`, GitHub's semantics);
this module walks YAML nodes, keeps a lone ``${{ x }}``'s type, applies GitHub's implicit ``success() &&`` to
conditions without a status function, and expands an evaluated ``strategy.matrix`` the way GitHub does (product of
the axes, ``exclude``, then ``include``).
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.workflows.expressions import evaluate_known, find_expressions, to_text, truthy
from cicd_acceptance.workflows.yamlnode import Node

__all__ = ["MAX_COMBINATIONS", "RunContext", "condition", "expand_matrix", "minutes", "resolve_tree", "text"]

MAX_COMBINATIONS = 256  # GitHub's limit of jobs a matrix may generate
_STATUS_CALL = re.compile(r"\b(success|failure|always|cancelled)\s*\(", re.IGNORECASE)
_MAX_HASHED_FILES = 10_000


@dataclass(frozen=True)
class RunContext:
    """Every context of one point of a run (name -> value), the job status the status functions report, the
    workspace ``hashFiles()`` reads, and ``path:line`` for messages."""

    contexts: Mapping[str, Any]
    status: str = "success"
    workspace: Path | None = None
    path: str = "<expression>"
    line: int | None = None

    @property
    def env(self) -> Mapping[str, Any]:
        env: Mapping[str, Any] = self.contexts.get("env", {})
        return env

    def at(self, line: int | None, path: str | None = None) -> RunContext:
        return replace(self, line=line, path=path or self.path)

    def evaluate(self, source: str) -> Any:
        status = self.status
        functions: dict[str, Callable[..., Any]] = {
            "success": lambda: status == "success", "failure": lambda: status == "failure",
            "cancelled": lambda: status == "cancelled", "always": lambda: True,
            "hashfiles": lambda *patterns: _hash_files(self.workspace, patterns)}
        return evaluate_known(source, self.contexts, path=self.path, line=self.line, functions=functions)


def _hash_files(workspace: Path | None, patterns: tuple[Any, ...]) -> str:
    """hashFiles(): sha256 over the sha256 of each matching file in the workspace ('' when none matches)."""
    if workspace is None:
        return ""
    root = workspace.resolve()
    files: set[Path] = set()
    for pattern in patterns:
        text_pattern = str(pattern)
        negate = text_pattern.startswith("!")
        matched = {path for path in root.glob(text_pattern.lstrip("!")) if path.is_file()
                   and not path.is_symlink() and path.resolve().is_relative_to(root)}
        files = files - matched if negate else files | matched
        if len(files) > _MAX_HASHED_FILES:
            raise WorkflowLoadError(f"hashFiles() matched more than {_MAX_HASHED_FILES} files", path=str(pattern))
    if not files:
        return ""
    outer = hashlib.sha256()
    for path in sorted(files):
        outer.update(hashlib.sha256(path.read_bytes()).digest())
    return outer.hexdigest()


def _value(raw: str, ctx: RunContext) -> Any:
    found = find_expressions(raw, path=ctx.path, line=ctx.line)
    if not found:
        return raw
    if len(found) == 1 and found[0][0] == 0 and found[0][1] == len(raw):
        return ctx.evaluate(found[0][2])
    pieces, position = [], 0
    for start, end, source in found:
        pieces += [raw[position:start], to_text(ctx.evaluate(source))]
        position = end
    pieces.append(raw[position:])
    return "".join(pieces)


def resolve_tree(node: Node | None, ctx: RunContext) -> Any:
    """A YAML subtree with every expression evaluated (a lone ``${{ x }}`` keeps x's type)."""
    if node is None:
        return None
    if node.is_mapping:
        return {key: resolve_tree(child, ctx.at(child.line)) for key, child in node.items()}
    if node.is_sequence:
        return [resolve_tree(child, ctx.at(child.line)) for child in node.elements()]
    if not node.is_string:
        return node.plain()
    return _value(node.scalar_text(), ctx.at(node.line))


def text(node: Node | str | None, ctx: RunContext) -> str:
    """A value as the string an action input or an ``env:`` entry receives ('' when absent or null)."""
    if node is None:
        return ""
    value = resolve_tree(node, ctx) if isinstance(node, Node) else _value(node, ctx)
    return "" if value is None else to_text(value)


def minutes(node: Node | None, ctx: RunContext) -> float | None:
    """An evaluated ``timeout-minutes`` (None when absent). It must be a number, as GitHub's template requires:
    a string (``'5'``, or an input of type string) is an error; ``fromJSON()`` turns one into a number."""
    if node is None:
        return None
    value = resolve_tree(node, ctx.at(node.line))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WorkflowLoadError(f"timeout-minutes: expected a number, got {to_text(value)!r}", path=ctx.path,
                                line=node.line)
    return float(value)


def condition(source: str | None, ctx: RunContext) -> bool:
    """A job/step ``if:``; without a status function it is ``success() && (...)``, as on GitHub."""
    if source is None or not source.strip():
        return ctx.status == "success"
    if not _STATUS_CALL.search(source) and ctx.status != "success":
        return False
    stripped = source.strip()
    found = find_expressions(stripped, path=ctx.path, line=ctx.line)
    if not found:
        return truthy(ctx.evaluate(stripped))
    return truthy(_value(stripped, ctx))


def expand_matrix(value: Any, *, where: str) -> list[dict[str, Any]]:
    """Combinations of an evaluated matrix (``None`` = one job without a matrix)."""
    if value is None:
        return [{}]
    if not isinstance(value, dict):
        raise WorkflowLoadError(f"the matrix must be a mapping, got {to_text(value)!r}", path=where)
    include = value.get("include") or []
    exclude = value.get("exclude") or []
    if not isinstance(include, list) or not isinstance(exclude, list):
        raise WorkflowLoadError("matrix 'include' and 'exclude' must be lists", path=where)
    axes = {key: values for key, values in value.items() if key not in {"include", "exclude"}}
    for key, values in axes.items():
        if not isinstance(values, list) or not values:
            raise WorkflowLoadError(f"matrix axis {key!r} must be a non-empty list", path=where)
    size = 1
    for values in axes.values():
        size *= len(values)
        if size > MAX_COMBINATIONS:
            raise WorkflowLoadError(f"the matrix has more than {MAX_COMBINATIONS} combinations", path=where)
    combos = [dict(zip(axes, chosen, strict=True)) for chosen in itertools.product(*axes.values())] if axes else []
    combos = [combo for combo in combos if not any(_matches(combo, rule) for rule in exclude if isinstance(rule, dict))]
    combos = _include(combos, set(axes), [rule for rule in include if isinstance(rule, dict)])
    if len(combos) > MAX_COMBINATIONS:
        raise WorkflowLoadError(f"the matrix has more than {MAX_COMBINATIONS} combinations", path=where)
    return combos or ([] if axes or include else [{}])


def _matches(combo: dict[str, Any], rule: dict[str, Any]) -> bool:
    return all(key in combo and combo[key] == expected for key, expected in rule.items())


def _include(combos: list[dict[str, Any]], original: set[str], rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """GitHub's rule: an include entry extends every combination whose original values it does not overwrite;
    when it extends none, it is a new combination. Values added by an include may be overwritten by a later one."""
    result = [dict(combo) for combo in combos]
    base = [dict(combo) for combo in combos]
    for rule in rules:
        extended = False
        for combo, before in zip(result, base, strict=True):
            if all(combo.get(key, value) == value for key, value in rule.items() if key in original and key in before):
                combo.update(rule)
                extended = True
        if not extended:
            result.append(dict(rule))
            base.append({})
    return result
