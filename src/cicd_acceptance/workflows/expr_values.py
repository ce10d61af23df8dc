"""Values of GitHub expressions: :class:`Unknown`, truthiness, coercion, comparison and access, as GitHub does them.

Kinds: null (``None``), boolean, number (``int`` when integral up to 2**53, else ``float``: one double on GitHub's
side), string, array (``list``; :class:`FilteredArray` for the result of ``.*``) and object (a ``Mapping`` whose keys
match case-insensitively). The rules (GitHub's evaluator):

- falsy: ``false``, ``0``, ``-0``, ``NaN``, ``''``, ``null``; arrays and objects are truthy;
- a value written into a string: null -> ``''``, booleans lowercase, numbers with at most 15 decimals in
  JavaScript's shortest form, arrays -> ``'Array'``, objects -> ``'Object'``;
- ``==`` and ordering: same kinds compare directly (strings upper-cased except a dotless i, in UTF-16 order), a
  number and a string compare as numbers, null and booleans become numbers first, arrays and objects equal only
  themselves;
- ``x[i]``: the index converts to a string (for objects) and to a number (for arrays: floor of a finite,
  non-negative value; NaN, Infinity and negatives find nothing); after ``.*`` an access applies to every element
  and keeps only the elements that have it.

Context objects come in two kinds: :class:`KnownObject` (a missing key is null, like GitHub) and
:class:`PartialObject` (a missing key is :class:`Unknown`, because we only hold part of it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cicd_acceptance.workflows.expr_numbers import js_number_text, number_text, parse_number

__all__ = [
    "EvaluationError",
    "FilteredArray",
    "KnownObject",
    "PartialObject",
    "Unknown",
    "compare",
    "contains_unknown",
    "index_value",
    "is_primitive",
    "loose_equal",
    "property_value",
    "star_values",
    "to_json",
    "to_number",
    "to_text",
    "truthy",
    "upper_special",
]


# How deep a value may nest for toJSON()/fromJSON(): far beyond any real payload, well inside Python's stack.
MAX_VALUE_DEPTH = 200


class EvaluationError(Exception):
    """Internal: GitHub fails the evaluation (bad format string, invalid JSON, memory bound...); the evaluator turns
    it into ``WorkflowLoadError`` with path and line."""


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be known offline. ``text`` is the expression as written (or, with ``template``, the
    whole string with known parts substituted); ``truthy`` is set when only the truthiness is known."""

    text: str
    truthy: bool | None = None
    template: bool = False

    def display(self) -> str:
        """``${{ secrets.X }}`` for an expression, the partially filled string for a template."""
        return self.text if self.template else f"${{{{ {self.text.strip()} }}}}"

    def __str__(self) -> str:
        return self.display()


class PartialObject(dict[str, Any]):
    """A context object we know only in part (``github``, ``env``, ``inputs``, ``steps``): missing is unknown."""

    def __init__(self, values: Mapping[str, Any], text: str) -> None:
        super().__init__(values)
        self.text = text


class KnownObject(dict[str, Any]):
    """A context object known completely (``matrix``): a missing key is null, as on GitHub."""

    def __init__(self, values: Mapping[str, Any], text: str) -> None:
        super().__init__(values)
        self.text = text


class FilteredArray(list[Any]):
    """The result of ``.*``: a further access applies to every element (and drops the ones without it)."""


def plain(value: Any) -> Any:
    """A context object as an ordinary dict (for callers that need a plain value)."""
    return dict(value) if isinstance(value, PartialObject | KnownObject) else value


