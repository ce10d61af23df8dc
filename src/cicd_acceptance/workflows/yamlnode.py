"""Safe, bounded YAML loading into :class:`Node` trees that remember where every value came from.

Workflow files are untrusted input: they come from the checkout being accepted. So loading is bounded (size,
alias expansion, nesting) and every problem becomes one :class:`~cicd_acceptance.errors.WorkflowLoadError` that
names the file and line, never a raw PyYAML traceback.

Scalar typing follows what GitHub does, not PyYAML's YAML 1.1 defaults. GitHub's workflow parser reads YAML 1.2
(core schema), so:

* mapping keys are always strings, taken verbatim: the key ``on`` stays ``"on"`` (PyYAML would give ``True``);
* plain ``true``/``false`` (any of the core-schema spellings) are booleans, but YAML 1.1's ``yes``/``no``/``on``/
  ``off``/``y``/``n`` stay strings;
* integers are decimal (``017`` is 17), ``0o17`` or ``0x1F``; YAML 1.1's sexagesimal ``1:30`` and ``1_000`` stay
  strings;
* floats follow the core schema (``1.5``, ``1e3``, ``.inf``, ``.nan``); timestamps stay strings;
* ``~``, ``null`` and empty values are ``None``;
* quoted scalars and explicitly tagged ``!!str`` scalars are strings.

Each scalar :class:`Node` also keeps its source ``text`` (``go-version: 1.20`` is the float ``1.2`` but its text
is ``"1.20"``), because checks that compare versions need what the author wrote.

Aliases are expanded (GitHub accepts anchors), with a budget: a "billion laughs" document fails after
:data:`MAX_ALIAS_NODES` expanded nodes instead of exhausting memory. Merge keys (``<<: *base``) are honoured as
YAML 1.1 defines them; explicit keys win over merged ones. Duplicate keys are an error, as on GitHub.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import yaml

from cicd_acceptance.errors import WorkflowLoadError

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "Node",
    "NodeValue",
    "load_yaml_file",
    "load_yaml_text",
]

MAX_BYTES = 1024 * 1024
"""Largest file we read (1 MiB); GitHub's own limit for a workflow is lower."""

MAX_ALIAS_NODES = 10_000
"""Nodes that alias expansion may add in total; far above any real workflow, far below a YAML bomb."""

MAX_DEPTH = 200
"""Deepest nesting we convert; deeper documents are hostile or broken, and would overflow the stack."""

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


# --- loading -------------------------------------------------------------------------------------------------


def load_yaml_file(path: Path, *, display_path: str, root: Path | None = None) -> Node:
    """Load one YAML mapping document from ``path``; messages name ``display_path``.

    With ``root`` given, the file (after following symlinks) must lie inside ``root``: a symlink in a checkout
    must not make us read ``/etc/passwd``.
    """
    _check_location(path, display_path=display_path, root=root)
    data = _read_bounded(path, display_path=display_path)
    return load_yaml_text(_decode(data, display_path=display_path), display_path=display_path)


def load_yaml_text(text: str, *, display_path: str) -> Node:
    """Load one YAML mapping document from ``text``; messages name ``display_path``."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise WorkflowLoadError(f"file is larger than {MAX_BYTES} bytes; refusing to parse it", path=display_path)
    composed = _compose(text, display_path=display_path)
    if composed is None:
        raise WorkflowLoadError("the document is empty; expected a mapping", path=display_path, line=1)
    node = _Converter(display_path).convert(composed, depth=0)
    if not node.is_mapping:
        raise WorkflowLoadError(f"expected a mapping at the top level, found a {node.kind}",
                                path=display_path, line=node.line)
    return node


def _check_location(path: Path, *, display_path: str, root: Path | None) -> None:
    if root is not None:
        resolved, base = path.resolve(), root.resolve()
        if not resolved.is_relative_to(base):
            raise WorkflowLoadError(f"is a symlink that resolves outside the repository ({resolved})",
                                    path=display_path)
    if not path.exists():
        raise WorkflowLoadError("file not found", path=display_path)
    if not path.is_file():
        raise WorkflowLoadError("is not a regular file", path=display_path)


def _read_bounded(path: Path, *, display_path: str) -> bytes:
    try:
        with path.open("rb") as handle:
            # Read one byte past the limit rather than trusting stat(): FIFOs and /proc files lie about size.
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise WorkflowLoadError(f"cannot read file: {exc.strerror or exc}", path=display_path) from None
    if len(data) > MAX_BYTES:
        raise WorkflowLoadError(f"file is larger than {MAX_BYTES} bytes; refusing to parse it", path=display_path)
    return data


def _decode(data: bytes, *, display_path: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise WorkflowLoadError(f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}",
                                path=display_path, line=line) from None


def _compose(text: str, *, display_path: str) -> yaml.Node | None:
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

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            target = super().compose_node(parent, index)  # raises "found undefined alias" for unknown anchors
            assert target is not None
            return _AliasNode(target, event.start_mark, event.end_mark)
        return super().compose_node(parent, index)


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
