"""``strategy.matrix`` and GitHub's rules for turning it into job combinations.

GitHub's documented order (docs.github.com, "Running variations of jobs in a workflow"):

1. the cartesian product of the axes, first axis outermost;
2. ``exclude`` removes every combination that matches all key/values of an entry (partial match);
3. each ``include`` entry is added to every combination it does not contradict on an *original* axis value
   (values added by earlier includes may be overwritten); when it extends none, it becomes a new combination.

A matrix (or an axis, ``include`` or ``exclude``) written as a ``${{ }}`` expression cannot be expanded
statically: :attr:`Matrix.symbolic` then lists the expressions and :meth:`Matrix.combinations` returns ``None``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cicd_acceptance.workflows.shapes import Shape
from cicd_acceptance.workflows.yamlnode import Node

__all__ = ["MAX_COMBINATIONS", "Matrix", "evaluated_combinations", "parse_matrix"]

MAX_COMBINATIONS = 256
"""GitHub's own limit of jobs per matrix: a bigger one is not expanded."""

Combination = dict[str, Any]


@dataclass(frozen=True)
class Matrix:
    """A job matrix. ``axes`` maps each axis to its values (in order); ``include``/``exclude`` entries are plain."""

    line: int
    axes: dict[str, tuple[Any, ...]]
    include: tuple[Combination, ...]
    exclude: tuple[Combination, ...]
    node: Node
    symbolic: tuple[str, ...] = ()

    @property
    def is_symbolic(self) -> bool:
        return bool(self.symbolic)

    def combinations(self) -> tuple[Combination, ...] | None:
        """The combinations GitHub would run, in GitHub's order; ``None`` when an expression hides them."""
        if self.symbolic:
            return None
        product = _product(self.axes)
        kept = [combo for combo in product if not any(_matches(combo, rule) for rule in self.exclude)]
        return tuple(_apply_includes(kept, tuple(self.axes), self.include))

    def values(self, key: str) -> tuple[Any, ...] | None:
        """Every value ``key`` takes across the combinations, first-seen order (``None`` if symbolic)."""
        combos = self.combinations()
        if combos is None:
            return None
        seen: list[Any] = []
        for combo in combos:
            if key in combo and combo[key] not in seen:
                seen.append(combo[key])
        return tuple(seen)


def parse_matrix(node: Node, shape: Shape, line: int) -> Matrix:
    """Build a :class:`Matrix` from the ``matrix:`` node; expressions are recorded, not expanded."""
    if node.is_string:
        return Matrix(line, {}, (), (), node, (node.scalar_text(),))
    shape.mapping(node, "'strategy.matrix'")
    axes: dict[str, tuple[Any, ...]] = {}
    symbolic: list[str] = []
    include: tuple[Combination, ...] = ()
    exclude: tuple[Combination, ...] = ()
    for key, child in node.items():
        if child.is_string and "${{" in child.scalar_text():
            symbolic.append(child.scalar_text())
        elif key in {"include", "exclude"}:
            entries = _entries(child, shape, key)
            include, exclude = (entries, exclude) if key == "include" else (include, entries)
        else:
            shape.sequence(child, f"matrix axis {key!r}")
            axes[key] = tuple(element.plain() for element in child.elements())
    return Matrix(line, axes, include, exclude, node, tuple(symbolic))


def _entries(node: Node, shape: Shape, key: str) -> tuple[Combination, ...]:
    if node.is_null:
        return ()
    shape.sequence(node, f"matrix {key!r}")
    for element in node.elements():
        shape.mapping(element, f"an entry of matrix {key!r}")
    return tuple(element.plain() for element in node.elements())


def _product(axes: dict[str, tuple[Any, ...]]) -> list[Combination]:
    if not axes:
        return []  # an include-only matrix: every include entry becomes its own combination
    keys = list(axes)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(axes[key] for key in keys))]


def _matches(combo: Combination, rule: Combination) -> bool:
    return all(key in combo and _same(combo[key], value) for key, value in rule.items())


def _same(left: Any, right: Any) -> bool:
    # GitHub compares matrix values as JSON; mapping-valued axes compare by their fields.
    return bool(left == right)


def _apply_includes(combos: list[Combination], original: tuple[str, ...],
                    include: tuple[Combination, ...]) -> list[Combination]:
    result = [dict(combo) for combo in combos]
    extendable = len(result)  # combinations created by an include are not extended by later ones
    for entry in include:
        targets = [combo for combo in result[:extendable]
                   if all(key not in original or _same(combo[key], value) for key, value in entry.items())]
        for combo in targets:
            combo.update(entry)
        if not targets:
            result.append(dict(entry))
    return result


def evaluated_combinations(matrix: Matrix, evaluate: Callable[[str], Any],
                           unknown: Callable[[Any], bool]) -> tuple[Combination, ...] | None:
    """The combinations with every ``${{ }}`` evaluated (the whole matrix, an axis, ``include``/``exclude`` or a
    single value, as GitHub evaluates them before expanding); ``None`` when a needed value is unknown offline."""
    axes: dict[str, tuple[Any, ...]] = {}
    include: tuple[Combination, ...] = ()
    exclude: tuple[Combination, ...] = ()
    source = matrix.node.plain() if not matrix.node.is_string else evaluate(matrix.node.scalar_text())
    if unknown(source) or not isinstance(source, dict):
        return None
    for key, value in source.items():
        if isinstance(value, str) and "${{" in value:
            value = evaluate(value)
            if unknown(value):
                return None
        if key in {"include", "exclude"}:
            entries = tuple(entry for entry in (value or []) if isinstance(entry, dict)) if isinstance(
                value, list) else ()
            include, exclude = (entries, exclude) if key == "include" else (include, entries)
        elif isinstance(value, list):
            axes[key] = tuple(value)
        else:
            return None
    if _size(axes) > MAX_COMBINATIONS:
        return None
    combos = Matrix(matrix.line, axes, include, exclude, matrix.node).combinations() or ()
    return tuple({key: _value(item, evaluate) for key, item in combo.items()} for combo in combos)


def _size(axes: dict[str, tuple[Any, ...]]) -> int:
    size = 1
    for values in axes.values():
        size *= max(len(values), 1)
    return size


def _value(item: Any, evaluate: Callable[[str], Any], depth: int = 0) -> Any:
    """A matrix value with its expressions evaluated, inside objects and lists too (bounded depth)."""
    if isinstance(item, str):
        return evaluate(item) if "${{" in item else item
    if depth > 16:
        return item
    if isinstance(item, dict):
        return {key: _value(value, evaluate, depth + 1) for key, value in item.items()}
    if isinstance(item, list):
        return [_value(value, evaluate, depth + 1) for value in item]
    return item
