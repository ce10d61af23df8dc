"""One Docker Bake file, read as Bake reads it: HCL or JSON, its ``variable``, ``group`` and ``target`` blocks.

HCL is parsed by python-hcl2, imported here only when a bake file is first read (start-up stays light). The
values are kept raw (:class:`BakeFile`); :mod:`.bake` evaluates them once every file's variables are known, since
Bake merges all files into one definition. Raw HCL values are python-hcl2's: a quoted template keeps its quotes
(``"\\"ghcr.io/${OWNER}/x\\""``), any other expression is ``${...}`` (``${lower(TAG)}``), a bare name is itself
(``TAG``). JSON strings are templates as in HCL's JSON syntax. A ``data`` file (the bake file docker/metadata-action
writes) holds values already computed.

The file is hostile input: it is read bounded and inside the repository (:mod:`cicd_acceptance.targetfiles`), and
HCL is bounded tighter (:data:`MAX_HCL_BYTES`), because python-hcl2 parses about 40 KB a second. A file that does
not parse is a :class:`~cicd_acceptance.errors.WorkflowLoadError` with the file and line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from cicd_acceptance.errors import WorkflowLoadError

__all__ = ["MAX_HCL_BYTES", "BakeFile", "Block", "data_file", "parse_bake"]

MAX_HCL_BYTES = 64 * 1024
_BLOCKS = ("variable", "group", "target", "function")


@dataclass(frozen=True)
class Block:
    """A ``variable``, ``group`` or ``target`` block: its label, raw attributes and line (0 when not known)."""

    name: str
    attrs: dict[str, Any]
    line: int = 0


@dataclass(frozen=True)
class BakeFile:
    """A bake file as read: ``syntax`` is ``hcl``, ``json`` or ``data`` (values already computed)."""

    path: str
    syntax: str
    variables: tuple[Block, ...] = ()
    groups: tuple[Block, ...] = ()
    targets: tuple[Block, ...] = ()


def data_file(path: str, targets: dict[str, dict[str, Any]]) -> BakeFile:
    """A bake file whose values are computed already (docker/metadata-action's ``bake-file`` outputs)."""
    return BakeFile(path, "data", targets=tuple(Block(name, dict(attrs)) for name, attrs in targets.items()))


def parse_bake(text: str, path: str) -> BakeFile:
    """``text`` of the bake file ``path``: JSON when its name ends in ``.json`` or it starts with ``{``, else HCL."""
    if path.endswith(".json") or text.lstrip().startswith("{"):
        return _from_json(text, path)
    return _from_hcl(text, path)


def _from_json(text: str, path: str) -> BakeFile:
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkflowLoadError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    except RecursionError:
        raise WorkflowLoadError("not valid JSON: nested too deeply", path=path) from None
    if not isinstance(body, dict):
        raise WorkflowLoadError("a JSON bake file must be an object", path=path, line=1)
    sections: dict[str, list[Block]] = {name: [] for name in _BLOCKS}
    for key, value in body.items():
        if key in sections and isinstance(value, dict):
            sections[key] += [Block(str(name), dict(attrs) if isinstance(attrs, dict) else {},
                                    _line_of(text, f'"{name}"'))
                              for name, attrs in value.items()]
        elif key not in sections:  # a top-level attribute is a variable with that default
            sections["variable"].append(Block(key, {"default": value}))
    return BakeFile(path, "json", tuple(sections["variable"]), tuple(sections["group"]), tuple(sections["target"]))


def _from_hcl(text: str, path: str) -> BakeFile:
    if len(text.encode("utf-8")) > MAX_HCL_BYTES:
        raise WorkflowLoadError(f"an HCL bake file larger than {MAX_HCL_BYTES} bytes is not read", path=path)
    # Imported here: loading the grammar takes a few hundred milliseconds, and only a bake file needs it.
    import hcl2
    from hcl2.utils import SerializationOptions

    options = SerializationOptions(with_comments=False, explicit_blocks=False)
    try:
        body = hcl2.loads(text, serialization_options=options)
    except RecursionError:
        raise WorkflowLoadError("cannot be parsed as HCL: nested too deeply", path=path) from None
    except Exception as exc:  # lark raises many kinds; each one means "not valid HCL"
        line = getattr(exc, "line", None)
        raise WorkflowLoadError(f"cannot be parsed as HCL: {_first_line(exc)}", path=path,
                                line=line if isinstance(line, int) and line > 0 else None) from None
    sections: dict[str, list[Block]] = {name: [] for name in _BLOCKS}
    for key, value in body.items():
        if key in sections and isinstance(value, list):
            for block in value:
                for label, attrs in (block.items() if isinstance(block, dict) else ()):
                    name = _unquote(label)
                    sections[key].append(Block(name, dict(attrs) if isinstance(attrs, dict) else {},
                                               _block_line(text, key, name)))
        elif key not in sections:
            sections["variable"].append(Block(key, {"default": value}, _line_of(text, key)))
    return BakeFile(path, "hcl", tuple(sections["variable"]), tuple(sections["group"]), tuple(sections["target"]))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _unquote(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


def _block_line(text: str, kind: str, name: str) -> int:
    found = re.search(rf'^[ \t]*{kind}[ \t]+"{re.escape(name)}"', text, re.MULTILINE)
    return text.count("\n", 0, found.start()) + 1 if found else 0


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index != -1 else 0
