"""YAML composition with GitHub's scalar typing and bounded alias expansion (see :mod:`.yamlnode`).

PyYAML's composer shares one node object between an anchor and its aliases, so composing a "billion laughs"
document is cheap; the blow-up happens only when the shared nodes are expanded. :class:`Converter` expands them
into :class:`Node` trees and counts every node an alias adds, stopping at :data:`MAX_ALIAS_NODES`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.workflows.yamltree import Node

__all__ = ["MAX_ALIAS_NODES", "MAX_DEPTH", "compose", "convert"]

MAX_ALIAS_NODES = 10_000
"""Nodes that alias expansion may add in total; far above any real workflow, far below a YAML bomb."""

MAX_DEPTH = 200
"""Deepest nesting we convert; deeper documents are hostile or broken, and would overflow the stack."""


def convert(node: yaml.Node, *, display_path: str) -> Node:
    """Expand a composed document into a :class:`Node` tree within the alias and depth budgets."""
    return _Converter(display_path).convert(node, depth=0)


def compose(text: str, *, display_path: str) -> yaml.Node | None:
    """Compose ``text`` (one document) with :class:`_GitHubLoader`; YAML errors name ``display_path:line``."""
    loader: _GitHubLoader | None = None
    try:
        loader = _GitHubLoader(text)  # the reader checks for forbidden characters here already
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, display_path) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise WorkflowLoadError(f"invalid YAML: unacceptable character #x{exc.character:04x}",
                                path=display_path, line=line) from None
    except yaml.YAMLError as exc:
        raise WorkflowLoadError(f"invalid YAML: {exc}", path=display_path) from None
    except RecursionError:
        raise WorkflowLoadError("invalid YAML: nesting is too deep", path=display_path) from None
    finally:
        if loader is not None:
            loader.dispose()


def _yaml_error(exc: yaml.MarkedYAMLError, display_path: str) -> WorkflowLoadError:
    mark = exc.problem_mark or exc.context_mark
    parts = [part for part in (exc.context, exc.problem) if part]
    reason = "; ".join(parts) if parts else "malformed document"
    return WorkflowLoadError(f"invalid YAML: {reason}", path=display_path,
                             line=mark.line + 1 if mark is not None else None)

# --- composition: GitHub's scalar typing, aliases kept visible ----------------------------------------------

_STR, _BOOL, _INT, _FLOAT, _NULL = (f"tag:yaml.org,2002:{name}" for name in ("str", "bool", "int", "float", "null"))
_MERGE = "tag:yaml.org,2002:merge"

# The YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution): what GitHub applies.
_CORE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (_MERGE, re.compile(r"<<")),  # YAML 1.1's merge key, kept because anchors are how people share blocks
    (_NULL, re.compile(r"~|null|Null|NULL|")),
    (_BOOL, re.compile(r"true|True|TRUE|false|False|FALSE")),
    (_INT, re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")),
    (_FLOAT, re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")),
)


class _AliasNode(yaml.Node):
    """Stands where ``*name`` was written, so expansion can be counted and reported at the alias's line."""

    id = "alias"

    def __init__(self, target: yaml.Node, start_mark: yaml.Mark, end_mark: yaml.Mark) -> None:
        super().__init__(target.tag, target, start_mark, end_mark)
        self.target = target


