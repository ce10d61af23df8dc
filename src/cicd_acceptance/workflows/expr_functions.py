"""GitHub's expression functions that can be evaluated offline: contains, startsWith, endsWith, format, join,
toJSON, fromJSON. ``hashFiles`` depends on the runner's files and stays :class:`Unknown`; an unknown argument makes
the call unknown. A misspelt function or a wrong argument count is a ``WorkflowLoadError`` (GitHub rejects it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.workflows.expr_values import Unknown, loose_equal, plain, to_text

__all__ = ["call_function"]


def _contains(args: list[Any]) -> Any:
    search, item = args
    if isinstance(search, list):
        return any(loose_equal(element, item) for element in search)
    return to_text(item).casefold() in to_text(search).casefold()


def _starts_with(args: list[Any]) -> Any:
    return to_text(args[0]).casefold().startswith(to_text(args[1]).casefold())


def _ends_with(args: list[Any]) -> Any:
    return to_text(args[0]).casefold().endswith(to_text(args[1]).casefold())


def _join(args: list[Any]) -> Any:
    separator = to_text(args[1]) if len(args) > 1 else ","
    if isinstance(args[0], list):
        return separator.join(to_text(element) for element in args[0])
    return to_text(args[0])


def _to_json(args: list[Any]) -> Any:
    return json.dumps(plain(args[0]), indent=2, default=str)


class _BadCall(Exception):
    """Internal: a function was called wrongly; turned into WorkflowLoadError with path and line."""


def _from_json(args: list[Any]) -> Any:
    try:
        return json.loads(to_text(args[0]))
    except ValueError as exc:
        raise _BadCall(f"fromJSON got invalid JSON: {exc}") from None


def _format(args: list[Any]) -> Any:
    template, values = to_text(args[0]), [to_text(value) for value in args[1:]]
    out: list[str] = []
    index = 0
    while index < len(template):
        char = template[index]
        if template.startswith(("{{", "}}"), index):
            out.append(char)
            index += 2
        elif char == "{":
            end = template.find("}", index)
            number = template[index + 1:end] if end != -1 else ""
            if not number.isdigit() or int(number) >= len(values):
                raise _BadCall(f"format() has a bad placeholder in {template!r}")
            out.append(values[int(number)])
            index = end + 1
        elif char == "}":
            raise _BadCall(f"format() has an unmatched '}}' in {template!r}")
        else:
            out.append(char)
            index += 1
    return "".join(out)


# name -> (function, fewest arguments, most arguments)
_FUNCTIONS: dict[str, tuple[Callable[[list[Any]], Any], int, int]] = {
    "contains": (_contains, 2, 2),
    "startswith": (_starts_with, 2, 2),
    "endswith": (_ends_with, 2, 2),
    "format": (_format, 1, 255),
    "join": (_join, 1, 2),
    "tojson": (_to_json, 1, 1),
    "fromjson": (_from_json, 1, 1),
}


def call_function(name: str, args: list[Any], text: str, *, path: str, line: int | None) -> Any:
    """Call ``name`` (lowercase) with evaluated ``args``; ``text`` is the call as written, for unknowns/errors."""
    if name == "hashfiles":
        return Unknown(text)
    if name not in _FUNCTIONS:
        raise WorkflowLoadError(f"unknown function in {text!r}", path=path, line=line)
    function, fewest, most = _FUNCTIONS[name]
    if not fewest <= len(args) <= most:
        raise WorkflowLoadError(f"wrong number of arguments in {text!r}", path=path, line=line)
    if name == "fromjson" and getattr(args[0], "parsed", None) is not None:
        return args[0].parsed  # a partly unknown JSON text whose structure is known (metadata-action's json)
    if any(isinstance(arg, Unknown) for arg in args):
        return Unknown(text)
    try:
        return function(args)
    except _BadCall as exc:
        raise WorkflowLoadError(f"{exc} (in {text!r})", path=path, line=line) from None
