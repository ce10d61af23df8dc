"""Building :class:`Node` trees from YAML parse events, with GitHub's scalar typing and hard bounds.

Why events instead of ``yaml.compose``: PyYAML's pure-Python scanner and composer are slow (tens of seconds for a
1 MiB hostile file), recursive (deep nesting crawls towards a ``RecursionError``) and quadratic in flow nesting.
libyaml's C parser (``yaml.CSafeLoader``, shipped in PyYAML's wheels) produces the events in about a second per
MiB; this module composes them iteratively. The pure-Python parser is the fallback when libyaml is missing.

Bounds: nesting deeper than :data:`MAX_DEPTH`; aliases whose expansion adds more than :data:`MAX_ALIAS_NODES`
nodes. Aliased subtrees are *shared* (nodes are immutable), so counting their size is O(1) per alias and a
"billion laughs" document is refused before anything is expanded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.workflows.yamltree import Node

__all__ = ["MAX_ALIAS_NODES", "MAX_DEPTH", "compose"]

MAX_ALIAS_NODES = 10_000
"""Nodes that alias expansion may add in total; far above any real workflow, far below a YAML bomb."""

MAX_DEPTH = 200
"""Deepest nesting we accept; deeper documents are hostile or broken."""

_STR, _BOOL, _INT, _FLOAT, _NULL = (f"tag:yaml.org,2002:{name}" for name in ("str", "bool", "int", "float", "null"))

# The YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution): what GitHub applies.
_CORE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (_NULL, re.compile(r"~|null|Null|NULL|")),
    (_BOOL, re.compile(r"true|True|TRUE|false|False|FALSE")),
    (_INT, re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")),
    (_FLOAT, re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")),
)


def compose(text: str, *, display_path: str, merge_keys: bool = True) -> Node | None:
    """The single document in ``text`` as a :class:`Node` (``None`` for an empty stream). Without
    ``merge_keys`` a merge key (``<<:``) is refused: GitHub Actions reads anchors and aliases but not merge keys."""
    builder = _Builder(display_path, merge_keys=merge_keys)
    try:
        for event in _events(text):
            builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, display_path) from None
    except yaml.reader.ReaderError as exc:
        line = text.encode("utf-8", "surrogatepass")[:exc.position].count(b"\n") + 1
        raise WorkflowLoadError(f"invalid YAML: unacceptable character #x{exc.character:04x}",
                                path=display_path, line=line) from None
    except yaml.YAMLError as exc:
        raise WorkflowLoadError(f"invalid YAML: {exc}", path=display_path) from None
    return builder.root


class _PureLoader(yaml.SafeLoader):
    """The fallback parser: refuses deep flow nesting early (its scanner rechecks every open level per token)."""

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        if self.flow_level >= MAX_DEPTH:
            raise yaml.scanner.ScannerError(None, None, f"nesting deeper than {MAX_DEPTH} levels", self.get_mark())
        super().fetch_flow_collection_start(token_class)


def _events(text: str) -> Iterator[yaml.Event]:
    loader_class: Any = getattr(yaml, "CSafeLoader", _PureLoader)
    loader = loader_class(text)
    try:
        while loader.check_event():
            yield loader.get_event()
    finally:
        loader.dispose()


def _yaml_error(exc: yaml.MarkedYAMLError, display_path: str) -> WorkflowLoadError:
    mark = exc.problem_mark or exc.context_mark
    parts = [part for part in (exc.context, exc.problem) if part]
    reason = "; ".join(parts) if parts else "malformed document"
    return WorkflowLoadError(f"invalid YAML: {reason}", path=display_path,
                             line=mark.line + 1 if mark is not None else None)


@dataclass
class _Frame:
    """A collection being built; ``size`` counts its expanded nodes (for the alias budget)."""

    mapping: bool
    line: int
    column: int
    anchor: str | None
    items: list[Node] = field(default_factory=list)
    entries: dict[str, Node] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)
    merged: dict[str, tuple[Node, int]] = field(default_factory=dict)
    key: tuple[str, int] | None = None  # the key awaiting its value: (text, line); "<<" is a merge
    size: int = 1


class _Builder:
    """Consumes parse events; keeps a stack of open collections instead of recursing."""

    def __init__(self, display_path: str, *, merge_keys: bool = True) -> None:
        self.display_path = display_path
        self.merge_keys = merge_keys
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Node, int]] = {}
        self.alias_nodes = 0
        self.documents = 0
        self.root: Node | None = None

    def error(self, message: str, mark: Any) -> WorkflowLoadError:
        return WorkflowLoadError(message, path=self.display_path, line=mark.line + 1)

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise self.error("invalid YAML: expected a single document, found another one", event.start_mark)
        elif isinstance(event, yaml.ScalarEvent):
            self.add(self.scalar(event), 1, event)
        elif isinstance(event, yaml.AliasEvent):
            self.alias(event)
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            self.open(event)
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            self.close()

    def open(self, event: yaml.CollectionStartEvent) -> None:
        parent = self.stack[-1] if self.stack else None
        if parent is not None and parent.mapping and parent.key is None:
            raise self.error("a mapping key must be a plain value, not a mapping or a sequence", event.start_mark)
        if len(self.stack) >= MAX_DEPTH:
            raise self.error(f"invalid YAML: nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        line, column = _position(event.start_mark)
        self.stack.append(_Frame(isinstance(event, yaml.MappingStartEvent), line, column, event.anchor))

    def close(self) -> None:
        frame = self.stack.pop()
        if frame.mapping:
            # Explicit keys win over merged ones; merged keys keep the line where their source wrote them.
            value: dict[str, Node] | list[Node] = {
                **{key: node for key, (node, _) in frame.merged.items()}, **frame.entries}
            lines = {**{key: line for key, (_, line) in frame.merged.items()}, **frame.key_lines}
            node = Node(value, frame.line, frame.column, None, lines)
        else:
            node = Node(frame.items, frame.line, frame.column)
        if frame.anchor is not None:
            self.anchors[frame.anchor] = (node, frame.size)
        self.attach(node, frame.size, None)

    def scalar(self, event: yaml.ScalarEvent) -> Node:
        line, column = _position(event.start_mark)
        return Node(_scalar_value(_scalar_tag(event), event.value), line, column, event.value)

    def add(self, node: Node, size: int, event: yaml.ScalarEvent) -> None:
        if event.anchor is not None:
            self.anchors[event.anchor] = (node, size)
        self.attach(node, size, event)

    def alias(self, event: yaml.AliasEvent) -> None:
        if event.anchor not in self.anchors:
            raise self.error(f"invalid YAML: found undefined alias {event.anchor!r}", event.start_mark)
        target, size = self.anchors[event.anchor]
        self.alias_nodes += size
        if self.alias_nodes > MAX_ALIAS_NODES:
            raise self.error(f"YAML aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?); "
                             "refusing to expand them", event.start_mark)
        line, column = _position(event.start_mark)
        # The children are shared (nodes are immutable); the alias itself reports where it was written.
        self.attach(Node(target.value, line, column, target.text, target.key_lines), size, None)

    def attach(self, node: Node, size: int, event: yaml.ScalarEvent | None) -> None:
        if not self.stack:
            self.root = node
            return
        frame = self.stack[-1]
        frame.size += size
        if not frame.mapping:
            frame.items.append(node)
        elif frame.key is None:
            self.take_key(frame, node, event)
        else:
            self.take_value(frame, node)

    def take_key(self, frame: _Frame, node: Node, event: yaml.ScalarEvent | None) -> None:
        if not node.is_scalar:
            raise WorkflowLoadError("a mapping key must be a plain value, not a mapping or a sequence",
                                    path=self.display_path, line=node.line)
        text = node.text if node.text is not None else node.scalar_text()
        merge = event is not None and text == "<<" and event.implicit[0] and event.tag in {None, "!"}
        if merge and not self.merge_keys:
            raise WorkflowLoadError("GitHub Actions does not support YAML merge keys ('<<:'); it would reject this "
                                    "file (anchors and aliases alone are fine)", path=self.display_path,
                                    line=node.line)
        if not merge and text in frame.entries:
            raise WorkflowLoadError(f"duplicate key {text!r} (first defined on line {frame.key_lines[text]})",
                                    path=self.display_path, line=node.line)
        frame.key = ("\x00<<" if merge else text, node.line)

    def take_value(self, frame: _Frame, node: Node) -> None:
        assert frame.key is not None
        key, line = frame.key
        frame.key = None
        if key == "\x00<<":
            self.merge(frame, node)
            return
        frame.entries[key] = node
        frame.key_lines[key] = line

    def merge(self, frame: _Frame, node: Node) -> None:
        """YAML 1.1 merge key: ``<<: *base`` or ``<<: [*a, *b]`` (earlier sources win)."""
        sources = node.value if isinstance(node.value, list) else [node]
        for source in sources:
            if not isinstance(source.value, dict):
                raise WorkflowLoadError(f"a merge key ('<<') needs a mapping or a list of mappings, "
                                        f"found a {source.kind}", path=self.display_path, line=node.line)
            for key, child in source.value.items():
                frame.merged.setdefault(key, (child, source.key_line(key)))


def _position(mark: Any) -> tuple[int, int]:
    """1-based (line, column) of a PyYAML or libyaml mark."""
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _scalar_tag(event: yaml.ScalarEvent) -> str:
    if event.tag not in {None, "!"}:
        return str(event.tag)  # explicitly tagged: !!str, !!int...
    if event.tag is None and event.implicit[0]:  # plain and untagged: the core schema decides
        return next((tag for tag, rule in _CORE_RULES if rule.fullmatch(event.value)), _STR)
    return _STR  # quoted, block scalars and the non-specific "!" tag are strings


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
