"""GitHub's expression functions that can be evaluated offline: contains, startsWith, endsWith, format, join,
toJSON, fromJSON (``case`` is lazy and lives in the evaluator). ``hashFiles`` depends on the runner's files and stays
:class:`Unknown`; an unknown argument makes the call unknown unless the known part already decides it.

Whether a function exists and how many arguments it takes is checked by the parser (GitHub rejects the workflow);
a failure here (bad format string, invalid JSON, a result past GitHub's memory bound) is an :class:`EvaluationError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from cicd_acceptance.workflows.expr_numbers import JS_WHITESPACE, exact, utf16_length
from cicd_acceptance.workflows.expr_values import (
    MAX_VALUE_DEPTH,
    EvaluationError,
    Unknown,
    contains_unknown,
    is_primitive,
    js_key_order,
    loose_equal,
    to_json,
    to_text,
    upper_special,
)

__all__ = ["MAX_MEMORY_BYTES", "call_function", "check_memory", "value_size"]

# GitHub's evaluator refuses an evaluation whose values outgrow 1 MiB, counting a string as 26 bytes plus 2 per
# UTF-16 code unit and any other value as 24 bytes.
MAX_MEMORY_BYTES = 1 << 20


def value_size(value: Any, *, limit: int = MAX_MEMORY_BYTES) -> int:
    """The size GitHub accounts for ``value`` (stops counting once past ``limit``)."""
    total = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += 26 + 2 * len(item)
        else:
            total += 24
            if isinstance(item, Mapping):
                stack.extend(item.values())
                total += sum(26 + 2 * len(key) for key in item)
            elif isinstance(item, list):
                stack.extend(item)
    return total


def check_memory(size: int, what: str) -> None:
    if size > MAX_MEMORY_BYTES:
        raise EvaluationError(f"{what} exceeds GitHub's memory limit of {MAX_MEMORY_BYTES} bytes")


def _contains(args: list[Any]) -> Any:
    search, item = args
    if is_primitive(search):
        if not is_primitive(item):
            return False
        return to_text(item).lower() in to_text(search).lower()
    if isinstance(search, list):
        unknown = False
        for element in search:
            if isinstance(element, Unknown):
                unknown = True
            elif loose_equal(item, element):
                return True
        return None if unknown else False
    return False


def _affix(args: list[Any], *, start: bool) -> Any:
    text, affix = args
    if not (is_primitive(text) and is_primitive(affix)):
        return False
    whole, part = upper_special(to_text(text)), upper_special(to_text(affix))
    return whole.startswith(part) if start else whole.endswith(part)


def _join(args: list[Any]) -> Any:
    if is_primitive(args[0]):
        return to_text(args[0])
    if not isinstance(args[0], list):
        return ""
    separator = to_text(args[1]) if len(args) > 1 and is_primitive(args[1]) else ","
    if any(isinstance(element, Unknown) for element in args[0]):
        return None
    return separator.join(to_text(element) for element in args[0])


def _to_json(args: list[Any]) -> Any:
    if contains_unknown(args[0]):
        return None
    return to_json(args[0])


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _js_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # JSON.parse: a repeated key keeps its first position and last value; then JavaScript's key order; then GitHub's
    # case-insensitive object keeps the first of keys that differ only in case.
    merged = dict(pairs)
    result: dict[str, Any] = {}
    folded: set[str] = set()
    for key in js_key_order(list(merged)):
        if key.lower() not in folded:
            folded.add(key.lower())
            result[key] = merged[key]
    return result


def _json_int(digits: str) -> int | float:
    # Long integers go through float() (Infinity past the largest double, as JSON.parse; no digit-count limit).
    return exact(int(digits)) if len(digits) <= 20 else float(digits)


def _json_depth_ok(text: str) -> bool:
    if text.count("[") + text.count("{") <= MAX_VALUE_DEPTH:
        return True
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_VALUE_DEPTH:
                return False
        elif char in "]}":
            depth -= 1
    return True


def _from_json(args: list[Any]) -> Any:
    text = to_text(args[0])
    if not text.strip(JS_WHITESPACE):
        raise EvaluationError("fromJSON() got an empty string")
    if not _json_depth_ok(text):
        raise EvaluationError(f"fromJSON() got JSON nested deeper than {MAX_VALUE_DEPTH}")
    try:
        value = json.loads(text, parse_int=_json_int, parse_constant=_reject_constant,
                           object_pairs_hook=_js_object)
    except (ValueError, RecursionError) as exc:
        raise EvaluationError(f"fromJSON() got invalid JSON: {exc}") from None
    check_memory(value_size(value), "fromJSON() result")
    return value


def _format(args: list[Any]) -> Any:
    """GitHub's format(): ``{N}`` (anything after the digits up to ``}`` is ignored), ``{{``/``}}`` escape."""
    template = to_text(args[0])
    out: list[str] = []
    index = 0
    while index < len(template):
        left, right = template.find("{", index), template.find("}", index)
        if left >= 0 and (right < 0 or right > left):
            if template.startswith("{", left + 1):
                out.append(template[index:left + 1])
                index = left + 2
                continue
            digits = _digits(template, left + 1)
            if right > left + 1 and digits:
                number = int(digits)
                if number + 1 > len(args) - 1:
                    raise EvaluationError(f"format string {template!r} references more arguments than were given")
                out.append(template[index:left])
                out.append(to_text(args[number + 1]))
                index = right + 1
                continue
            raise EvaluationError(f"format string {template!r} is invalid")
        if right >= 0:
            if not template.startswith("}", right + 1):
                raise EvaluationError(f"format string {template!r} is invalid")
            out.append(template[index:right + 1])
            index = right + 2
        else:
            out.append(template[index:])
            break
    return "".join(out)


def _digits(text: str, start: int) -> str:
    end = start
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    return text[start:end]


_FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "contains": _contains,
    "startswith": lambda args: _affix(args, start=True),
    "endswith": lambda args: _affix(args, start=False),
    "format": _format,
    "join": _join,
    "tojson": _to_json,
    "fromjson": _from_json,
}
# Functions whose result is decided by known arguments even when an element inside one is unknown.
_SEES_INSIDE = {"contains", "join", "tojson"}


def call_function(name: str, args: list[Any], text: str) -> Any:
    """Call ``name`` (lowercase, already checked by the parser) with evaluated ``args``; ``text`` is the call as
    written, for an unknown result. Raises :class:`EvaluationError` where GitHub fails the evaluation."""
    if name == "fromjson" and getattr(args[0], "parsed", None) is not None:
        return args[0].parsed  # a partly unknown JSON text whose structure is known (metadata-action's json)
    if name == "hashfiles" or any(isinstance(arg, Unknown) for arg in args):
        return Unknown(text)
    check_memory(sum(utf16_length(arg) * 2 + 26 if isinstance(arg, str) else 24 for arg in args),
                 f"the arguments of {text[:80]!r}")
    result = _FUNCTIONS[name](args)
    if result is None and name in _SEES_INSIDE:  # an unknown element decides the answer
        return Unknown(text)
    if isinstance(result, str):
        check_memory(26 + 2 * utf16_length(result), f"the result of {text[:80]!r}")
    return result
