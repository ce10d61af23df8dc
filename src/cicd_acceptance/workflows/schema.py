"""Workflow files against the GitHub workflow JSON schema, in process, with findings at the line they are about.

The schema is check-jsonschema's vendored ``github-workflows`` copy; findings are
:class:`~cicd_acceptance.tools.ToolFinding` like any tool's, so the rule treats them the same way.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_acceptance.errors import ToolMissing
from cicd_acceptance.tools import ToolFinding
from cicd_acceptance.workflows.yamlnode import Node, load_yaml_file

if TYPE_CHECKING:  # jsonschema costs ~80 ms to import; only schema validation needs it, so it loads there
    import jsonschema.exceptions
    import jsonschema.protocols


@lru_cache(maxsize=1)
def _workflow_schema_validator() -> jsonschema.protocols.Validator:
    # check-jsonschema's vendored copy of https://json.schemastore.org/github-workflow (draft-07, no remote $refs).
    # Located with find_spec rather than importlib.resources: that would import the whole check_jsonschema
    # package (about 0.2 s of start-up) just to read one file.
    spec = importlib.util.find_spec("check_jsonschema")
    try:
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError("check_jsonschema is not installed")
        text = Path(spec.origin).parent / "builtin_schemas" / "vendor" / "github-workflows.json"
        schema = json.loads(text.read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError, json.JSONDecodeError) as exc:
        raise ToolMissing(f"check-jsonschema's vendored github-workflows schema is unavailable: {exc}",
                          tool="check-jsonschema") from exc
    import jsonschema.validators

    cls = jsonschema.validators.validator_for(schema)
    validator: jsonschema.protocols.Validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return validator


def validate_workflow_schema(paths: Sequence[Path | str], *, display_root: Path | None = None,
                             root: Path | None = None) -> list[ToolFinding]:
    """Validate each workflow file against check-jsonschema's vendored ``github-workflows`` schema, in process.

    Files are loaded with :mod:`cicd_acceptance.workflows.yamlnode` (YAML 1.2 typing like GitHub and check-jsonschema,
    so ``on`` stays a string) and each schema error points at the line of the value it is about. A file that
    cannot be loaded raises :class:`~cicd_acceptance.errors.WorkflowLoadError`. ``display_root`` shortens paths;
    with ``root`` given, a file outside it (through a symlink) is refused like any file of the target.
    """
    validator = _workflow_schema_validator()
    findings: list[ToolFinding] = []
    for path in map(Path, paths):
        shown = str(path.relative_to(display_root)) if display_root and path.is_relative_to(display_root) else str(path)
        node = load_yaml_file(path, display_path=shown, root=root)
        found = [_schema_finding(shown, node, error) for error in validator.iter_errors(node.plain())]
        findings += sorted(found, key=lambda f: (f.line, f.column, f.message))
    return findings


def _schema_finding(shown: str, root: Node, error: jsonschema.exceptions.ValidationError) -> ToolFinding:
    best = _deepest_cause(error)
    line, column = _position(root, list(best.absolute_path))
    where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in best.absolute_path)
    return ToolFinding("check-jsonschema", shown, line, column, f"schema:{best.validator}", "error",
                       f"{where}: {_short(_message(best))}")


def _message(error: jsonschema.exceptions.ValidationError) -> str:
    """jsonschema's message, with the value it starts with written as the workflow's YAML/JSON would say it.

    jsonschema starts its messages with Python's ``repr`` of the value (``None is not of type 'object'``,
    ``{'push': None} is not valid ...``): a reader of a workflow knows ``null``, ``true`` and ``{"push": null}``.
    A string keeps its quotes as jsonschema gives them (``'bogus' is not one of [...]``).
    """
    shown = repr(error.instance)
    if isinstance(error.instance, str) or not error.message.startswith(shown):
        return error.message
    return json.dumps(error.instance, ensure_ascii=False, default=str) + error.message[len(shown):]


def _deepest_cause(error: jsonschema.exceptions.ValidationError) -> jsonschema.exceptions.ValidationError:
    """The sub-error that says why, as check-jsonschema's "best deep match" picks it.

    oneOf/anyOf errors only say "is not valid under any of the given schemas"; the most specific cause is the
    deepest non-oneOf/anyOf error among their alternatives (``'bogus' is not one of [...]`` at ``$.on[1]``).
    """
    causes = list(_walk_context(error)) or [error]
    return max(causes, key=lambda e: (e.validator not in ("anyOf", "oneOf"), len(e.absolute_path), -len(e.path)))


def _walk_context(error: jsonschema.exceptions.ValidationError) -> Iterator[jsonschema.exceptions.ValidationError]:
    for cause in error.context or ():
        yield cause
        yield from _walk_context(cause)


def _position(root: Node, path: list[str | int]) -> tuple[int, int]:
    """Line and column of the deepest node on ``path``; a mapping entry points at its key."""
    node, line, column = root, root.line, root.column
    for part in path:
        if isinstance(node.value, dict) and isinstance(part, str) and part in node.value:
            child = node.value[part]
            line, column = node.key_line(part), child.column
            node = child
        elif isinstance(node.value, list) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line, column = node.line, node.column
        else:
            break
    return line, column


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."
