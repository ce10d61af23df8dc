"""The :class:`Node` tree that YAML documents are loaded into: values with their 1-based line and column."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeAlias

__all__ = ["Node", "NodeValue"]

NodeValue: TypeAlias = dict[str, "Node"] | list["Node"] | str | int | float | bool | None


@dataclass(frozen=True)
class Node:
    """One YAML value with its 1-based position.

    ``value`` is a ``dict[str, Node]`` (mapping), ``list[Node]`` (sequence) or a scalar. ``text`` is the scalar's
    source text (``None`` for collections); ``key_lines`` maps each key of a mapping to the line of the key itself,
    which is where a finding about an entry should point (the value of ``workflow_dispatch:`` has no line of its own).
    """

    value: NodeValue
    line: int
    column: int
    text: str | None = field(default=None, compare=False)
    key_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_scalar(self) -> bool:
        return not isinstance(self.value, dict | list)

    @property
    def is_null(self) -> bool:
        return self.value is None

    @property
    def is_string(self) -> bool:
        return isinstance(self.value, str)

    @property
    def kind(self) -> str:
        """A word for messages: ``mapping``, ``sequence``, ``string``, ``number``, ``boolean`` or ``null``."""
        value = self.value
        if isinstance(value, dict):
            return "mapping"
        if isinstance(value, list):
            return "sequence"
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, int | float):
            return "number"
        return "null" if value is None else "string"

    def get(self, key: str) -> Node | None:
        """The child under ``key`` of a mapping; ``None`` when absent or when this is not a mapping."""
        return self.value.get(key) if isinstance(self.value, dict) else None

    def __contains__(self, key: object) -> bool:
        return isinstance(self.value, dict) and key in self.value

    def items(self) -> Iterator[tuple[str, Node]]:
        """Key/child pairs of a mapping in document order (nothing for other kinds)."""
        if isinstance(self.value, dict):
            yield from self.value.items()

    def elements(self) -> Iterator[Node]:
        """Children of a sequence in order (nothing for other kinds)."""
        if isinstance(self.value, list):
            yield from self.value

    def key_line(self, key: str) -> int:
        """Line of ``key`` in this mapping; falls back to the child's line, then to this node's line."""
        if key in self.key_lines:
            return self.key_lines[key]
        child = self.get(key)
        return child.line if child is not None else self.line

    def scalar_text(self) -> str:
        """The scalar as a string the way GitHub would see it: source text for plain scalars, '' for null."""
        if self.text is not None:
            return self.text
        if self.value is None:
            return ""
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return str(self.value) if self.is_scalar else ""

    def plain(self) -> Any:
        """Plain Python data (dicts, lists, scalars) without positions."""
        value = self.value
        if isinstance(value, dict):
            return {key: child.plain() for key, child in value.items()}
        if isinstance(value, list):
            return [child.plain() for child in value]
        return value