def is_primitive(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def truthy(value: Any) -> bool:
    if value is None or value is False or value == "":
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return not (value == 0 or math.isnan(value))
    return True


def to_text(value: Any) -> str:
    """How GitHub writes a value into a string (``format()``, ``join()``, ``${{ }}`` inside text, an index)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "Array"
    if isinstance(value, Mapping):
        return "Object"
    return str(value)  # an Unknown shows itself


def to_number(value: Any) -> float:
    if value is None:
        return 0
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        return parse_number(value)
    return math.nan


_DOTLESS_I = "\u0131"


def upper_special(text: str) -> str:
    """Upper-case as GitHub does for comparisons: full Unicode mapping, except that a dotless i (U+0131) stays."""
    if _DOTLESS_I not in text:
        return text.upper()
    return _DOTLESS_I.join(part.upper() for part in text.split(_DOTLESS_I))


def _utf16(text: str) -> bytes:
    # Big-endian UTF-16 bytes order exactly as JavaScript orders strings (by code unit).
    return text.encode("utf-16-be", "surrogatepass")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else "object"


def _coerce(left: Any, right: Any) -> tuple[Any, Any]:
    """GitHub's type coercion before comparing: like JavaScript's ``==`` but objects never become primitives."""
    left_kind, right_kind = _kind(left), _kind(right)
    if left_kind == right_kind:
        return left, right
    if left_kind in {"null", "bool"}:
        return _coerce(to_number(left), right)
    if right_kind in {"null", "bool"}:
        return _coerce(left, to_number(right))
    if {left_kind, right_kind} == {"number", "string"}:
        return to_number(left), to_number(right)
    return left, right


def loose_equal(left: Any, right: Any) -> bool:
    a, b = _coerce(left, right)
    kind = _kind(a)
    if kind != _kind(b):
        return False
    if kind == "string":
        return upper_special(a) == upper_special(b)
    if kind == "object":
        return a is b
    if kind == "number":
        return not (math.isnan(a) or math.isnan(b)) and a == b
    return bool(a == b)


def _greater(left: Any, right: Any) -> bool:
    a, b = _coerce(left, right)
    kind = _kind(a)
    if kind != _kind(b):
        return False
    if kind == "string":
        return _utf16(upper_special(a)) > _utf16(upper_special(b))
    if kind == "number":
        return not (math.isnan(a) or math.isnan(b)) and a > b
    if kind == "bool":
        return bool(a and not b)
    return False


def compare(op: str, left: Any, right: Any) -> bool:
    """``<``, ``<=``, ``>``, ``>=`` (``<=`` is ``==`` or ``<``, as on GitHub: NaN is neither)."""
    if op == ">":
        return _greater(left, right)
    if op == "<":
        return _greater(right, left)
    if op == ">=":
        return loose_equal(left, right) or _greater(left, right)
    return loose_equal(left, right) or _greater(right, left)


def lookup(obj: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    """``obj[name]`` with GitHub's case-insensitive keys (the first key that matches wins)."""
    if name in obj:
        return True, obj[name]
    folded = name.lower()
    for key, value in obj.items():
        if key.lower() == folded:
            return True, value
    return False, None


@dataclass(frozen=True)
class _Key:
    """An index converted both ways: the string (objects) and the array position (None when there is none)."""

    text: str | None
    position: int | None


def _key(index: Any) -> _Key:
    if not is_primitive(index):
        return _Key(None, None)
    number = to_number(index)
    position = math.floor(number) if not math.isnan(number) and not math.isinf(number) and number >= 0 else None
    return _Key(to_text(index), position)


def _element(container: list[Any], key: _Key) -> tuple[bool, Any]:
    if key.position is not None and key.position < len(container):
        return True, container[key.position]
    return False, None


def _member(target: Any, key: _Key, text: str) -> tuple[bool, Any]:
    """One access on one value: (found, value); an unknown answer is ``(True, Unknown)``."""
    if isinstance(target, Unknown):
        return True, Unknown(text)
    if isinstance(target, Mapping):
        found, value = lookup(target, key.text) if key.text is not None else (False, None)
        if not found and isinstance(target, PartialObject):
            return True, Unknown(text)
        return found, value
    if isinstance(target, list):
        return _element(target, key)
    return False, None


def index_value(target: Any, index: Any, text: str) -> Any:
    """``target[index]`` (and ``target.name``): unknown stays unknown; a partial object's missing key is unknown."""
    if isinstance(target, Unknown) or isinstance(index, Unknown):
        return Unknown(text)
    key = _key(index)
    if isinstance(target, FilteredArray):
        result = FilteredArray()
        for element in target:
            if not isinstance(element, Mapping | list | Unknown):
                continue
            found, value = _member(element, key, text)
            if isinstance(value, Unknown):
                return Unknown(text)
            if found:
                result.append(value)
        return result
    found, value = _member(target, key, text)
    return value if found else None


def property_value(target: Any, name: str, text: str) -> Any:
    """``target.name``."""
    return index_value(target, name, text)


def star_values(target: Any, text: str) -> Any:
    """``target.*`` / ``target[*]``: the elements of an array, the values of an object; after a ``.*`` it flattens
    one level (every element's elements or values)."""
    if isinstance(target, Unknown | PartialObject):
        return Unknown(text)
    if isinstance(target, FilteredArray):
        result = FilteredArray()
        for element in target:
            if isinstance(element, Unknown | PartialObject):
                return Unknown(text)
            if isinstance(element, Mapping):
                result.extend(element.values())
            elif isinstance(element, list):
                result.extend(element)
        return result
    if isinstance(target, Mapping):
        return FilteredArray(target.values())
    return FilteredArray(target) if isinstance(target, list) else FilteredArray()


def contains_unknown(value: Any, *, limit: int = 1_000_000) -> bool:
    """Whether an unknown hides anywhere inside ``value`` (a partial object counts: its whole is not known)."""
    stack = [value]
    seen = 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > limit or isinstance(item, Unknown | PartialObject):
            return True
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_ESCAPE = re.compile(r'["\\\x00-\x1f\ud800-\udfff]')
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def js_key_order(keys: list[str]) -> list[str]:
    """JavaScript's own-property order: array-index keys ascending first, then the rest as inserted."""
    indexes = [key for key in keys if _ARRAY_INDEX.fullmatch(key) and int(key) < 2**32 - 1]
    if not indexes:
        return keys
    chosen = set(indexes)
    return sorted(indexes, key=int) + [key for key in keys if key not in chosen]


def _json_string(text: str) -> str:
    return '"' + _ESCAPE.sub(lambda m: _SHORT_ESCAPES.get(m.group(), f"\\u{ord(m.group()):04x}"), text) + '"'


def to_json(value: Any, *, indent: str = "  ", depth: int = 0) -> str:
    """``toJSON()``: JavaScript's ``JSON.stringify(value, null, 2)`` (NaN and Infinity print as ``null``)."""
    if depth > MAX_VALUE_DEPTH:
        raise EvaluationError(f"toJSON() of a value nested deeper than {MAX_VALUE_DEPTH}")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "null" if math.isnan(value) or math.isinf(value) else js_number_text(value)
    if isinstance(value, str):
        return _json_string(value)
    inner = "\n" + indent * (depth + 1)
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [to_json(item, indent=indent, depth=depth + 1) for item in value]
        return "[" + inner + ("," + inner).join(items) + "\n" + indent * depth + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        pairs = [f"{_json_string(key)}: {to_json(value[key], indent=indent, depth=depth + 1)}"
                 for key in js_key_order(list(value))]
        return "{" + inner + ("," + inner).join(pairs) + "\n" + indent * depth + "}"
    return _json_string(str(value))
