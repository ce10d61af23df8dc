"""Values of GitHub expressions: :class:`Unknown`, truthiness, text and number coercion, loose comparison.

The rules are GitHub's ("Expressions" in the Actions documentation): falsy is ``false``, ``0``, ``-0``, ``""``,
``null``, ``NaN``; ``==`` compares strings case-insensitively and coerces mismatched types to numbers; objects
and arrays are equal only to themselves. Context objects come in two kinds: :class:`KnownObject` (a missing key is
null, like GitHub) and :class:`PartialObject` (a missing key is :class:`Unknown`, because we only hold part of it).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "KnownObject",
    "PartialObject",
    "Unknown",
    "compare",
    "index_value",
    "loose_equal",
    "property_value",
    "star_values",
    "to_number",
    "to_text",
    "truthy",
]


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


def plain(value: Any) -> Any:
    """A context object as an ordinary dict once it leaves property access (for toJSON, contains, ==)."""
    return dict(value) if isinstance(value, PartialObject | KnownObject) else value


def truthy(value: Any) -> bool:
    if value is None or value is False or value == "":
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return not (value == 0 or math.isnan(value))
    return True


def to_text(value: Any) -> str:
    """How GitHub writes a value into a string: null -> '', booleans lowercase, 3.0 -> '3', objects as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dict | list):
        return json.dumps(plain(value), indent=2, default=str)
    return str(value)


def to_number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return _parse_number(value)
    return math.nan


def _parse_number(text: str) -> float:
    stripped = text.strip()
    if not stripped:
        return 0.0
    try:
        return float(int(stripped, 16)) if stripped.lower().startswith("0x") else float(stripped)
    except ValueError:
        return math.nan


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else "object"


def loose_equal(left: Any, right: Any) -> bool:
    kind = _kind(left)
    if kind != _kind(right):
        if "object" in {kind, _kind(right)}:
            return False
        return to_number(left) == to_number(right)
    if kind == "string":
        return str(left).casefold() == str(right).casefold()
    if kind == "object":
        return left is right
    return bool(left == right)


def compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        a: Any = left.casefold()
        b: Any = right.casefold()
    else:
        a, b = to_number(left), to_number(right)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def _lookup(obj: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    if name in obj:
        return True, obj[name]
    folded = name.casefold()  # context property names are case-insensitive
    for key, value in obj.items():
        if key.casefold() == folded:
            return True, value
    return False, None


def property_value(target: Any, name: str, text: str) -> Any:
    """``target.name``: unknown stays unknown, a partial object's missing key is unknown, otherwise null."""
    if isinstance(target, Unknown):
        return Unknown(text)
    if isinstance(target, list):  # after `.*`: the property of every element
        return [property_value(element, name, text) for element in target]
    if isinstance(target, Mapping):
        found, value = _lookup(target, name)
        if not found and isinstance(target, PartialObject):
            return Unknown(text)
        return value
    return None


def index_value(target: Any, index: Any, text: str) -> Any:
    """``target[index]``: strings index objects, numbers index arrays; out of range is null."""
    if isinstance(target, Unknown) or isinstance(index, Unknown):
        return Unknown(text)
    if isinstance(target, Mapping):
        return property_value(target, to_text(index), text)
    if isinstance(target, list) and isinstance(index, int | float) and not isinstance(index, bool):
        position = int(index)
        return target[position] if 0 <= position < len(target) else None
    return None


def star_values(target: Any, text: str) -> Any:
    """``target.*``: the values of an object or the elements of an array (GitHub's object filter)."""
    if isinstance(target, Unknown):
        return Unknown(text)
    if isinstance(target, Mapping):
        return list(target.values())
    return list(target) if isinstance(target, list) else []
