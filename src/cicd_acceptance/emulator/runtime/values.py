"""Evaluating workflow values at run time: whole YAML subtrees, ``if:`` conditions, and matrices.

The project's evaluator (:mod:`cicd_acceptance.workflows.expressions`) does the expressions; this module walks
YAML nodes, applies GitHub's implicit ``success() &&`` to conditions without a status function, and expands an
evaluated ``strategy.matrix`` the way GitHub does (product of the axes, ``exclude``, then ``include``).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.workflows.expressions import ExprContext, Unknown, evaluate_if, resolve, to_text
from cicd_acceptance.workflows.yamlnode import Node

__all__ = ["MAX_COMBINATIONS", "condition", "expand_matrix", "resolve_tree", "text"]

MAX_COMBINATIONS = 256  # GitHub's limit of jobs a matrix may generate
_STATUS_CALL = re.compile(r"\b(success|failure|always|cancelled)\s*\(", re.IGNORECASE)


def resolve_tree(node: Node | None, ctx: ExprContext) -> Any:
    """A YAML subtree with every expression evaluated (a lone ``${{ x }}`` keeps x's type)."""
    if node is None:
        return None
    if node.is_mapping:
        return {key: resolve_tree(child, ctx.at(child.line)) for key, child in node.items()}
    if node.is_sequence:
        return [resolve_tree(child, ctx.at(child.line)) for child in node.elements()]
    return _known(resolve(node, ctx.at(node.line)), ctx)


def text(node: Node | str | None, ctx: ExprContext) -> str:
    """A value as the string an action input or an ``env:`` entry receives ('' when absent)."""
    if node is None:
        return ""
    value = _known(resolve(node, ctx), ctx)
    if value is None:
        return ""
    return to_text(value)


def condition(source: str | None, ctx: ExprContext) -> bool:
    """A job/step ``if:``; without a status function it is ``success() && (...)``, as on GitHub."""
    if source is None or not source.strip():
        return ctx.status in {None, "success"}
    if not _STATUS_CALL.search(source) and ctx.status not in {None, "success"}:
        return False
    value = evaluate_if(source, ctx)
    if isinstance(value, Unknown):
        raise WorkflowLoadError(f"the condition {source!r} could not be evaluated", path=ctx.path, line=ctx.line)
    return value


def _known(value: Any, ctx: ExprContext) -> Any:
    if isinstance(value, Unknown):
        raise WorkflowLoadError(f"{value.display()} could not be evaluated", path=ctx.path, line=ctx.line)
    return value


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
