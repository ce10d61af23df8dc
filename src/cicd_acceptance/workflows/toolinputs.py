"""What the external tools (actionlint, zizmor) may read: copies of the files the harness itself accepted.

Handing a tool a path inside the target lets the target decide what the tool reads: a workflow symlinked to
``/etc/passwd`` ends up quoted in the tool's error message, and a symlink to a valid workflow outside the
repository passes the tool's criterion although the harness refused the file. So each file is read once through
:mod:`cicd_acceptance.targetfiles` (inside the repository, regular, bounded), must load as YAML under the
harness's own bounds (a YAML bomb is refused here, not handed on), and only then is copied into a private
temporary folder under the same relative path. The tool runs there and names files exactly as the target does.
A file that is refused raises :class:`~cicd_acceptance.errors.WorkflowLoadError`, so the criterion fails with the
harness's reason; it never passes.

GitHub reads YAML anchors and aliases (since 2025); the pinned actionlint predates them and calls every alias an
error. So the staged copy has each alias replaced by its value written as one JSON (YAML flow) line: the tools
check what GitHub reads, and every line keeps its number.
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.targetfiles import read_target_bytes
from cicd_acceptance.workflows.yamlnode import MAX_BYTES, load_yaml_text

__all__ = ["StagedInputs", "staged_inputs"]

# An alias starts a value (`key: *a`, `- *a`, `[*a]`); `'v*'` does not: most files skip the slower rewrite.
_MAY_ALIAS = re.compile(r"(?:^|[\s\[{,:-])\*[^\s,\[\]{}]")


@dataclass(frozen=True)
class StagedInputs:
    """The staging folder, the workflow paths relative to it, and the staged configuration files found."""

    root: Path
    workflows: tuple[str, ...]
    configs: dict[str, Path]


def _accepted(repo_dir: Path, rel: str) -> bytes:
    data = read_target_bytes(repo_dir, rel, max_bytes=MAX_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WorkflowLoadError("not valid UTF-8; refusing to hand it to a tool", path=rel) from None
    load_yaml_text(text, display_path=rel)  # the harness's own bounds: aliases, depth, size
    return _aliases_expanded(text).encode("utf-8") if _MAY_ALIAS.search(text) else data


def _aliases_expanded(text: str) -> str:
    """``text`` with every alias replaced by its anchored value as one JSON line (anchors are left in place)."""
    anchors: dict[str, Any] = {}
    spans: list[tuple[int, int, Any]] = []
    stack: list[tuple[Any, str | None, list[Any]]] = []  # (collection, anchor, [pending key])
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            value: Any
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                stack.append(({} if isinstance(event, yaml.MappingStartEvent) else [], event.anchor, []))
                continue
            if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                value, anchor, _ = stack.pop()
            elif isinstance(event, yaml.ScalarEvent):
                value, anchor = _scalar(event), event.anchor
            elif isinstance(event, yaml.AliasEvent):
                value, anchor = anchors.get(event.anchor or ""), None
                if event.start_mark is None or event.end_mark is None:
                    return text
                spans.append((event.start_mark.index, event.end_mark.index, value))
            else:
                continue
            if anchor is not None:
                anchors[anchor] = value
            if stack:
                _add(stack[-1], value)
    except (yaml.YAMLError, TypeError):
        return text  # the harness loaded it already; a tool's own message is better than a guess here
    for start, end, value in reversed(spans):
        text = text[:start] + json.dumps(value, ensure_ascii=False) + text[end:]
    return text


def _scalar(event: yaml.ScalarEvent) -> Any:
    if event.style is None and event.implicit[0]:  # a plain scalar: true, 3, null keep their type
        return yaml.safe_load(event.value) if event.value else None
    return event.value


def _add(frame: tuple[Any, str | None, list[Any]], value: Any) -> None:
    collection, _, pending = frame
    if isinstance(collection, list):
        collection.append(value)
    elif pending:
        collection[str(pending.pop())] = value
    else:
        pending.append(value)


def _stage(root: Path, rel: str, data: bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@contextlib.contextmanager
def staged_inputs(repo_dir: Path, workflows: Sequence[str], *, configs: Sequence[str] = ()) -> Iterator[StagedInputs]:
    """Stage ``workflows`` (all must be accepted) and whichever of ``configs`` exist and are accepted.

    A configuration file that is absent is left out; one that exists but is refused (a symlink out of the
    repository, a FIFO, too large, not YAML) raises like a workflow would.
    """
    with tempfile.TemporaryDirectory(prefix="cicd-acceptance-tool-") as tmp:
        root = Path(tmp)
        for rel in workflows:
            _stage(root, rel, _accepted(repo_dir, rel))
        staged: dict[str, Path] = {}
        for rel in configs:
            if not (repo_dir / rel).is_symlink() and not (repo_dir / rel).exists():
                continue
            staged[rel] = _stage(root, rel, _accepted(repo_dir, rel))
        yield StagedInputs(root, tuple(workflows), staged)