class _GitHubLoader(yaml.SafeLoader):
    """SafeLoader that resolves plain scalars with the YAML 1.2 core schema and marks alias occurrences."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return next((tag for tag, rule in _CORE_RULES if rule.fullmatch(value)), _STR)
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]

    depth = 0

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        # PyYAML's scanner rechecks every open flow level per token (quadratic): refuse deep `[[[[` early.
        if self.flow_level >= MAX_DEPTH:
            raise yaml.scanner.ScannerError(None, None, f"nesting deeper than {MAX_DEPTH} levels",
                                            self.get_mark())
        super().fetch_flow_collection_start(token_class)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if self.check_event(yaml.AliasEvent):
            target = super().compose_node(parent, index)  # raises "found undefined alias" for unknown anchors
            assert target is not None
            return _AliasNode(target, event.start_mark, event.end_mark)
        # The composer recurses once per level: stop early instead of crawling towards a RecursionError.
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nesting deeper than {MAX_DEPTH} levels",
                                                  event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Converter:
    """Turns composed PyYAML nodes into :class:`Node` trees, enforcing the alias and depth budgets."""

    def __init__(self, display_path: str) -> None:
        self.display_path = display_path
        self.alias_depth = 0
        self.alias_nodes = 0
        self.alias_mark: yaml.Mark | None = None  # where the outermost alias being expanded was written

    def error(self, message: str, mark: yaml.Mark) -> WorkflowLoadError:
        return WorkflowLoadError(message, path=self.display_path, line=mark.line + 1)

    def convert(self, node: yaml.Node, *, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self.error(f"nesting deeper than {MAX_DEPTH} levels", node.start_mark)
        if self.alias_depth:
            self.alias_nodes += 1
            if self.alias_nodes > MAX_ALIAS_NODES:
                raise self.error(f"YAML aliases expand to more than {MAX_ALIAS_NODES} nodes "
                                 "(an alias bomb?); refusing to expand them", self.alias_mark or node.start_mark)
        if isinstance(node, _AliasNode):
            return self.convert_alias(node, depth=depth)
        if isinstance(node, yaml.MappingNode):
            return self.convert_mapping(node, depth=depth)
        if isinstance(node, yaml.SequenceNode):
            items = [self.convert(child, depth=depth + 1) for child in node.value]
            return Node(items, node.start_mark.line + 1, node.start_mark.column + 1)
        assert isinstance(node, yaml.ScalarNode)
        return self.convert_scalar(node)

    def convert_alias(self, node: _AliasNode, *, depth: int) -> Node:
        if not self.alias_depth:
            self.alias_mark = node.start_mark
        self.alias_depth += 1
        try:
            expanded = self.convert(node.target, depth=depth)
        finally:
            self.alias_depth -= 1
        # The expansion keeps the anchor's content but reports the alias's own position.
        return Node(expanded.value, node.start_mark.line + 1, node.start_mark.column + 1, expanded.text,
                    expanded.key_lines)

    def convert_mapping(self, node: yaml.MappingNode, *, depth: int) -> Node:
        explicit: dict[str, Node] = {}
        key_lines: dict[str, int] = {}
        merged: dict[str, Node] = {}
        merged_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                for key, child, line in self.merge_sources(value_node, depth=depth):
                    merged.setdefault(key, child)  # earlier merge sources win, as YAML 1.1 specifies
                    merged_lines.setdefault(key, line)
                continue
            key = self.key_text(key_node)
            if key in explicit:
                raise self.error(f"duplicate key {key!r} (first defined on line {key_lines[key]})",
                                 key_node.start_mark)
            explicit[key] = self.convert(value_node, depth=depth + 1)
            key_lines[key] = key_node.start_mark.line + 1
        value = {**merged, **explicit}
        lines = {**merged_lines, **key_lines}
        return Node(value, node.start_mark.line + 1, node.start_mark.column + 1, None, lines)

    def merge_sources(self, value_node: yaml.Node, *, depth: int) -> Iterator[tuple[str, Node, int]]:
        merged = self.convert(value_node, depth=depth + 1)
        sources = merged.value if isinstance(merged.value, list) else [merged]
        for source in sources:
            if not isinstance(source.value, dict):
                raise self.error(f"a merge key ('<<') needs a mapping or a list of mappings, found a {source.kind}",
                                 value_node.start_mark)
            for key, child in source.value.items():
                yield key, child, source.key_line(key)

    def key_text(self, key_node: yaml.Node) -> str:
        target = key_node.target if isinstance(key_node, _AliasNode) else key_node
        if not isinstance(target, yaml.ScalarNode):
            raise self.error("a mapping key must be a plain value, not a mapping or a sequence", key_node.start_mark)
        return str(target.value)

    def convert_scalar(self, node: yaml.ScalarNode) -> Node:
        text: str = node.value
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        return Node(_scalar_value(node.tag, text), line, column, text)


def _scalar_value(tag: str, text: str) -> str | int | float | bool | None:
    if tag == _NULL:
        return None
    if tag == _BOOL and text.lower() in {"true", "false"}:
        return text.lower() == "true"
    if tag == _INT:
        number = _to_int(text)
        return text if number is None else number
    if tag == _FLOAT:
        real = _to_float(text)
        return text if real is None else real
    # str, timestamp, binary and custom tags: GitHub has no such types, so the text is the value.
    return text


def _to_int(text: str) -> int | None:
    try:
        return int(text, 0) if text.startswith(("0o", "0x")) else int(text, 10)
    except ValueError:
        return None


def _to_float(text: str) -> float | None:
    lowered = text.lower().lstrip("+")
    if lowered in {".inf", "-.inf", ".nan"}:
        return float(lowered.replace(".", ""))
    try:
        return float(text)
    except ValueError:
        return None
