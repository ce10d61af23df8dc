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

Aliases are expanded (GitHub accepts anchors), with a budget: a "billion laughs" document fails as soon as its
aliases would add :data:`MAX_ALIAS_NODES` nodes, before anything is expanded. Parsing uses libyaml (C) and an
iterative composer (:mod:`.yamlcompose`), so a hostile 1 MiB file costs about a second, not minutes.
Merge keys (``<<: *base``) are honoured as YAML 1.1 defines them; explicit keys win over merged ones.
Duplicate keys are an error, as on GitHub.
"""

from __future__ import annotations

from pathlib import Path

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.targetfiles import read_regular_file, read_target_bytes
from cicd_acceptance.workflows.yamlcompose import MAX_ALIAS_NODES, MAX_DEPTH, compose
from cicd_acceptance.workflows.yamltree import Node, NodeValue

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


def load_yaml_file(path: Path, *, display_path: str, root: Path | None = None, merge_keys: bool = True) -> Node:
    """Load one YAML mapping document from ``path``; messages name ``display_path``.

    With ``root`` given, the file (after following symlinks) must lie inside ``root``: a symlink in a checkout
    must not make us read ``/etc/passwd``. Either way only a regular file is read (:mod:`cicd_acceptance.targetfiles`).
    """
    data = _read_checked(path, display_path=display_path, root=root)  # bounded: no need to measure the text again
    return _load_mapping(_decode(data, display_path=display_path), display_path=display_path, merge_keys=merge_keys)


def load_yaml_text(text: str, *, display_path: str) -> Node:
    """Load one YAML mapping document from ``text``; messages name ``display_path``."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise WorkflowLoadError(f"file is larger than {MAX_BYTES} bytes; refusing to parse it", path=display_path)
    return _load_mapping(text, display_path=display_path)


def _load_mapping(text: str, *, display_path: str, merge_keys: bool = True) -> Node:
    node = compose(text, display_path=display_path, merge_keys=merge_keys)
    if node is None:
        raise WorkflowLoadError("the document is empty; expected a mapping", path=display_path, line=1)
    if not node.is_mapping:
        raise WorkflowLoadError(f"expected a mapping at the top level, found a {node.kind}",
                                path=display_path, line=node.line)
    return node


def _read_checked(path: Path, *, display_path: str, root: Path | None) -> bytes:
    if root is None:
        return read_regular_file(path, display_path=display_path, max_bytes=MAX_BYTES)
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = str(path)  # absolute and elsewhere: inside_repository refuses it
    return read_target_bytes(root, rel, display_path=display_path, max_bytes=MAX_BYTES)


def _decode(data: bytes, *, display_path: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise WorkflowLoadError(f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}",
                                path=display_path, line=line) from None
